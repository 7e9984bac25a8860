"""Bad input raises errors that name the field and the allowed range."""

import math

import pytest

from costmodel import GPU, LLM, RAM, BuildArrays, InputError, Motherboard, Workload

from .helpers import build, moe_llm


def test_negative_bandwidth_names_field_and_range():
    with pytest.raises(InputError, match=r"memory_bw_gbps' = -5.*allowed: 0 < value"):
        GPU("bad", 100, vram_gb=24, memory_bw_gbps=-5, tflops=35)


def test_zero_vram_rejected():
    with pytest.raises(InputError, match="vram_gb"):
        GPU("bad", 100, vram_gb=0, memory_bw_gbps=900, tflops=35)


def test_nan_rejected_but_missing_price_allowed():
    with pytest.raises(InputError, match=r"capacity_gb' is NaN"):
        RAM("bad", 100, capacity_gb=math.nan, memory_bw_per_module_gbps=35)
    assert not RAM("no price", math.nan, capacity_gb=64, memory_bw_per_module_gbps=35).has_price


def test_kv_cache_bpw_in_bits_is_rejected_as_bytes():
    with pytest.raises(InputError, match="bytes per KV element, not bits"):
        build(1).performance(moe_llm(), 1024, kv_cache_bpw=16)


def test_context_beyond_model_limit():
    llm = moe_llm(max_context_tokens=4096)
    with pytest.raises(InputError, match=r"8192 tokens exceeds the model's limit; allowed: 0 <= tokens <= 4096"):
        build(1).performance(llm, 8192)


def test_llm_active_above_total():
    with pytest.raises(InputError, match="active_parameters_per_token"):
        LLM("bad", 10, 20, 5, 0, 0, 4096)


def test_unknown_placement():
    with pytest.raises(InputError, match="placement.*allowed: auto, gpu, cpu"):
        Workload(prompt_tokens=10, decode_context_tokens=0, placement="everywhere")


def test_build_arrays_negative_value_names_index():
    with pytest.raises(InputError, match=r"ram_bandwidth_gb_s' at index \(1,\) = -1.0"):
        BuildArrays.from_arrays(gpu_count=[1, 1], gpu_vram_gb=24, gpu_bandwidth_gb_s=900,
                                gpu_tflops=70, gpu_link_gb_s=31.5, cpu_tflops=2, ram_gb=256,
                                ram_bandwidth_gb_s=[100, -1])


def test_too_many_gpus_for_board():
    b = build(1)
    b.gpus = b.gpus * 3
    with pytest.raises(InputError, match="3 GPUs but motherboard 'board' has 1 PCIe slots"):
        b.performance(moe_llm(), 10)


def test_model_too_big_reports_shortfall():
    small = build(0, ram_modules=1)  # 32 GB RAM, 22 GB model fits; make the model 10x bigger
    r = small.performance(moe_llm(bits_per_weight=16), 10)
    # 4e9 * 2 + 40e9 * 2 = 88 GB > 32 GB: short by 56 GB
    assert r["fits"] is False
    assert r["reason"] == "RAM short by 56.0 GB"
    assert r["decode_tokens_per_s"] is None


def test_gpu_placement_needs_vram():
    r = build(1).performance(moe_llm(), 10, placement="gpu")
    # needs 22 GB + 0 KV on one card with 23.366 GB usable: fits. With 16-bit weights (88 GB) it does not.
    assert r["fits"] is True
    r = build(1).performance(moe_llm(bits_per_weight=16), 10, placement="gpu")
    assert r["fits"] is False and r["reason"].startswith("VRAM short")


def test_motherboard_slot_lanes_range():
    with pytest.raises(InputError, match="slot_lanes"):
        Motherboard("b", 100, ram_slots=8, pcie_slots=2, slot_lanes=(16, 32))
