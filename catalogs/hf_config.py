"""Architecture fields of a models.toml row from a Hugging Face config.json.

One parser per family, chosen by `model_type` (or, without it, by `architectures`). Field
meanings follow shared/research/models.md, section 1 and its Formulas (dense/MoE layer split,
shared experts, sliding and chunked layers). Parameters the count formulas leave out (attention
sinks, router biases, Qwen2-MoE's shared-expert gate, MTP layers) are named in the notes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from costmodel.validation import InputError


class UnsupportedModelError(InputError):
    """A config whose model_type has no parser; the message lists the supported types."""


@dataclass(frozen=True)
class ConfigArch:
    """What a config says: family, the architecture keys of a row, which layers are MoE, the
    checkpoint's native weight format ('BF16', 'F16', 'F32', 'FP8', 'MXFP4' or '' if not
    modelled) with its FP8 block, and notes for the row."""

    model_type: str
    family: str
    fields: dict[str, Any]
    moe_layers: list[bool]
    native: str
    fp8_block: tuple[int, int] = (128, 128)
    notes: list[str] = field(default_factory=list)


class _Config:
    """Typed access to config keys; errors name the key and the model_type."""

    def __init__(self, data: Mapping[str, Any], model_type: str) -> None:
        self.data = data
        self.model_type = model_type

    def get(self, key: str, default: Any = None) -> Any:
        value = self.data.get(key)
        return default if value is None else value

    def int(self, key: str, default: int | None = None) -> int:
        value = self.data.get(key)
        if value is None and default is not None:
            return default
        if value is None:
            raise InputError(f"config.json (model_type '{self.model_type}'): missing key '{key}'")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
            raise InputError(f"config.json (model_type '{self.model_type}'): key '{key}' = {value!r}; "
                             "allowed: a whole number")
        return int(value)


def _common(c: _Config, n_layers: int) -> dict[str, Any]:
    hidden, heads = c.int("hidden_size"), c.int("num_attention_heads")
    return {
        "n_layers": n_layers, "hidden_size": hidden, "vocab_size": c.int("vocab_size"),
        "tied_embeddings": bool(c.get("tie_word_embeddings", False)), "attention": "gqa",
        "n_heads": heads, "n_kv_heads": c.int("num_key_value_heads", heads),
        "head_dim": c.int("head_dim", hidden // heads),
        "attention_bias": bool(c.get("attention_bias", False)), "qk_norm": False,
        "max_context_tokens": c.int("max_position_embeddings"), "expert_bias": False,
        "n_shared_experts": 0, "shared_intermediate_size": 0,
    }


def _moe(fields: dict[str, Any], moe_layers: list[bool], *, dense_width: int, experts: int,
         top_k: int, expert_width: int) -> None:
    """Fill the FFN keys: the dense width only when some layer is dense (models.toml rows)."""
    n_dense = moe_layers.count(False)
    fields.update(n_dense_layers=n_dense, dense_intermediate_size=dense_width if n_dense else 0,
                  n_routed_experts=experts if n_dense < len(moe_layers) else 0,
                  experts_per_token=top_k if n_dense < len(moe_layers) else 0,
                  moe_intermediate_size=expert_width if n_dense < len(moe_layers) else 0)


def _sliding(c: _Config, fields: dict[str, Any], notes: list[str], default_count: int | None = None
             ) -> None:
    """sliding_window / n_sliding_layers from `layer_types`, Qwen's use_sliding_window +
    max_window_layers (layers from that index on slide), else `default_count` layers (every layer
    when None: a Mistral-style window). A window at least as long as the context is no window."""
    n, window = fields["n_layers"], c.int("sliding_window", 0)
    layer_types = c.get("layer_types")
    if isinstance(layer_types, list) and len(layer_types) == n:
        count = sum(t == "sliding_attention" for t in layer_types)
    elif "use_sliding_window" in c.data:
        count = n - c.int("max_window_layers", n) if c.get("use_sliding_window") else 0
    else:
        count = n if default_count is None else default_count
    if window == 0 or count == 0 or window >= fields["max_context_tokens"]:
        window, count = 0, 0
    fields.update(sliding_window=window, n_sliding_layers=count)
    if count:
        notes.append(f"sliding window {window} tokens on {count} of {n} layers")


def _deepseek(c: _Config, notes: list[str]) -> tuple[dict[str, Any], list[bool]]:
    n = c.int("num_hidden_layers")
    fields = _common(c, n)
    fields.pop("head_dim")
    fields.update(attention="mla", q_lora_rank=c.int("q_lora_rank", 0),
                  kv_lora_rank=c.int("kv_lora_rank"), qk_nope_head_dim=c.int("qk_nope_head_dim"),
                  qk_rope_head_dim=c.int("qk_rope_head_dim"), v_head_dim=c.int("v_head_dim"))
    first_dense, freq = c.int("first_k_dense_replace", 0), c.int("moe_layer_freq", 1)
    experts = c.int("n_routed_experts", 0)
    moe_layers = [experts > 0 and i >= first_dense and i % freq == 0 for i in range(n)]
    _moe(fields, moe_layers, dense_width=c.int("intermediate_size"), experts=experts,
         top_k=c.int("num_experts_per_tok", 0), expert_width=c.int("moe_intermediate_size", 0))
    shared = c.int("n_shared_experts", 0)
    fields.update(n_shared_experts=shared, sliding_window=0, n_sliding_layers=0,
                  shared_intermediate_size=fields["moe_intermediate_size"] if shared else 0)
    notes.append("MLA: KV cache holds the kv_lora_rank + qk_rope_head_dim latent per layer")
    return fields, moe_layers


def _qwen_moe(c: _Config, notes: list[str]) -> tuple[dict[str, Any], list[bool]]:
    n = c.int("num_hidden_layers")
    fields = _common(c, n)
    step, dense_only = c.int("decoder_sparse_step", 1), set(c.get("mlp_only_layers", []))
    experts = c.int("num_experts", 0)
    moe_layers = [experts > 0 and i not in dense_only and (i + 1) % step == 0 for i in range(n)]
    _moe(fields, moe_layers, dense_width=c.int("intermediate_size"), experts=experts,
         top_k=c.int("num_experts_per_tok", 0), expert_width=c.int("moe_intermediate_size", 0))
    if c.model_type == "qwen3_moe":
        fields["qk_norm"] = True
    else:  # Qwen2-MoE: q/k/v biases, one gated shared expert
        fields["attention_bias"] = True
        width = c.int("shared_expert_intermediate_size", 0)
        fields.update(n_shared_experts=1 if width else 0, shared_intermediate_size=width)
        if width:
            notes.append("the shared expert's sigmoid gate (hidden_size weights per layer) is not counted")
    _sliding(c, fields, notes)
    return fields, moe_layers


def _mixtral(c: _Config, notes: list[str]) -> tuple[dict[str, Any], list[bool]]:
    n = c.int("num_hidden_layers")
    fields = _common(c, n)
    moe_layers = [True] * n
    _moe(fields, moe_layers, dense_width=0, experts=c.int("num_local_experts"),
         top_k=c.int("num_experts_per_tok"), expert_width=c.int("intermediate_size"))
    notes.append("intermediate_size is the expert width")
    _sliding(c, fields, notes)
    return fields, moe_layers


def _gpt_oss(c: _Config, notes: list[str]) -> tuple[dict[str, Any], list[bool]]:
    n = c.int("num_hidden_layers")
    fields = _common(c, n)
    moe_layers = [True] * n
    top_k = c.int("num_experts_per_tok", c.int("experts_per_token", 0))
    _moe(fields, moe_layers, dense_width=0, experts=c.int("num_local_experts"), top_k=top_k,
         expert_width=c.int("intermediate_size"))
    fields.update(attention_bias=True, expert_bias=True)
    _sliding(c, fields, notes, default_count=(n + 1) // 2)  # even layers slide (layer_types)
    notes.append("attention, router and experts carry biases; per-head attention sinks, the o "
                 "bias and router biases (about 0.1 M per layer) are not counted")
    return fields, moe_layers


def _glm4_moe(c: _Config, notes: list[str]) -> tuple[dict[str, Any], list[bool]]:
    n = c.int("num_hidden_layers")
    fields = _common(c, n)
    first_dense, experts = c.int("first_k_dense_replace", 0), c.int("n_routed_experts", 0)
    moe_layers = [experts > 0 and i >= first_dense for i in range(n)]
    _moe(fields, moe_layers, dense_width=c.int("intermediate_size"), experts=experts,
         top_k=c.int("num_experts_per_tok", 0), expert_width=c.int("moe_intermediate_size", 0))
    shared = c.int("n_shared_experts", 0)
    fields.update(qk_norm=bool(c.get("use_qk_norm", False)), n_shared_experts=shared,
                  shared_intermediate_size=fields["moe_intermediate_size"] if shared else 0)
    notes.append(f"partial rotary factor {c.get('partial_rotary_factor', 0.5)} (no effect on counts)")
    _sliding(c, fields, notes)
    return fields, moe_layers


def _llama4(c: _Config, notes: list[str]) -> tuple[dict[str, Any], list[bool]]:
    n = c.int("num_hidden_layers")
    fields = _common(c, n)
    listed = c.get("moe_layers")
    step = c.int("interleave_moe_layer_step", 1)
    moe_layers = ([i in set(listed) for i in range(n)] if isinstance(listed, list)
                  else [step > 0 and (i + 1) % step == 0 for i in range(n)])
    width = c.int("intermediate_size")
    _moe(fields, moe_layers, dense_width=c.int("intermediate_size_mlp", width),
         experts=c.int("num_local_experts"), top_k=c.int("num_experts_per_tok"), expert_width=width)
    fields.update(n_shared_experts=1, shared_intermediate_size=width)
    chunk = c.int("attention_chunk_size", 0)
    rope_layers = c.get("no_rope_layers")
    interval = c.int("no_rope_layer_interval", 4)
    chunked = (sum(bool(x) for x in rope_layers) if isinstance(rope_layers, list) and len(rope_layers) == n
               else sum((i + 1) % interval != 0 for i in range(n)))
    fields.update(sliding_window=chunk, n_sliding_layers=chunked if chunk else 0)
    if chunk:
        notes.append(f"chunked attention ({chunk} tokens) on {chunked} of {n} layers (RoPE layers), "
                     "encoded as sliding_window/n_sliding_layers; the other layers are global NoPE")
    notes.append("text model only (vision encoder not counted); q/k RMS norm has no weights")
    return fields, moe_layers


def _dense(c: _Config, notes: list[str]) -> tuple[dict[str, Any], list[bool]]:
    n = c.int("num_hidden_layers")
    fields = _common(c, n)
    moe_layers = [False] * n
    _moe(fields, moe_layers, dense_width=c.int("intermediate_size"), experts=0, top_k=0,
         expert_width=0)
    if c.model_type == "qwen3":
        fields["qk_norm"] = True
    if c.model_type == "qwen2":
        fields["attention_bias"] = True
    _sliding(c, fields, notes)
    return fields, moe_layers


_Parser = Callable[[_Config, list[str]], tuple[dict[str, Any], list[bool]]]
PARSERS: dict[str, tuple[str, _Parser]] = {
    "deepseek_v3": ("deepseek_v3", _deepseek), "kimi_k2": ("deepseek_v3", _deepseek),
    "deepseek_v2": ("deepseek_v2", _deepseek), "qwen3_moe": ("qwen3_moe", _qwen_moe),
    "qwen2_moe": ("qwen2_moe", _qwen_moe), "mixtral": ("mixtral", _mixtral),
    "gpt_oss": ("gpt_oss", _gpt_oss), "glm4_moe": ("glm4_moe", _glm4_moe),
    "llama4": ("llama4", _llama4), "llama4_text": ("llama4", _llama4),
    "llama": ("llama", _dense), "mistral": ("mistral", _dense), "qwen2": ("qwen2", _dense),
    "qwen3": ("qwen3", _dense),
}
"""model_type -> (row family, parser). Kimi-K2 uses DeepSeek-V3's layout (models.toml)."""

ARCHITECTURES = {
    "DeepseekV3ForCausalLM": "deepseek_v3", "DeepseekV2ForCausalLM": "deepseek_v2",
    "Qwen3MoeForCausalLM": "qwen3_moe", "Qwen2MoeForCausalLM": "qwen2_moe",
    "MixtralForCausalLM": "mixtral", "GptOssForCausalLM": "gpt_oss",
    "Glm4MoeForCausalLM": "glm4_moe", "Llama4ForConditionalGeneration": "llama4",
    "Llama4ForCausalLM": "llama4_text", "LlamaForCausalLM": "llama", "MistralForCausalLM": "mistral",
    "Qwen2ForCausalLM": "qwen2", "Qwen3ForCausalLM": "qwen3",
}
"""`architectures` entries -> model_type, for configs without model_type."""


def detect_model_type(config: Mapping[str, Any]) -> str:
    """The config's model_type, else the one its `architectures` implies; raises
    UnsupportedModelError naming it and the supported types."""
    model_type = config.get("model_type")
    if not model_type:
        known = [ARCHITECTURES[a] for a in config.get("architectures") or [] if a in ARCHITECTURES]
        model_type = known[0] if known else None
    if model_type not in PARSERS:
        shown = model_type or f"(none; architectures {config.get('architectures')!r})"
        raise UnsupportedModelError(f"config.json: model_type {shown} is not supported; supported: "
                                    f"{', '.join(PARSERS)}")
    return model_type


def parse_config(config: Mapping[str, Any]) -> ConfigArch:
    """The architecture of a config.json (a dict); Llama-4's `text_config` is read in place of the
    top level. Raises UnsupportedModelError or InputError (missing or non-integer keys)."""
    if not isinstance(config, Mapping):
        raise InputError(f"config.json: expected a JSON object, got {type(config).__name__}")
    model_type = detect_model_type(config)
    family, parser = PARSERS[model_type]
    text = config.get("text_config") if model_type == "llama4" else None
    data = {**config, **text} if isinstance(text, Mapping) else config
    if "tie_word_embeddings" in config and isinstance(text, Mapping) and "tie_word_embeddings" not in text:
        data = {**data, "tie_word_embeddings": config["tie_word_embeddings"]}
    c = _Config(data, model_type)
    notes: list[str] = []
    fields, moe_layers = parser(c, notes)
    mtp = c.int("num_nextn_predict_layers", 0)
    if mtp:
        notes.append(f"{mtp} MTP (next-token prediction) layer(s) not counted; llama.cpp does not run them")
    native, block = _native_format(config, c)
    if not native:
        method = (config.get("quantization_config") or {}).get("quant_method")
        notes.append(f"quantization_config quant_method '{method}' is not modelled: no native entry")
    return ConfigArch(model_type, family, fields, moe_layers, native, block, notes)


def _native_format(config: Mapping[str, Any], c: _Config) -> tuple[str, tuple[int, int]]:
    quant = config.get("quantization_config") or {}
    method = str(quant.get("quant_method", "")).lower()
    if method == "fp8":
        block = quant.get("weight_block_size") or [128, 128]
        return "FP8", (int(block[0]), int(block[1]))
    if method == "mxfp4":
        return "MXFP4", (128, 128)
    if method:
        return "", (128, 128)
    dtype = str(c.get("torch_dtype", c.get("dtype", "bfloat16")))
    return {"bfloat16": "BF16", "float16": "F16", "float32": "F32"}.get(dtype, "BF16"), (128, 128)
