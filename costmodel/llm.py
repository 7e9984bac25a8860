"""The request's `LLM` summary and its conversion to the core's ModelSpec.

Fields as the request wrote them: parameter counts in billions; `activations_size_per_token` and
`kvcache_size_per_user_token` in GB (10^9 bytes) per token; `bits_per_weight` for every weight;
`efficiency_factor` the achieved fraction of every peak rate. The KV figure is taken at one byte per
element, so `performance(kv_cache_bpw=q)` scales it by q (docs/formulas.md, section The request's LLM).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .architecture import ModelArch, Quantization
from .model_spec import DEFAULT_LAYERS_WHEN_UNKNOWN, ModelSpec, spec_from_arch
from .units import BYTES_PER_GB, PARAMS_PER_BILLION
from .validation import InputError, check_int, check_number

UNLIMITED_CONTEXT_TOKENS = 10**8


@dataclass
class LLM:
    name: str
    total_parameters: float  # in billions
    active_parameters_per_token: float  # in billions
    always_active_parameters_per_token: float  # in billions
    activations_size_per_token: float  # GB
    kvcache_size_per_user_token: float  # GB
    hidden_dim: int
    bits_per_weight: float = 5
    efficiency_factor: float = 0.5
    n_layers: int = 0
    n_routed_experts: int = 0
    experts_per_token: int = 0
    max_context_tokens: int = 0
    arch: ModelArch | None = None
    quant: Quantization | None = None

    def __post_init__(self) -> None:
        owner = f"LLM '{self.name}'"
        check_number(owner, "total_parameters", self.total_parameters, low=0, low_inclusive=False,
                     high=1e5)
        check_number(owner, "active_parameters_per_token", self.active_parameters_per_token, low=0,
                     low_inclusive=False, high=self.total_parameters)
        check_number(owner, "always_active_parameters_per_token",
                     self.always_active_parameters_per_token, low=0, low_inclusive=False,
                     high=self.active_parameters_per_token)
        check_number(owner, "activations_size_per_token", self.activations_size_per_token, low=0,
                     high=1.0)
        check_number(owner, "kvcache_size_per_user_token", self.kvcache_size_per_user_token, low=0,
                     high=1.0)
        check_int(owner, "hidden_dim", self.hidden_dim, low=1, high=10**6)
        check_number(owner, "bits_per_weight", self.bits_per_weight, low=1, high=32)
        check_number(owner, "efficiency_factor", self.efficiency_factor, low=0, low_inclusive=False,
                     high=1)
        check_int(owner, "n_layers", self.n_layers, low=0, high=1000)
        check_int(owner, "n_routed_experts", self.n_routed_experts, low=0)
        check_int(owner, "experts_per_token", self.experts_per_token, low=0)
        if self.n_routed_experts and not 0 < self.experts_per_token <= self.n_routed_experts:
            raise InputError(f"{owner}: field 'experts_per_token' = {self.experts_per_token}; "
                             f"allowed: 1 <= value <= n_routed_experts ({self.n_routed_experts})")
        check_int(owner, "max_context_tokens", self.max_context_tokens, low=0)

    def to_spec(self) -> ModelSpec:
        """The ModelSpec the core evaluates. With `arch`, the exact counts of the architecture at
        `quant` (or `bits_per_weight` for every tensor). Without it, the documented approximations:
        experts = P - S, k/E = (A - S)/(P - S), L = n_layers or 60, KV elements per token per layer
        = kvcache_size_per_user_token * 10^9 / L, attention FLOPs per attended position per layer
        = 4 H (n_heads * head_dim = H), no separate token-embedding table."""
        if self.arch is not None:
            quant = self.quant or Quantization(f"{self.bits_per_weight:g}bpw", self.bits_per_weight,
                                               self.bits_per_weight)
            spec = spec_from_arch(self.arch, quant)
            if self.max_context_tokens:
                spec = replace(spec, max_context_tokens=self.max_context_tokens)
            return spec
        layers = self.n_layers or DEFAULT_LAYERS_WHEN_UNKNOWN
        routed_b = self.total_parameters - self.always_active_parameters_per_token
        active_routed_b = self.active_parameters_per_token - self.always_active_parameters_per_token
        if routed_b > 0 and self.n_routed_experts:
            n_experts, k = float(self.n_routed_experts), float(self.experts_per_token)
        elif routed_b > 0:
            n_experts, k = 1.0, active_routed_b / routed_b
        else:
            n_experts, k = 0.0, 0.0
        h = self.hidden_dim
        activation_bytes = self.activations_size_per_token * BYTES_PER_GB or 4.0 * h
        return ModelSpec(
            name=self.name,
            n_layers=layers,
            n_moe_layers=layers if routed_b > 0 else 0,
            n_routed_experts=n_experts,
            experts_per_token=k,
            always_active_params=self.always_active_parameters_per_token * PARAMS_PER_BILLION,
            routed_params=routed_b * PARAMS_PER_BILLION,
            input_embedding_params=0.0,
            other_bits_per_weight=float(self.bits_per_weight),
            expert_bits_per_weight=float(self.bits_per_weight),
            kv_elements_per_token_per_layer=self.kvcache_size_per_user_token * BYTES_PER_GB / layers,
            n_window_layers=0,
            window_tokens=0,
            attn_flops_decode_per_position_per_layer=4.0 * h,
            attn_flops_prefill_per_position_per_layer=4.0 * h,
            hidden_size=h,
            vocab_size=0,
            activation_bytes_per_token=activation_bytes,
            max_context_tokens=self.max_context_tokens or UNLIMITED_CONTEXT_TOKENS,
        )
