"""Operating regimes, prediction errors per regime, and the uncertainty ranges they give.

A regime says where the weights live: all in RAM and run by the CPU, experts in RAM with the rest
on GPUs, or all in VRAM on one or several GPUs. Errors are summarised per regime and phase; the
10th-90th percentiles of the cross-validated measured/predicted ratio of a regime become the range
printed beside every estimate in that regime (docs/formulas.md, section Calibrated terms).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

REGIMES = ("cpu-only", "experts-in-ram", "vram-1-gpu", "vram-multi-gpu")
REGIME_LABELS = {
    "cpu-only": "CPU only",
    "experts-in-ram": "experts in RAM",
    "vram-1-gpu": "all in VRAM, 1 GPU",
    "vram-multi-gpu": "all in VRAM, multi-GPU",
}
PHASES = ("prefill", "decode")
WITHIN_FRAC = 0.25
"""The 'share within' threshold of the summaries: |predicted / measured - 1| <= 25%."""

RANGE_QUANTILES = (0.1, 0.9)
"""Percentiles of measured/predicted that bound an estimate's range."""

MIN_RANGE_CASES = 6
"""Cases a regime needs for its own range; fewer: the range of all regimes of that phase."""


def classify_regime(gpus_used: NDArray[np.float64], ram_weights_frac: NDArray[np.float64]
                    ) -> list[str]:
    """Regime of each build from the GPUs it uses and the share of its weights read from RAM.

    cpu-only: no GPU used; experts-in-ram: some weights (routed experts or whole layers) in RAM;
    vram-1-gpu / vram-multi-gpu: every weight in VRAM of one / several GPUs.
    """
    regimes = []
    for n, frac in zip(np.atleast_1d(gpus_used), np.atleast_1d(ram_weights_frac), strict=True):
        if n <= 0:
            regimes.append("cpu-only")
        elif frac > 0:
            regimes.append("experts-in-ram")
        else:
            regimes.append("vram-1-gpu" if n <= 1 else "vram-multi-gpu")
    return regimes


def abs_error_frac(log_ratio: NDArray[np.float64]) -> NDArray[np.float64]:
    """|predicted / measured - 1| from ln(predicted / measured)."""
    return np.abs(np.expm1(log_ratio))


@dataclass(frozen=True)
class ErrorSummary:
    """Errors of one regime (or 'all') in one phase."""

    regime: str
    phase: str
    n_measured: int
    n_predicted: int
    median_abs_error_frac: float
    within_25_frac: float
    worst: tuple[tuple[str, float], ...]  # (case id, predicted / measured), worst first


def summarize_errors(case_ids: Sequence[str], regimes: Sequence[str],
                     measured: NDArray[np.float64], log_ratio: NDArray[np.float64],
                     n_worst: int = 3) -> list[ErrorSummary]:
    """Per regime and phase, then over all regimes: measured and predicted counts, median absolute
    percentage error, share within 25%, and the worst cases. `measured` and `log_ratio` are
    (n, 2) arrays, prefill then decode."""
    summaries = []
    regime_arr = np.array(regimes)
    for regime in (*REGIMES, "all"):
        rows = np.ones(len(regimes), bool) if regime == "all" else regime_arr == regime
        for j, phase in enumerate(PHASES):
            has = rows & np.isfinite(measured[:, j])
            ok = has & np.isfinite(log_ratio[:, j])
            if not has.any():
                continue
            err = abs_error_frac(log_ratio[ok, j])
            order = np.argsort(-np.abs(log_ratio[ok, j]))[:n_worst]
            ids = np.array(case_ids)[ok]
            worst = tuple((str(ids[k]), float(np.exp(log_ratio[ok, j][k]))) for k in order)
            summaries.append(ErrorSummary(
                regime=regime, phase=phase, n_measured=int(has.sum()), n_predicted=int(ok.sum()),
                median_abs_error_frac=float(np.median(err)) if err.size else float("nan"),
                within_25_frac=float(np.mean(err <= WITHIN_FRAC)) if err.size else float("nan"),
                worst=worst))
    return summaries


@dataclass(frozen=True)
class RatioRange:
    """measured / predicted at the 10th and 90th percentile, from `n` cross-validated cases."""

    low: float
    high: float
    n: int
    pooled: bool = False  # taken from all regimes: this one had too few cases


@dataclass(frozen=True)
class Accuracy:
    """What the calibration says about a profile: ranges per (regime, phase) and the space its
    data covered (GPU names, deepest context, whether the data held enough of this engine:
    costmodel.fitting.MIN_ENGINE_MEASUREMENTS from MIN_ENGINE_SOURCES)."""

    ranges: Mapping[tuple[str, str], RatioRange] = field(default_factory=dict)
    gpu_models: tuple[str, ...] = ()
    max_context_tokens: int = 0
    engine_covered: bool = False

    def range_for(self, regime: str, phase: str) -> RatioRange | None:
        return self.ranges.get((regime, phase))


def ratio_ranges(regimes: Sequence[str], log_ratio: NDArray[np.float64]
                 ) -> dict[tuple[str, str], RatioRange]:
    """(regime, phase) -> 10th-90th percentile of measured/predicted = exp(-log_ratio).

    A regime with fewer than MIN_RANGE_CASES predicted cases of a phase takes the range of every
    case of that phase (`pooled`)."""
    regime_arr = np.array(regimes)
    ranges: dict[tuple[str, str], RatioRange] = {}
    for j, phase in enumerate(PHASES):
        ok = np.isfinite(log_ratio[:, j])
        if not ok.any():
            continue
        pooled = _range(np.exp(-log_ratio[ok, j]), pooled=True)
        for regime in REGIMES:
            mine = ok & (regime_arr == regime)
            ranges[(regime, phase)] = (_range(np.exp(-log_ratio[mine, j]))
                                       if mine.sum() >= MIN_RANGE_CASES else pooled)
    return ranges


def _range(ratios: NDArray[np.float64], pooled: bool = False) -> RatioRange:
    low, high = np.quantile(ratios, RANGE_QUANTILES)
    return RatioRange(low=float(low), high=float(high), n=int(ratios.size), pooled=pooled)
