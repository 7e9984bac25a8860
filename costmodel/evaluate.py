"""The vectorized core: one model, one workload, many builds. Arrays in, arrays out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .build_arrays import BuildArrays
from .decode import decode_time
from .engine import EngineProfile
from .links import LinkPlan, plan_links
from .model_spec import ModelSpec
from .phase import PhaseTime, resident
from .placement import Placement, place_weights
from .prefill import prefill_time
from .validation import InputError
from .workload import Workload

COMPONENT_GPU = 0
COMPONENT_CPU = 1
COMPONENT_STREAM = 2
COMPONENT_LINK = 3
COMPONENT_OVERHEAD = 4
COMPONENT_NAMES = ("gpu", "cpu", "gpu-link-stream", "link", "fixed")


@dataclass(frozen=True)
class Estimate:
    """Result for n builds. Speeds are NaN where the build does not fit."""

    placement: Placement
    links: LinkPlan
    decode: PhaseTime
    prefill: PhaseTime
    break_even_prompt_tokens: NDArray[np.float64]
    prompt_tokens: int

    @property
    def fits(self) -> NDArray[np.bool_]:
        return self.placement.fits

    @property
    def time_per_output_token_s(self) -> NDArray[np.float64]:
        return np.where(self.fits, self.decode.total_s, np.nan)

    @property
    def decode_tokens_per_s(self) -> NDArray[np.float64]:
        return 1.0 / self.time_per_output_token_s

    @property
    def time_to_first_token_s(self) -> NDArray[np.float64]:
        return np.where(self.fits, self.prefill.total_s, np.nan)

    @property
    def prefill_tokens_per_s(self) -> NDArray[np.float64]:
        return self.prompt_tokens / self.time_to_first_token_s


def bottleneck(phase: PhaseTime) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Which component takes the most time (COMPONENT_*) and, for a device, whether it is
    memory-bound (True) or compute-bound (False)."""
    parts = np.stack([
        phase.gpus_s,
        np.where(phase.streamed, 0.0, phase.cpu.time_s),
        np.where(phase.streamed, phase.stream_s, 0.0),
        phase.link_s,
        phase.overhead_s,
    ], axis=1)
    which = parts.argmax(axis=1)
    gpu_memory = (phase.gpu_card.memory_s.sum(axis=1) >= phase.gpu_card.compute_s.sum(axis=1))
    memory_bound = np.where(which == COMPONENT_GPU, gpu_memory, phase.cpu.memory_bound)
    return which, memory_bound


def evaluate(spec: ModelSpec, hw: BuildArrays, workload: Workload, engine: EngineProfile) -> Estimate:
    """Place the model on every build and time prefill and decode (docs/formulas.md)."""
    if workload.kv_allocated_tokens > spec.max_context_tokens:
        raise InputError(
            f"context: {workload.kv_allocated_tokens} tokens exceeds the model's limit; allowed: "
            f"0 <= tokens <= {spec.max_context_tokens} for {spec.name}"
        )
    if workload.placement == "n-cpu-moe" and workload.n_cpu_moe > spec.n_moe_layers:
        raise InputError(f"workload: field 'n_cpu_moe' = {workload.n_cpu_moe}; allowed: 0 <= value "
                         f"<= {spec.n_moe_layers} (MoE layers of {spec.name})")
    placement = place_weights(spec, hw, workload, engine)
    links = plan_links(spec, hw, placement, workload.split)
    res = resident(spec, placement)
    decode = decode_time(spec, hw, placement, res, links, workload.decode_context_tokens,
                         workload.kv_bytes_per_element, workload.split, engine)
    prefill = prefill_time(spec, hw, placement, res, links, workload, engine)
    return Estimate(placement=placement, links=links, decode=decode, prefill=prefill.time,
                    break_even_prompt_tokens=prefill.break_even_prompt_tokens,
                    prompt_tokens=workload.prompt_tokens)
