"""The calibrated cost-model terms: neutral by default, and each acting the way its formula says."""

import numpy as np
import pytest

from catalogs import find_quant, load_catalog
from costmodel import BuildArrays, EngineProfile, Workload, evaluate, spec_from_arch
from costmodel.engine import cpu_peak_tflops, cpu_sync_seconds
from costmodel.links import LinkPlan, link_seconds
from costmodel.roofline import roofline, roofline_with_attention

BASE = EngineProfile.uniform(0.5)


def hardware(**changes) -> BuildArrays:
    fields = dict(gpu_count=1, gpu_vram_gb=24, gpu_bandwidth_gb_s=1008, gpu_tflops=165.2,
                  gpu_link_gb_s=31.5, cpu_tflops=[7.27, 7.27], ram_gb=768, ram_bandwidth_gb_s=614.4,
                  cpu_flop_per_cycle=[64, 0], cpu_cores=[32, 128])
    fields.update(changes)
    return BuildArrays.from_arrays(**fields)


def test_cpu_peak_counts_at_most_the_cap_per_cycle():
    hw = hardware()
    assert cpu_peak_tflops(hw, BASE) == pytest.approx([7.27, 7.27])  # no cap by default
    capped = cpu_peak_tflops(hw, BASE.with_values(cpu_flop_per_cycle_cap=32))
    assert capped == pytest.approx([7.27 / 2, 7.27])  # 64 FLOP/cycle halved; unknown kept


def test_attention_apart_adds_its_own_roofline():
    merged = roofline(10e9 + 2e9, 1e12 + 5e12, 500, 10, 0.5, 0.5)
    assert roofline_with_attention(10e9, 1e12, 2e9, 5e12, 500, 10, 0.5, 0.5, 0.0).time_s == \
        pytest.approx(merged.time_s)
    apart = roofline_with_attention(10e9, 1e12, 2e9, 5e12, 500, 10, 0.5, 0.5, 0.25)
    # weights: max(10e9 / 250e9, 1e12 / 5e12) = 0.2 s; attention: max(2e9 / 250e9, 5e12 / 2.5e12) = 2 s
    assert apart.time_s == pytest.approx(0.2 + 2.0)


def test_cpu_sync_grows_with_cores_and_layers():
    hw = hardware()
    layers = np.array([58.0, 61.0])
    assert cpu_sync_seconds(hw, BASE, layers) == pytest.approx([0.0, 0.0])
    t = cpu_sync_seconds(hw, BASE.with_values(cpu_sync_s_per_core_layer=5e-6), layers)
    assert t == pytest.approx([5e-6 * 32 * 58, 5e-6 * 128 * 61])


def test_copies_between_gpus_via_host_cross_pcie_twice():
    plan = LinkPlan(n_gpus_used=np.array([2.0]), hops_per_token=np.array([3.0]),
                    cpu_hops_per_token=np.array([2.0]), allreduces_per_token=np.array([0.0]),
                    link_gb_s=np.array([10.0]), fastest_link_gb_s=np.array([10.0]))
    one_hop_s = 1000 * 4e3 / 10e9  # 1000 tokens x 4 kB over 10 GB/s
    direct = link_seconds(plan, 1000, 1, 4e3, 1.0, 0.0)
    via_host = link_seconds(plan, 1000, 1, 4e3, 1.0, 0.0, gpu_copy_via_host=True)
    assert direct.total_s == pytest.approx(3 * one_hop_s)
    assert via_host.total_s == pytest.approx(2 * one_hop_s + 2 * one_hop_s)  # the GPU-GPU hop doubled
    # the parts: 2 hops between a card and the CPU, 1 between cards (doubled via the host)
    assert via_host.gpu_to_cpu_s == pytest.approx(2 * one_hop_s)
    assert via_host.gpu_to_gpu_s == pytest.approx(2 * one_hop_s)
    assert via_host.allreduce_s == pytest.approx(0.0)


@pytest.fixture(scope="module")
def deepseek():
    arch = load_catalog().model("deepseek-v3")
    return spec_from_arch(arch, find_quant(arch, "Q4_K_M"))


def test_latent_prefill_costs_more_attention_for_mla(deepseek):
    hw = hardware(cpu_tflops=7.27, cpu_flop_per_cycle=64, cpu_cores=32)
    work = Workload(prompt_tokens=512, decode_context_tokens=32768, prefill_start_tokens=32768,
                    placement="experts-cpu")
    plain = evaluate(deepseek, hw, work, BASE)
    latent = evaluate(deepseek, hw, work, BASE.with_values(latent_attention_prefill=True))
    assert latent.prefill.gpus_s[0] > plain.prefill.gpus_s[0]
    assert latent.decode.total_s[0] == pytest.approx(plain.decode.total_s[0])


def test_stream_always_streams_even_when_the_cpu_is_faster(deepseek):
    hw = hardware(cpu_tflops=100.0, cpu_flop_per_cycle=0, cpu_cores=32, gpu_link_gb_s=4.0)
    work = Workload(prompt_tokens=512, decode_context_tokens=512, placement="experts-cpu")
    chooses = evaluate(deepseek, hw, work, BASE)
    forced = evaluate(deepseek, hw, work, BASE.with_values(stream_always=True))
    assert not chooses.prefill.streamed[0] and forced.prefill.streamed[0]
    assert forced.prefill.total_s[0] > chooses.prefill.total_s[0]
