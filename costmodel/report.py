"""One build of an Estimate as plain dicts: what `PCBuild.performance` and the CLI print."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from .engine import EngineProfile
from .evaluate import (
    COMPONENT_CPU,
    COMPONENT_GPU,
    COMPONENT_NAMES,
    COMPONENT_STREAM,
    Estimate,
    bottleneck,
)
from .phase import PhaseTime
from .placement import FIT_REASONS
from .regimes import REGIME_LABELS, classify_regime
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
                        "time_s": float(phase.gpu_card.time_s[i, g]), "bound": _bound(mem, comp)})
    cpu_mem, cpu_comp = float(phase.cpu.memory_s[i]), float(phase.cpu.compute_s[i])
    streamed = bool(phase.streamed[i])
    devices.append({"device": "cpu", "count": 1, "memory_s": cpu_mem, "compute_s": cpu_comp,
                    "time_s": 0.0 if streamed else float(phase.cpu.time_s[i]),
                    "bound": _bound(cpu_mem, cpu_comp)})
    return {
        "devices": devices,
        "gpus_s": float(phase.gpus_s[i]),
        "ram_weights": "streamed-to-gpu" if streamed else "computed-on-cpu",
        "stream_s": float(phase.stream_s[i]),
        "link_s": float(phase.link_s[i]),
        "links": {"gpu_to_gpu_s": float(phase.links.gpu_to_gpu_s[i]),
                  "gpu_to_cpu_s": float(phase.links.gpu_to_cpu_s[i]),
                  "allreduce_s": float(phase.links.allreduce_s[i])},
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


def _same_gpu(a: str, b: str) -> bool:
    """Names of one GPU model: the words of one contain the other's ('GeForce RTX 4090' and
    'RTX 4090'; not 'RTX PRO 6000 Blackwell' and 'RTX 6000 Ada Generation')."""
    ta, tb = (set(re.findall(r"[a-z0-9]+", x.lower())) for x in (a, b))
    return bool(ta) and bool(tb) and (ta <= tb or tb <= ta)


def accuracy_fields(est: Estimate, i: int, gpu_names: list[str], counts: list[int],
                    engine: EngineProfile | None, context_tokens: int | None) -> dict[str, Any]:
    """The regime of build i, the ranges of its speeds and warnings about the calibrated space.

    range = [v * q10, v * q90], q the 10th and 90th percentiles of measured / predicted of the
    regime in the profile's cross-validation (docs/formulas.md, section Calibrated terms). Without
    a calibrated profile (the request's uniform model) the ranges are None and nothing is warned.
    """
    pl = est.placement
    regime = classify_regime(est.links.n_gpus_used[i:i + 1],
                             pl.experts_ram_bytes[i:i + 1] + (1.0 - pl.layer_frac_gpu[i:i + 1]))[0]
    out: dict[str, Any] = {"regime": regime, "prefill_tokens_per_s_range": None,
                           "decode_tokens_per_s_range": None, "warnings": []}
    acc = None if engine is None else engine.accuracy
    if acc is None:
        return out
    warnings = out["warnings"]
    for phase, value in (("prefill", est.prefill_tokens_per_s[i]), ("decode", est.decode_tokens_per_s[i])):
        r = acc.range_for(regime, phase)
        if r is None or not np.isfinite(value):
            continue
        out[f"{phase}_tokens_per_s_range"] = [float(value * r.low), float(value * r.high)]
        if r.pooled:
            warnings.append(f"{phase}: few calibration cases {REGIME_LABELS[regime]}; the range is "
                            "that of all regimes")
    if not acc.engine_covered:
        warnings.append(f"engine '{engine.name}': few calibration measurements of this engine; "
                        "its values are fitted mostly on other engines")
    for name, n in zip(gpu_names, counts, strict=True):
        if n and not any(_same_gpu(name, known) for known in acc.gpu_models):
            warnings.append(f"GPU '{name}' is not in the calibration data")
    deepest = max(context_tokens or 0, est.prompt_tokens)
    if acc.max_context_tokens and deepest > acc.max_context_tokens:
        warnings.append(f"context of {deepest} tokens is deeper than the calibration data "
                        f"({acc.max_context_tokens})")
    return out


def build_report(est: Estimate, i: int, gpu_names: list[str], counts: list[int], *,
                 engine: EngineProfile | None = None,
                 context_tokens: int | None = None) -> dict[str, Any]:
    """Everything known about build i, JSON-ready (GB = 10^9 bytes, seconds, tokens/s).

    With a calibrated `engine` the report adds `regime`, `prefill_tokens_per_s_range`,
    `decode_tokens_per_s_range` ([low, high]) and `warnings` (accuracy_fields); `context_tokens`
    is the decode depth, checked against the calibrated depths.
    """
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
        **accuracy_fields(est, i, gpu_names, counts, engine, context_tokens),
    }
