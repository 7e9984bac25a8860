"""Prompt processing: P new tokens in micro-batches of u. docs/formulas.md, section Prefill."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .attention import attended_positions_sum, attention_flops
from .build_arrays import BuildArrays
from .engine import EngineProfile, cpu_peak_tflops
from .experts import touched_expert_fraction
from .kv_cache import kv_cache_bytes
from .links import LinkPlan, link_seconds
from .model_spec import ModelSpec
from .phase import PhaseTime, Resident, combine_gpus
from .placement import Placement
from .roofline import compute_seconds, roofline_with_attention, transfer_seconds
from .workload import Workload


@dataclass(frozen=True)
class PrefillResult:
    time: PhaseTime
    break_even_prompt_tokens: NDArray[np.float64]  # (n,) prompt length where streaming starts to win


def prefill_time(spec: ModelSpec, hw: BuildArrays, placement: Placement, res: Resident,
                 links: LinkPlan, workload: Workload, engine: EngineProfile) -> PrefillResult:
    """Seconds to process the prompt.

    n_ub = ceil(P / u) micro-batches of mean size u' = P / n_ub. Per micro-batch each device reads its
    resident always-active weights once and the routed experts the batch touches,
    touched(u') = 1 - (1 - k/E)^u'. Per device d:
      bytes_d = n_ub (A_d + X_d touched(u') + KV_d(C_mid))
      FLOPs_d = 2 P (A_d' + X_d' k/E) + share_d F_attn(prompt)       (F_attn grows with P^2)
    RAM-resident weights: the faster of computing them on the CPU (roofline above with B = RAM) and
    streaming them to the GPU with the fastest link once per micro-batch and computing there,
      t_stream = n_ub * W_stream / (p eta_link) + FLOPs_ram / (F_gpu eta_comp),
    where W_stream = A_ram + X_ram (llama.cpp copies whole tensors) or A_ram + X_ram touched(u')
    (ik_llama.cpp copies only touched experts); allowed only when u' >= the engine's threshold, and
    always taken then when the engine decides by batch size (stream_always). With
    latent_attention_prefill, MLA prompt attention costs the absorbed-weight FLOPs per position
    (the decode figure).
    Attention over the KV cache is timed apart from the weights when the engine's attention
    efficiency is set (roofline.roofline_with_attention).
    """
    p = workload.prompt_tokens
    start = workload.prefill_start_tokens
    n_ub = float(workload.ubatch_count)
    u_mean = workload.mean_ubatch_tokens
    k_over_e = spec.active_fraction
    touched = float(touched_expert_fraction(u_mean, spec.experts_per_token, spec.n_routed_experts))
    kv_mid = kv_cache_bytes(start + p / 2.0, spec.kv_elements_per_token_per_layer,
                            workload.kv_bytes_per_element, spec.n_layers, spec.n_window_layers,
                            spec.window_tokens)
    attn_per_position = (spec.attn_flops_decode_per_position_per_layer if engine.latent_attention_prefill
                         else spec.attn_flops_prefill_per_position_per_layer)
    attn_total = attention_flops(
        attn_per_position,
        attended_positions_sum(start, p),
        attended_positions_sum(start, p, spec.window_tokens),
        spec.n_layers, spec.n_window_layers,
    )

    card = roofline_with_attention(
        n_ub * (res.card_dense_bytes + res.card_expert_bytes * touched),
        2.0 * p * (res.card_dense_params + res.card_expert_params * k_over_e),
        n_ub * res.card_layer_frac * kv_mid, res.card_layer_frac * attn_total,
        hw.gpu_bandwidth_gb_s, hw.gpu_tflops, engine.gpu_memory_eff, engine.gpu_compute_eff,
        engine.gpu_attention_eff)

    ram_weight_flops = 2.0 * p * (res.ram_dense_params + res.ram_expert_params * k_over_e)
    ram_flops = ram_weight_flops + res.ram_layer_frac * attn_total
    cpu = roofline_with_attention(
        n_ub * (res.ram_dense_bytes + res.ram_expert_bytes * touched), ram_weight_flops,
        n_ub * res.ram_layer_frac * kv_mid, res.ram_layer_frac * attn_total,
        hw.ram_bandwidth_gb_s, cpu_peak_tflops(hw, engine), engine.cpu_memory_eff, engine.cpu_compute_eff,
        engine.cpu_attention_eff)

    expert_stream_share = touched if engine.stream_touched_only else 1.0
    stream_bytes_per_ub = res.ram_dense_bytes + res.ram_expert_bytes * expert_stream_share
    best_gpu_tflops = np.where(placement.gpu_used, hw.gpu_tflops, 0.0).max(axis=1)
    stream_link_s = transfer_seconds(n_ub * stream_bytes_per_ub, links.fastest_link_gb_s, engine.link_eff)
    stream_compute_s = compute_seconds(ram_flops, best_gpu_tflops, engine.gpu_compute_eff)
    stream_s = stream_link_s + stream_compute_s
    can_stream = (links.n_gpus_used > 0) & (u_mean >= engine.stream_min_ubatch) & (stream_bytes_per_ub > 0)
    streamed = can_stream & (engine.stream_always | (stream_s < cpu.time_s))

    # prompt length P* below which the CPU wins: one micro-batch of P* tokens costs the same both ways
    cpu_s_per_token = np.divide(cpu.time_s, p)
    gpu_s_per_token = stream_compute_s / p
    fixed_stream_s = stream_link_s / n_ub
    gain = cpu_s_per_token - gpu_s_per_token
    break_even = np.divide(fixed_stream_s, gain, out=np.full(gain.shape, np.inf), where=gain > 0)
    break_even = np.where(links.n_gpus_used > 0, np.maximum(break_even, engine.stream_min_ubatch), np.inf)

    time = PhaseTime(
        gpu_card=card,
        gpus_s=combine_gpus(card, hw, placement, workload.split),
        cpu=cpu,
        stream_s=stream_s,
        streamed=streamed,
        links=link_seconds(links, u_mean, n_ub, spec.activation_bytes_per_token, engine.link_eff,
                            engine.hop_latency_s, engine.gpu_copy_via_host),
        overhead_s=np.zeros_like(stream_s),
    )
    return PrefillResult(time=time, break_even_prompt_tokens=break_even)
