"""A measured case as cost-model inputs: the prediction equals a direct costmodel call; regimes,
error summaries and ranges; ranges and warnings in build_report."""

import math

import numpy as np
import pytest

from catalogs import find_quant, load_catalog
from costmodel import BuildArrays, EngineProfile, Workload, evaluate, spec_from_arch
from costmodel.calibration import GpuGroup, MeasuredCase, case_regime, predict_case, prepare, scaled_quant
from costmodel.regimes import Accuracy, RatioRange, classify_regime, ratio_ranges, summarize_errors
from costmodel.report import build_report

ENGINE = EngineProfile("test", 0.7, 0.6, 0.55, 0.8, 0.7, hop_latency_s=5e-5,
                       cpu_sync_s_per_core_layer=5e-6, cpu_attention_eff=0.5, gpu_attention_eff=0.5)


def hybrid_case(**changes) -> MeasuredCase:
    arch = load_catalog().model("deepseek-v3")
    fields = dict(
        case_id="c-1", source="src A", engine="ik_llama.cpp", arch=arch,
        quant=find_quant(arch, "Q4_K_M"), weights_gb=404.425, placement="experts-cpu", n_cpu_moe=0,
        split="layer", ubatch_tokens=512, context_tokens=4096, prompt_tokens=512,
        kv_bytes_per_element=2.0, gpus=(GpuGroup("RTX 4090", 1, 24.0, 1008.0, 165.2, 31.5),),
        cpu_model="AMD EPYC 9355", cpu_tflops=7.2704, cpu_sockets=1, ram_gb=768.0,
        ram_bandwidth_gb_s=614.4, cpu_flop_per_cycle=64.0, cpu_cores=32,
        measured_prefill_tokens_per_s=100.0, measured_decode_tokens_per_s=10.0)
    fields.update(changes)
    return MeasuredCase(**fields)


def test_prediction_equals_direct_costmodel_call():
    case = hybrid_case()
    pred = predict_case(prepare(case), ENGINE)
    arch = case.arch
    spec = spec_from_arch(arch, scaled_quant(arch, case.quant, 404.425))
    hw = BuildArrays.from_arrays(gpu_count=1, gpu_vram_gb=24, gpu_bandwidth_gb_s=1008, gpu_tflops=165.2,
                                 gpu_link_gb_s=31.5, cpu_tflops=7.2704, ram_gb=768,
                                 ram_bandwidth_gb_s=614.4, cpu_flop_per_cycle=64, cpu_cores=32)
    workload = Workload(prompt_tokens=512, decode_context_tokens=4096, prefill_start_tokens=4096,
                        placement="experts-cpu")
    est = evaluate(spec, hw, workload, ENGINE)
    assert pred.decode_tokens_per_s == pytest.approx(float(est.decode_tokens_per_s[0]), rel=1e-12)
    assert pred.prefill_tokens_per_s == pytest.approx(float(est.prefill_tokens_per_s[0]), rel=1e-12)


def test_weights_gb_rescales_bits_keeping_their_ratio():
    case = hybrid_case()
    quant = scaled_quant(case.arch, case.quant, 300.0)
    spec = spec_from_arch(case.arch, quant)
    total = spec.always_active_bytes + spec.routed_bytes + spec.input_embedding_bytes
    assert total == pytest.approx(300e9)
    assert quant.expert_bits_per_weight / quant.other_bits_per_weight == pytest.approx(
        case.quant.expert_bits_per_weight / case.quant.other_bits_per_weight)


def test_unknown_cpu_peak_predicts_decode_and_streamed_prompts_only():
    case = hybrid_case(cpu_tflops=0.0, ubatch_tokens=4096, prompt_tokens=4096)
    streamed = predict_case(prepare(case), ENGINE.with_values(stream_min_ubatch=1024))
    assert math.isfinite(streamed.decode_tokens_per_s) and math.isfinite(streamed.prefill_tokens_per_s)
    on_cpu = predict_case(prepare(case), ENGINE.with_values(stream_min_ubatch=10**9))
    assert math.isnan(on_cpu.prefill_tokens_per_s) and "cpu_tflops unknown" in on_cpu.prefill_reason
    assert math.isfinite(on_cpu.decode_tokens_per_s)


def test_case_without_inputs_has_reason():
    pred = predict_case(prepare(hybrid_case(arch=None, quant=None, reason="unknown model 'x'")), ENGINE)
    assert math.isnan(pred.decode_tokens_per_s) and pred.decode_reason == "unknown model 'x'"


@pytest.mark.parametrize(("changes", "regime"), [
    ({}, "experts-in-ram"),
    ({"placement": "cpu", "gpus": ()}, "cpu-only"),
    ({"placement": "gpu", "arch": None, "reason": "x"}, "vram-1-gpu"),
    ({"placement": "gpu", "gpus": (GpuGroup("RTX 4090", 4, 24.0, 1008.0, 165.2, 31.5),),
      "arch": None, "reason": "x"}, "vram-multi-gpu"),
])
def test_regime_of_case(changes, regime):
    case = hybrid_case(**changes)
    assert case_regime(case, predict_case(prepare(case), ENGINE).estimate) == regime


def test_classify_regime_arrays():
    assert classify_regime(np.array([0, 1, 1, 3]), np.array([1.0, 0.5, 0.0, 0.0])) == [
        "cpu-only", "experts-in-ram", "vram-1-gpu", "vram-multi-gpu"]


def test_summary_median_share_and_worst():
    measured = np.array([[100.0, 10.0], [100.0, 10.0], [np.nan, 10.0], [100.0, 10.0]])
    log_ratio = np.log(np.array([[1.1, 1.0], [2.0, 0.8], [np.nan, 1.3], [np.nan, 1.05]]))
    (pre, dec) = [s for s in summarize_errors(["a", "b", "c", "d"], ["cpu-only"] * 4, measured, log_ratio)
                  if s.regime == "cpu-only"]
    assert (pre.n_measured, pre.n_predicted) == (3, 2)
    assert pre.median_abs_error_frac == pytest.approx((0.1 + 1.0) / 2)
    assert pre.worst[0] == ("b", pytest.approx(2.0))
    assert dec.median_abs_error_frac == pytest.approx((0.05 + 0.2) / 2)  # |0|, .05, .2, .3
    assert dec.within_25_frac == pytest.approx(3 / 4)


def test_ranges_are_quantiles_and_pool_small_regimes():
    log_ratio = np.column_stack([np.log(np.linspace(0.5, 1.5, 20)), np.full(20, np.nan)])
    regimes = ["experts-in-ram"] * 18 + ["cpu-only"] * 2
    ranges = ratio_ranges(regimes, log_ratio)
    mine = ranges[("experts-in-ram", "prefill")]
    expected = np.quantile(1 / np.linspace(0.5, 1.5, 20)[:18], [0.1, 0.9])
    assert (mine.low, mine.high, mine.n, mine.pooled) == (
        pytest.approx(expected[0]), pytest.approx(expected[1]), 18, False)
    assert ranges[("cpu-only", "prefill")].pooled and ranges[("cpu-only", "prefill")].n == 20
    assert ("cpu-only", "decode") not in ranges


def test_report_ranges_and_warnings():
    case = hybrid_case(context_tokens=65536)
    prepared = prepare(case)
    spec, hw, workload = prepared.inputs
    acc = Accuracy(ranges={("experts-in-ram", "decode"): RatioRange(0.8, 1.2, 30),
                           ("experts-in-ram", "prefill"): RatioRange(0.5, 2.0, 30, pooled=True)},
                   gpu_models=("RTX 3090",), max_context_tokens=32768, engine_covered=False)
    profiled = ENGINE.with_values(accuracy=acc)
    report = build_report(evaluate(spec, hw, workload, profiled), 0, ["GeForce RTX 4090"], [1],
                          engine=profiled, context_tokens=65536)
    assert report["regime"] == "experts-in-ram"
    assert report["decode_tokens_per_s_range"] == pytest.approx(
        [0.8 * report["decode_tokens_per_s"], 1.2 * report["decode_tokens_per_s"]])
    text = " | ".join(report["warnings"])
    for part in ("GPU 'GeForce RTX 4090'", "deeper than the calibration data",
                 "few calibration measurements of this engine", "few calibration cases"):
        assert part in text
    uniform = EngineProfile.uniform(0.5)
    plain = build_report(evaluate(spec, hw, workload, uniform), 0, ["RTX 4090"], [1], engine=uniform)
    assert plain["decode_tokens_per_s_range"] is None and plain["warnings"] == []
