"""Token generation: one token with C tokens in the cache. docs/formulas.md, section Decode."""

from __future__ import annotations

import numpy as np

from .attention import attended_positions_sum, attention_flops
from .build_arrays import BuildArrays
from .engine import EngineProfile, cpu_peak_tflops, cpu_sync_seconds
from .kv_cache import kv_cache_bytes
from .links import LinkPlan, link_seconds
from .model_spec import ModelSpec
from .phase import PhaseTime, Resident, combine_gpus
from .placement import Placement, cpu_layers
from .roofline import roofline_with_attention


def decode_time(spec: ModelSpec, hw: BuildArrays, placement: Placement, res: Resident,
                links: LinkPlan, context_tokens: int, kv_bytes_per_element: float, split: str,
                engine: EngineProfile) -> PhaseTime:
    """Seconds per output token.

    Per device d (a card, or the CPU with its RAM):
      bytes_d = A_d + X_d * k/E + KV_d(C)                (resident always-active, active share of
                                                           resident experts, its layers' KV cache)
      FLOPs_d = 2 (A_d' + X_d' * k/E) + share_d * F_attn(C)  (primes: parameters, not bytes)
      t_d = max(bytes_d / (B_d eta_mem), FLOPs_d / (F_d eta_comp))
    TPOT = sum_d t_d + links + t_token + t_sync
    (layer split; tensor split takes the slowest card). t_sync = c n_cores L_cpu with
    L_cpu = (1 - phi) L + L_cross, the layers the CPU works on (engine.cpu_sync_seconds). With a
    separate attention efficiency (gpu/cpu_attention_eff > 0) a device's KV bytes and attention
    FLOPs form their own roofline, added to its weights' (roofline.roofline_with_attention).
    """
    k_over_e = spec.active_fraction
    kv_total = kv_cache_bytes(context_tokens, spec.kv_elements_per_token_per_layer,
                              kv_bytes_per_element, spec.n_layers, spec.n_window_layers,
                              spec.window_tokens)
    attn_total = attention_flops(
        spec.attn_flops_decode_per_position_per_layer,
        attended_positions_sum(context_tokens, 1),
        attended_positions_sum(context_tokens, 1, spec.window_tokens),
        spec.n_layers, spec.n_window_layers,
    )
    card = roofline_with_attention(
        res.card_dense_bytes + res.card_expert_bytes * k_over_e,
        2.0 * (res.card_dense_params + res.card_expert_params * k_over_e),
        res.card_layer_frac * kv_total, res.card_layer_frac * attn_total,
        hw.gpu_bandwidth_gb_s, hw.gpu_tflops, engine.gpu_memory_eff, engine.gpu_compute_eff,
        engine.gpu_attention_eff)
    cpu = roofline_with_attention(
        res.ram_dense_bytes + res.ram_expert_bytes * k_over_e,
        2.0 * (res.ram_dense_params + res.ram_expert_params * k_over_e),
        res.ram_layer_frac * kv_total, res.ram_layer_frac * attn_total,
        hw.ram_bandwidth_gb_s, cpu_peak_tflops(hw, engine), engine.cpu_memory_eff, engine.cpu_compute_eff,
        engine.cpu_attention_eff)
    zeros = np.zeros_like(cpu.memory_s)
    return PhaseTime(
        gpu_card=card,
        gpus_s=combine_gpus(card, hw, placement, split),
        cpu=cpu,
        stream_s=zeros,
        streamed=np.zeros(zeros.shape, dtype=bool),
        links=link_seconds(links, 1.0, 1.0, spec.activation_bytes_per_token, engine.link_eff,
                            engine.hop_latency_s, engine.gpu_copy_via_host),
        overhead_s=engine.decode_token_overhead_s + cpu_sync_seconds(hw, engine, cpu_layers(spec, placement)),
    )
