"""Hand-offs between devices: hops of a layer split, all-reduces of a tensor split.
docs/formulas.md, section Links."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .build_arrays import BuildArrays
from .model_spec import ModelSpec
from .placement import Placement, expert_ram_layers
from .roofline import transfer_seconds


@dataclass(frozen=True)
class LinkPlan:
    """Per-build hop counts and the link they run over."""

    n_gpus_used: NDArray[np.float64]  # (n,)
    hops_per_token: NDArray[np.float64]  # (n,) layer-split hand-offs of activations
    cpu_hops_per_token: NDArray[np.float64]  # (n,) the hand-offs among them between GPU and CPU
    allreduces_per_token: NDArray[np.float64]  # (n,) tensor split only
    link_gb_s: NDArray[np.float64]  # (n,) slowest link among the GPUs used
    fastest_link_gb_s: NDArray[np.float64]  # (n,) the link used to stream weights from RAM


def plan_links(spec: ModelSpec, hw: BuildArrays, placement: Placement, split: str) -> LinkPlan:
    """Count activation hand-offs per token.

    layer split: hops = (N_used - 1) + [phi < 1] + 2 * L_cross, where L_cross = L_moe *
    max(phi X - X_gpu, 0) / X is the number of MoE layers whose attention runs on a GPU and whose
    routed experts sit in RAM (one hop to the CPU and one back per such layer).
    tensor split: 2 all-reduces per GPU-resident layer (after attention and after the FFN) when more
    than one GPU is used, plus the CPU hops above.
    """
    used = placement.gpu_used
    n_used = (hw.gpu_count * used).sum(axis=1)
    any_gpu = n_used > 0
    phi = placement.layer_frac_gpu
    cross = expert_ram_layers(spec, placement)
    cpu_hops = np.where(any_gpu, (phi < 1.0) + 2.0 * cross, 0.0)
    if split == "tensor":
        gpu_hops = np.zeros_like(phi)
        allreduces = np.where(n_used > 1, 2.0 * phi * spec.n_layers, 0.0)
    else:
        gpu_hops = np.maximum(n_used - 1.0, 0.0)
        allreduces = np.zeros_like(phi)
    link = np.where(used, hw.gpu_link_gb_s, np.inf).min(axis=1)
    link = np.where(np.isfinite(link), link, 0.0)
    fastest = np.where(used, hw.gpu_link_gb_s, 0.0).max(axis=1)
    return LinkPlan(n_gpus_used=n_used, hops_per_token=gpu_hops + cpu_hops,
                    cpu_hops_per_token=cpu_hops, allreduces_per_token=allreduces, link_gb_s=link,
                    fastest_link_gb_s=fastest)


@dataclass(frozen=True)
class LinkTime:
    """Seconds of the hand-offs of one phase, per kind of link use (n,)."""

    gpu_to_gpu_s: NDArray[np.float64]  # layer-split hops between cards
    gpu_to_cpu_s: NDArray[np.float64]  # hops between a card and the CPU (and back)
    allreduce_s: NDArray[np.float64]  # tensor-split all-reduces

    @property
    def total_s(self) -> NDArray[np.float64]:
        return self.gpu_to_gpu_s + self.gpu_to_cpu_s + self.allreduce_s


def link_seconds(plan: LinkPlan, tokens_per_step: float | NDArray[np.float64], steps: float,
                 activation_bytes_per_token: float, link_eff: float, hop_latency_s: float,
                 gpu_copy_via_host: bool = False) -> LinkTime:
    """Time of all hand-offs over `steps` steps of `tokens_per_step` tokens each [s].

    hop:        t = h u a / (p eta_link) + t_hop          (a = 4 H bytes of f32 activations)
    all-reduce: t = h 2 (N - 1) / N u a / (p eta_link) + t_hop   (ring all-reduce, per card)
    h = 1, except h = 2 for copies between GPUs when `gpu_copy_via_host`: without peer-to-peer
    access (GeForce cards) a GPU-to-GPU copy is staged through host memory and crosses the host
    links twice.
    Source: ring all-reduce volume, Patarasuk and Yuan, JPDC 69(2), 2009.
    """
    hop_bytes = tokens_per_step * activation_bytes_per_token
    transfer_s = transfer_seconds(hop_bytes, plan.link_gb_s, link_eff)
    gpu_transfer_s = 2.0 * transfer_s if gpu_copy_via_host else transfer_s
    n = np.maximum(plan.n_gpus_used, 1.0)
    ring_s = (2.0 * (n - 1.0) / n) * gpu_transfer_s + hop_latency_s
    gpu_hops = plan.hops_per_token - plan.cpu_hops_per_token
    return LinkTime(gpu_to_gpu_s=steps * gpu_hops * (gpu_transfer_s + hop_latency_s),
                    gpu_to_cpu_s=steps * plan.cpu_hops_per_token * (transfer_s + hop_latency_s),
                    allreduce_s=steps * plan.allreduces_per_token * ring_s)
