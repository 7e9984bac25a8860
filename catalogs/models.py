"""Schema of models.toml and its rows as costmodel.ModelArch, with their quantizations.

Field names follow config.json as summarized in shared/research/models.md, section 1. The
`published_*`, `derived_*` and `kv_bytes_per_token_f16` columns stay in the row (provenance and
tests); ModelArch recounts the parameters itself (costmodel.count_params).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from costmodel import ModelArch, Quantization
from costmodel.validation import InputError

from .loader import (
    PROVENANCE_FIELDS,
    Kind,
    UnknownIdError,
    choice,
    flag,
    number,
    table_map,
    text,
    text_list,
    whole,
)

MAX_PARAMS_B = 1e5
"""Upper bound for parameter counts [billions]; 100 T is far above any released model."""

QUANT_SCHEMA = {
    "expert_bits_per_weight": number(1, 32),
    "other_bits_per_weight": number(1, 32),
    "file_gb": number(0, 1e5, low_inclusive=False, required=False),
    "source": text(),
    "note": text(required=False),
}

MODEL_SCHEMA = {
    "id": text(),
    "name": text(),
    "aliases": text_list(),
    "family": text(),
    "n_layers": whole(1, 1000),
    "n_dense_layers": whole(0, 1000),
    "hidden_size": whole(1, 10**6),
    "vocab_size": whole(1, 10**7),
    "tied_embeddings": flag(),
    "attention": choice("gqa", "mla"),
    "n_heads": whole(1, 10**4),
    "n_kv_heads": whole(1, 10**4),
    "head_dim": whole(1, 10**4, required=False),
    "q_lora_rank": whole(0, 10**5, required=False),
    "kv_lora_rank": whole(0, 10**5, required=False),
    "qk_nope_head_dim": whole(0, 10**4, required=False),
    "qk_rope_head_dim": whole(0, 10**4, required=False),
    "v_head_dim": whole(0, 10**4, required=False),
    "attention_bias": flag(),
    "qk_norm": flag(),
    "sliding_window": whole(0, 10**9),
    "n_sliding_layers": whole(0, 1000),
    "dense_intermediate_size": whole(0, 10**6),
    "moe_intermediate_size": whole(0, 10**6),
    "n_routed_experts": whole(0, 10**4),
    "experts_per_token": whole(0, 10**4),
    "n_shared_experts": whole(0, 64),
    "shared_intermediate_size": whole(0, 10**6),
    "expert_bias": flag(),
    "gated_ffn": flag(),
    "max_context_tokens": whole(1, 10**9),
    "published_total_b": number(0, MAX_PARAMS_B, low_inclusive=False),
    "published_active_b": number(0, MAX_PARAMS_B, low_inclusive=False),
    "active_convention": text(),
    "derived_total_b": number(0, MAX_PARAMS_B, low_inclusive=False),
    "derived_active_b": number(0, MAX_PARAMS_B, low_inclusive=False),
    "derived_always_active_b": number(0, MAX_PARAMS_B, low_inclusive=False),
    "kv_bytes_per_token_f16": number(0, 1e9, low_inclusive=False),
    "quant": table_map(QUANT_SCHEMA, required=False),
    **PROVENANCE_FIELDS,
}

ARCH_KEYS = (
    "n_layers", "n_dense_layers", "hidden_size", "vocab_size", "attention", "n_heads", "n_kv_heads",
    "q_lora_rank", "kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim",
    "dense_intermediate_size", "moe_intermediate_size", "n_routed_experts", "experts_per_token",
    "n_shared_experts", "shared_intermediate_size", "tied_embeddings", "attention_bias", "qk_norm",
    "expert_bias", "sliding_window", "n_sliding_layers", "max_context_tokens",
)


def arch_from_row(row: Mapping[str, Any]) -> ModelArch:
    """A models.toml row as a ModelArch with its `[model.quant.NAME]` quantizations.

    GQA rows without `head_dim` use hidden_size / n_heads, as the configs that omit it do
    (models.md, section 1: '(128)'). Every FFN is counted as gated (3 matrices), so a row with
    `gated_ffn = false` is rejected rather than miscounted.
    """
    if not row["gated_ffn"]:
        raise InputError("field 'gated_ffn' = False; allowed: true (costmodel.count_params counts "
                         "gate, up and down matrices)")
    head_dim = row.get("head_dim", 0)
    if row["attention"] == "gqa" and not head_dim:
        head_dim = row["hidden_size"] // row["n_heads"]
    quants: dict[str, Quantization] = {}
    for name, quant in row.get("quant", {}).items():
        if name.lower() in {key.lower() for key in quants}:
            raise InputError(f"field 'quant.{name}' repeats a quantization name "
                             "(names are compared case-insensitively)")
        quants[name] = Quantization(name, quant["expert_bits_per_weight"],
                                    quant["other_bits_per_weight"])
    return ModelArch(
        id=row["id"], name=row["name"], head_dim=head_dim, quantizations=quants,
        **{key: row[key] for key in ARCH_KEYS if key in row},
    )


def find_quant(arch: ModelArch, name: str) -> Quantization:
    """The quantization `name` of `arch`, compared case-insensitively ('q4_k_m' finds 'Q4_K_M').

    A plain number such as '4.5' means that many bits per weight for every tensor. Raises
    UnknownIdError listing close matches among the model's quantizations otherwise.
    """
    wanted = name.strip().lower()
    for key, quant in arch.quantizations.items():
        if key.lower() == wanted:
            return quant
    try:
        bits = float(wanted)
    except ValueError:
        raise UnknownIdError(f"{arch.id} quantization", name, arch.quantizations) from None
    return Quantization(name=name.strip(), expert_bits_per_weight=bits, other_bits_per_weight=bits)


MODEL_KIND = Kind("model", MODEL_SCHEMA, arch_from_row)
