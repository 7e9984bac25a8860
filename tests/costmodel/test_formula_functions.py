"""The pure formula functions on scalars, arrays, zeros and NaN."""

import numpy as np
import pytest

from costmodel.attention import attended_positions_sum
from costmodel.experts import touched_expert_fraction
from costmodel.kv_cache import kv_cache_bytes
from costmodel.memory_bandwidth import ram_bandwidth_gb_s
from costmodel.roofline import roofline


def test_kv_cache_qwen3_matches_llama_cpp_log():
    # llama.cpp: 752.00 MiB f16 KV for 4096 tokens of Qwen3-235B (94 layers, 4 KV heads of 128)
    assert kv_cache_bytes(4096, 2 * 4 * 128, 2.0, 94) == 752 * 2**20


def test_kv_cache_sliding_window_caps_window_layers():
    # GPT-OSS: 18 full + 18 window-128 layers, 1024 elements, 2 B: at 1000 tokens
    # 1024 * 2 * (18 * 1000 + 18 * 128) = 41,582,592 B
    assert kv_cache_bytes(1000, 1024, 2.0, 36, 18, 128) == 1024 * 2 * (18 * 1000 + 18 * 128)


def test_kv_cache_scalar_equals_array_element():
    arr = kv_cache_bytes(np.array([0, 10, 4096]), 576, 2.0, 61)
    assert arr[2] == kv_cache_bytes(4096, 576, 2.0, 61)
    assert arr[0] == 0


def test_attended_positions_full_and_window():
    # 3 tokens after 2 cached attend 3 + 4 + 5 = 12 positions
    assert attended_positions_sum(2, 3) == 12
    # window 4: the same tokens attend min(3,4) + min(4,4) + min(5,4) = 11
    assert attended_positions_sum(2, 3, 4) == 11
    # all past the window: 5 tokens after 100 attend 4 each
    assert attended_positions_sum(100, 5, 4) == 20


def test_attended_positions_square_growth():
    # n (n + 1) / 2 from an empty cache: doubling n roughly quadruples the work
    assert attended_positions_sum(0, 4096) == 4096 * 4097 / 2
    ratio = attended_positions_sum(0, 8192) / attended_positions_sum(0, 4096)
    assert 3.99 < ratio < 4.01


def test_touched_fraction_values():
    # DeepSeek k/E = 8/256: 1 token 3.125 %, 32 tokens 1 - (31/32)^32 = 0.6379
    assert touched_expert_fraction(1, 8, 256) == pytest.approx(0.03125)
    assert touched_expert_fraction(32, 8, 256) == pytest.approx(1 - (31 / 32) ** 32)
    assert touched_expert_fraction(0, 8, 256) == 0
    assert touched_expert_fraction(5, 0, 0) == 0
    assert np.isnan(touched_expert_fraction(np.nan, 8, 256))


def test_roofline_takes_the_larger_term():
    t = roofline(np.array([1e9, 1e9]), np.array([1e9, 1e14]), 100.0, 10.0, 1.0, 1.0)
    # 1e9 B / 100 GB/s = 10 ms vs 1e9 / 10e12 = 0.1 ms; and 1e14 / 10e12 = 10 s
    assert t.time_s.tolist() == pytest.approx([0.01, 10.0])
    assert t.memory_bound.tolist() == [True, False]


def test_roofline_absent_device_takes_no_time():
    t = roofline(0.0, 0.0, 0.0, 0.0, 0.5, 0.5)
    assert t.time_s == 0


def test_roofline_nan_propagates():
    t = roofline(np.nan, 1.0, 100.0, 10.0, 0.5, 0.5)
    assert np.isnan(t.memory_s)


def test_ram_bandwidth_caps():
    # 8 modules of 38.4 GB/s on 12 channels: 307.2; 16 modules on 12 channels: 12 * 38.4 = 460.8
    assert ram_bandwidth_gb_s(8, 38.4, 12) == pytest.approx(307.2)
    assert ram_bandwidth_gb_s(16, 38.4, 12) == pytest.approx(460.8)
    # 4 CCDs at 1.8 GHz: 4 * 32 * 1.8 = 230.4 GB/s cap
    assert ram_bandwidth_gb_s(8, 51.2, 8, 4, 1.8) == pytest.approx(230.4)
    # unknown channels: the request's n * b
    assert ram_bandwidth_gb_s(8, 35, 0) == pytest.approx(280)
