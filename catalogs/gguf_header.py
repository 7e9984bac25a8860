"""GGUF headers: `read_gguf` reads metadata and tensor infos with gguf-py's GGUFReader (a memory
map; no tensor data is touched) and sums the exact bytes of routed-expert tensors (names containing
`_exps`, as llama.cpp names them) and of every other tensor; `arch_from_header` turns the metadata
into catalog architecture fields. Predicted tensor types for a file type are in catalogs.gguf_mix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gguf
from gguf import GGMLQuantizationType, LlamaFileType

from costmodel.validation import InputError

from .gguf_mix import EXPERT_TENSOR_MARK

SPLIT_PATTERN = re.compile(r"^(?P<stem>.*)-(?P<no>\d{5})-of-(?P<count>\d{5})\.gguf$")
"""llama.cpp split files: NAME-00001-of-00003.gguf."""


@dataclass(frozen=True)
class GGUFHeader:
    """What a GGUF file (all of its split parts) says about itself.

    `meta` holds every metadata value (arrays as lists; the token list replaced by its length);
    `tensors` maps each tensor name to (shape ne0.., ggml type, n_elements, n_bytes).
    """

    paths: tuple[Path, ...]
    meta: dict[str, Any]
    tensors: dict[str, tuple[tuple[int, ...], GGMLQuantizationType, int, int]]
    file_bytes: int

    @property
    def arch(self) -> str:
        return str(self.meta.get("general.architecture", ""))

    def key(self, suffix: str, default: Any = None) -> Any:
        """The value of `{arch}.{suffix}`, or `default`."""
        return self.meta.get(f"{self.arch}.{suffix}", default)

    def class_sums(self) -> dict[bool, tuple[int, int]]:
        """is_expert -> (bytes, parameters), exact from the tensor infos."""
        sums = {True: [0, 0], False: [0, 0]}
        for name, (_shape, _qtype, n_elements, n_bytes) in self.tensors.items():
            sums[EXPERT_TENSOR_MARK in name][0] += n_bytes
            sums[EXPERT_TENSOR_MARK in name][1] += n_elements
        return {k: (v[0], v[1]) for k, v in sums.items()}

    @property
    def file_type_name(self) -> str:
        """general.file_type as its llama.cpp name ('Q4_K_M'); 'GGUF' when absent or unknown."""
        value = self.meta.get("general.file_type")
        try:
            return LlamaFileType(int(value)).name.removeprefix("MOSTLY_").removeprefix("ALL_")
        except (TypeError, ValueError):
            return "GGUF"


def read_gguf(path: Path | str) -> GGUFHeader:
    """Metadata and tensor infos of a GGUF file; split files (NAME-00001-of-0000N.gguf) are read
    part by part. Raises InputError when the file cannot be read as GGUF."""
    path = Path(path)
    paths = _split_parts(path)
    meta: dict[str, Any] = {}
    tensors: dict[str, tuple[tuple[int, ...], GGMLQuantizationType, int, int]] = {}
    for part in paths:
        try:
            reader = gguf.GGUFReader(part)
        except (OSError, ValueError, KeyError, IndexError) as exc:
            raise InputError(f"{part}: cannot read as GGUF: {exc}") from exc
        if not meta:
            meta = {name: _field_value(name, field) for name, field in reader.fields.items()}
        for t in reader.tensors:
            tensors[t.name] = (tuple(int(d) for d in t.shape), t.tensor_type,
                               int(t.n_elements), int(t.n_bytes))
    return GGUFHeader(tuple(paths), meta, tensors, sum(p.stat().st_size for p in paths))


def _split_parts(path: Path) -> list[Path]:
    if not path.is_file():
        raise InputError(f"{path}: no such GGUF file")
    match = SPLIT_PATTERN.match(path.name)
    if match is None:
        return [path]
    count = int(match["count"])
    parts = [path.with_name(f"{match['stem']}-{n:05d}-of-{count:05d}.gguf") for n in range(1, count + 1)]
    missing = [p.name for p in parts if not p.is_file()]
    if missing:
        raise InputError(f"{path}: split GGUF is missing parts {', '.join(missing)}")
    return parts


def _field_value(name: str, field: Any) -> Any:
    if name == "tokenizer.ggml.tokens":
        return len(field.data)  # only the vocabulary size is needed
    if field.types and field.types[0] == gguf.GGUFValueType.ARRAY and len(field.data) > 4096:
        return len(field.data)
    return field.contents()


# ---------------------------------------------------------------------------------------------
# Architecture from a header
# ---------------------------------------------------------------------------------------------

SWA_PATTERN_BY_ARCH = {"gpt-oss": 2, "llama4": 4}
"""llama.cpp hard-codes these layer patterns (llama-model.cpp `set_swa_pattern`): layer i slides
iff i % n < n - 1. GPT-OSS: even layers; Llama-4: 3 chunked layers of every 4."""

LLAMA4_CHUNK_TOKENS = 8192
"""llama.cpp's Llama-4 attention chunk when the file names no window (llama-model.cpp)."""


def arch_from_header(header: GGUFHeader) -> tuple[str, dict[str, Any], list[bool], list[str]]:
    """(family, architecture keys of a row, MoE flag per layer, notes) from a GGUF header.

    Counts come from metadata, widths from the tensor shapes (ne1 of ffn_gate*), booleans from
    which tensors exist (attn_q.bias, attn_q_norm, ffn_*_exps.bias, output). MTP layers
    (`nextn_predict_layers`) are left out of n_layers.
    """
    arch, tensors, notes = header.arch, header.tensors, []
    if not arch:
        raise InputError(f"{header.paths[0]}: no general.architecture in the GGUF metadata")
    mtp = int(header.key("nextn_predict_layers", 0) or 0)
    n_layers = _count(header, "block_count") - mtp
    if mtp:
        notes.append(f"{mtp} MTP (nextn) layer(s) in the file are left out of the architecture; "
                     "their tensors count in the bits per weight and file_gb")
    hidden, heads = _count(header, "embedding_length"), _count(header, "attention.head_count")
    moe_layers = [any(n.startswith(f"blk.{i}.") and EXPERT_TENSOR_MARK in n for n in tensors)
                  for i in range(n_layers)]
    first_moe = moe_layers.index(True) if True in moe_layers else -1
    first_dense = moe_layers.index(False) if False in moe_layers else -1
    fields: dict[str, Any] = {
        "n_layers": n_layers, "hidden_size": hidden, "vocab_size": _vocab(header),
        "tied_embeddings": "output.weight" not in tensors, "n_heads": heads,
        "n_kv_heads": _count(header, "attention.head_count_kv", heads),
        "attention_bias": "blk.0.attn_q.bias" in tensors,
        "qk_norm": "blk.0.attn_q_norm.weight" in tensors,
        "max_context_tokens": _count(header, "context_length"),
        "gated_ffn": any(".ffn_gate" in n and "ffn_gate_inp" not in n for n in tensors),
        "n_dense_layers": moe_layers.count(False),
        "dense_intermediate_size": _rows(header, f"blk.{first_dense}.ffn_gate.weight",
                                         _count(header, "feed_forward_length", 0))
        if first_dense >= 0 else 0,
    }
    fields.update(_attention_fields(header, heads, hidden))
    fields.update(_expert_fields(header, first_moe))
    fields.update(_sliding_fields(header, n_layers, notes))
    return arch, fields, moe_layers, notes


def _count(header: GGUFHeader, suffix: str, default: int | None = None) -> int:
    """An integer `{arch}.{suffix}`; per-layer arrays give their largest value."""
    value = header.key(suffix)
    if isinstance(value, list):
        value = max(value) if value else None
    if value is None:
        if default is None:
            raise InputError(f"{header.paths[0]}: missing GGUF key '{header.arch}.{suffix}'")
        return default
    return int(value)


def _rows(header: GGUFHeader, name: str, default: int) -> int:
    """ne1 (output rows) of a tensor, or `default` when the file has no such tensor."""
    info = header.tensors.get(name)
    return int(info[0][1]) if info and len(info[0]) > 1 else default


def _vocab(header: GGUFHeader) -> int:
    tokens = header.meta.get("tokenizer.ggml.tokens")
    if isinstance(tokens, int) and tokens > 0:
        return tokens
    embd = header.tensors.get("token_embd.weight")
    return _count(header, "vocab_size", int(embd[0][1]) if embd else None)


def _attention_fields(header: GGUFHeader, heads: int, hidden: int) -> dict[str, Any]:
    if header.key("attention.kv_lora_rank") is None:
        return {"attention": "gqa", "head_dim": _count(header, "attention.key_length", hidden // heads)}
    rope = _count(header, "rope.dimension_count")
    # Current converters store MLA as MQA (key_length = latent + rope) and put the per-head sizes
    # in key_length_mla / value_length_mla; older files have them in key_length / value_length.
    key_length = _count(header, "attention.key_length_mla", _count(header, "attention.key_length"))
    value_length = _count(header, "attention.value_length_mla", _count(header, "attention.value_length"))
    return {"attention": "mla", "n_kv_heads": heads, "q_lora_rank": _count(header, "attention.q_lora_rank", 0),
            "kv_lora_rank": _count(header, "attention.kv_lora_rank"), "qk_rope_head_dim": rope,
            "qk_nope_head_dim": key_length - rope, "v_head_dim": value_length}


def _expert_fields(header: GGUFHeader, first_moe: int) -> dict[str, Any]:
    if first_moe < 0:
        return {"moe_intermediate_size": 0, "n_routed_experts": 0, "experts_per_token": 0,
                "n_shared_experts": 0, "shared_intermediate_size": 0, "expert_bias": False}
    blk = f"blk.{first_moe}."
    shared_rows = _rows(header, blk + "ffn_gate_shexp.weight", 0)
    n_shared = _count(header, "expert_shared_count", 1) if shared_rows else 0
    return {
        "moe_intermediate_size": _count(header, "expert_feed_forward_length",
                                        _rows(header, blk + "ffn_gate_exps.weight", 0)),
        "n_routed_experts": _count(header, "expert_count"),
        "experts_per_token": _count(header, "expert_used_count"),
        "n_shared_experts": n_shared,
        "shared_intermediate_size": shared_rows // n_shared if n_shared else 0,
        "expert_bias": any(blk + f"ffn_{x}_exps.bias" in header.tensors for x in ("gate", "up", "down")),
    }


def _sliding_fields(header: GGUFHeader, n_layers: int, notes: list[str]) -> dict[str, Any]:
    window = _count(header, "attention.sliding_window", 0)
    pattern = header.key("attention.sliding_window_pattern")
    if header.arch == "llama4" and header.key("attention.sliding_window") is None:
        window = LLAMA4_CHUNK_TOKENS
    if isinstance(pattern, list):
        count = sum(bool(x) for x in pattern[:n_layers])
    else:
        period = int(pattern) if pattern else SWA_PATTERN_BY_ARCH.get(header.arch, 0)
        count = sum(i % period < period - 1 for i in range(n_layers)) if period else n_layers
    if window == 0:
        return {"sliding_window": 0, "n_sliding_layers": 0}
    notes.append(f"sliding/chunked window {window} tokens on {count} of {n_layers} layers")
    return {"sliding_window": window, "n_sliding_layers": count}
