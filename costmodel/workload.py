"""What is asked of a build: prompt, context, micro-batch, KV type, placement policy, split mode."""

from __future__ import annotations

from dataclasses import dataclass

from .validation import InputError, check_int, check_number

PLACEMENTS = ("auto", "gpu", "cpu", "experts-cpu", "n-cpu-moe")
SPLITS = ("layer", "tensor")
KV_CACHE_TYPES = {"f16": 2.0, "bf16": 2.0, "q8_0": 1.0625, "q4_0": 0.5625}
"""Bytes per KV element of llama.cpp cache types: f16 2; q8_0 34 bytes per 32 values; q4_0 18 per 32
(ggml block layouts, models.md section 4a)."""
MAX_KV_BYTES_PER_ELEMENT = 4.0


@dataclass(frozen=True)
class Workload:
    """One query. Prefill processes `prompt_tokens` new tokens after `prefill_start_tokens` already
    cached; decode produces one token with `decode_context_tokens` in the cache."""

    prompt_tokens: int
    decode_context_tokens: int
    prefill_start_tokens: int = 0
    ubatch_tokens: int = 512
    kv_bytes_per_element: float = 2.0
    placement: str = "auto"
    n_cpu_moe: int = 0
    split: str = "layer"

    def __post_init__(self) -> None:
        owner = "workload"
        check_int(owner, "prompt_tokens", self.prompt_tokens, low=1, high=10**8)
        check_int(owner, "decode_context_tokens", self.decode_context_tokens, low=0, high=10**8)
        check_int(owner, "prefill_start_tokens", self.prefill_start_tokens, low=0, high=10**8)
        check_int(owner, "ubatch_tokens", self.ubatch_tokens, low=1, high=65536)
        if self.kv_bytes_per_element > MAX_KV_BYTES_PER_ELEMENT:
            raise InputError(
                f"{owner}: field 'kv_bytes_per_element' = {self.kv_bytes_per_element!r} is bytes per "
                f"KV element, not bits; allowed: 0 < value <= {MAX_KV_BYTES_PER_ELEMENT} "
                "(2 = f16, 1.0625 = q8_0, 0.5625 = q4_0)"
            )
        check_number(owner, "kv_bytes_per_element", self.kv_bytes_per_element, low=0,
                     low_inclusive=False, high=MAX_KV_BYTES_PER_ELEMENT)
        if self.placement not in PLACEMENTS:
            raise InputError(f"{owner}: field 'placement' = {self.placement!r}; allowed: "
                             + ", ".join(PLACEMENTS))
        if self.split not in SPLITS:
            raise InputError(f"{owner}: field 'split' = {self.split!r}; allowed: " + ", ".join(SPLITS))
        check_int(owner, "n_cpu_moe", self.n_cpu_moe, low=0, high=10**4)

    @property
    def kv_allocated_tokens(self) -> int:
        """Tokens the KV cache is sized for: the larger of the prompt's end and the decode depth."""
        return max(self.prefill_start_tokens + self.prompt_tokens, self.decode_context_tokens)

    @property
    def ubatch_count(self) -> int:
        return -(-self.prompt_tokens // self.ubatch_tokens)

    @property
    def mean_ubatch_tokens(self) -> float:
        return self.prompt_tokens / self.ubatch_count
