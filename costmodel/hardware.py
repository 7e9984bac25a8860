"""Hardware parts as the original request defines them, extended only with optional fields.

The request's field names are kept as written: `memory_bw_gbps` and `memory_bw_per_module_gbps`
are GB/s (10^9 bytes per second), `vram_gb` and `capacity_gb` are GB (10^9 bytes), `tflops` is
10^12 FLOP/s, `price` is USD. A missing price is NaN (catalog rows without a price); every other
number must be finite and inside its range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .validation import check_int, check_number

PCIE_GB_PER_S_PER_LANE = {1: 0.25, 2: 0.5, 3: 0.985, 4: 1.969, 5: 3.938, 6: 7.877}
"""Usable PCIe bandwidth per lane and direction [GB/s] after line coding (128b/130b from gen 3).
Source: PCI-SIG base specifications; x16 gives 15.75 / 31.5 / 63.0 GB/s for gen 3 / 4 / 5
(shared/research/hardware.md, section 5)."""


def pcie_link_gb_per_s(gen: int, lanes: int) -> float:
    """Theoretical per-direction bandwidth of a PCIe link [GB/s] = lanes x per-lane rate of `gen`."""
    if gen not in PCIE_GB_PER_S_PER_LANE:
        raise ValueError(f"pcie generation {gen!r} unknown; allowed: {sorted(PCIE_GB_PER_S_PER_LANE)}")
    return lanes * PCIE_GB_PER_S_PER_LANE[gen]


@dataclass
class Buyable:
    name: str
    price: float

    def _check_price(self) -> None:
        check_number(self._owner(), "price", self.price, low=0, allow_nan=True)

    def _owner(self) -> str:
        return f"{type(self).__name__} '{self.name}'"

    @property
    def has_price(self) -> bool:
        return not math.isnan(self.price)


@dataclass
class Motherboard(Buyable):
    """A board with `ram_slots` DIMM slots and `pcie_slots` GPU slots of generation `pcie_gen`.

    Optional: `memory_channels` caps RAM bandwidth at channels x per-channel rate; `pcie_lanes` is
    the lane count of each GPU slot (16 unless `slot_lanes` lists them one by one);
    `pcie_gb_s_per_lane` replaces the PCIe table's per-lane rate when set (the request's figure:
    64 GB/s per 8 lanes = 8 GB/s per lane)."""

    ram_slots: int
    pcie_slots: int
    pcie_gen: int = 5
    id: str = ""
    socket: str = ""
    memory_channels: int = 0
    memory_type: str = ""
    pcie_lanes: int = 16
    slot_lanes: tuple[int, ...] = ()
    slot_gens: tuple[int, ...] = ()
    pcie_gb_s_per_lane: float = 0.0

    def __post_init__(self) -> None:
        self._check_price()
        owner = self._owner()
        check_number(owner, "pcie_gb_s_per_lane", self.pcie_gb_s_per_lane, low=0, high=100)
        check_int(owner, "ram_slots", self.ram_slots, low=0, high=64)
        check_int(owner, "pcie_slots", self.pcie_slots, low=0, high=32)
        check_int(owner, "pcie_gen", self.pcie_gen, low=1, high=6)
        check_int(owner, "memory_channels", self.memory_channels, low=0, high=32)
        check_int(owner, "pcie_lanes", self.pcie_lanes, low=1, high=16)
        for lanes in self.slot_lanes:
            check_int(owner, "slot_lanes", lanes, low=1, high=16)
        for gen in self.slot_gens:
            check_int(owner, "slot_gens", gen, low=1, high=6)

    def slot(self, index: int) -> tuple[int, int]:
        """(generation, lanes) of GPU slot `index`; slots beyond the listed ones repeat the defaults."""
        gen = self.slot_gens[index] if index < len(self.slot_gens) else self.pcie_gen
        lanes = self.slot_lanes[index] if index < len(self.slot_lanes) else self.pcie_lanes
        return gen, lanes


@dataclass
class RAM(Buyable):
    """A memory module; `memory_bw_per_module_gbps` is GB/s per module (the request's b)."""

    capacity_gb: float
    memory_bw_per_module_gbps: float  # GB/s
    id: str = ""
    memory_type: str = ""
    module_kind: str = ""
    mt_s: int = 0

    def __post_init__(self) -> None:
        self._check_price()
        owner = self._owner()
        check_number(owner, "capacity_gb", self.capacity_gb, low=0, low_inclusive=False, high=4096)
        check_number(
            owner, "memory_bw_per_module_gbps", self.memory_bw_per_module_gbps,
            low=0, low_inclusive=False, high=1000,
        )
        check_int(owner, "mt_s", self.mt_s, low=0, high=20000)


@dataclass
class GPU(Buyable):
    """A GPU; `memory_bw_gbps` is GB/s (the request's B), `tflops` the dense FP16 tensor peak (F).

    Optional: the card's own PCIe generation and lanes (the link runs at the lower of card and slot),
    power and slot width for the build rules."""

    vram_gb: float
    memory_bw_gbps: float  # GB/s
    tflops: float
    id: str = ""
    pcie_gen: int = 0
    pcie_lanes: int = 16
    tdp_w: float = 0.0
    slot_width: int = 2

    def __post_init__(self) -> None:
        self._check_price()
        owner = self._owner()
        check_number(owner, "vram_gb", self.vram_gb, low=0, low_inclusive=False, high=1024)
        check_number(owner, "memory_bw_gbps", self.memory_bw_gbps, low=0, low_inclusive=False, high=20000)
        check_number(owner, "tflops", self.tflops, low=0, low_inclusive=False, high=20000)
        check_int(owner, "pcie_gen", self.pcie_gen, low=0, high=6)
        check_int(owner, "pcie_lanes", self.pcie_lanes, low=1, high=16)
        check_number(owner, "tdp_w", self.tdp_w, low=0, high=2000)


@dataclass
class CPU(Buyable):
    """A CPU with peak `tflops` (the request's f). Optional platform facts cap RAM bandwidth:
    `memory_channels` x `memory_mt_s` x 8 bytes, and `ccd_count` x 32 bytes x `fclk_ghz` on chiplet
    CPUs (see docs/formulas.md, section Bandwidth). `flop_per_cycle` is the FP32 FLOP per cycle per
    core behind `tflops` (0 = unknown), which calibrated engine profiles cap."""

    tflops: float
    id: str = ""
    socket: str = ""
    cores: int = 0
    memory_channels: int = 0
    memory_mt_s: int = 0
    ccd_count: int = 0
    fclk_ghz: float = 0.0
    sockets: int = 1
    tdp_w: float = 0.0
    isa: tuple[str, ...] = field(default_factory=tuple)
    flop_per_cycle: int = 0

    def __post_init__(self) -> None:
        self._check_price()
        owner = self._owner()
        check_number(owner, "tflops", self.tflops, low=0, low_inclusive=False, high=1000)
        check_int(owner, "cores", self.cores, low=0, high=1024)
        check_int(owner, "memory_channels", self.memory_channels, low=0, high=32)
        check_int(owner, "memory_mt_s", self.memory_mt_s, low=0, high=20000)
        check_int(owner, "ccd_count", self.ccd_count, low=0, high=32)
        check_number(owner, "fclk_ghz", self.fclk_ghz, low=0, high=10)
        check_int(owner, "sockets", self.sockets, low=1, high=8)
        check_int(owner, "flop_per_cycle", self.flop_per_cycle, low=0, high=256)
