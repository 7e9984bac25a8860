"""Predicted GGUF tensor types: the tensors llama.cpp's converter writes for an architecture
(names, shapes, F32 for norms, routers and biases) and llama.cpp's per-tensor type choice for a file
type: ggml-org/llama.cpp src/llama-quant.cpp @007dbbf3, `llama_tensor_get_type_impl` and
`tensor_type_fallback`. Bits per type are the block costs of gguf-py `GGML_QUANT_SIZES` (models.md
4a). This is the rule the header of catalogs/models.toml describes. `mix_bits` gives the bits per
weight of the routed-expert tensors (names containing `_exps`) and of every other tensor.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from gguf import GGML_QUANT_SIZES, GGMLQuantizationType

from costmodel import ModelArch
from costmodel.units import BITS_PER_BYTE
from costmodel.validation import InputError

T = GGMLQuantizationType
EXPERT_TENSOR_MARK = "_exps"
"""llama.cpp names the stacked routed-expert tensors ffn_{gate,up,down}_exps (and their biases)."""

MXFP4_EXPERT_FAMILIES = ("gpt_oss", "gpt-oss")
"""Families whose GGUFs keep the routed experts in MXFP4 for every file type (bartowski/unsloth
practice, see the GPT-OSS rows of models.toml)."""


def _type_bits(qtype: GGMLQuantizationType) -> float:
    """Bits per weight of one ggml type: 8 * bytes per block / weights per block [bit]."""
    block, size = GGML_QUANT_SIZES[qtype]
    return BITS_PER_BYTE * size / block


# ---------------------------------------------------------------------------------------------
# Predicted mixes
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PlannedTensor:
    """One tensor as llama.cpp's converter writes it: `ne0` is the row length (columns)."""

    name: str
    ne0: int
    n_params: int
    n_dims: int
    layer: int = -1

    @property
    def is_expert(self) -> bool:
        return EXPERT_TENSOR_MARK in self.name

    @property
    def quantizable(self) -> bool:
        """llama-quant.cpp `tensor_allows_quantization`: 2-D+ weights, not norms, not routers."""
        return (self.n_dims >= 2 and self.name.endswith("weight") and "_norm.weight" not in self.name
                and "ffn_gate_inp.weight" not in self.name)


def moe_layer_flags(arch: ModelArch, family: str) -> list[bool]:
    """Which layers hold routed experts: the leading `n_dense_layers` are dense, except Llama-4,
    whose MoE layers are every (L / L_moe)-th layer (interleave_moe_layer_step; models.md,
    Formulas: layer i is MoE iff (i + 1) % step == 0)."""
    n_moe = arch.n_moe_layers if arch.is_moe else 0
    if family.startswith("llama4") and 0 < n_moe < arch.n_layers and arch.n_layers % n_moe == 0:
        step = arch.n_layers // n_moe
        return [(i + 1) % step == 0 for i in range(arch.n_layers)]
    return [i >= arch.n_layers - n_moe for i in range(arch.n_layers)]


def planned_tensors(arch: ModelArch, moe_layers: Sequence[bool]) -> list[PlannedTensor]:
    """The GGUF tensors of `arch` in llama.cpp's order (by layer, then name); `moe_layers[i]`
    says whether layer i holds routed experts.

    Their parameters add up to costmodel.count_params(arch).total. Norms, routers and biases are
    F32; experts are stacked 3-D tensors; MLA's key/value up-projection is split into attn_k_b
    (rows of qk_nope_head_dim) and attn_v_b (rows of kv_lora_rank), as current converters write it.
    """
    h = arch.hidden_size
    out: list[PlannedTensor] = [PlannedTensor("token_embd.weight", h, arch.vocab_size * h, 2),
                                PlannedTensor("output_norm.weight", h, h, 1)]
    if not arch.tied_embeddings:
        out.append(PlannedTensor("output.weight", h, arch.vocab_size * h, 2))
    for i, moe in enumerate(moe_layers):
        layer = [*_attention_tensors(arch), *_ffn_tensors(arch, moe=moe)]
        out += sorted((PlannedTensor(f"blk.{i}.{t.name}", t.ne0, t.n_params, t.n_dims, i)
                       for t in layer), key=lambda t: t.name)
    return out


def _attention_tensors(arch: ModelArch) -> Iterator[PlannedTensor]:
    h = arch.hidden_size
    yield PlannedTensor("attn_norm.weight", h, h, 1)
    yield PlannedTensor("ffn_norm.weight", h, h, 1)
    if arch.attention == "gqa":
        q_dim, kv_dim = arch.n_heads * arch.head_dim, arch.n_kv_heads * arch.head_dim
        yield PlannedTensor("attn_q.weight", h, h * q_dim, 2)
        yield PlannedTensor("attn_k.weight", h, h * kv_dim, 2)
        yield PlannedTensor("attn_v.weight", h, h * kv_dim, 2)
        yield PlannedTensor("attn_output.weight", q_dim, q_dim * h, 2)
        if arch.attention_bias:
            yield from (PlannedTensor(f"attn_{x}.bias", n, n, 1)
                        for x, n in (("q", q_dim), ("k", kv_dim), ("v", kv_dim)))
        if arch.qk_norm:
            yield PlannedTensor("attn_q_norm.weight", arch.head_dim, arch.head_dim, 1)
            yield PlannedTensor("attn_k_norm.weight", arch.head_dim, arch.head_dim, 1)
        return
    n_h, r_q, r_kv = arch.n_heads, arch.q_lora_rank, arch.kv_lora_rank
    nope, rope, v = arch.qk_nope_head_dim, arch.qk_rope_head_dim, arch.v_head_dim
    if r_q > 0:
        yield PlannedTensor("attn_q_a.weight", h, h * r_q, 2)
        yield PlannedTensor("attn_q_a_norm.weight", r_q, r_q, 1)
        yield PlannedTensor("attn_q_b.weight", r_q, r_q * n_h * (nope + rope), 2)
    else:
        yield PlannedTensor("attn_q.weight", h, h * n_h * (nope + rope), 2)
    yield PlannedTensor("attn_kv_a_mqa.weight", h, h * (r_kv + rope), 2)
    yield PlannedTensor("attn_kv_a_norm.weight", r_kv, r_kv, 1)
    yield PlannedTensor("attn_k_b.weight", nope, nope * r_kv * n_h, 3)
    yield PlannedTensor("attn_v_b.weight", r_kv, r_kv * v * n_h, 3)
    yield PlannedTensor("attn_output.weight", n_h * v, n_h * v * h, 2)
    if arch.qk_norm:
        d = nope + rope
        yield PlannedTensor("attn_q_norm.weight", d, d, 1)
        yield PlannedTensor("attn_k_norm.weight", d, d, 1)


def _ffn_tensors(arch: ModelArch, *, moe: bool) -> Iterator[PlannedTensor]:
    h = arch.hidden_size
    if not moe:
        i = arch.dense_intermediate_size
        yield from (PlannedTensor(f"ffn_{x}.weight", h, h * i, 2) for x in ("gate", "up"))
        yield PlannedTensor("ffn_down.weight", i, i * h, 2)
        return
    e, i = arch.n_routed_experts, arch.moe_intermediate_size
    yield PlannedTensor("ffn_gate_inp.weight", h, h * e, 2)
    yield from (PlannedTensor(f"ffn_{x}_exps.weight", h, h * i * e, 3) for x in ("gate", "up"))
    yield PlannedTensor("ffn_down_exps.weight", i, i * h * e, 3)
    if arch.expert_bias:
        yield from (PlannedTensor(f"ffn_{x}_exps.bias", n, n * e, 2)
                    for x, n in (("gate", i), ("up", i), ("down", h)))
    s = arch.n_shared_experts * arch.shared_intermediate_size
    if s > 0:
        yield from (PlannedTensor(f"ffn_{x}_shexp.weight", h, h * s, 2) for x in ("gate", "up"))
        yield PlannedTensor("ffn_down_shexp.weight", s, s * h, 2)


FILE_TYPE_DEFAULT = {
    "F16": T.F16, "BF16": T.BF16, "Q8_0": T.Q8_0, "Q6_K": T.Q6_K, "Q5_K_M": T.Q5_K,
    "Q4_K_M": T.Q4_K, "IQ4_XS": T.IQ4_XS, "Q3_K_M": T.Q3_K, "Q3_K_S": T.Q3_K, "Q2_K": T.Q2_K,
    "IQ2_XXS": T.IQ2_XXS, "IQ1_S": T.IQ1_S, "MXFP4_MOE": T.MXFP4,
}
"""File types the predicted mix supports and their base tensor type (llama-quant.cpp
`llama_ftype_get_default_type`)."""

_FALLBACK = {T.IQ1_S: T.IQ4_NL, T.IQ2_XXS: T.IQ4_NL, T.IQ4_XS: T.IQ4_NL, T.Q2_K: T.Q4_0,
             T.Q3_K: T.Q4_0, T.Q4_K: T.Q5_0, T.Q5_K: T.Q5_1, T.Q6_K: T.Q8_0}
_LOW_IQ = ("IQ2_XXS", "IQ1_S")


@dataclass
class _MixState:
    """Counters llama-quant.cpp keeps while it walks the tensors (quantize_state_impl)."""

    n_layers: int
    n_expert: int
    n_gqa: float
    is_70b: bool
    n_attention_wv: int
    tied: bool
    i_attention_wv: int = 0
    i_ffn_down: int = 0


def _use_more_bits(i: int, n: int) -> bool:
    return i < n // 8 or i >= 7 * n // 8 or (i - n // 8) % 3 == 2


def _category(name: str) -> str:
    """llama-quant.cpp `tensor_get_category` (first match wins, as there)."""
    if name == "output.weight":
        return "output"
    if name == "token_embd.weight":
        return "token_embd"
    for mark, cat in (("attn_qkv.weight", "qkv"), ("attn_kv_b.weight", "attn_v"),
                      ("attn_v.weight", "attn_v"), ("attn_k.weight", "attn_k"),
                      ("attn_q.weight", "attn_q"), ("attn_output.weight", "attn_output"),
                      ("ffn_up", "ffn_up"), ("ffn_gate", "ffn_gate"), ("ffn_down", "ffn_down")):
        if mark in name:
            return cat
    return "other"


def _choose(st: _MixState, ftype: str, t: PlannedTensor, base: GGMLQuantizationType) -> GGMLQuantizationType:
    """llama_tensor_get_type_impl for the file types of FILE_TYPE_DEFAULT, with an importance
    matrix present (as IQ files require and as bartowski/unsloth files are made)."""
    cat = _category(t.name)
    new = base
    if cat == "output" or (st.tied and cat == "token_embd"):
        if ftype == "MXFP4_MOE" or t.ne0 % GGML_QUANT_SIZES[base][0] != 0:
            return T.Q8_0
        if ftype in _LOW_IQ:
            return T.Q5_K
        return base if base == T.Q8_0 else T.Q6_K
    if ftype == "MXFP4_MOE":
        return T.MXFP4 if t.n_dims == 3 else T.Q8_0
    if cat == "token_embd":
        return T.Q2_K if ftype in _LOW_IQ else base
    if ftype in _LOW_IQ:
        if cat == "attn_v":
            new = T.Q4_K if st.n_gqa >= 4 or st.n_expert >= 4 else T.Q2_K
            st.i_attention_wv += 1
        elif st.n_expert == 8 and cat == "attn_k":
            new = T.Q4_K
        elif cat == "ffn_down":
            if st.i_ffn_down < st.n_layers // 8:
                new = T.Q2_K
            st.i_ffn_down += 1
        elif cat == "attn_output":
            new = T.Q5_K if st.n_expert == 8 else (T.IQ2_XXS if ftype == "IQ1_S" else new)
        return new
    if cat == "attn_v":
        if ftype == "Q2_K":
            new = T.Q4_K if st.n_gqa >= 4 else T.Q3_K
        elif ftype == "Q3_K_M":
            new = T.Q5_K if st.i_attention_wv < 2 else T.Q4_K
        elif ftype == "IQ4_XS" and st.n_gqa >= 4:
            new = T.Q5_K
        elif ftype in ("Q4_K_M", "Q5_K_M") and _use_more_bits(st.i_attention_wv, st.n_attention_wv):
            new = T.Q6_K
        if st.is_70b and new in (T.Q3_K, T.Q4_K):
            new = T.Q5_K
        if st.n_expert == 8:
            new = T.Q8_0
        st.i_attention_wv += 1
    elif cat == "attn_k":
        if st.n_expert == 8:
            new = T.Q8_0
    elif cat == "ffn_down":
        i, n = t.layer, st.n_layers
        if ftype == "Q2_K":
            new = T.Q3_K
        elif ftype == "Q3_K_M":
            new = T.Q5_K if i < n // 16 else T.Q4_K
        elif ftype in ("Q4_K_M", "Q5_K_M") and _use_more_bits(i, n):
            new = T.Q6_K
        st.i_ffn_down += 1
    elif cat == "attn_output":
        if st.n_expert == 8:
            if ftype in ("Q2_K", "Q3_K_S", "Q3_K_M", "Q4_K_M", "IQ4_XS"):
                new = T.Q5_K
        elif ftype == "Q2_K":
            new = T.Q3_K
        elif ftype == "Q3_K_M":
            new = T.Q4_K
    return new


def _fallback(t: PlannedTensor, qtype: GGMLQuantizationType) -> GGMLQuantizationType:
    """llama-quant.cpp `tensor_type_fallback`: rows not a multiple of the block length."""
    if t.ne0 % GGML_QUANT_SIZES[qtype][0] == 0:
        return qtype
    other = _FALLBACK.get(qtype, T.F16)
    return other if t.ne0 % GGML_QUANT_SIZES[other][0] == 0 else T.F16


def tensor_types(arch: ModelArch, family: str, ftype: str, moe_layers: Sequence[bool] | None = None
                 ) -> list[tuple[PlannedTensor, GGMLQuantizationType]]:
    """Every planned tensor of `arch` with the ggml type llama.cpp's quantize gives it for `ftype`.

    Families in MXFP4_EXPERT_FAMILIES keep routed experts MXFP4 in every file type but BF16 (the
    fully dequantized conversion), as the GPT-OSS rows of models.toml do. `moe_layers` defaults
    to moe_layer_flags(arch, family).
    """
    if ftype not in FILE_TYPE_DEFAULT:
        raise InputError(f"file type {ftype!r} is not predicted; allowed: {', '.join(FILE_TYPE_DEFAULT)}")
    base = FILE_TYPE_DEFAULT[ftype]
    tensors = planned_tensors(arch, moe_layer_flags(arch, family) if moe_layers is None else moe_layers)
    st = _MixState(
        n_layers=arch.n_layers, n_expert=arch.n_routed_experts if arch.is_moe else 0,
        # converters write MLA as MQA (head_count_kv = 1), so its n_gqa is the head count
        n_gqa=float(arch.n_heads) if arch.attention == "mla" else arch.n_heads / arch.n_kv_heads,
        is_70b=family in ("llama", "qwen2") and arch.n_layers == 80 and not arch.is_moe
        and arch.n_heads != arch.n_kv_heads,
        n_attention_wv=sum(_category(t.name) == "attn_v" for t in tensors),
        tied=arch.tied_embeddings,
    )
    mxfp4_experts = family in MXFP4_EXPERT_FAMILIES and ftype != "BF16"
    typed = []
    for t in tensors:
        if not t.quantizable:
            qtype = T.F32
        elif mxfp4_experts and t.is_expert:
            qtype = T.MXFP4
        elif base in (T.F16, T.BF16):
            qtype = base
        else:
            qtype = _fallback(t, _choose(st, ftype, t, base))
        typed.append((t, qtype))
    return typed


def mix_bits(arch: ModelArch, family: str, ftype: str, moe_layers: Sequence[bool] | None = None
             ) -> tuple[float, float]:
    """(expert, other) bits per weight of a GGUF of `arch` quantized to `ftype` [bit].

    bits_class = sum(params_t * bits(type_t)) / sum(params_t) over the tensors of the class.
    A model without routed experts returns the other bits twice (models.toml convention).
    """
    sums = {True: [0.0, 0.0], False: [0.0, 0.0]}  # is_expert -> [bits * params, params]
    for t, qtype in tensor_types(arch, family, ftype, moe_layers):
        sums[t.is_expert][0] += t.n_params * _type_bits(qtype)
        sums[t.is_expert][1] += t.n_params
    other = sums[False][0] / sums[False][1]
    expert = sums[True][0] / sums[True][1] if sums[True][1] else other
    return expert, other
