"""moerig cost model: where an MoE model's weights go on GPUs and RAM, and how fast it runs.

The request's API: Buyable, Motherboard, RAM, GPU, CPU, LLM, PCBuild. The vectorized core:
`evaluate(spec, BuildArrays, Workload, EngineProfile)`. Formulas: docs/formulas.md.
"""

from .architecture import ModelArch, ParamCounts, Quantization, count_params
from .build_arrays import BuildArrays
from .engine import EngineProfile
from .evaluate import Estimate, evaluate
from .hardware import CPU, GPU, RAM, Buyable, Motherboard, pcie_link_gb_per_s
from .llm import LLM
from .model_spec import ModelSpec, spec_from_arch
from .pcbuild import PCBuild
from .validation import InputError
from .workload import KV_CACHE_TYPES, PLACEMENTS, SPLITS, Workload

__all__ = [
    "CPU", "GPU", "KV_CACHE_TYPES", "LLM", "PLACEMENTS", "RAM", "SPLITS", "BuildArrays", "Buyable",
    "EngineProfile", "Estimate", "InputError", "ModelArch", "ModelSpec", "Motherboard", "PCBuild",
    "ParamCounts", "Quantization", "Workload", "count_params", "evaluate", "pcie_link_gb_per_s",
    "spec_from_arch",
]
