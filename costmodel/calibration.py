"""Measured benchmark cases as cost-model inputs, and their predictions (no file I/O).

A `MeasuredCase` is one published measurement with every hardware figure resolved to a number
(catalogs.benchmarks reads the CSV, catalogs.benchmark_cases fills blanks from the catalogs).
`prepare` builds its (ModelSpec, BuildArrays, Workload) for `costmodel.evaluate` once
(case_spec, case_hardware, case_workload); `predict_case` times it with an engine profile;
`case_regime` says where its weights live. docs/formulas.md, section Calibrated terms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .architecture import ModelArch, Quantization
from .build_arrays import BuildArrays
from .engine import EngineProfile
from .evaluate import Estimate, evaluate
from .model_spec import ModelSpec, spec_from_arch
from .regimes import classify_regime
from .units import BYTES_PER_GB
from .validation import InputError
from .workload import Workload

DEFAULT_UBATCH_TOKENS = 512
"""llama.cpp's default prompt micro-batch (-ub) [tokens]; SCHEMA.md: blank = 512."""

DEFAULT_KV_BYTES_PER_ELEMENT = 2.0
"""f16 KV cache [bytes per element]; SCHEMA.md: blank = 2."""

UNSTATED_RAM_GB = 1e6
"""RAM assumed when a row does not state it [GB]: the measured run fitted, so capacity never binds."""

UNUSED_RAM_BANDWIDTH_GB_S = 1.0
"""Stand-in RAM bandwidth [GB/s] of an all-in-VRAM row that does not state its RAM: no weight is
read from RAM then, so the figure never enters a time."""

UNKNOWN_CPU_TFLOPS = 1e6
"""Stand-in CPU peak [TFLOPS] for a row that does not state it: large enough that the CPU is
memory-bound, which holds for decode (about 2 FLOPs per byte read, far below any CPU's
FLOP-per-byte ratio); a prompt the CPU would compute is not predicted (predict_case)."""


@dataclass(frozen=True)
class GpuGroup:
    """Identical cards of one measured machine (figures per card)."""

    name: str
    count: int
    vram_gb: float
    bandwidth_gb_s: float
    tflops: float
    link_gb_s: float


@dataclass(frozen=True)
class MeasuredCase:
    """One published measurement with its hardware as numbers.

    `arch`/`quant` are None when the model or its weights are unknown; `reason` then says why the
    case cannot be predicted. `weights_gb` (when known) rescales the quantization's bits so the model
    weighs exactly that much. `filled` lists every value taken from a catalog or a default rather
    than from the measurement itself. `cpu_tflops` of 0 means unknown.
    """

    case_id: str
    source: str
    engine: str
    arch: ModelArch | None
    quant: Quantization | None
    weights_gb: float | None
    placement: str
    n_cpu_moe: int
    split: str
    ubatch_tokens: int
    context_tokens: int
    prompt_tokens: int
    kv_bytes_per_element: float
    gpus: tuple[GpuGroup, ...]
    cpu_model: str
    cpu_tflops: float
    cpu_sockets: int
    ram_gb: float
    ram_bandwidth_gb_s: float
    cpu_flop_per_cycle: float = 0.0
    cpu_cores: int = 0
    measured_prefill_tokens_per_s: float | None = None
    measured_decode_tokens_per_s: float | None = None
    filled: tuple[str, ...] = ()
    reason: str = ""

    @property
    def gpu_count(self) -> int:
        return sum(group.count for group in self.gpus) if self.placement != "cpu" else 0

    @property
    def group_key(self) -> str:
        """Leave-one-source-out group: the whole `source` text (one post, one table)."""
        return " ".join(self.source.split())


def scaled_quant(arch: ModelArch, quant: Quantization, weights_gb: float) -> Quantization:
    """Bits scaled by s so the model's weight bytes equal `weights_gb`, keeping Q_x / Q_o:

        s = weights_gb * 1e9 / (P_x Q_x / 8 + P_o Q_o / 8),   Q'_x = s Q_x,  Q'_o = s Q_o

    P_x routed-expert parameters, P_o every other parameter (embedding and head included: they are
    in the file). Published file sizes include the quantization's per-block scales, which the
    catalog's bits may not.
    """
    spec = spec_from_arch(arch, quant)
    file_bytes = spec.always_active_bytes + spec.routed_bytes + spec.input_embedding_bytes
    s = weights_gb * BYTES_PER_GB / file_bytes
    return Quantization(name=f"{quant.name} ({weights_gb:g} GB)",
                        expert_bits_per_weight=quant.expert_bits_per_weight * s,
                        other_bits_per_weight=quant.other_bits_per_weight * s)


def case_spec(case: MeasuredCase) -> ModelSpec:
    """The ModelSpec of a case: its architecture at its (size-matched) quantization."""
    if case.arch is None or case.quant is None:
        raise InputError(f"case {case.case_id}: {case.reason or 'model or weights unknown'}")
    quant = case.quant
    if case.weights_gb is not None:
        quant = scaled_quant(case.arch, quant, case.weights_gb)
    return spec_from_arch(case.arch, quant)


def case_hardware(case: MeasuredCase) -> BuildArrays:
    """One build (1, G) from the case's GPU groups, CPU and RAM figures; an unknown CPU peak or an
    unneeded RAM bandwidth enter as the stand-ins UNKNOWN_CPU_TFLOPS, UNUSED_RAM_BANDWIDTH_GB_S."""
    groups = case.gpus if case.gpu_count > 0 else (GpuGroup("none", 0, 0.0, 0.0, 0.0, 0.0),)
    ram_bw = case.ram_bandwidth_gb_s
    return BuildArrays.from_arrays(
        gpu_count=[[g.count for g in groups]],
        gpu_vram_gb=[[g.vram_gb for g in groups]],
        gpu_bandwidth_gb_s=[[g.bandwidth_gb_s for g in groups]],
        gpu_tflops=[[g.tflops for g in groups]],
        gpu_link_gb_s=[[g.link_gb_s for g in groups]],
        cpu_tflops=[case.cpu_tflops if case.cpu_tflops > 0 else UNKNOWN_CPU_TFLOPS],
        ram_gb=[case.ram_gb],
        ram_bandwidth_gb_s=[ram_bw if ram_bw > 0 else UNUSED_RAM_BANDWIDTH_GB_S],
        cpu_flop_per_cycle=[case.cpu_flop_per_cycle],
        cpu_cores=[case.cpu_cores],
    )


def case_workload(case: MeasuredCase) -> Workload:
    """The row's placement, split, micro-batch, prompt, context depth and KV element size.

    Prefill runs P = prompt_tokens after C_0 = context_tokens cached tokens; decode runs at depth
    C = context_tokens (sweep-bench and llama-bench -d report both phases at the same depth).
    """
    return Workload(
        prompt_tokens=max(case.prompt_tokens, 1),
        decode_context_tokens=case.context_tokens,
        prefill_start_tokens=case.context_tokens,
        ubatch_tokens=case.ubatch_tokens,
        kv_bytes_per_element=case.kv_bytes_per_element,
        placement=case.placement,
        n_cpu_moe=case.n_cpu_moe,
        split=case.split,
    )


@dataclass(frozen=True)
class PreparedCase:
    """A case with its cost-model inputs built once (`inputs` None when it cannot be predicted)."""

    case: MeasuredCase
    inputs: tuple[ModelSpec, BuildArrays, Workload] | None
    reason: str


def prepare(case: MeasuredCase) -> PreparedCase:
    """Build the (spec, hardware, workload) of a case once; the reason when that is impossible."""
    if case.reason:
        return PreparedCase(case, None, case.reason)
    try:
        return PreparedCase(case, (case_spec(case), case_hardware(case), case_workload(case)), "")
    except InputError as exc:
        return PreparedCase(case, None, str(exc))


@dataclass(frozen=True)
class CasePrediction:
    """Predicted speeds of one case [tokens/s] (NaN where not predicted, with the reason)."""

    prefill_tokens_per_s: float
    decode_tokens_per_s: float
    prefill_reason: str
    decode_reason: str
    estimate: Estimate | None


def predict_case(prepared: PreparedCase, engine: EngineProfile) -> CasePrediction:
    """Time the stated placement with `engine`; NaN and a reason where a phase cannot be predicted.

    The measured run fitted, so the phases are timed even where moerig's memory estimate says the
    stated placement would not fit. With an unknown CPU peak the prompt is predicted only when the
    engine streams the RAM-resident weights to a GPU (the CPU then computes nothing).
    """
    if prepared.inputs is None:
        return CasePrediction(math.nan, math.nan, prepared.reason, prepared.reason, None)
    spec, hw, workload = prepared.inputs
    est = evaluate(spec, hw, workload, engine)
    decode_s = float(est.decode.total_s[0])
    prefill = est.prefill
    prefill_s = float(prefill.total_s[0])
    prefill_reason = ""
    if prepared.case.cpu_tflops <= 0 and prefill.cpu.time_s[0] > 0:
        can_stream = (workload.mean_ubatch_tokens >= engine.stream_min_ubatch) & (prefill.stream_s[0] > 0)
        if can_stream:
            prefill_s = float(prefill.gpus_s[0] + prefill.stream_s[0] + prefill.link_s[0]
                              + prefill.overhead_s[0])
        else:
            prefill_s = math.nan
            prefill_reason = "cpu_tflops unknown and the CPU computes part of the prompt"
    return CasePrediction(workload.prompt_tokens / prefill_s, 1.0 / decode_s, prefill_reason, "", est)


def case_regime(case: MeasuredCase, estimate: Estimate | None) -> str:
    """The case's regime (costmodel.regimes) from its estimate, or from the row when it has none:
    placement cpu or no GPU -> cpu-only, gpu -> all in VRAM, otherwise experts in RAM."""
    if estimate is not None:
        pl = estimate.placement
        in_ram = pl.experts_ram_bytes + (1.0 - pl.layer_frac_gpu)
        return classify_regime(estimate.links.n_gpus_used, in_ram)[0]
    if case.gpu_count == 0:
        return "cpu-only"
    if case.placement == "gpu":
        return "vram-1-gpu" if case.gpu_count == 1 else "vram-multi-gpu"
    return "experts-in-ram"
