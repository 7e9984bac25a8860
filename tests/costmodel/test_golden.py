"""Golden numbers computed by hand from docs/formulas.md (arithmetic in the comments).

Common: efficiency 0.5 everywhere (the request's uniform model), reserve per card
0.5 GB + 512 * 4 * 16 * 4096 B = 0.634217728 GB, links PCIe 4.0 x16 = 16 * 1.969 = 31.504 GB/s,
activations 4 H = 16,384 B per token.
"""

import pytest

from costmodel import LLM

from .helpers import build, moe_llm

REL = 1e-4


def test_single_gpu_dense_all_in_vram():
    # dense 8 B model at 8 bits: 8 GB; KV 131,072 elements/token at 2 B = 262,144 B/token; L = 32
    llm = LLM("dense-8b", 8, 8, 8, 0, 131072e-9, 4096, bits_per_weight=8, efficiency_factor=0.5,
              n_layers=32)
    r = build(1).performance(llm, 1000, kv_cache_bpw=2)
    # decode: bytes 8e9 + 262,144 * 1000 = 8.262144e9 -> / (1000e9 * 0.5) = 16.524288 ms
    # FLOPs 2 * 8e9 + 4 * 4096 * 32 * 1001 = 16.5248e9 -> / 50e12 = 0.33 ms: memory-bound
    assert r["time_per_output_token_s"] == pytest.approx(16.524288e-3, rel=REL)
    assert r["bottleneck_decode"] == {"device": "gpu", "bound": "memory"}
    # prefill 1000 tokens in 2 micro-batches: FLOPs 2 * 1000 * 8e9 + 4 * 4096 * 32 * (1000 * 1001 / 2)
    # = 1.6e13 + 524,288 * 500,500 = 1.6262406e13 -> / 50e12 = 0.32524812 s (memory: 2 * 8.13e9
    # / 500e9 = 0.0325 s)
    assert r["time_to_first_token_s"] == pytest.approx(0.32524812, rel=REL)
    assert r["prefill_tokens_per_s"] == pytest.approx(1000 / 0.32524812, rel=REL)
    assert r["bottleneck_prefill"]["bound"] == "compute"


def test_two_gpus_moe_all_in_vram():
    # U = 2 * (24 - 0.634217728) = 46.73 GB >= 2 + 20 GB: all on the GPUs, half on each card
    r = build(2).performance(moe_llm(), 0, prompt_tokens=512)
    assert r["experts_ram_gb"] == 0
    # decode per card: 1 GB + 10 GB * 0.25 = 3.5 GB -> / 500 GB/s = 7 ms; two cards 14 ms
    # one hop between cards: 16,384 B / (31.504e9 * 0.5) = 1.0401 us
    assert r["time_per_output_token_s"] == pytest.approx(14e-3 + 16384 / 15.752e9, rel=REL)
    assert r["breakdown_decode"]["links"]["gpu_to_gpu_s"] == pytest.approx(16384 / 15.752e9, rel=REL)
    # prefill 512 tokens, 1 micro-batch: per card FLOPs 2 * 512 * (2e9 + 20e9 * 0.25) = 7.168e12
    # + attention 4 * 4096 * 20 * (512 * 513 / 2) = 327,680 * 131,328 = 4.3034e10 -> 7.21103e12
    # / 50e12 = 0.1442207 s; two cards 0.2884414 s; hop 512 * 16,384 / 15.752e9 = 0.53255 ms
    expected = 2 * (7.168e12 + 327680 * 131328) / 50e12 + 512 * 16384 / 15.752e9
    assert r["time_to_first_token_s"] == pytest.approx(expected, rel=REL)


def test_experts_on_cpu():
    r = build(1).performance(moe_llm(), 0, prompt_tokens=1, placement="experts-cpu")
    # GPU: 2 GB -> 4 ms. CPU: 20 GB * 0.25 = 5 GB / (8 * 40 * 0.5 = 160 GB/s) = 31.25 ms
    # (FLOPs 2 * 40e9 * 0.25 = 20e9 / 1e12 = 20 ms, so memory-bound)
    # hops: 2 per MoE layer with experts in RAM = 80, each 16,384 / 15.752e9 s
    expected = 4e-3 + 31.25e-3 + 80 * 16384 / 15.752e9
    assert r["time_per_output_token_s"] == pytest.approx(expected, rel=REL)
    assert r["bottleneck_decode"] == {"device": "cpu", "bound": "memory"}
    assert r["hops_per_token"] == pytest.approx(80)
    # per link use: all 80 hops run between the card and the CPU, none between cards
    links = r["breakdown_decode"]["links"]
    assert links["gpu_to_cpu_s"] == pytest.approx(80 * 16384 / 15.752e9, rel=REL)
    assert links["gpu_to_gpu_s"] == 0 and links["allreduce_s"] == 0


def test_cpu_only():
    r = build(0).performance(moe_llm(), 0, prompt_tokens=1)
    # RAM: 2 GB + 20 GB * 0.25 = 7 GB / 160 GB/s = 43.75 ms; FLOPs 2 * (4e9 + 10e9) = 28e9 / 1e12 = 28 ms
    assert r["time_per_output_token_s"] == pytest.approx(43.75e-3, rel=REL)
    assert r["decode_tokens_per_s"] == pytest.approx(1 / 43.75e-3, rel=REL)
    assert r["placement"][-1]["weights_gb"] == pytest.approx(22.0)


def test_cpu_only_prefill_is_compute_bound():
    r = build(0).performance(moe_llm(), 0, prompt_tokens=512)
    # 512 tokens, 1 micro-batch touching 1 - 0.75^512 ~ 1 of the experts: bytes 22 GB / 160 = 0.1375 s
    # FLOPs 2 * 512 * 14e9 + 4 * 4096 * 40 * 131,328 = 1.4336e13 + 8.6068e10 = 1.44221e13 / 1e12 = 14.42 s
    expected = (2 * 512 * 14e9 + 4 * 4096 * 40 * 131328) / 1e12
    assert r["time_to_first_token_s"] == pytest.approx(expected, rel=REL)
    assert r["bottleneck_prefill"] == {"device": "cpu", "bound": "compute"}


def test_stream_beats_cpu_for_long_prompt_and_not_for_short():
    llm = moe_llm()
    long = build(1).performance(llm, 0, prompt_tokens=4096, placement="experts-cpu")
    short = build(1).performance(llm, 0, prompt_tokens=8, placement="experts-cpu")
    # long: 8 micro-batches * 20 GB / (31.504 * 0.5 GB/s) = 10.16 s streamed vs CPU FLOPs
    # 2 * 4096 * 10e9 / 1e12 = 81.9 s: streaming wins. short (8 tokens < 32): the CPU computes.
    assert long["breakdown_prefill"]["ram_weights"] == "streamed-to-gpu"
    assert short["breakdown_prefill"]["ram_weights"] == "computed-on-cpu"
    # break-even: 20 GB / 15.752 GB/s = 1.2697 s per micro-batch; CPU per token 2 * 10e9 / 1e12 = 20 ms
    # minus GPU per token 2 * 10e9 / 50e12 = 0.4 ms -> 1.2697 / 0.0196 = 64.78 tokens
    assert long["stream_break_even_prompt_tokens"] == pytest.approx(20e9 / 15.752e9 / 0.0196, rel=1e-3)
