"""Model rows for models.toml from a Hugging Face config.json or a GGUF file, and their TOML text.

    row_from_config(config, model_id)  -> row   (architecture + block-layout quantization estimates)
    row_from_gguf(path)                -> row   (architecture + the file's exact bits per weight)
    row_to_toml(row)                   -> '[[model]] ...' snippet for a user catalog directory
    summary_lines(row)                 -> lines for the CLI ('total 671.03B (published 671B)')

Rows have the keys and types of catalogs.models.MODEL_SCHEMA and are checked against it (and
converted with arch_from_row) before they are returned. derived_* come from
costmodel.count_params. A model the shipped catalog knows (by id or alias) keeps the shipped id,
name, aliases and published figures, and its shipped quantizations are merged in, so pasting the
row into a user catalog replaces the shipped row without losing anything.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from costmodel import ModelArch, Quantization, count_params, spec_from_arch
from costmodel.units import BITS_PER_BYTE, BYTES_PER_GB, PARAMS_PER_BILLION
from costmodel.validation import InputError

from .catalog import Catalog, load_catalog
from .gguf_header import arch_from_header, read_gguf
from .gguf_mix import mix_bits
from .hf_config import ConfigArch, UnsupportedModelError, parse_config
from .loader import ID_PATTERN, UnknownIdError, check_table
from .models import ARCH_KEYS, MODEL_SCHEMA, arch_from_row

__all__ = ["UnsupportedModelError", "row_from_config", "row_from_gguf", "row_to_toml", "summary_lines"]

DEFAULT_MIXES = ("Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "IQ4_XS", "Q3_K_M", "Q2_K")
"""GGUF file types estimated for a config import (llama.cpp's common mixes)."""

MIX_SOURCE = ("ggml-org/llama.cpp src/llama-quant.cpp @007dbbf3 type rules applied per tensor of "
              "this model's GGUF (moerig catalogs.gguf_mix.mix_bits); block costs gguf-py "
              "GGML_QUANT_SIZES (models.md 4a)")
MIX_NOTE = "derived from block layouts (no measured file)"
NO_PUBLISHED_NOTE = "no published figures known: published_* repeat the derived counts"
"""Marker in `note` that summary_lines reads to print 'published unknown'."""

FP8_SCALE_BITS = 32.0
"""FP8 checkpoints (DeepSeek-V3, Kimi-K2) store one fp32 scale per weight block."""

ROUND_B = 3
"""Decimals of derived_*_b [billions] from 1B up, as in models.toml."""
ROUND_BITS = 6
"""Decimals of imported bits per weight and file_gb (a kilobyte still shows)."""


# ---------------------------------------------------------------------------------------------
# config.json
# ---------------------------------------------------------------------------------------------

def row_from_config(config: Mapping[str, Any], model_id: str | None = None, *,
                    source: str | None = None, as_of: str | None = None) -> dict[str, Any]:
    """A models.toml row from a config.json dict.

    `model_id` (a catalog id, alias or Hugging Face repo name) names the row and finds published
    figures; without it the config's `_name_or_path` is tried. Quantizations: the checkpoint's
    native format (BF16 16/16; FP8 8 bit + fp32 scale per block for the linear layers; GPT-OSS:
    MXFP4 experts) and the llama.cpp mixes of DEFAULT_MIXES, all derived from block layouts.
    Raises UnsupportedModelError for an unknown model_type, InputError for a bad config.
    """
    parsed = parse_config(config)
    key = model_id or config.get("_name_or_path") or None
    fields = {**parsed.fields, "gated_ffn": True}
    arch = _arch(fields, "config")
    quant = _config_quants(parsed, arch)
    where = f" of {model_id}" if model_id else ""
    return _assemble(
        fields, arch, family=parsed.family, keys=[key] if key else [], explicit=model_id is not None,
        quant=quant, quant_wins=False, fallback_id=f"{parsed.family}-{_total_b(arch):.0f}b",
        notes=parsed.notes + [f"quantizations {MIX_NOTE}; IQ types assume an importance matrix"],
        source=source or f"Hugging Face config.json{where} (model_type {parsed.model_type}), "
                         "imported with moerig catalogs.importers.row_from_config",
        as_of=as_of)


def _config_quants(parsed: ConfigArch, arch: ModelArch) -> dict[str, dict[str, Any]]:
    quant: dict[str, dict[str, Any]] = {}
    native = _native_quant(parsed, arch)
    if native:
        quant[native[0]] = native[1]
    mixes = DEFAULT_MIXES + (("MXFP4_MOE",) if parsed.native == "MXFP4" else ())
    for ftype in mixes:
        expert, other = mix_bits(arch, parsed.family, ftype, parsed.moe_layers)
        quant[ftype.removesuffix("_MOE")] = _quant_entry(expert, other, MIX_SOURCE, MIX_NOTE + (
            "; importance matrix assumed" if ftype.startswith("IQ") else ""))
    return quant


def _native_quant(parsed: ConfigArch, arch: ModelArch) -> tuple[str, dict[str, Any]] | None:
    if parsed.native in ("BF16", "F16", "F32"):
        bits = 32.0 if parsed.native == "F32" else 16.0
        return parsed.native, _quant_entry(bits, bits, "config.json torch_dtype (native checkpoint)",
                                           "native checkpoint: every tensor at the config's dtype")
    if parsed.native == "MXFP4":
        expert, other = mix_bits(arch, parsed.family, "F16", parsed.moe_layers)
        return "F16", _quant_entry(expert, other, "config.json quantization_config (mxfp4); " + MIX_SOURCE,
                                   "routed experts MXFP4 (4.25 bpw + F32 biases), everything else "
                                   "16-bit: the native checkpoint's byte layout and GGUF 'F16' files")
    if parsed.native == "FP8":
        rows, cols = parsed.fp8_block
        fp8 = BITS_PER_BYTE + FP8_SCALE_BITS / (rows * cols)
        counts = count_params(arch)
        other_params = counts.total - counts.routed_total
        # Linear layers outside the routed experts are FP8 too; embedding, head, routers, norms BF16.
        high = counts.embedding + counts.head + counts.norms_total + counts.n_moe_layers * counts.router_per_moe_layer
        other = (fp8 * (other_params - high) + 16.0 * high) / other_params
        return "FP8", _quant_entry(fp8, other, f"config.json quantization_config (fp8, weight_block_size "
                                   f"{rows}x{cols})", "native checkpoint: linear layers FP8 with one "
                                   "fp32 scale per block; embedding, head, routers and norms BF16 "
                                   "(derived from the block layout)")
    return None


# ---------------------------------------------------------------------------------------------
# GGUF
# ---------------------------------------------------------------------------------------------

def row_from_gguf(path: Path | str, model_id: str | None = None, *, as_of: str | None = None
                  ) -> dict[str, Any]:
    """A models.toml row from a GGUF file's header (of a split file, any part: all are read).

    Architecture from the `{arch}.*` metadata and the tensor shapes; one quantization named after
    general.file_type whose bits per weight are exact: 8 * bytes / weights over the routed-expert
    tensors (names containing '_exps') and over all other tensors; file_gb is the size on disk.
    """
    header = read_gguf(path)
    family, fields, moe_layers, notes = arch_from_header(header)
    arch = _arch(fields, str(header.paths[0]))
    sums = header.class_sums()
    other_bytes, other_params = sums[False]
    expert_bytes, expert_params = sums[True]
    other = BITS_PER_BYTE * other_bytes / other_params
    expert = BITS_PER_BYTE * expert_bytes / expert_params if expert_params else other
    names = ", ".join(p.name for p in header.paths)
    file_quant = _quant_entry(
        expert, other, f"GGUF header of {names}: exact tensor bytes (gguf-py GGUFReader)",
        f"{expert_params:,} routed-expert weights in {expert_bytes:,} bytes; {other_params:,} other "
        f"weights in {other_bytes:,} bytes; file_gb is the size on disk (metadata included)",
        file_gb=round(header.file_bytes / BYTES_PER_GB, ROUND_BITS))
    notes = notes + [f"the file holds {expert_params + other_params:,} weights in {len(header.tensors)} "
                     f"tensors; the derived count is {count_params(arch).total:,.0f}"]
    stem = re.sub(r"(-\d{5}-of-\d{5})?\.gguf$", "", header.paths[0].name)
    hints = [model_id] if model_id else [str(header.meta.get("general.name", "")), stem]
    return _assemble(
        fields, arch, family=family, keys=[k for k in hints if k], explicit=model_id is not None,
        quant={header.file_type_name: file_quant}, quant_wins=True, fallback_id=stem,
        notes=notes, as_of=as_of,
        source=f"GGUF header of {names} (general.architecture {header.arch}, file type "
               f"{header.file_type_name}), imported with moerig catalogs.importers.row_from_gguf")


# ---------------------------------------------------------------------------------------------
# Shared assembly
# ---------------------------------------------------------------------------------------------

def _arch(fields: Mapping[str, Any], where: str) -> ModelArch:
    try:
        return arch_from_row({"id": "import", "name": "import", **fields})
    except InputError as exc:
        raise InputError(f"{where}: the architecture read is not usable: {exc}") from exc


def _total_b(arch: ModelArch) -> float:
    return count_params(arch).total / PARAMS_PER_BILLION


def _billions(params: float) -> float:
    """Parameters in billions to ROUND_B decimals, or 4 significant digits below 1B (test models)."""
    value = params / PARAMS_PER_BILLION
    return round(value, ROUND_B) if value >= 1 else float(f"{value:.4g}")


def _quant_entry(expert: float, other: float, source: str, note: str, file_gb: float | None = None
                 ) -> dict[str, Any]:
    entry: dict[str, Any] = {"expert_bits_per_weight": round(expert, ROUND_BITS),
                             "other_bits_per_weight": round(other, ROUND_BITS)}
    if file_gb is not None:
        entry["file_gb"] = file_gb
    return {**entry, "source": source, "note": note}


def _assemble(fields: dict[str, Any], arch: ModelArch, *, family: str, keys: list[str], explicit: bool,
              quant: dict[str, dict[str, Any]], quant_wins: bool, fallback_id: str, notes: list[str],
              source: str, as_of: str | None) -> dict[str, Any]:
    """Identity, derived counts, published figures, provenance; checked against the schema."""
    shipped = load_catalog()
    known, notes = _known_model(shipped, keys, fields, explicit, notes)
    counts = count_params(arch)
    spec = spec_from_arch(arch, Quantization("f16", 16.0, 16.0))
    row: dict[str, Any] = {**fields, "family": family}
    row.update(
        derived_total_b=_billions(counts.total), derived_active_b=_billions(counts.active_per_token),
        derived_always_active_b=_billions(counts.always_active),
        kv_bytes_per_token_f16=int(round(spec.kv_elements_per_token_per_layer * 2 * arch.n_layers)),
        source=source, as_of=as_of or datetime.date.today().isoformat(),
    )
    published = _published(shipped, known, fields)
    if known is not None:
        shipped_row = shipped.rows["model"][known]
        row.update(id=known, name=shipped_row["name"], aliases=list(shipped_row["aliases"]))
        kept = shipped_row.get("quant", {})
        quant = {**kept, **quant} if quant_wins else {**kept, **{k: v for k, v in quant.items() if k not in kept}}
        notes.append(f"replaces the shipped row '{known}'; its quantizations are kept"
                     + (" (the file's own entry replaces one of the same name)" if quant_wins
                        else " and take precedence over the estimates"))
    else:
        row["id"] = _free_id(shipped, keys[0] if keys else fallback_id)
        # a Hugging Face repo name stays findable ('acme/Model-X' -> id 'model-x')
        repo = [keys[0]] if keys and "/" in keys[0] else []
        row.update(name=keys[0] if keys else row["id"], aliases=repo)
    if published is None:
        row.update(published_total_b=row["derived_total_b"], published_active_b=row["derived_active_b"],
                   active_convention="incl-embedding")
        notes.append(NO_PUBLISHED_NOTE)
    else:
        row.update(published)
    row["quant"] = quant
    row["note"] = "; ".join(notes)
    ordered = {k: row[k] for k in MODEL_SCHEMA if k in row}
    _check(ordered)
    return ordered


def _known_model(shipped: Catalog, keys: list[str], fields: Mapping[str, Any], explicit: bool,
                 notes: list[str]) -> tuple[str | None, list[str]]:
    """The shipped id named by the first key (or its slug). A name taken from the file rather
    than given by the user counts only when the architecture matches too."""
    notes = list(notes)
    for i, key in enumerate(keys):
        for candidate in (key, _slug(key)):
            try:
                model_id = shipped.model(candidate).id
            except UnknownIdError:
                continue
            differs = _arch_differences(shipped.rows["model"][model_id], fields)
            if explicit and i == 0:
                if differs:
                    notes.append(f"architecture differs from shipped '{model_id}' in {', '.join(differs)}")
                return model_id, notes
            if not differs:
                return model_id, notes
    return None, notes


def _arch_differences(row: Mapping[str, Any], fields: Mapping[str, Any]) -> list[str]:
    """Architecture keys whose values differ (max_context_tokens aside: releases differ there)."""
    keys = [k for k in (*ARCH_KEYS, "head_dim") if k != "max_context_tokens"]
    return [k for k in keys if row.get(k, 0) != fields.get(k, 0)]


def _published(shipped: Catalog, known: str | None, fields: Mapping[str, Any]) -> dict[str, Any] | None:
    """published_* of the known model, else of the one shipped model with the same architecture."""
    rows = shipped.rows["model"]
    if known is None:
        same = [k for k, r in rows.items() if not _arch_differences(r, fields)]
        known = same[0] if len(same) == 1 else None
    if known is None:
        return None
    return {k: rows[known][k] for k in ("published_total_b", "published_active_b", "active_convention")}


def _slug(text: str) -> str:
    """A catalog id from a name: last path part, lowercase, other characters as '-'."""
    tail = text.strip().rstrip("/").split("/")[-1].lower()
    return re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9.+-]", "-", tail)).strip("-.+")


def _free_id(shipped: Catalog, name: str) -> str:
    """`name` as an id that names no shipped model or alias (else with '-import' appended)."""
    base = _slug(name) or "imported-model"
    taken = set(shipped.models) | set(shipped.model_aliases)
    return base if base not in taken else f"{base}-import"


def _check(row: Mapping[str, Any]) -> None:
    problems = check_table(row, MODEL_SCHEMA)
    if not ID_PATTERN.match(row["id"]):
        problems.append(f"field 'id' = {row['id']!r} is not a valid id; allowed: {ID_PATTERN.pattern}")
    if problems:
        raise InputError(f"imported row '{row['id']}': " + "; ".join(problems))
    arch_from_row(row)


# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def row_to_toml(row: Mapping[str, Any]) -> str:
    """The row as a `[[model]]` table with `[model.quant.NAME]` sub-tables; tomllib.loads of the
    text gives the row back (`["model"][0]`)."""
    lines = ["[[model]]"]
    lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in row.items() if k != "quant"]
    for name, quant in row.get("quant", {}).items():
        lines += ["", f"[model.quant.{_toml_key(name)}]"]
        lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in quant.items()]
    return "\n".join(lines) + "\n"


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _toml_string(key)


def _toml_string(text: str) -> str:
    escaped = json.dumps(text, ensure_ascii=False)[1:-1]
    escaped = re.sub(r"[\x7f]", lambda m: f"\\u{ord(m.group()):04x}", escaped)
    return f'"{escaped}"'


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise InputError(f"cannot write {value!r} ({type(value).__name__}) as TOML")


def summary_lines(row: Mapping[str, Any]) -> list[str]:
    """Lines for the CLI: derived totals beside the published ones, KV bytes per token, and the
    weight bytes of each quantization."""
    unknown = NO_PUBLISHED_NOTE in row.get("note", "")

    def published(key: str) -> str:
        return "published unknown" if unknown else f"published {row[key]:g}B"

    lines = [
        f"total {row['derived_total_b']:.2f}B ({published('published_total_b')})",
        f"active {row['derived_active_b']:.2f}B ({published('published_active_b')}, "
        f"{row['active_convention']})",
        f"always-active {row['derived_always_active_b']:.2f}B",
        f"KV {row['kv_bytes_per_token_f16']:,.0f} bytes/token at f16",
    ]
    counts = count_params(arch_from_row(row))
    other_params = counts.total - counts.routed_total
    for name, quant in row.get("quant", {}).items():
        e, o = quant["expert_bits_per_weight"], quant["other_bits_per_weight"]
        weights_gb = (counts.routed_total * e + other_params * o) / BITS_PER_BYTE / BYTES_PER_GB
        file = f", file {quant['file_gb']:.2f} GB" if "file_gb" in quant else ""
        lines.append(f"{name}: experts {e:.4f} / other {o:.4f} bits/weight, weights {weights_gb:.2f} GB{file}")
    return lines
