"""A cheapest-build or Pareto query: the model, the workload, the targets and the limits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from catalogs import Catalog, find_quant
from costmodel import KV_CACHE_TYPES, EngineProfile, ModelSpec, Workload, spec_from_arch
from costmodel.validation import InputError, check_int, check_number

MAX_MIXED_GPU_TYPES = 4
"""Mixed searches enumerate count vectors over the allowed GPU types: C(8 + t, t) vectors for up
to 8 cards, 495 at t = 4. More types are refused rather than searched slowly."""


@dataclass(frozen=True)
class Query:
    """What the user asks. Speeds in tokens/s, times in s, money in USD, power in W.

    Decode is measured with `context_tokens` in the KV cache; the prompt of `prompt_tokens`
    (default: the whole context) is the last part of that context, so prefill starts at depth
    context - prompt. `owned` maps part ids to counts the user has (they cost nothing).
    """

    model: str
    quant: str = "Q4_K_M"
    context_tokens: int = 8192
    prompt_tokens: int | None = None
    ubatch_tokens: int = 512
    kv_cache: str = "f16"
    engine: str = "llama.cpp"
    placement: str = "auto"
    n_cpu_moe: int = 0
    split: str = "layer"
    decode_tokens_per_s: float | None = None
    prefill_tokens_per_s: float | None = None
    time_to_first_token_s: float | None = None
    budget_usd: float | None = None
    power_cap_w: float | None = None
    max_gpus: int = 8
    owned: Mapping[str, int] = field(default_factory=dict)
    gpu_types: tuple[str, ...] = ()
    mixed: bool = False
    top_k: int = 5

    def __post_init__(self) -> None:
        owner = "query"
        for name in ("decode_tokens_per_s", "prefill_tokens_per_s", "time_to_first_token_s",
                     "budget_usd", "power_cap_w"):
            value = getattr(self, name)
            if value is not None:
                check_number(owner, name, value, low=0, low_inclusive=False)
        check_int(owner, "max_gpus", self.max_gpus, low=0, high=32)
        check_int(owner, "top_k", self.top_k, low=1, high=100)
        if self.kv_cache not in KV_CACHE_TYPES:
            raise InputError(f"{owner}: field 'kv_cache' = {self.kv_cache!r}; allowed: "
                             + ", ".join(KV_CACHE_TYPES))
        for part, count in self.owned.items():
            check_int(owner, f"owned[{part}]", count, low=1, high=64)
        if self.mixed and not 2 <= len(self.gpu_types) <= MAX_MIXED_GPU_TYPES:
            raise InputError(f"{owner}: a mixed-GPU search needs 2 to {MAX_MIXED_GPU_TYPES} GPU "
                             f"types (--gpu-type), got {len(self.gpu_types)}")

    @property
    def has_targets(self) -> bool:
        return any(v is not None for v in (self.decode_tokens_per_s, self.prefill_tokens_per_s,
                                           self.time_to_first_token_s))

    def workload(self) -> Workload:
        prompt = self.context_tokens if self.prompt_tokens is None else self.prompt_tokens
        return Workload(
            prompt_tokens=max(prompt, 1),
            decode_context_tokens=self.context_tokens,
            prefill_start_tokens=max(self.context_tokens - prompt, 0),
            ubatch_tokens=self.ubatch_tokens,
            kv_bytes_per_element=KV_CACHE_TYPES[self.kv_cache],
            placement=self.placement,
            n_cpu_moe=self.n_cpu_moe,
            split=self.split,
        )


def resolve(query: Query, catalog: Catalog) -> tuple[ModelSpec, Workload, EngineProfile]:
    """The model spec at the query's quantization, the workload and the engine profile."""
    arch = catalog.model(query.model)
    spec = spec_from_arch(arch, find_quant(arch, query.quant))
    return spec, query.workload(), catalog.engine(query.engine)


def meets_targets(query: Query, decode: NDArray[np.float64], prefill: NDArray[np.float64],
                  ttft: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Boolean array: every stated target holds (NaN speeds, i.e. builds that do not fit, fail)."""
    ok = np.isfinite(decode)
    if query.decode_tokens_per_s is not None:
        ok &= decode >= query.decode_tokens_per_s
    if query.prefill_tokens_per_s is not None:
        ok &= prefill >= query.prefill_tokens_per_s
    if query.time_to_first_token_s is not None:
        ok &= ttft <= query.time_to_first_token_s
    return ok

