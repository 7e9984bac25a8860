"""One build of an Estimate as plain dicts: what `PCBuild.performance` and the CLI print."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .evaluate import COMPONENT_CPU, COMPONENT_GPU, COMPONENT_NAMES, COMPONENT_STREAM, Estimate, bottleneck
from .phase import PhaseTime
from .placement import FIT_REASONS
from .units import BYTES_PER_GB


def _gb(x: float) -> float:
    return round(float(x) / BYTES_PER_GB, 3)


def _num(x: float) -> float | None:
    x = float(x)
    return None if math.isnan(x) or math.isinf(x) else x


def _bound(memory_s: float, compute_s: float) -> str:
    return "memory" if memory_s >= compute_s else "compute"


def _phase_dict(phase: PhaseTime, i: int, gpu_names: list[str], counts: list[int]) -> dict[str, Any]:
    devices = []
    for g, name in enumerate(gpu_names):
        if counts[g] == 0:
            continue
        mem = float(phase.gpu_card.memory_s[i, g])
        comp = float(phase.gpu_card.compute_s[i, g])
        devices.append({"device": name, "count": counts[g], "memory_s": mem, "compute_s": comp,
                        "time_s": max(mem, comp), "bound": _bound(mem, comp)})
    cpu_mem, cpu_comp = float(phase.cpu.memory_s[i]), float(phase.cpu.compute_s[i])
    streamed = bool(phase.streamed[i])
    devices.append({"device": "cpu", "count": 1, "memory_s": cpu_mem, "compute_s": cpu_comp,
                    "time_s": 0.0 if streamed else max(cpu_mem, cpu_comp),
                    "bound": _bound(cpu_mem, cpu_comp)})
    return {
        "devices": devices,
        "gpus_s": float(phase.gpus_s[i]),
        "ram_weights": "streamed-to-gpu" if streamed else "computed-on-cpu",
        "stream_s": float(phase.stream_s[i]),
        "link_s": float(phase.link_s[i]),
        "overhead_s": float(phase.overhead_s[i]),
        "total_s": float(phase.total_s[i]),
    }


def _bottleneck_dict(phase: PhaseTime, i: int, gpu_names: list[str]) -> dict[str, str]:
    which, memory_bound = bottleneck(phase)
    w = int(which[i])
    if w == COMPONENT_GPU:
        t = np.where(phase.gpu_card.time_s[i] > 0, phase.gpu_card.time_s[i], -1.0)
        device = gpu_names[int(t.argmax())] if gpu_names else "gpu"
        return {"device": device, "bound": "memory" if memory_bound[i] else "compute"}
    if w == COMPONENT_CPU:
        return {"device": "cpu", "bound": "memory" if memory_bound[i] else "compute"}
    if w == COMPONENT_STREAM:
        return {"device": "pcie", "bound": "link"}
    return {"device": COMPONENT_NAMES[w], "bound": "link" if COMPONENT_NAMES[w] == "link" else "fixed"}


def build_report(est: Estimate, i: int, gpu_names: list[str], counts: list[int]) -> dict[str, Any]:
    """Everything known about build i, JSON-ready (GB = 10^9 bytes, seconds, tokens/s)."""
    pl = est.placement
    fits = bool(pl.fits[i])
    reason = ""
    if not fits:
        reason = f"{FIT_REASONS[int(pl.fit_code[i])]} by {_gb(pl.shortfall_bytes[i])} GB"
    placement = []
    for g, name in enumerate(gpu_names):
        if counts[g] == 0:
            continue
        placement.append({
            "device": name, "count": counts[g],
            "weights_gb": _gb(pl.gpu_weights_bytes[i, g]), "kv_gb": _gb(pl.gpu_kv_bytes[i, g]),
            "reserve_gb": _gb(pl.gpu_reserve_bytes), "free_gb": _gb(pl.gpu_free_bytes[i, g]),
        })
    placement.append({"device": "ram", "count": 1, "weights_gb": _gb(pl.ram_weights_bytes[i]),
                      "kv_gb": _gb(pl.ram_kv_bytes[i]), "free_gb": _gb(pl.ram_free_bytes[i])})
    return {
        "fits": fits,
        "reason": reason,
        "prefill_tokens_per_s": _num(est.prefill_tokens_per_s[i]),
        "time_to_first_token_s": _num(est.time_to_first_token_s[i]),
        "decode_tokens_per_s": _num(est.decode_tokens_per_s[i]),
        "time_per_output_token_s": _num(est.time_per_output_token_s[i]),
        "placement": placement,
        "layers_on_gpu_frac": float(pl.layer_frac_gpu[i]),
        "experts_gpu_gb": _gb(pl.experts_gpu_bytes[i]),
        "experts_ram_gb": _gb(pl.experts_ram_bytes[i]),
        "bottleneck_prefill": _bottleneck_dict(est.prefill, i, gpu_names),
        "bottleneck_decode": _bottleneck_dict(est.decode, i, gpu_names),
        "breakdown_prefill": _phase_dict(est.prefill, i, gpu_names, counts),
        "breakdown_decode": _phase_dict(est.decode, i, gpu_names, counts),
        "stream_break_even_prompt_tokens": _num(est.break_even_prompt_tokens[i]),
        "hops_per_token": float(est.links.hops_per_token[i]),
    }
