"""Plots (matplotlib is an optional extra: `pip install 'moerig[plot]'`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from costmodel.validation import InputError

from ..result import FoundBuild

FORMATS = (".png", ".svg", ".pdf")


def _pyplot(path: Path):
    if path.suffix.lower() not in FORMATS:
        raise InputError(f"--plot {path}: allowed file types: {', '.join(FORMATS)}")
    try:
        import matplotlib
    except ImportError:
        raise InputError("--plot needs matplotlib: pip install 'moerig[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def plot_sweep(rows: Sequence[Mapping[str, Any]], path: Path, title: str) -> None:
    """Decode and prefill tokens/s against context tokens, two panels sharing the x axis."""
    plt = _pyplot(path)
    ctx = [r["context_tokens"] for r in rows]
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(7, 6))
    top.plot(ctx, [r["decode_tokens_per_s"] or float("nan") for r in rows], "o-")
    top.set_ylabel("decode tokens/s")
    bottom.plot(ctx, [r["prefill_tokens_per_s"] or float("nan") for r in rows], "o-", color="C1")
    bottom.set_ylabel("prefill tokens/s")
    bottom.set_xlabel("context tokens")
    for ax in (top, bottom):
        ax.grid(True, alpha=0.3)
        ax.set_ylim(bottom=0)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_pareto(points: Sequence[FoundBuild], seeds: Sequence[tuple[str, FoundBuild]], path: Path,
                axis: str, title: str) -> None:
    """Price against speed of the frontier (a staircase), with the seed builds marked."""
    plt = _pyplot(path)
    panels = ("decode", "prefill") if axis == "both" else (axis,)
    fig, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 5), squeeze=False)
    for ax, panel in zip(axes[0], panels, strict=True):
        def speed(b: FoundBuild, panel: str = panel) -> float:
            value = b.decode_tokens_per_s if panel == "decode" else b.prefill_tokens_per_s
            return float("nan") if value is None else value
        front = sorted(points, key=lambda b: b.price_usd)
        ax.step([b.price_usd for b in front], [speed(b) for b in front], "o-", where="post",
                label="non-dominated builds")
        for name, b in seeds:
            ax.plot([b.price_usd], [speed(b)], "*", markersize=14, label=name)
        ax.set_xlabel("price USD")
        ax.set_ylabel(f"{panel} tokens/s")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
