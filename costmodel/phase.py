"""What each device holds, in parameters and bytes, and the time of one phase (prefill or decode)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .build_arrays import BuildArrays
from .links import LinkTime
from .model_spec import ModelSpec
from .placement import Placement
from .roofline import DeviceTime
from .units import BITS_PER_BYTE


@dataclass(frozen=True)
class Resident:
    """Weights resident on one card of each GPU group (n, G) and in RAM (n,)."""

    card_dense_params: NDArray[np.float64]
    card_expert_params: NDArray[np.float64]
    card_dense_bytes: NDArray[np.float64]
    card_expert_bytes: NDArray[np.float64]
    card_layer_frac: NDArray[np.float64]  # share of all layers (attention + KV) on one card
    ram_dense_params: NDArray[np.float64]
    ram_expert_params: NDArray[np.float64]
    ram_dense_bytes: NDArray[np.float64]
    ram_expert_bytes: NDArray[np.float64]
    ram_layer_frac: NDArray[np.float64]


def resident(spec: ModelSpec, placement: Placement) -> Resident:
    """Split the always-active weights by layer share and the routed experts by placed bytes."""
    phi = placement.layer_frac_gpu
    share = placement.gpu_share
    card_layers = share * phi[:, None]
    expert_bytes_per_param = spec.expert_bits_per_weight / BITS_PER_BYTE
    x_gpu_params = placement.experts_gpu_bytes / expert_bytes_per_param
    return Resident(
        card_dense_params=card_layers * spec.always_active_params,
        card_expert_params=share * x_gpu_params[:, None],
        card_dense_bytes=card_layers * spec.always_active_bytes,
        card_expert_bytes=share * placement.experts_gpu_bytes[:, None],
        card_layer_frac=card_layers,
        ram_dense_params=(1.0 - phi) * spec.always_active_params,
        ram_expert_params=spec.routed_params - x_gpu_params,
        ram_dense_bytes=(1.0 - phi) * spec.always_active_bytes,
        ram_expert_bytes=placement.experts_ram_bytes,
        ram_layer_frac=1.0 - phi,
    )


@dataclass(frozen=True)
class PhaseTime:
    """Seconds of one phase per build, with its parts.

    gpu_card: one card of each group (n, G); gpus_s: all GPUs together (sum over cards for a layer
    split, the slowest card for a tensor split); ram_part: the CPU's share (compute on the CPU);
    stream_s: the alternative of streaming RAM-resident weights to a GPU (prefill only, else 0);
    streamed: whether streaming was chosen; links: activation hand-offs per kind of link use (link_s
    their sum); overhead_s: fixed costs.
    """

    gpu_card: DeviceTime
    gpus_s: NDArray[np.float64]
    cpu: DeviceTime
    stream_s: NDArray[np.float64]
    streamed: NDArray[np.bool_]
    links: LinkTime
    overhead_s: NDArray[np.float64]

    @property
    def link_s(self) -> NDArray[np.float64]:
        return self.links.total_s

    @property
    def ram_part_s(self) -> NDArray[np.float64]:
        return np.where(self.streamed, self.stream_s, self.cpu.time_s)

    @property
    def total_s(self) -> NDArray[np.float64]:
        return self.gpus_s + self.ram_part_s + self.link_s + self.overhead_s


def combine_gpus(card: DeviceTime, hw: BuildArrays, placement: Placement, split: str
                 ) -> NDArray[np.float64]:
    """Layer split runs the cards one after another: sum_g N_g t_g. Tensor split runs them at once:
    max_g t_g over the groups in use."""
    t = card.time_s
    if split == "tensor":
        return np.where(placement.gpu_used, t, 0.0).max(axis=1)
    return (hw.gpu_count * np.where(placement.gpu_used, t, 0.0)).sum(axis=1)
