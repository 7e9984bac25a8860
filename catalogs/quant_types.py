"""Bits per weight of ggml / ik_llama.cpp tensor types, to size a quantization named by its types.

A published quantization that is not in models.toml is often named after the tensor types it uses
(`IQ4_K_R4`, `Q8_0/Q4_K/Q4_K/Q5_K`). Bits per weight = bytes per block x 8 / weights per block of
the type's block layout (ggml/src/ggml-common.h; ik_llama.cpp ggml-common.h for the IQ*_K and
IQ*_KT types). Repacked variants (`_R4`, `_R8`) interleave rows and keep the bits.
"""

from __future__ import annotations

import re

GGML_TYPE_BITS_PER_WEIGHT: dict[str, float] = {
    "F32": 32.0, "F16": 16.0, "BF16": 16.0,
    "Q8_0": 8.5, "Q8": 8.5, "Q6_K": 6.5625, "Q5_K": 5.5, "Q5_0": 5.5, "Q5_1": 6.0,
    "Q4_K": 4.5, "Q4_0": 4.5, "Q4_1": 5.0, "Q3_K": 3.4375, "Q2_K": 2.625,
    "IQ4_NL": 4.5, "IQ4_XS": 4.25, "IQ3_S": 3.4375, "IQ3_XXS": 3.0625, "IQ2_S": 2.5625,
    "IQ2_XS": 2.3125, "IQ2_XXS": 2.0625, "IQ1_M": 1.75, "IQ1_S": 1.5625, "MXFP4": 4.25,
    "IQ6_K": 6.625, "IQ5_K": 5.5, "IQ5_KS": 5.25, "IQ4_K": 4.5, "IQ4_KS": 4.25, "IQ3_K": 3.4375,
    "IQ3_KS": 3.1875, "IQ2_KL": 2.6875, "IQ2_K": 2.375, "IQ2_KS": 2.1875,
    "IQ4_KT": 4.0, "IQ3_KT": 3.125, "IQ2_KT": 2.125, "IQ1_KT": 1.75, "IQ1_S_R4": 1.5,
}
"""Bits per weight of each type [bits]; e.g. Q4_K: 144 bytes per 256 weights = 4.5."""

_PREFIX = re.compile(r"^(ud|cpu|mix|smol)-", re.IGNORECASE)
_REPACK = re.compile(r"_r(4|8)$", re.IGNORECASE)
_MIX_SUFFIX = re.compile(r"_(xs|s|m|l|xl)$", re.IGNORECASE)


def type_bits(name: str) -> float | None:
    """Bits per weight of one type name, ignoring UD-/CPU-/mix- prefixes, _R4/_R8 and (for quant
    mixes such as Q4_K_M) a size suffix; None when unknown."""
    plain = _PREFIX.sub("", name.strip()).upper()
    for candidate in (plain, _REPACK.sub("", plain), _MIX_SUFFIX.sub("", _REPACK.sub("", plain))):
        if candidate.upper() in GGML_TYPE_BITS_PER_WEIGHT:
            return GGML_TYPE_BITS_PER_WEIGHT[candidate.upper()]
    return None


OTHER_TENSORS_BITS = GGML_TYPE_BITS_PER_WEIGHT["Q8_0"]
"""Bits of the tensors outside the routed experts in a MoE quantization named by one low-bit type:
published MoE mixes (ubergarm's ik_llama.cpp quants, unsloth's dynamic quants) keep attention,
shared experts and dense layers at 8 bits or more and give the named type to the routed experts,
which hold 95% of the weights."""


def quant_bits_from_name(name: str) -> tuple[float, float] | None:
    """(expert bits, other bits) of a quantization named by its types, or None.

    One type T: routed experts at T, the other tensors at max(T, Q8_0) (OTHER_TENSORS_BITS).
    'A/B/...': the first type holds the tensors outside the routed experts (attention, shared
    experts, embeddings), the others the routed-expert matrices (gate/up/down, in that order),
    averaged: 'Q8_0/Q4_K/Q4_K/Q5_K' -> experts (4.5 + 4.5 + 5.5) / 3 = 4.83, other 8.5.
    """
    parts = [type_bits(part) for part in name.split("/")]
    if not parts or any(bits is None for bits in parts):
        return None
    if len(parts) == 1:
        return parts[0], max(parts[0], OTHER_TENSORS_BITS)
    experts = sum(parts[1:]) / (len(parts) - 1)
    return experts, parts[0]
