"""Speeds of many builds, evaluated in cache-sized chunks: what a search needs, nothing more."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .build_arrays import BuildArrays
from .engine import EngineProfile
from .evaluate import evaluate
from .model_spec import ModelSpec
from .workload import Workload

CHUNK_BUILDS = 16384
"""Builds per chunk. numpy's temporaries of 16,384 float64 values (128 kB) stay in the CPU cache;
one call over a million builds at once is 7x slower on this machine (scripts/bench_costmodel.py)."""


@dataclass(frozen=True)
class Speeds:
    """Per build: fits, decode and prefill speed (NaN where it does not fit), time to first token,
    and the RAM left [GB = 10^9 bytes] (negative: short)."""

    fits: NDArray[np.bool_]
    decode_tokens_per_s: NDArray[np.float64]
    prefill_tokens_per_s: NDArray[np.float64]
    time_to_first_token_s: NDArray[np.float64]
    ram_free_gb: NDArray[np.float64]


def evaluate_speeds(spec: ModelSpec, hw: BuildArrays, workload: Workload, engine: EngineProfile,
                    chunk_builds: int = CHUNK_BUILDS) -> Speeds:
    """`evaluate` over all builds, chunk by chunk, keeping only the speeds."""
    n = hw.n_builds
    fits = np.empty(n, dtype=bool)
    decode = np.empty(n)
    prefill = np.empty(n)
    ttft = np.empty(n)
    ram_free = np.empty(n)
    for start in range(0, n, chunk_builds):
        part = slice(start, min(start + chunk_builds, n))
        est = evaluate(spec, hw.rows(part), workload, engine)
        fits[part] = est.fits
        decode[part] = est.decode_tokens_per_s
        ttft[part] = est.time_to_first_token_s
        prefill[part] = workload.prompt_tokens / ttft[part]
        ram_free[part] = est.placement.ram_free_bytes / 1e9
    return Speeds(fits, decode, prefill, ttft, ram_free)
