"""Many builds as a struct of arrays: the input of the vectorized core.

GPUs come in groups of identical cards in identical slots: shape (n_builds, n_groups). A group with
count 0 is absent. Homogeneous builds have one group; a mixed build has one group per GPU type.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .validation import InputError


def _as_2d(name: str, values: ArrayLike) -> NDArray[np.float64]:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 0:
        arr = arr.reshape(1, 1)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise InputError(f"BuildArrays: field '{name}' must have shape (n_builds, n_groups), got {arr.shape}")
    return arr


@dataclass(frozen=True)
class BuildArrays:
    """Hardware of n builds. GB = 10^9 bytes; bandwidths GB/s; TFLOPS = 10^12 FLOP/s."""

    gpu_count: NDArray[np.float64]  # (n, G) cards in each group
    gpu_vram_gb: NDArray[np.float64]  # (n, G) per card
    gpu_bandwidth_gb_s: NDArray[np.float64]  # (n, G) per card
    gpu_tflops: NDArray[np.float64]  # (n, G) per card
    gpu_link_gb_s: NDArray[np.float64]  # (n, G) host link per card, per direction
    cpu_tflops: NDArray[np.float64]  # (n,)
    ram_gb: NDArray[np.float64]  # (n,)
    ram_bandwidth_gb_s: NDArray[np.float64]  # (n,)
    cpu_flop_per_cycle: NDArray[np.float64] | None = None  # (n,) FP32 FLOP/cycle/core; None/0 unknown
    cpu_cores: NDArray[np.float64] | None = None  # (n,) physical cores, all sockets; None/0 unknown

    @classmethod
    def from_arrays(cls, *, gpu_count: ArrayLike, gpu_vram_gb: ArrayLike,
                    gpu_bandwidth_gb_s: ArrayLike, gpu_tflops: ArrayLike, gpu_link_gb_s: ArrayLike,
                    cpu_tflops: ArrayLike, ram_gb: ArrayLike, ram_bandwidth_gb_s: ArrayLike,
                    cpu_flop_per_cycle: ArrayLike = 0.0, cpu_cores: ArrayLike = 0.0) -> BuildArrays:
        """Broadcast and check the inputs; every value must be finite and >= 0, and a build needs
        RAM bandwidth and CPU compute (the CPU always runs the embedding and any CPU layers).
        `cpu_flop_per_cycle` is the FP32 FLOP per cycle per core behind `cpu_tflops` (32 for AVX2
        and Zen 2-4, 64 for Zen 5 and AVX-512 Xeons; 0 = unknown): engine profiles with
        `cpu_flop_per_cycle_cap` use it, and profiles with `cpu_sync_s_per_core_layer` use
        `cpu_cores` (0 = unknown) (docs/formulas.md, section Calibrated terms)."""
        ram = np.atleast_1d(np.asarray(ram_gb, dtype=np.float64))
        cpu = np.atleast_1d(np.asarray(cpu_tflops, dtype=np.float64))
        ram_bw = np.atleast_1d(np.asarray(ram_bandwidth_gb_s, dtype=np.float64))
        n = max(ram.shape[0], cpu.shape[0], ram_bw.shape[0], np.asarray(gpu_count).shape[0]
                if np.ndim(gpu_count) else 1)
        groups = [_as_2d(name, v) for name, v in (
            ("gpu_count", gpu_count), ("gpu_vram_gb", gpu_vram_gb),
            ("gpu_bandwidth_gb_s", gpu_bandwidth_gb_s), ("gpu_tflops", gpu_tflops),
            ("gpu_link_gb_s", gpu_link_gb_s))]
        g = max(a.shape[1] for a in groups)
        groups = [np.broadcast_to(a, (n, g)) for a in groups]
        flat = [np.broadcast_to(a, (n,)) for a in (cpu, ram, ram_bw)]
        fpc = np.broadcast_to(np.asarray(cpu_flop_per_cycle, dtype=np.float64), (n,))
        cores = np.broadcast_to(np.asarray(cpu_cores, dtype=np.float64), (n,))
        built = cls(*groups, *flat, cpu_flop_per_cycle=fpc, cpu_cores=cores)
        built.check()
        return built

    def rows(self, index: slice | NDArray[np.int64]) -> BuildArrays:
        """The builds at `index` (a slice or integer array), as a new BuildArrays."""
        return BuildArrays(*(None if getattr(self, f) is None else getattr(self, f)[index]
                             for f in self.__dataclass_fields__))

    @property
    def n_builds(self) -> int:
        return self.ram_gb.shape[0]

    def check(self) -> None:
        for name in ("gpu_count", "gpu_vram_gb", "gpu_bandwidth_gb_s", "gpu_tflops",
                     "gpu_link_gb_s", "cpu_tflops", "ram_gb", "ram_bandwidth_gb_s",
                     "cpu_flop_per_cycle", "cpu_cores"):
            arr = getattr(self, name)
            if arr is None:
                continue
            bad = ~np.isfinite(arr) | (arr < 0)
            if bad.any():
                index = np.argwhere(bad)[0]
                raise InputError(
                    f"BuildArrays: field '{name}' at index {tuple(int(i) for i in index)} = "
                    f"{float(arr[tuple(index)])!r}; allowed: finite and >= 0"
                )
        present = self.gpu_count > 0
        for name in ("gpu_vram_gb", "gpu_bandwidth_gb_s", "gpu_tflops", "gpu_link_gb_s"):
            arr = getattr(self, name)
            bad = present & (arr <= 0)
            if bad.any():
                index = tuple(int(i) for i in np.argwhere(bad)[0])
                raise InputError(f"BuildArrays: field '{name}' at index {index} is 0 for a GPU "
                                 "group with cards; allowed: > 0")
        for name in ("cpu_tflops", "ram_bandwidth_gb_s"):
            arr = getattr(self, name)
            if (arr <= 0).any():
                index = int(np.argmax(arr <= 0))
                raise InputError(f"BuildArrays: field '{name}' at build {index} is 0; allowed: > 0")
