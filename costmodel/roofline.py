"""Time of one device on one piece of work: the roofline. docs/formulas.md, section Roofline.

Rates enter as seconds per byte and seconds per FLOP, 1 / (rate * efficiency), computed once per
build (`seconds_per_unit`) so the many byte and FLOP counts of a call are multiplications."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .units import BYTES_PER_GB, FLOPS_PER_TFLOPS


@dataclass(frozen=True)
class DeviceTime:
    """Seconds one device spends: reading bytes, computing FLOPs, the larger of the two, plus
    attention timed apart from the weights (zero unless the engine profile separates it)."""

    memory_s: NDArray[np.float64]
    compute_s: NDArray[np.float64]
    attention_s: NDArray[np.float64] | float = 0.0

    @property
    def time_s(self) -> NDArray[np.float64]:
        return np.maximum(self.memory_s, self.compute_s) + self.attention_s

    @property
    def memory_bound(self) -> NDArray[np.bool_]:
        return self.memory_s >= self.compute_s


def seconds_per_unit(rate: ArrayLike, unit: float, efficiency: float) -> NDArray[np.float64]:
    """1 / (rate * unit * efficiency): seconds per byte (rate in GB/s, unit 10^9) or per FLOP (rate
    in TFLOPS, unit 10^12). Zero where the rate is zero (an absent device takes no time)."""
    r = np.asarray(rate, dtype=np.float64) * (unit * efficiency)
    return np.divide(1.0, r, out=np.zeros(r.shape), where=r > 0)


def transfer_seconds(bytes_moved: ArrayLike, bandwidth_gb_s: ArrayLike,
                     efficiency: float) -> NDArray[np.float64]:
    """t = bytes / (bandwidth * 10^9 * efficiency) [s]; zero where the bandwidth is zero."""
    return np.asarray(bytes_moved, dtype=np.float64) * seconds_per_unit(bandwidth_gb_s, BYTES_PER_GB,
                                                                        efficiency)


def compute_seconds(flops: ArrayLike, tflops: ArrayLike, efficiency: float) -> NDArray[np.float64]:
    """t = FLOPs / (TFLOPS * 10^12 * efficiency) [s]; zero where the device is absent."""
    return np.asarray(flops, dtype=np.float64) * seconds_per_unit(tflops, FLOPS_PER_TFLOPS, efficiency)


def roofline(bytes_read: ArrayLike, flops: ArrayLike, bandwidth_gb_s: ArrayLike, tflops: ArrayLike,
             memory_eff: float, compute_eff: float) -> DeviceTime:
    """t = max(bytes / (B * eta_mem), FLOPs / (F * eta_comp)).

    Source: Williams, Waterman, Patterson, 'Roofline', CACM 52(4), 2009; the request's citation adds
    the two terms instead, which double-counts when loads and math overlap, as they do in GPU and
    CPU matmul kernels.
    """
    return roofline_from_inverse(bytes_read, flops,
                                 seconds_per_unit(bandwidth_gb_s, BYTES_PER_GB, memory_eff),
                                 seconds_per_unit(tflops, FLOPS_PER_TFLOPS, compute_eff))


def roofline_from_inverse(bytes_read: ArrayLike, flops: ArrayLike, s_per_byte: NDArray[np.float64],
                          s_per_flop: NDArray[np.float64]) -> DeviceTime:
    """The roofline with precomputed seconds per byte and per FLOP."""
    return DeviceTime(memory_s=np.asarray(bytes_read) * s_per_byte,
                      compute_s=np.asarray(flops) * s_per_flop)


def roofline_with_attention(weight_bytes: ArrayLike, weight_flops: ArrayLike, kv_bytes: ArrayLike,
                            attn_flops: ArrayLike, bandwidth_gb_s: ArrayLike, tflops: ArrayLike,
                            memory_eff: float, compute_eff: float, attention_eff: float) -> DeviceTime:
    """A device's time for its weights and its attention over the KV cache.

    attention_eff = 0 (the request's model): one roofline over both,
      t = max((W + KV) / (B eta_mem), (F_w + F_attn) / (F eta_comp)).
    attention_eff > 0: attention runs as its own kernels after the weight matmuls, so the times add,
      t = max(W / (B eta_mem), F_w / (F eta_comp)) + max(KV / (B eta_mem), F_attn / (F eta_attn)).
    Parameters: bytes [B], FLOPs [FLOP], B [GB/s], F [TFLOPS], eta [0-1].
    Source: docs/formulas.md, section Calibrated terms (attention apart).
    """
    if attention_eff <= 0:
        return roofline(np.add(weight_bytes, kv_bytes), np.add(weight_flops, attn_flops),
                        bandwidth_gb_s, tflops, memory_eff, compute_eff)
    weights = roofline(weight_bytes, weight_flops, bandwidth_gb_s, tflops, memory_eff, compute_eff)
    attention = roofline(kv_bytes, attn_flops, bandwidth_gb_s, tflops, memory_eff, attention_eff)
    return DeviceTime(weights.memory_s, weights.compute_s, attention.time_s)
