"""Engine profiles: the fractions of peak rates a real engine achieves, and its fixed costs.

The request's `LLM.efficiency_factor` is one such fraction for every device and link
(`EngineProfile.uniform`). Named profiles (catalogs/engines.toml) carry one per device kind,
fitted to published measurements by `moerig calibrate` (docs/formulas.md, section Efficiencies).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .build_arrays import BuildArrays
from .regimes import Accuracy
from .validation import check_int, check_number

DEFAULT_GPU_RESERVE_GB = 0.5
"""VRAM each GPU keeps for the runtime (CUDA context, cuBLAS workspace) before the compute buffer
[GB]. nvidia-smi shows 0.3-0.5 GB used by an idle CUDA context on RTX 30/40 cards."""

MAX_CPU_COMPUTE_EFF = 2.0
"""Upper bound of cpu_compute_eff: an int8 dot-product instruction (AVX-512 VNNI, AVX-VNNI) does
twice the multiply-adds of an FP32 FMA of the same width, so a quantized matmul can reach at most
about twice the FP32 peak."""


@dataclass(frozen=True)
class EngineProfile:
    """Achieved fractions of peak [0-1] and fixed costs [s] of one inference engine.

    `cpu_compute_eff` may exceed 1 (up to 2): quantized CPU matmuls use int8 dot products, which
    outrun the FP32 FMA peak that `cpu_tflops` counts.
    Calibrated terms (docs/formulas.md, section Calibrated terms), neutral by default:
    `cpu_sync_s_per_core_layer` [s]: CPU thread synchronisation per core and per layer it works
    on, per decoded token.
    `cpu_attention_eff`, `gpu_attention_eff` [0-1]: attention timed apart from the weights at that
    fraction of the device's peak (0: attention shares the device's roofline).
    `cpu_flop_per_cycle_cap` [FLOP/cycle/core]: the CPU peak counts at most this many FP32 FLOP
    per cycle per core (0: no cap; 32 counts AVX-512 CPUs at their AVX2 rate).
    `latent_attention_prefill`: prompt attention over the cached MLA latent (absorbed weights, as
    in decode) instead of decompressed heads.
    `stream_always`: RAM-resident weights are streamed to a GPU whenever the micro-batch reaches
    `stream_min_ubatch`, not only when that is faster. `gpu_copy_via_host`: copies between GPUs
    are staged through host memory (no peer-to-peer on GeForce cards) and cross PCIe twice.
    `accuracy`: the cross-validated error ranges and calibrated space of a fitted profile (None
    for the request's uniform model: no range).
    """

    name: str
    gpu_memory_eff: float
    gpu_compute_eff: float
    cpu_memory_eff: float
    cpu_compute_eff: float
    link_eff: float
    decode_token_overhead_s: float = 0.0
    hop_latency_s: float = 0.0
    gpu_reserve_gb: float = DEFAULT_GPU_RESERVE_GB
    ram_reserve_gb: float = 0.0
    stream_min_ubatch: int = 32
    stream_touched_only: bool = False
    cpu_sync_s_per_core_layer: float = 0.0
    cpu_attention_eff: float = 0.0
    gpu_attention_eff: float = 0.0
    cpu_flop_per_cycle_cap: float = 0.0
    latent_attention_prefill: bool = False
    stream_always: bool = False
    gpu_copy_via_host: bool = False
    source: str = ""
    accuracy: Accuracy | None = None

    def __post_init__(self) -> None:
        owner = f"engine profile '{self.name}'"
        for name in ("gpu_memory_eff", "gpu_compute_eff", "cpu_memory_eff", "link_eff"):
            check_number(owner, name, getattr(self, name), low=0, low_inclusive=False, high=1)
        check_number(owner, "cpu_compute_eff", self.cpu_compute_eff, low=0, low_inclusive=False,
                     high=MAX_CPU_COMPUTE_EFF)
        check_number(owner, "decode_token_overhead_s", self.decode_token_overhead_s, low=0, high=10)
        check_number(owner, "hop_latency_s", self.hop_latency_s, low=0, high=1)
        check_number(owner, "cpu_sync_s_per_core_layer", self.cpu_sync_s_per_core_layer, low=0,
                     high=1e-3)
        check_number(owner, "cpu_attention_eff", self.cpu_attention_eff, low=0, high=1)
        check_number(owner, "gpu_attention_eff", self.gpu_attention_eff, low=0, high=1)
        check_number(owner, "cpu_flop_per_cycle_cap", self.cpu_flop_per_cycle_cap, low=0, high=1024)
        check_number(owner, "gpu_reserve_gb", self.gpu_reserve_gb, low=0, high=64)
        check_number(owner, "ram_reserve_gb", self.ram_reserve_gb, low=0, high=1024)
        check_int(owner, "stream_min_ubatch", self.stream_min_ubatch, low=0, high=10**9)

    @classmethod
    def uniform(cls, efficiency: float) -> EngineProfile:
        """The request's model: one efficiency for every peak rate, no fixed costs, llama.cpp's
        streaming rule for RAM-resident weights in prefill."""
        return cls(
            name=f"uniform-{efficiency:g}",
            gpu_memory_eff=efficiency,
            gpu_compute_eff=efficiency,
            cpu_memory_eff=efficiency,
            cpu_compute_eff=efficiency,
            link_eff=efficiency,
            source="LLM.efficiency_factor of the original request",
        )

    def with_values(self, **changes: Any) -> EngineProfile:
        return replace(self, **changes)


def cpu_peak_tflops(hw: BuildArrays, engine: EngineProfile) -> NDArray[np.float64]:
    """CPU peak the engine's matmuls can use [TFLOPS]:

        F_cpu = F * min(1, c / f_cycle)    (c = cpu_flop_per_cycle_cap > 0 and f_cycle known)

    F the FP32 peak (cores x GHz x f_cycle). Quantized matmul kernels reach about the same work per
    core and cycle on AVX2, Zen 4 and AVX-512 CPUs (calibration file: Zen 5 and Xeon 6 prompt
    rates per core-GHz match Zen 4's), so the wider FP32 units do not count.
    """
    fpc = hw.cpu_flop_per_cycle
    if engine.cpu_flop_per_cycle_cap <= 0 or fpc is None:
        return hw.cpu_tflops
    scale = np.divide(engine.cpu_flop_per_cycle_cap, fpc, out=np.ones_like(fpc), where=fpc > 0)
    return hw.cpu_tflops * np.minimum(1.0, scale)


DEFAULT_CPU_CORES = 32
"""Cores assumed for the synchronisation term when a build does not say [cores]: the median of
the calibration file's CPUs (Threadripper PRO and EPYC 9355 parts)."""


def cpu_sync_seconds(hw: BuildArrays, engine: EngineProfile,
                     cpu_layers: NDArray[np.float64]) -> NDArray[np.float64]:
    """CPU thread synchronisation per decoded token [s]:

        t_sync = c * n_cores * L_cpu

    c = cpu_sync_s_per_core_layer [s], n_cores the CPU's cores (DEFAULT_CPU_CORES when unknown),
    L_cpu the layers the CPU works on. Each graph node of a layer ends in a barrier of all threads;
    a barrier costs about one cache-line hand-off per thread, so its cost grows with the cores.
    """
    if engine.cpu_sync_s_per_core_layer <= 0:
        return np.zeros_like(cpu_layers)
    cores = hw.cpu_cores if hw.cpu_cores is not None else np.zeros_like(cpu_layers)
    cores = np.where(cores > 0, cores, DEFAULT_CPU_CORES)
    return engine.cpu_sync_s_per_core_layer * cores * cpu_layers
