"""Properties that must hold for every build (hypothesis)."""

from dataclasses import replace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from costmodel import BuildArrays, EngineProfile, Quantization, Workload, evaluate, spec_from_arch
from costmodel.placement import FIT_RAM_SHORT

from .test_architecture import DEEPSEEK_V3, GPT_OSS_120B, QWEN3_235B

SPECS = [spec_from_arch(a, Quantization("q", 4.8, 6.0))
         for a in (DEEPSEEK_V3, QWEN3_235B, GPT_OSS_120B)]
ENGINE = EngineProfile("test", 0.7, 0.5, 0.55, 0.5, 0.8, decode_token_overhead_s=1e-3,
                       hop_latency_s=2e-5, ram_reserve_gb=2.0)

builds = st.fixed_dictionaries({
    "gpu_count": st.lists(st.integers(0, 8), min_size=2, max_size=2),
    "gpu_vram_gb": st.lists(st.floats(8, 96), min_size=2, max_size=2),
    "gpu_bandwidth_gb_s": st.lists(st.floats(200, 3000), min_size=2, max_size=2),
    "gpu_tflops": st.lists(st.floats(10, 500), min_size=2, max_size=2),
    "gpu_link_gb_s": st.lists(st.sampled_from([7.9, 15.75, 31.5, 63.0]), min_size=2, max_size=2),
    "cpu_tflops": st.floats(0.3, 20),
    "ram_gb": st.floats(64, 2048),
    "ram_bandwidth_gb_s": st.floats(50, 900),
})
workloads = st.builds(
    Workload,
    prompt_tokens=st.integers(1, 16384),
    decode_context_tokens=st.integers(0, 32768),
    ubatch_tokens=st.sampled_from([128, 512, 2048, 4096]),
    kv_bytes_per_element=st.sampled_from([2.0, 1.0625, 0.5625]),
    placement=st.sampled_from(["auto", "experts-cpu", "cpu"]),
    split=st.sampled_from(["layer", "tensor"]),
)


def to_arrays(b: dict) -> BuildArrays:
    return BuildArrays.from_arrays(**{k: [v] for k, v in b.items()})


def scaled(b: dict, key: str, factor: float) -> dict:
    out = dict(b)
    out[key] = [x * factor for x in b[key]] if isinstance(b[key], list) else b[key] * factor
    return out


@settings(max_examples=60, deadline=None)
@given(b=builds, w=workloads, which=st.integers(0, 2),
       key=st.sampled_from(["gpu_bandwidth_gb_s", "gpu_tflops", "gpu_link_gb_s", "cpu_tflops",
                            "ram_bandwidth_gb_s"]),
       factor=st.floats(1.0, 4.0))
def test_more_bandwidth_or_compute_is_never_slower(b, w, which, key, factor):
    spec = SPECS[which]
    before = evaluate(spec, to_arrays(b), w, ENGINE)
    after = evaluate(spec, to_arrays(scaled(b, key, factor)), w, ENGINE)
    if before.fits[0]:
        assert after.decode.total_s[0] <= before.decode.total_s[0] * (1 + 1e-12)
        assert after.prefill.total_s[0] <= before.prefill.total_s[0] * (1 + 1e-12)


@settings(max_examples=60, deadline=None)
@given(b=builds, w=workloads, which=st.integers(0, 2), extra=st.integers(1, 30000))
def test_longer_context_is_never_faster(b, w, which, extra):
    spec = SPECS[which]
    longer = replace(w, decode_context_tokens=w.decode_context_tokens + extra)
    short = evaluate(spec, to_arrays(b), w, ENGINE)
    long = evaluate(spec, to_arrays(b), longer, ENGINE)
    if short.fits[0] and long.fits[0]:
        assert long.decode.total_s[0] >= short.decode.total_s[0] * (1 - 1e-12)


@settings(max_examples=80, deadline=None)
@given(b=builds, w=workloads, which=st.integers(0, 2))
def test_placement_conserves_bytes_and_respects_capacity(b, w, which):
    spec = SPECS[which]
    hw = to_arrays(b)
    pl = evaluate(spec, hw, w, ENGINE).placement
    count = hw.gpu_count[0]
    gpu_weights = (count * pl.gpu_weights_bytes[0]).sum()
    expected = spec.always_active_bytes + spec.routed_bytes + spec.input_embedding_bytes
    assert np.isclose(gpu_weights + pl.ram_weights_bytes[0], expected, rtol=1e-9)
    usable = np.maximum(hw.gpu_vram_gb[0] * 1e9 - pl.gpu_reserve_bytes, 0)
    held = pl.gpu_weights_bytes[0] + pl.gpu_kv_bytes[0]
    assert np.all(held <= usable * (1 + 1e-9) + 1)
    assert np.all(pl.gpu_free_bytes[0] >= -1)
    # fits is false exactly when the RAM is short (auto, experts-cpu and cpu need no VRAM minimum)
    assert bool(pl.fits[0]) == bool(pl.ram_free_bytes[0] >= 0)
    if not pl.fits[0]:
        assert pl.fit_code[0] == FIT_RAM_SHORT


@settings(max_examples=30, deadline=None)
@given(bs=st.lists(builds, min_size=2, max_size=6), w=workloads, which=st.integers(0, 2))
def test_batch_equals_each_build_alone(bs, w, which):
    spec = SPECS[which]
    batch = BuildArrays.from_arrays(**{k: [b[k] for b in bs] for k in bs[0]})
    together = evaluate(spec, batch, w, ENGINE)
    for i, b in enumerate(bs):
        alone = evaluate(spec, to_arrays(b), w, ENGINE)
        np.testing.assert_allclose(together.decode.total_s[i], alone.decode.total_s[0], rtol=1e-12)
        np.testing.assert_allclose(together.prefill.total_s[i], alone.prefill.total_s[0], rtol=1e-12)
        assert together.fits[i] == alone.fits[0]
