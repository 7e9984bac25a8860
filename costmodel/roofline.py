"""Time of one device on one piece of work: the roofline. docs/formulas.md, section Roofline."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .units import BYTES_PER_GB, FLOPS_PER_TFLOPS


@dataclass(frozen=True)
class DeviceTime:
    """Seconds one device spends: reading bytes, computing FLOPs, and the larger of the two."""

    memory_s: NDArray[np.float64]
    compute_s: NDArray[np.float64]

    @property
    def time_s(self) -> NDArray[np.float64]:
        return np.maximum(self.memory_s, self.compute_s)

    @property
    def memory_bound(self) -> NDArray[np.bool_]:
        return self.memory_s >= self.compute_s


def transfer_seconds(bytes_moved: ArrayLike, bandwidth_gb_s: ArrayLike,
                     efficiency: float) -> NDArray[np.float64]:
    """t = bytes / (bandwidth * 10^9 * efficiency) [s]; zero bytes take zero time, also where the
    bandwidth is zero (an absent device)."""
    b = np.asarray(bytes_moved, dtype=np.float64)
    rate = np.asarray(bandwidth_gb_s, dtype=np.float64) * BYTES_PER_GB * efficiency
    b, rate = np.broadcast_arrays(b, rate)
    return np.divide(b, rate, out=np.zeros(b.shape), where=rate > 0)


def compute_seconds(flops: ArrayLike, tflops: ArrayLike, efficiency: float) -> NDArray[np.float64]:
    """t = FLOPs / (TFLOPS * 10^12 * efficiency) [s]; zero where the device is absent."""
    f = np.asarray(flops, dtype=np.float64)
    rate = np.asarray(tflops, dtype=np.float64) * FLOPS_PER_TFLOPS * efficiency
    f, rate = np.broadcast_arrays(f, rate)
    return np.divide(f, rate, out=np.zeros(f.shape), where=rate > 0)


def roofline(bytes_read: ArrayLike, flops: ArrayLike, bandwidth_gb_s: ArrayLike, tflops: ArrayLike,
             memory_eff: float, compute_eff: float) -> DeviceTime:
    """t = max(bytes / (B * eta_mem), FLOPs / (F * eta_comp)).

    Source: Williams, Waterman, Patterson, 'Roofline', CACM 52(4), 2009; the request's citation adds
    the two terms instead, which double-counts when loads and math overlap, as they do in GPU and
    CPU matmul kernels.
    """
    return DeviceTime(
        memory_s=transfer_seconds(bytes_read, bandwidth_gb_s, memory_eff),
        compute_s=compute_seconds(flops, tflops, compute_eff),
    )
