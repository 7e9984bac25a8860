"""Predicted vs measured speeds of the cross-validated calibration, as a log-log PNG and as the
markdown table per regime of the README section "How accurate is it?".

Input: the CSV written by
    moerig calibrate catalogs/calibration.csv -o catalogs/engines.toml --cv --cv-csv docs/accuracy_cv.csv
Usage:
    python scripts/plot_accuracy.py [--cv-csv docs/accuracy_cv.csv] [--out docs/accuracy.png]
    python scripts/plot_accuracy.py --table        (markdown table on stdout, no plot)
The plot needs matplotlib (`pip install moerig[plot]`).
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

from costmodel.regimes import REGIME_LABELS, REGIMES, abs_error_frac

ROOT = Path(__file__).resolve().parents[1]
MARKERS = {"cpu-only": "s", "experts-in-ram": "o", "vram-1-gpu": "^", "vram-multi-gpu": "D"}
PHASE_TITLES = {"prefill": "Prompt processing (prefill)", "decode": "Token generation (decode)"}


def read_cv(path: Path) -> tuple[list[str], dict[str, tuple[np.ndarray, np.ndarray]]]:
    """Regimes, and per phase (measured, cross-validated prediction) arrays, NaN where blank."""
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    regimes = [r["regime"] for r in rows]
    phases = {}
    for phase in PHASE_TITLES:
        meas = np.array([float(r[f"measured_{phase}_tokens_per_s"] or "nan") for r in rows])
        pred = np.array([float(r[f"cv_{phase}_tokens_per_s"] or "nan") for r in rows])
        phases[phase] = (meas, pred)
    return regimes, phases


def markdown_table(regimes: list[str], phases: dict[str, tuple[np.ndarray, np.ndarray]]) -> str:
    """| regime | phase | rows predicted / measured | median abs. error | within 25% |"""
    lines = ["| regime | phase | predicted / measured rows | median abs. error | within 25% |",
             "|---|---|---|---|---|"]
    regime_arr = np.array(regimes)
    for regime in (*REGIMES, "all"):
        rows = np.ones(len(regimes), bool) if regime == "all" else regime_arr == regime
        for phase, (meas, pred) in phases.items():
            measured = rows & np.isfinite(meas)
            ok = measured & np.isfinite(pred)
            if not measured.any():
                continue
            err = abs_error_frac(np.log(pred[ok] / meas[ok]))
            label = "**all**" if regime == "all" else REGIME_LABELS[regime]
            median = f"{np.median(err):.0%}" if err.size else "-"
            within = f"{np.mean(err <= 0.25):.0%}" if err.size else "-"
            lines.append(f"| {label} | {phase} | {ok.sum()} / {measured.sum()} | {median} | {within} |")
    return "\n".join(lines)


def plot(regimes: list[str], phases: dict[str, tuple[np.ndarray, np.ndarray]], out: Path) -> None:
    """Two log-log panels, one marker per regime, the diagonal and the +-25% band."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 5.2))
    regime_arr = np.array(regimes)
    for ax, (phase, (meas, pred)) in zip(axes, phases.items(), strict=True):
        ok = np.isfinite(meas) & np.isfinite(pred)
        lo, hi = np.min([meas[ok], pred[ok]]) / 1.5, np.max([meas[ok], pred[ok]]) * 1.5
        line = np.array([lo, hi])
        ax.plot(line, line, color="black", linewidth=1)
        ax.fill_between(line, line * 0.75, line * 1.25, color="0.85", label="within 25%")
        for regime in REGIMES:
            mine = ok & (regime_arr == regime)
            if mine.any():
                ax.scatter(meas[mine], pred[mine], marker=MARKERS[regime], s=28,
                           label=f"{REGIME_LABELS[regime]} ({mine.sum()})")
        err = abs_error_frac(np.log(pred[ok] / meas[ok]))
        ax.set(xscale="log", yscale="log", xlim=(lo, hi), ylim=(lo, hi),
               xlabel="measured tokens/s", ylabel="predicted tokens/s (leave one source out)",
               title=f"{PHASE_TITLES[phase]}: median error {np.median(err):.0%}")
        ax.grid(True, which="both", linewidth=0.3)
        ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cv-csv", type=Path, default=ROOT / "docs" / "accuracy_cv.csv")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "accuracy.png")
    parser.add_argument("--table", action="store_true", help="print the markdown table only")
    args = parser.parse_args()
    regimes, phases = read_cv(args.cv_csv)
    if args.table:
        print(markdown_table(regimes, phases))
        return
    plot(regimes, phases, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
