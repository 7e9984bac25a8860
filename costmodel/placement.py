"""Where the weights and the KV cache go. docs/formulas.md, section Placement.

Layers are split fractionally (a continuous share of the layer stack per GPU); real engines split at
layer boundaries, so a GPU can hold up to one layer's bytes less than computed here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .build_arrays import BuildArrays
from .engine import EngineProfile
from .kv_cache import kv_cache_bytes
from .model_spec import ModelSpec
from .units import BYTES_PER_GB
from .workload import Workload

FIT_OK = 0
FIT_RAM_SHORT = 1
FIT_VRAM_SHORT = 2
FIT_NO_GPU = 3
FIT_REASONS = {
    FIT_OK: "",
    FIT_RAM_SHORT: "RAM short",
    FIT_VRAM_SHORT: "VRAM short for the requested placement",
    FIT_NO_GPU: "placement needs a GPU but the build has none",
}


@dataclass(frozen=True)
class Placement:
    """Bytes per device. Per-GPU arrays are (n, G): one card of group g."""

    layer_frac_gpu: NDArray[np.float64]  # (n,) phi: share of layers (always-active + KV) on GPUs
    gpu_share: NDArray[np.float64]  # (n, G) share of the GPU layers held by one card of group g
    gpu_used: NDArray[np.bool_]  # (n, G) the group holds something
    experts_gpu_bytes: NDArray[np.float64]  # (n,) routed-expert bytes in VRAM, all GPUs
    experts_ram_bytes: NDArray[np.float64]  # (n,)
    gpu_weights_bytes: NDArray[np.float64]  # (n, G) per card
    gpu_kv_bytes: NDArray[np.float64]  # (n, G) per card
    gpu_reserve_bytes: float  # per card
    gpu_free_bytes: NDArray[np.float64]  # (n, G) per card
    ram_weights_bytes: NDArray[np.float64]  # (n,)
    ram_kv_bytes: NDArray[np.float64]  # (n,)
    ram_free_bytes: NDArray[np.float64]  # (n,)
    fit_code: NDArray[np.int8]  # (n,) FIT_* code
    shortfall_bytes: NDArray[np.float64]  # (n,) what is missing when it does not fit

    @property
    def fits(self) -> NDArray[np.bool_]:
        return self.fit_code == FIT_OK


def gpu_reserve_bytes(spec: ModelSpec, workload: Workload, engine: EngineProfile) -> float:
    """VRAM kept free per card [bytes] = runtime reserve + compute buffer of one micro-batch.

    reserve = R_gpu + u * 4 * (V + c_buf * H)   (u micro-batch tokens; see model_spec)
    """
    return (engine.gpu_reserve_gb * BYTES_PER_GB
            + workload.ubatch_tokens * spec.compute_buffer_bytes_per_ubatch_token)


def place_weights(spec: ModelSpec, hw: BuildArrays, workload: Workload,
                  engine: EngineProfile) -> Placement:
    """Place always-active layers, KV cache and routed experts on GPUs and RAM, for every build.

    auto (the request's strategy):
      U_g = max(M_g - reserve, 0), U = sum_g N_g U_g         usable VRAM
      D = A + KV(C_alloc)                                     always-active bytes + KV cache
      phi = min(1, U / D)                                     share of layers on GPUs
      share_g = U_g / U                                       layers per card, in proportion to free VRAM
      X_gpu = clip(U - D, 0, X)                               routed experts fill the VRAM left
      RAM holds (1 - phi) D + X - X_gpu + token embedding.
    gpu: X_gpu = X, needs U >= D + X. cpu: U = 0. experts-cpu: X_gpu = 0.
    n-cpu-moe N: X_gpu = X (1 - N / L_moe), needs U >= D + X_gpu.
    The build fits when RAM >= RAM share + engine RAM reserve and the policy's VRAM need is met.
    """
    reserve = gpu_reserve_bytes(spec, workload, engine)
    count = hw.gpu_count
    usable = np.maximum(hw.gpu_vram_gb * BYTES_PER_GB - reserve, 0.0) * (count > 0)  # (n, G)
    if workload.placement == "cpu":
        usable = np.zeros_like(usable)
    total_usable = (count * usable).sum(axis=1)  # (n,)
    has_gpu = total_usable > 0

    kv_alloc = float(kv_cache_bytes(workload.kv_allocated_tokens, spec.kv_elements_per_token_per_layer,
                                    workload.kv_bytes_per_element, spec.n_layers,
                                    spec.n_window_layers, spec.window_tokens))
    dense = spec.always_active_bytes + kv_alloc
    experts = spec.routed_bytes
    phi = np.minimum(1.0, total_usable / dense)
    share = np.divide(usable, total_usable[:, None], out=np.zeros_like(usable),
                      where=total_usable[:, None] > 0)

    vram_need = np.zeros_like(total_usable)
    if workload.placement == "gpu":
        x_gpu = np.full_like(total_usable, experts)
        vram_need = np.full_like(total_usable, dense + experts)
    elif workload.placement == "experts-cpu" or workload.placement == "cpu":
        x_gpu = np.zeros_like(total_usable)
    elif workload.placement == "n-cpu-moe":
        frac_cpu = min(1.0, workload.n_cpu_moe / spec.n_moe_layers) if spec.n_moe_layers else 0.0
        x_gpu = np.full_like(total_usable, experts * (1.0 - frac_cpu))
        vram_need = dense + x_gpu
    else:
        x_gpu = np.clip(total_usable - dense, 0.0, experts)
    x_gpu = np.where(has_gpu, x_gpu, 0.0)

    gpu_weights = share * (phi * spec.always_active_bytes + x_gpu)[:, None]
    gpu_kv = share * (phi * kv_alloc)[:, None]
    gpu_free = usable - gpu_weights - gpu_kv
    ram_weights = (1.0 - phi) * spec.always_active_bytes + (experts - x_gpu) + spec.input_embedding_bytes
    ram_kv = (1.0 - phi) * kv_alloc
    ram_capacity = hw.ram_gb * BYTES_PER_GB - engine.ram_reserve_gb * BYTES_PER_GB
    ram_free = ram_capacity - ram_weights - ram_kv

    fit_code = np.full(total_usable.shape, FIT_OK, dtype=np.int8)
    shortfall = np.zeros_like(total_usable)
    needs_vram = workload.placement in ("gpu", "n-cpu-moe")
    if needs_vram:
        vram_short = vram_need - total_usable
        bad = vram_short > 0
        fit_code[bad] = FIT_VRAM_SHORT
        shortfall = np.where(bad, vram_short, shortfall)
        no_gpu = ~has_gpu
        fit_code[no_gpu] = FIT_NO_GPU
    ram_bad = (ram_free < 0) & (fit_code == FIT_OK)
    fit_code[ram_bad] = FIT_RAM_SHORT
    shortfall = np.where(ram_bad, -ram_free, shortfall)

    return Placement(
        layer_frac_gpu=phi,
        gpu_share=share,
        gpu_used=share > 0,
        experts_gpu_bytes=x_gpu,
        experts_ram_bytes=experts - x_gpu,
        gpu_weights_bytes=gpu_weights,
        gpu_kv_bytes=gpu_kv,
        gpu_reserve_bytes=reserve,
        gpu_free_bytes=gpu_free,
        ram_weights_bytes=ram_weights,
        ram_kv_bytes=ram_kv,
        ram_free_bytes=ram_free,
        fit_code=fit_code,
        shortfall_bytes=shortfall,
    )


def expert_ram_layers(spec: ModelSpec, placement: Placement) -> NDArray[np.float64]:
    """MoE layers whose attention runs on a GPU while their routed experts sit in RAM [layers].

    L_cross = L_moe * max(phi X - X_gpu, 0) / X   (0 for a model without routed experts)
    """
    phi = placement.layer_frac_gpu
    if spec.routed_bytes <= 0:
        return np.zeros_like(phi)
    return spec.n_moe_layers * np.maximum(phi * spec.routed_bytes - placement.experts_gpu_bytes,
                                          0.0) / spec.routed_bytes


def cpu_layers(spec: ModelSpec, placement: Placement) -> NDArray[np.float64]:
    """Layers the CPU works on in one forward step [layers]: whole layers in RAM plus the MoE
    layers whose experts it runs, (1 - phi) L + L_cross."""
    return (1.0 - placement.layer_frac_gpu) * spec.n_layers + expert_ram_layers(spec, placement)
