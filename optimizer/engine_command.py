"""The llama.cpp / ik_llama.cpp command line that realizes the placement the cost model assumed.

A pure function of the model architecture and an estimate report (costmodel.report.build_report),
so a user can run exactly what was estimated and compare. Flags (llama-server, as of late 2025):

    -m FILE -c CTX             model file, context size [tokens]
    -ngl N                     layers on GPUs: 999 (all; the engine caps it at the layer count) when
                               the report puts every layer on GPUs, else round(frac x n_layers)
    --tensor-split a,b,...     one weight per card, proportional to its weights + KV [GB] in the report
    --n-cpu-moe K              routed experts of layers 0..K-1 stay in RAM (mainline PR 15077,
                               ported to ik_llama.cpp as PR 672)
    --cpu-moe / -ot exps=CPU   every routed expert stays in RAM
    -ub U -b max(U, 2048)      micro-batch and logical batch [tokens] (-b must be >= -ub)
    -ctk T -ctv T              KV cache type; -fa flash attention (needed for a quantized V cache)
    -t THREADS                 physical cores of the CPU (all sockets)
    --split-mode layer|row     'layer' for a layer split, 'row' for the tensor split

ik_llama.cpp additions: -fmoe (fused MoE kernels) and -mla 3 on MLA models (DeepSeek, Kimi).
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Mapping, Sequence
from typing import Any

from costmodel import ModelArch
from costmodel.validation import InputError

ENGINES = ("llama.cpp", "ik_llama.cpp")
"""Engines with a command line; others (ktransformers) have no llama-server equivalent."""

ALL_LAYERS = 999
"""-ngl value meaning 'every layer' (llama.cpp caps it at the model's layer count)."""

MIN_LOGICAL_BATCH_TOKENS = 2048
"""llama.cpp's default logical batch (-b); it must be at least the micro-batch (-ub)."""

FULL_GPU_FRAC = 1.0 - 1e-9
"""layers_on_gpu_frac at or above this counts as every layer on GPUs (float round-off)."""

IK_MLA_MODE = 3
"""ik_llama.cpp -mla 3: MLA attention with the latent KV cache, the mode its docs recommend."""

SPLIT_MODES = {"layer": "layer", "tensor": "row"}
"""Workload split -> llama.cpp --split-mode value."""


def moe_layer_indices(n_layers: int, n_dense_layers: int) -> list[int]:
    """Indices of the layers with routed experts.

    Dense layers lead (DeepSeek, GLM, Kimi, ERNIE: first_k_dense_replace), except when exactly half
    the layers are dense: then MoE layers alternate with dense ones, the odd layers being MoE
    (Llama 4 Maverick, interleave_moe_layer_step = 2).
    """
    if n_dense_layers <= 0:
        return list(range(n_layers))
    if 2 * n_dense_layers == n_layers:
        return list(range(1, n_layers, 2))
    return list(range(n_dense_layers, n_layers))


def moe_layers_in_ram(report: Mapping[str, Any], n_moe_layers: int) -> int:
    """MoE layers whose routed experts sit in RAM:
    N = round(n_moe_layers x experts_ram_gb / (experts_gpu_gb + experts_ram_gb))."""
    gpu, ram = report["experts_gpu_gb"], report["experts_ram_gb"]
    if n_moe_layers <= 0 or gpu + ram <= 0:
        return 0
    return min(n_moe_layers, round(n_moe_layers * ram / (gpu + ram)))


def n_cpu_moe_argument(n_moe_in_ram: int, arch: ModelArch) -> int:
    """The --n-cpu-moe value that keeps the experts of `n_moe_in_ram` MoE layers in RAM: the flag
    counts layers from 0, dense ones included, so it is the index after the last such MoE layer."""
    if n_moe_in_ram <= 0:
        return 0
    indices = moe_layer_indices(arch.n_layers, arch.n_dense_layers)
    return indices[min(n_moe_in_ram, len(indices)) - 1] + 1


def gpu_cards(report: Mapping[str, Any]) -> list[float]:
    """Weights + KV cache [GB] of each card, in the report's device order (RAM excluded)."""
    cards: list[float] = []
    for device in report["placement"]:
        if device["device"] == "ram":
            continue
        cards += [device["weights_gb"] + device["kv_gb"]] * int(device["count"])
    return cards


def gpu_layers(report: Mapping[str, Any], n_layers: int) -> int:
    """-ngl: every layer when the report puts them all on GPUs, else the share rounded."""
    frac = float(report["layers_on_gpu_frac"])
    if not gpu_cards(report) or frac <= 0:
        return 0
    if frac >= FULL_GPU_FRAC:
        return ALL_LAYERS
    return max(0, math.floor(frac * n_layers + 0.5))


def _split_text(cards: Sequence[float]) -> str:
    """Per-card proportions as short decimals ('22.4,22.4,11.2'); all equal -> '1,1,...'."""
    if len(set(cards)) == 1:
        return ",".join("1" for _ in cards)
    return ",".join(f"{c:.1f}".rstrip("0").rstrip(".") for c in cards)


def engine_command(
    arch: ModelArch,
    report: Mapping[str, Any],
    *,
    engine: str,
    model_file: str,
    context_tokens: int,
    ubatch_tokens: int,
    kv_cache: str,
    threads: int,
    split: str = "layer",
    placement: str = "auto",
    n_cpu_moe: int = 0,
) -> list[str]:
    """argv of `llama-server` realizing the report's placement (see the module docstring).

    `placement` is the policy the estimate used: 'n-cpu-moe' passes `n_cpu_moe` MoE layers through;
    'experts-cpu' keeps every expert in RAM; 'cpu' offloads nothing; 'gpu' and 'auto' follow the
    report (experts_ram_gb). Raises InputError for an engine without a llama-server command line.
    """
    if engine not in ENGINES:
        raise InputError(f"--engine '{engine}' has no llama-server command line; allowed: "
                         + ", ".join(ENGINES))
    if split not in SPLIT_MODES:
        raise InputError(f"split = {split!r}; allowed: {', '.join(SPLIT_MODES)}")
    ik = engine == "ik_llama.cpp"
    ubatch = int(ubatch_tokens)
    argv = ["llama-server", "-m", model_file, "-c", str(int(context_tokens))]
    cards = gpu_cards(report) if placement != "cpu" else []
    ngl = gpu_layers(report, arch.n_layers) if cards else 0
    argv += ["-ngl", str(ngl)]
    if ngl and len(cards) > 1:
        argv += ["--tensor-split", _split_text(cards), "--split-mode", SPLIT_MODES[split]]
    if ngl and arch.n_moe_layers > 0:
        in_ram = (n_cpu_moe if placement == "n-cpu-moe"
                  else arch.n_moe_layers if placement == "experts-cpu"
                  else moe_layers_in_ram(report, arch.n_moe_layers))
        if in_ram >= arch.n_moe_layers:
            argv += ["-ot", "exps=CPU"] if ik else ["--cpu-moe"]
        elif in_ram > 0:
            argv += ["--n-cpu-moe", str(n_cpu_moe_argument(in_ram, arch))]
    argv += ["-ub", str(ubatch), "-b", str(max(ubatch, MIN_LOGICAL_BATCH_TOKENS))]
    argv += ["-ctk", kv_cache, "-ctv", kv_cache]
    argv += ["-fa"] if ik else ["-fa", "on"]
    if ik:
        argv += ["-fmoe"]
        if arch.attention == "mla":
            argv += ["-mla", str(IK_MLA_MODE)]
    argv += ["-t", str(int(threads))]
    return argv


def format_command(argv: Sequence[str], width: int = 80) -> str:
    """Shell text of `argv`, continued with backslashes so no line is much wider than `width`;
    an option stays on the line of its value."""
    words = [shlex.quote(a) for a in argv]
    pieces: list[str] = []
    for i, word in enumerate(words):
        value_of_option = i > 0 and words[i - 1].startswith("-") and not word.startswith("-")
        if value_of_option:
            pieces[-1] += " " + word
        else:
            pieces.append(word)
    lines: list[str] = []
    line = ""
    for piece in pieces:
        candidate = f"{line} {piece}" if line else piece
        if line and len(candidate) > width - 2:
            lines.append(line)
            line = "  " + piece
        else:
            line = candidate
    lines.append(line)
    return " \\\n".join(lines)
