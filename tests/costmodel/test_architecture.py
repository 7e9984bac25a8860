"""Parameter counts against the totals llama.cpp prints and models.md derives."""

import pytest

from costmodel import ModelArch, count_params

DEEPSEEK_V3 = ModelArch(
    id="deepseek-v3", name="DeepSeek-V3", n_layers=61, n_dense_layers=3, hidden_size=7168,
    vocab_size=129280, attention="mla", n_heads=128, n_kv_heads=128, q_lora_rank=1536,
    kv_lora_rank=512, qk_nope_head_dim=128, qk_rope_head_dim=64, v_head_dim=128,
    dense_intermediate_size=18432, moe_intermediate_size=2048, n_routed_experts=256,
    experts_per_token=8, n_shared_experts=1, shared_intermediate_size=2048,
)
QWEN3_235B = ModelArch(
    id="qwen3-235b-a22b", name="Qwen3-235B-A22B", n_layers=94, n_dense_layers=0, hidden_size=4096,
    vocab_size=151936, attention="gqa", n_heads=64, n_kv_heads=4, head_dim=128, qk_norm=True,
    moe_intermediate_size=1536, n_routed_experts=128, experts_per_token=8,
)
GPT_OSS_120B = ModelArch(
    id="gpt-oss-120b", name="GPT-OSS-120B", n_layers=36, n_dense_layers=0, hidden_size=2880,
    vocab_size=201088, attention="gqa", n_heads=64, n_kv_heads=8, head_dim=64, attention_bias=True,
    moe_intermediate_size=2880, n_routed_experts=128, experts_per_token=4, expert_bias=True,
    sliding_window=128, n_sliding_layers=18,
)


def test_deepseek_attention_per_layer_matches_models_md():
    # 11.01M + 37.75M + 4.13M + 16.78M + 117.44M = 187,105,280 (models.md, Formulas)
    assert count_params(DEEPSEEK_V3).attention_per_layer == 187_105_280


@pytest.mark.parametrize("arch, total_b, active_b", [
    (DEEPSEEK_V3, 671.026, 37.55),  # llama.cpp: model params = 671.026 B
    (QWEN3_235B, 235.094, 22.19),  # llama.cpp: 235.094 B
    (GPT_OSS_120B, 116.83, 5.71),  # llama.cpp: 116.83 B
])
def test_totals(arch, total_b, active_b):
    counts = count_params(arch)
    assert counts.total / 1e9 == pytest.approx(total_b, rel=5e-4)
    assert counts.active_per_token / 1e9 == pytest.approx(active_b, rel=5e-3)


def test_always_active_plus_routed_is_total():
    c = count_params(DEEPSEEK_V3)
    # 58 MoE layers * 256 experts * 3 * 7168 * 2048 = 653.909e9 routed parameters
    assert c.routed_total == 58 * 256 * 3 * 7168 * 2048
    assert c.always_active + c.routed_total == c.total
