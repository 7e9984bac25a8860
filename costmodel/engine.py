"""Engine profiles: the fractions of peak rates a real engine achieves, and its fixed costs.

The request's `LLM.efficiency_factor` is one such fraction for every device and link
(`EngineProfile.uniform`). Named profiles (catalogs/engines.toml) carry one per device kind,
fitted to published measurements by `moerig calibrate` (docs/formulas.md, section Efficiencies).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .validation import check_int, check_number

DEFAULT_GPU_RESERVE_GB = 0.5
"""VRAM each GPU keeps for the runtime (CUDA context, cuBLAS workspace) before the compute buffer
[GB]. nvidia-smi shows 0.3-0.5 GB used by an idle CUDA context on RTX 30/40 cards."""


@dataclass(frozen=True)
class EngineProfile:
    """Achieved fractions of peak [0-1] and fixed costs [s] of one inference engine."""

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
    source: str = ""

    def __post_init__(self) -> None:
        owner = f"engine profile '{self.name}'"
        for name in ("gpu_memory_eff", "gpu_compute_eff", "cpu_memory_eff", "cpu_compute_eff",
                     "link_eff"):
            check_number(owner, name, getattr(self, name), low=0, low_inclusive=False, high=1)
        check_number(owner, "decode_token_overhead_s", self.decode_token_overhead_s, low=0, high=10)
        check_number(owner, "hop_latency_s", self.hop_latency_s, low=0, high=1)
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

    def with_values(self, **changes: float) -> EngineProfile:
        return replace(self, **changes)
