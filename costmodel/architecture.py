"""Detailed description of a (MoE) transformer and the parameter counts derived from it.

Counting formulas follow shared/research/models.md (section Formulas) and are written out in
docs/formulas.md, section "Parameter counts". Parameters are counted one by one; bytes come later
from bits per weight per tensor class (routed experts vs everything else).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .validation import InputError, check_int, check_number


@dataclass(frozen=True)
class Quantization:
    """Bits per weight of the two tensor classes that real quantizations treat differently."""

    name: str
    expert_bits_per_weight: float
    other_bits_per_weight: float

    def __post_init__(self) -> None:
        owner = f"quantization '{self.name}'"
        check_number(owner, "expert_bits_per_weight", self.expert_bits_per_weight, low=1, high=32)
        check_number(owner, "other_bits_per_weight", self.other_bits_per_weight, low=1, high=32)


@dataclass(frozen=True)
class ModelArch:
    """Architecture fields as read from a model's config.json (names in models.md, section 1)."""

    id: str
    name: str
    n_layers: int
    n_dense_layers: int
    hidden_size: int
    vocab_size: int
    attention: str  # "gqa" or "mla"
    n_heads: int
    n_kv_heads: int
    head_dim: int = 0
    q_lora_rank: int = 0
    kv_lora_rank: int = 0
    qk_nope_head_dim: int = 0
    qk_rope_head_dim: int = 0
    v_head_dim: int = 0
    dense_intermediate_size: int = 0
    moe_intermediate_size: int = 0
    n_routed_experts: int = 0
    experts_per_token: int = 0
    n_shared_experts: int = 0
    shared_intermediate_size: int = 0
    tied_embeddings: bool = False
    attention_bias: bool = False
    qk_norm: bool = False
    expert_bias: bool = False
    sliding_window: int = 0
    n_sliding_layers: int = 0
    max_context_tokens: int = 131072
    quantizations: dict[str, Quantization] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        owner = f"model '{self.id}'"
        check_int(owner, "n_layers", self.n_layers, low=1, high=1000)
        check_int(owner, "n_dense_layers", self.n_dense_layers, low=0, high=self.n_layers)
        for name in ("hidden_size", "vocab_size", "n_heads", "n_kv_heads"):
            check_int(owner, name, getattr(self, name), low=1)
        if self.attention not in ("gqa", "mla"):
            raise InputError(f"{owner}: field 'attention' = {self.attention!r}; allowed: 'gqa', 'mla'")
        if self.attention == "gqa":
            check_int(owner, "head_dim", self.head_dim, low=1)
        else:
            for name in ("kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim"):
                check_int(owner, name, getattr(self, name), low=1)
        if self.n_moe_layers > 0:
            check_int(owner, "n_routed_experts", self.n_routed_experts, low=1)
            check_int(owner, "experts_per_token", self.experts_per_token, low=1, high=self.n_routed_experts)
            check_int(owner, "moe_intermediate_size", self.moe_intermediate_size, low=1)
        if self.n_dense_layers > 0:
            check_int(owner, "dense_intermediate_size", self.dense_intermediate_size, low=1)
        check_int(owner, "n_sliding_layers", self.n_sliding_layers, low=0, high=self.n_layers)
        check_int(owner, "sliding_window", self.sliding_window, low=0)
        check_int(owner, "max_context_tokens", self.max_context_tokens, low=1)

    @property
    def n_moe_layers(self) -> int:
        return self.n_layers - self.n_dense_layers

    @property
    def is_moe(self) -> bool:
        return self.n_moe_layers > 0 and self.n_routed_experts > 0


@dataclass(frozen=True)
class ParamCounts:
    """Parameter counts of one model [parameters, not billions]."""

    attention_per_layer: float
    one_expert: float
    shared_per_moe_layer: float
    router_per_moe_layer: float
    dense_ffn_per_dense_layer: float
    norms_total: float
    embedding: float
    head: float
    n_layers: int
    n_dense_layers: int
    n_moe_layers: int
    n_routed_experts: int
    experts_per_token: int

    @property
    def routed_total(self) -> float:
        return self.n_moe_layers * self.n_routed_experts * self.one_expert

    @property
    def always_active(self) -> float:
        """Weights every token touches: attention, norms, dense FFNs, shared experts, routers,
        embedding and head (models.md convention, embedding included)."""
        return (
            self.n_layers * self.attention_per_layer
            + self.norms_total
            + self.n_dense_layers * self.dense_ffn_per_dense_layer
            + self.n_moe_layers * (self.shared_per_moe_layer + self.router_per_moe_layer)
            + self.embedding
            + self.head
        )

    @property
    def total(self) -> float:
        return self.always_active + self.routed_total

    @property
    def active_per_token(self) -> float:
        return self.always_active + self.n_moe_layers * self.experts_per_token * self.one_expert


def attention_params_per_layer(arch: ModelArch) -> float:
    """Attention weights of one layer [parameters].

    GQA: H*n_h*d (q) + 2*H*n_kv*d (k, v) + n_h*d*H (o) (+ n_h*d + 2*n_kv*d biases).
    MLA: H*r_q + r_q*n_h*(d_nope + d_rope) + H*(r_kv + d_rope) + r_kv*n_h*(d_nope + d_v) + n_h*d_v*H;
    without q LoRA (r_q = 0) the q path is H*n_h*(d_nope + d_rope). Source: models.md, Formulas.
    """
    h = arch.hidden_size
    if arch.attention == "gqa":
        q_dim = arch.n_heads * arch.head_dim
        kv_dim = arch.n_kv_heads * arch.head_dim
        params = h * q_dim + 2 * h * kv_dim + q_dim * h
        if arch.attention_bias:
            params += q_dim + 2 * kv_dim
        return float(params)
    qk_head = arch.qk_nope_head_dim + arch.qk_rope_head_dim
    if arch.q_lora_rank > 0:
        q_path = h * arch.q_lora_rank + arch.q_lora_rank * arch.n_heads * qk_head
    else:
        q_path = h * arch.n_heads * qk_head
    kv_down = h * (arch.kv_lora_rank + arch.qk_rope_head_dim)
    kv_up = arch.kv_lora_rank * arch.n_heads * (arch.qk_nope_head_dim + arch.v_head_dim)
    out = arch.n_heads * arch.v_head_dim * h
    return float(q_path + kv_down + kv_up + out)


def count_params(arch: ModelArch) -> ParamCounts:
    """All parameter counts of `arch` (docs/formulas.md, section Parameter counts)."""
    h = arch.hidden_size
    one_expert = 3.0 * h * arch.moe_intermediate_size
    if arch.expert_bias:
        one_expert += 2 * arch.moe_intermediate_size + h
    norms_per_layer = 2 * h
    if arch.qk_norm:
        norms_per_layer += 2 * (arch.head_dim or arch.qk_nope_head_dim + arch.qk_rope_head_dim)
    if arch.attention == "mla":
        norms_per_layer += arch.q_lora_rank + arch.kv_lora_rank
    embedding = float(arch.vocab_size * h)
    return ParamCounts(
        attention_per_layer=attention_params_per_layer(arch),
        one_expert=one_expert if arch.is_moe else 0.0,
        shared_per_moe_layer=3.0 * h * arch.shared_intermediate_size * arch.n_shared_experts,
        router_per_moe_layer=float(h * arch.n_routed_experts) if arch.is_moe else 0.0,
        dense_ffn_per_dense_layer=3.0 * h * arch.dense_intermediate_size,
        norms_total=float(arch.n_layers * norms_per_layer + h),
        embedding=embedding,
        head=0.0 if arch.tied_embeddings else embedding,
        n_layers=arch.n_layers,
        n_dense_layers=arch.n_dense_layers,
        n_moe_layers=arch.n_moe_layers,
        n_routed_experts=arch.n_routed_experts if arch.is_moe else 0,
        experts_per_token=arch.experts_per_token if arch.is_moe else 0,
    )
