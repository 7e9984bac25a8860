"""Model import: config.json and GGUF headers into models.toml rows, their TOML, and the CLI lines."""

import json
import tomllib
from pathlib import Path

import numpy as np
import pytest
from gguf import GGMLQuantizationType, GGUFWriter, LlamaFileType

from catalogs import check_catalog_dir, find_quant, load_catalog
from catalogs.gguf_mix import mix_bits
from catalogs.hf_config import PARSERS, UnsupportedModelError
from catalogs.importers import (
    DEFAULT_MIXES,
    NO_PUBLISHED_NOTE,
    _arch_differences,
    row_from_config,
    row_from_gguf,
    row_to_toml,
    summary_lines,
)
from catalogs.models import arch_from_row
from costmodel import InputError, count_params

CONFIGS = Path(__file__).parents[1] / "fixtures" / "configs"
TOLERANCE = 0.005

# Derived totals [parameters]: shared/research/models.json `derived.total_params` (models.md section 2).
DERIVED_TOTALS = {
    "deepseek-v3": 671_026_419_200,  # issue 3: 671.03B
    "qwen3-235b-a22b": 235_093_634_560,  # issue 3: 235.09B
    "gpt-oss-120b": 116_829_156_672,  # issue 3: 116.83B
    "mixtral-8x22b": 140_620_634_112,
    "glm-4.5": 352_797_829_024,
    "llama-4-maverick": 400_711_848_960,
    "kimi-k2": 1_026_408_232_448,
    "qwen2-57b-a14b": 57_408_658_944,
    "llama-3.1-8b": 8_030_261_248,
    "qwen3-32b": 32_762_123_264,
}
DERIVED_ACTIVE = {
    "deepseek-v3": 37_552_297_472, "qwen3-235b-a22b": 22_190_763_520, "gpt-oss-120b": 5_711_982_912,
    "mixtral-8x22b": 39_152_031_744, "glm-4.5": 33_632_266_144, "llama-4-maverick": 17_184_691_200,
}
MLA_FIXTURES = ("deepseek-v3", "kimi-k2")


def config(name: str) -> dict:
    return json.loads((CONFIGS / f"{name}.json").read_text())


@pytest.fixture(scope="module")
def shipped():
    return load_catalog()


@pytest.fixture(scope="module")
def anonymous_rows():
    """Each fixture imported without an id: its own row, estimates only."""
    return {name: row_from_config(config(name)) for name in DERIVED_TOTALS}


# --- config.json -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", DERIVED_TOTALS)
def test_derived_totals_match_models_json(anonymous_rows, name):
    row = anonymous_rows[name]
    assert row["derived_total_b"] == pytest.approx(DERIVED_TOTALS[name] / 1e9, rel=TOLERANCE)
    if name in DERIVED_ACTIVE:
        assert row["derived_active_b"] == pytest.approx(DERIVED_ACTIVE[name] / 1e9, rel=TOLERANCE)


def test_issue_golden_totals(anonymous_rows):
    assert round(anonymous_rows["deepseek-v3"]["derived_total_b"], 2) == 671.03
    assert round(anonymous_rows["qwen3-235b-a22b"]["derived_total_b"], 2) == 235.09
    assert round(anonymous_rows["gpt-oss-120b"]["derived_total_b"], 2) == 116.83


@pytest.mark.parametrize("name", DERIVED_TOTALS)
def test_architecture_equals_shipped_row(anonymous_rows, shipped, name):
    """Every architecture field agrees with the hand-made catalog row of the same model."""
    row = anonymous_rows[name]
    ship = shipped.rows["model"][name]
    assert _arch_differences(ship, row) == []
    assert row["max_context_tokens"] == ship["max_context_tokens"]
    assert row["kv_bytes_per_token_f16"] == ship["kv_bytes_per_token_f16"]


def test_family_specific_fields(anonymous_rows):
    ds, oss, llama4 = (anonymous_rows[n] for n in ("deepseek-v3", "gpt-oss-120b", "llama-4-maverick"))
    assert (ds["attention"], ds["n_dense_layers"], ds["kv_lora_rank"], ds["kv_bytes_per_token_f16"]) == (
        "mla", 3, 512, 61 * 576 * 2)
    assert (oss["sliding_window"], oss["n_sliding_layers"], oss["expert_bias"], oss["attention_bias"]) == (
        128, 18, True, True)
    # interleave step 2: 24 dense layers at intermediate_size_mlp; chunked attention on 36 RoPE layers
    assert (llama4["n_dense_layers"], llama4["dense_intermediate_size"], llama4["sliding_window"],
            llama4["n_sliding_layers"], llama4["shared_intermediate_size"]) == (24, 16384, 8192, 36, 8192)
    assert anonymous_rows["mixtral-8x22b"]["head_dim"] == 6144 // 48


@pytest.mark.parametrize("name", DERIVED_TOTALS)
def test_default_mixes_reproduce_shipped_estimates(anonymous_rows, shipped, name):
    """The estimates follow the rule behind the shipped rows. MLA 'other' differs by up to 2%:
    current converters split attn_kv_b, and attn_k_b (128-wide rows) falls back to 32-blocks."""
    ship = shipped.rows["model"][name]["quant"]
    for ftype in DEFAULT_MIXES:
        got = anonymous_rows[name]["quant"][ftype]
        other_tol = 0.02 if name in MLA_FIXTURES else 0.0005
        assert got["expert_bits_per_weight"] == pytest.approx(ship[ftype]["expert_bits_per_weight"], rel=5e-4)
        assert got["other_bits_per_weight"] == pytest.approx(ship[ftype]["other_bits_per_weight"], rel=other_tol)


def test_native_formats(anonymous_rows, shipped):
    ds, oss = anonymous_rows["deepseek-v3"]["quant"], anonymous_rows["gpt-oss-120b"]["quant"]
    assert ds["FP8"]["expert_bits_per_weight"] == pytest.approx(8 + 32 / 128**2)  # e4m3 + fp32 per 128x128
    assert ds["FP8"]["other_bits_per_weight"] == pytest.approx(
        shipped.rows["model"]["deepseek-v3"]["quant"]["FP8"]["other_bits_per_weight"], abs=1e-4)
    # MXFP4 experts: (3*H*I*4.25 + (2I + H)*32) / (3*H*I + 2I + H) with H = I = 2880
    assert oss["F16"]["expert_bits_per_weight"] == pytest.approx(106_030_080 / 24_891_840, abs=1e-6)
    assert oss["MXFP4"]["expert_bits_per_weight"] == oss["F16"]["expert_bits_per_weight"]
    assert anonymous_rows["qwen3-235b-a22b"]["quant"]["BF16"]["other_bits_per_weight"] == 16.0
    assert all(q["note"].startswith("derived from block layouts") for name, q in ds.items() if name != "FP8")


def test_known_model_keeps_shipped_identity(shipped):
    row = row_from_config(config("deepseek-v3"), "deepseek-ai/DeepSeek-R1")
    ship = shipped.rows["model"]["deepseek-v3"]
    assert (row["id"], row["aliases"], row["published_total_b"], row["published_active_b"]) == (
        "deepseek-v3", ship["aliases"], 671.0, 37.0)
    assert row["quant"]["Q4_K_M"] == ship["quant"]["Q4_K_M"]  # measured entry beats the estimate
    assert set(ship["quant"]) <= set(row["quant"])


def test_unknown_model_marks_published_unknown(shipped):
    cfg = {**config("qwen3-235b-a22b"), "num_hidden_layers": 48}
    row = row_from_config(cfg, "acme/Qwen3-Frankenmerge")
    assert row["id"] == "qwen3-frankenmerge" and row["aliases"] == ["acme/Qwen3-Frankenmerge"]
    assert (row["published_total_b"], row["published_active_b"]) == (row["derived_total_b"], row["derived_active_b"])
    assert NO_PUBLISHED_NOTE in row["note"]
    assert "published unknown" in summary_lines(row)[0]


def test_unnamed_config_with_shipped_architecture_takes_published(anonymous_rows):
    row = anonymous_rows["mixtral-8x22b"]
    assert row["published_total_b"] == 141.0 and NO_PUBLISHED_NOTE not in row["note"]
    assert row["id"] not in load_catalog().models


def test_architectures_detect_model_type():
    cfg = {k: v for k, v in config("mixtral-8x22b").items() if k != "model_type"}
    assert row_from_config(cfg)["family"] == "mixtral"


def test_unknown_model_type_names_type_and_supported():
    with pytest.raises(UnsupportedModelError) as err:
        row_from_config({"model_type": "mamba2", "hidden_size": 8})
    message = str(err.value)
    assert "mamba2" in message and "deepseek_v3" in message and "gpt_oss" in message
    assert set(PARSERS) >= {"deepseek_v3", "kimi_k2", "qwen3_moe", "qwen2_moe", "mixtral", "gpt_oss",
                            "glm4_moe", "llama4", "llama", "qwen3"}


def test_missing_key_is_named():
    cfg = {k: v for k, v in config("glm-4.5").items() if k != "hidden_size"}
    with pytest.raises(InputError, match="missing key 'hidden_size'"):
        row_from_config(cfg)


# --- TOML and the catalog loader ---------------------------------------------------------------

def test_toml_round_trip(anonymous_rows):
    for row in anonymous_rows.values():
        assert tomllib.loads(row_to_toml(row))["model"][0] == row
    odd = {**anonymous_rows["qwen3-32b"], "note": 'quote " backslash \\ tab\t newline\n é ✓ \x7f'}
    odd["quant"] = {**odd["quant"], "UD Q2.K/XL": odd["quant"]["Q2_K"]}
    assert tomllib.loads(row_to_toml(odd))["model"][0] == odd


def test_imported_rows_load_through_catalog(tmp_path, anonymous_rows):
    rows = [*anonymous_rows.values(), row_from_config(config("kimi-k2"), "moonshotai/Kimi-K2-Instruct"),
            row_from_config(config("qwen3-32b"), "acme/Qwen3-32B-Merge")]
    (tmp_path / "imported.toml").write_text("\n".join(row_to_toml(r) for r in rows), encoding="utf-8")
    assert check_catalog_dir(tmp_path) == []
    catalog = load_catalog([tmp_path])
    for row in rows:
        arch = catalog.model(row["id"])
        assert count_params(arch).total / 1e9 == pytest.approx(row["derived_total_b"], abs=1e-3)
        assert 4.2 < find_quant(arch, "q4_k_m").expert_bits_per_weight < 4.9
    assert catalog.model("acme/Qwen3-32B-Merge").id == "qwen3-32b-merge"


def test_summary_lines_golden():
    row = row_from_config(config("deepseek-v3"), "deepseek-v3")
    assert summary_lines(row)[:4] == [
        "total 671.03B (published 671B)",
        "active 37.55B (published 37B, incl-embedding)",
        "always-active 17.12B",
        "KV 70,272 bytes/token at f16",  # 61 layers x 576 latent x 2 bytes
    ]
    # Q4_K_M weights: (653.909e9 x 4.82 + 17.118e9 x 4.8798) / 8 = 404.42 GB (models.toml file_gb 404.425)
    assert "Q4_K_M: experts 4.8200 / other 4.8798 bits/weight, weights 404.42 GB, file 404.43 GB" in summary_lines(row)


# --- GGUF --------------------------------------------------------------------------------------

H, HEADS, KV_HEADS, HEAD_DIM, VOCAB, DENSE_FF, EXPERT_FF, EXPERTS = 64, 4, 2, 16, 100, 128, 32, 4
Q8_BLOCK, Q8_BYTES = 32, 34


def tiny_moe_tensors() -> dict[str, np.ndarray]:
    """A 3-layer MoE (layer 0 dense, 1-2 with 4 experts + 1 shared): F32 norms and router, F16
    attention, dense FFN, shared expert, embedding and head; routed experts raw Q8_0 blocks."""
    f16 = lambda *shape: np.zeros(shape, dtype=np.float16)  # noqa: E731  (numpy shape = reversed ne)
    f32 = lambda *shape: np.zeros(shape, dtype=np.float32)  # noqa: E731
    q8 = lambda e, rows, cols: np.zeros((e, rows, cols // Q8_BLOCK * Q8_BYTES), dtype=np.uint8)  # noqa: E731
    t = {"token_embd.weight": f16(VOCAB, H), "output.weight": f16(VOCAB, H), "output_norm.weight": f32(H)}
    for i in range(3):
        b = f"blk.{i}."
        t |= {b + "attn_norm.weight": f32(H), b + "ffn_norm.weight": f32(H),
              b + "attn_q_norm.weight": f32(HEAD_DIM), b + "attn_k_norm.weight": f32(HEAD_DIM),
              b + "attn_q.weight": f16(HEADS * HEAD_DIM, H), b + "attn_k.weight": f16(KV_HEADS * HEAD_DIM, H),
              b + "attn_v.weight": f16(KV_HEADS * HEAD_DIM, H), b + "attn_output.weight": f16(H, HEADS * HEAD_DIM)}
        if i == 0:
            t |= {b + "ffn_gate.weight": f16(DENSE_FF, H), b + "ffn_up.weight": f16(DENSE_FF, H),
                  b + "ffn_down.weight": f16(H, DENSE_FF)}
        else:
            t |= {b + "ffn_gate_inp.weight": f32(EXPERTS, H),
                  b + "ffn_gate_exps.weight": q8(EXPERTS, EXPERT_FF, H),
                  b + "ffn_up_exps.weight": q8(EXPERTS, EXPERT_FF, H),
                  b + "ffn_down_exps.weight": q8(EXPERTS, H, EXPERT_FF),
                  b + "ffn_gate_shexp.weight": f16(EXPERT_FF, H), b + "ffn_up_shexp.weight": f16(EXPERT_FF, H),
                  b + "ffn_down_shexp.weight": f16(H, EXPERT_FF)}
    return t


def write_tiny_gguf(path: Path, split_max_tensors: int = 0) -> dict[str, np.ndarray]:
    tensors = tiny_moe_tensors()
    writer = GGUFWriter(path, "qwen3moe", split_max_tensors=split_max_tensors)
    writer.add_name("Tiny MoE")
    writer.add_file_type(LlamaFileType.MOSTLY_Q8_0)
    writer.add_block_count(3)
    writer.add_context_length(4096)
    writer.add_embedding_length(H)
    writer.add_feed_forward_length(DENSE_FF)
    writer.add_head_count(HEADS)
    writer.add_head_count_kv(KV_HEADS)
    writer.add_key_length(HEAD_DIM)
    writer.add_expert_count(EXPERTS)
    writer.add_expert_used_count(2)
    writer.add_expert_shared_count(1)
    writer.add_expert_feed_forward_length(EXPERT_FF)
    writer.add_leading_dense_block_count(1)
    writer.add_token_list([f"t{i}" for i in range(VOCAB)])
    for name, array in tensors.items():
        raw = GGMLQuantizationType.Q8_0 if array.dtype == np.uint8 else None
        writer.add_tensor(name, array, raw_dtype=raw)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return tensors


def expected_bits(tensors: dict[str, np.ndarray]) -> tuple[float, float]:
    """8 * bytes / weights per class, from what was written (Q8_0: 34 bytes per 32 weights)."""
    sums = {True: [0, 0], False: [0, 0]}
    for name, a in tensors.items():
        weights = a.size // Q8_BYTES * Q8_BLOCK if a.dtype == np.uint8 else a.size
        sums["_exps" in name][0] += a.nbytes
        sums["_exps" in name][1] += weights
    return 8 * sums[True][0] / sums[True][1], 8 * sums[False][0] / sums[False][1]


def test_gguf_round_trip(tmp_path):
    path = tmp_path / "tiny-moe-Q8_0.gguf"
    tensors = write_tiny_gguf(path)
    row = row_from_gguf(path)
    expected = {"n_layers": 3, "n_dense_layers": 1, "hidden_size": H, "vocab_size": VOCAB,
                "n_heads": HEADS, "n_kv_heads": KV_HEADS, "head_dim": HEAD_DIM, "attention": "gqa",
                "qk_norm": True, "attention_bias": False, "tied_embeddings": False,
                "dense_intermediate_size": DENSE_FF, "moe_intermediate_size": EXPERT_FF,
                "n_routed_experts": EXPERTS, "experts_per_token": 2, "n_shared_experts": 1,
                "shared_intermediate_size": EXPERT_FF, "expert_bias": False, "sliding_window": 0,
                "max_context_tokens": 4096, "family": "qwen3moe", "id": "tiny-moe"}
    assert {k: row[k] for k in expected} == expected
    quant = row["quant"]["Q8_0"]
    expert, other = expected_bits(tensors)
    assert expert == 8.5
    assert (quant["expert_bits_per_weight"], quant["other_bits_per_weight"]) == pytest.approx((expert, other), abs=1e-6)
    assert quant["file_gb"] == pytest.approx(path.stat().st_size / 1e9, abs=1e-6)
    # every tensor the file holds is one count_params counts
    written = sum(a.size // Q8_BYTES * Q8_BLOCK if a.dtype == np.uint8 else a.size for a in tensors.values())
    assert count_params(arch_from_row(row)).total == written
    assert tomllib.loads(row_to_toml(row))["model"][0] == row


def test_gguf_split_files_are_read_whole(tmp_path):
    tensors = write_tiny_gguf(tmp_path / "tiny.gguf", split_max_tensors=20)
    parts = sorted(tmp_path.glob("tiny-*-of-*.gguf"))
    assert len(parts) > 1
    quant = row_from_gguf(parts[-1])["quant"]["Q8_0"]
    assert quant["expert_bits_per_weight"] == 8.5
    assert quant["other_bits_per_weight"] == pytest.approx(expected_bits(tensors)[1], abs=1e-6)
    assert quant["file_gb"] == pytest.approx(sum(p.stat().st_size for p in parts) / 1e9, abs=1e-6)


def test_gguf_errors(tmp_path):
    with pytest.raises(InputError, match="no such GGUF file"):
        row_from_gguf(tmp_path / "missing.gguf")
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"not a gguf file at all")
    with pytest.raises(InputError, match="cannot read as GGUF"):
        row_from_gguf(bad)


def test_mix_bits_dense_model_has_equal_classes():
    arch = arch_from_row(row_from_config(config("llama-3.1-8b")))
    expert, other = mix_bits(arch, "llama", "Q4_K_M")
    assert expert == other == pytest.approx(4.8944, abs=1e-4)  # llama.cpp quantize README: 4.8944 bpw


def test_gguf_mla_header(tmp_path):
    """DeepSeek-style MLA as current converters write it: MQA head_count_kv 1, per-head sizes in
    key_length_mla / value_length_mla, attn_kv_b split into attn_k_b / attn_v_b."""
    h, heads, r_q, r_kv, nope, rope, v, ff, e, e_ff = 64, 4, 32, 32, 16, 8, 16, 96, 4, 32
    z = lambda *shape: np.zeros(shape, dtype=np.float32)  # noqa: E731
    tensors = {"token_embd.weight": z(VOCAB, h), "output.weight": z(VOCAB, h), "output_norm.weight": z(h)}
    for i in range(2):
        b = f"blk.{i}."
        tensors |= {b + "attn_norm.weight": z(h), b + "ffn_norm.weight": z(h), b + "attn_q_a.weight": z(r_q, h),
                    b + "attn_q_a_norm.weight": z(r_q), b + "attn_q_b.weight": z(heads * (nope + rope), r_q),
                    b + "attn_kv_a_mqa.weight": z(r_kv + rope, h), b + "attn_kv_a_norm.weight": z(r_kv),
                    b + "attn_k_b.weight": z(heads, r_kv, nope), b + "attn_v_b.weight": z(heads, v, r_kv),
                    b + "attn_output.weight": z(h, heads * v)}
        ffn = ({"ffn_gate": z(ff, h), "ffn_up": z(ff, h), "ffn_down": z(h, ff)} if i == 0 else
               {"ffn_gate_inp": z(e, h), "ffn_gate_exps": z(e, e_ff, h), "ffn_up_exps": z(e, e_ff, h),
                "ffn_down_exps": z(e, h, e_ff), "ffn_gate_shexp": z(e_ff, h), "ffn_up_shexp": z(e_ff, h),
                "ffn_down_shexp": z(h, e_ff)})
        tensors |= {f"{b}{name}.weight": a for name, a in ffn.items()}
    path = tmp_path / "mla.gguf"
    writer = GGUFWriter(path, "deepseek2")
    writer.add_file_type(LlamaFileType.ALL_F32)
    for add, value in ((writer.add_block_count, 2), (writer.add_context_length, 2048),
                       (writer.add_embedding_length, h), (writer.add_feed_forward_length, ff),
                       (writer.add_head_count, heads), (writer.add_head_count_kv, 1),
                       (writer.add_q_lora_rank, r_q), (writer.add_kv_lora_rank, r_kv),
                       (writer.add_key_length, r_kv + rope), (writer.add_value_length, r_kv),
                       (writer.add_key_length_mla, nope + rope), (writer.add_value_length_mla, v),
                       (writer.add_rope_dimension_count, rope), (writer.add_expert_count, e),
                       (writer.add_expert_used_count, 2), (writer.add_expert_shared_count, 1),
                       (writer.add_expert_feed_forward_length, e_ff), (writer.add_vocab_size, VOCAB)):
        add(value)
    for name, array in tensors.items():
        writer.add_tensor(name, array)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    row = row_from_gguf(path, as_of="2026-01-01")
    assert {k: row[k] for k in ("attention", "n_heads", "n_kv_heads", "q_lora_rank", "kv_lora_rank",
                                "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim", "n_dense_layers",
                                "vocab_size", "shared_intermediate_size")} == {
        "attention": "mla", "n_heads": heads, "n_kv_heads": heads, "q_lora_rank": r_q, "kv_lora_rank": r_kv,
        "qk_nope_head_dim": nope, "qk_rope_head_dim": rope, "v_head_dim": v, "n_dense_layers": 1,
        "vocab_size": VOCAB, "shared_intermediate_size": e_ff}
    assert count_params(arch_from_row(row)).total == sum(a.size for a in tensors.values())
    assert row["quant"]["F32"]["expert_bits_per_weight"] == row["quant"]["F32"]["other_bits_per_weight"] == 32.0
    assert row["kv_bytes_per_token_f16"] == 2 * (r_kv + rope) * 2
