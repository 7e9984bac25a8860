"""The per-model numbers the vectorized core needs, from a detailed architecture or from the
request's `LLM` summary. Everything here is a scalar: a call evaluates one model on many builds.
"""

from __future__ import annotations

from dataclasses import dataclass

from .architecture import ModelArch, Quantization, count_params
from .units import BITS_PER_BYTE

DEFAULT_LAYERS_WHEN_UNKNOWN = 60
"""Layer count assumed for an `LLM` without `n_layers` (the request: 'about 60 layers')."""

COMPUTE_BUFFER_HIDDEN_FACTOR = 16
"""Per micro-batch token the GPU compute buffer holds the f32 logits row (V values) and about this
many f32 hidden-size intermediates (attention, FFN and norm outputs live at once). With V = 129,280
and H = 7,168 (DeepSeek-V3) it gives 0.98 MB per token, 4.0 GB at -ub 4096, near the 3.4 GiB CUDA
compute buffer llama.cpp logs print for that case (docs/formulas.md, section Placement)."""


@dataclass(frozen=True)
class ModelSpec:
    """Scalars of one model at one quantization, in parameters, bytes and FLOPs."""

    name: str
    n_layers: int
    n_moe_layers: int
    n_routed_experts: float
    experts_per_token: float
    always_active_params: float
    routed_params: float
    input_embedding_params: float
    other_bits_per_weight: float
    expert_bits_per_weight: float
    kv_elements_per_token_per_layer: float
    n_window_layers: int
    window_tokens: int
    attn_flops_decode_per_position_per_layer: float
    attn_flops_prefill_per_position_per_layer: float
    hidden_size: int
    vocab_size: int
    activation_bytes_per_token: float
    max_context_tokens: int

    @property
    def always_active_bytes(self) -> float:
        """Bytes of the weights every token reads, on the devices that run the layers."""
        return self.always_active_params * self.other_bits_per_weight / BITS_PER_BYTE

    @property
    def routed_bytes(self) -> float:
        return self.routed_params * self.expert_bits_per_weight / BITS_PER_BYTE

    @property
    def input_embedding_bytes(self) -> float:
        """The token-embedding table stays in RAM (llama.cpp keeps token_embd on the CPU); a token
        reads one row of it, which the model neglects."""
        return self.input_embedding_params * self.other_bits_per_weight / BITS_PER_BYTE

    @property
    def active_fraction(self) -> float:
        """k / E: expected share of a layer's routed experts one token uses."""
        if self.n_routed_experts <= 0:
            return 0.0
        return self.experts_per_token / self.n_routed_experts

    @property
    def compute_buffer_bytes_per_ubatch_token(self) -> float:
        return 4.0 * (self.vocab_size + COMPUTE_BUFFER_HIDDEN_FACTOR * self.hidden_size)


def spec_from_arch(arch: ModelArch, quant: Quantization) -> ModelSpec:
    """ModelSpec of `arch` stored at `quant` (docs/formulas.md, sections Parameter counts and KV cache)."""
    counts = count_params(arch)
    if arch.attention == "gqa":
        kv_per_layer = 2.0 * arch.n_kv_heads * arch.head_dim
        attn_decode = 4.0 * arch.n_heads * arch.head_dim
        attn_prefill = attn_decode
    else:
        kv_per_layer = float(arch.kv_lora_rank + arch.qk_rope_head_dim)
        # decode with absorbed weights: scores over the latent+rope key, values from the latent
        attn_decode = 2.0 * arch.n_heads * (2 * arch.kv_lora_rank + arch.qk_rope_head_dim)
        # prefill with decompressed heads: q.k over nope+rope dims, a.v over v dims
        attn_prefill = 2.0 * arch.n_heads * (
            arch.qk_nope_head_dim + arch.qk_rope_head_dim + arch.v_head_dim
        )
    input_embedding = 0.0 if arch.tied_embeddings else counts.embedding
    return ModelSpec(
        name=f"{arch.id} {quant.name}",
        n_layers=arch.n_layers,
        n_moe_layers=arch.n_moe_layers if arch.is_moe else 0,
        n_routed_experts=float(counts.n_routed_experts),
        experts_per_token=float(counts.experts_per_token),
        always_active_params=counts.always_active - input_embedding,
        routed_params=counts.routed_total,
        input_embedding_params=input_embedding,
        other_bits_per_weight=quant.other_bits_per_weight,
        expert_bits_per_weight=quant.expert_bits_per_weight,
        kv_elements_per_token_per_layer=kv_per_layer,
        n_window_layers=arch.n_sliding_layers if arch.sliding_window > 0 else 0,
        window_tokens=arch.sliding_window,
        attn_flops_decode_per_position_per_layer=attn_decode,
        attn_flops_prefill_per_position_per_layer=attn_prefill,
        hidden_size=arch.hidden_size,
        vocab_size=arch.vocab_size,
        activation_bytes_per_token=4.0 * arch.hidden_size,
        max_context_tokens=arch.max_context_tokens,
    )
