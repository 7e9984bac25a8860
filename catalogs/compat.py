"""Build rules the optimizer applies to catalog rows: which parts fit together, the speed the
memory runs at, which slots the GPUs take and their links, and the power draw.

Pure functions of validated rows (`Catalog.rows[kind][id]`). Sources: shared/research/hardware.md,
sections 2 (CPU notes, 'Channel population'), 3 (Motherboards) and 5 (PCIe).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from costmodel import pcie_link_gb_per_s
from costmodel.validation import InputError

from .hardware_rows import module_gb_per_s, sorted_slots

Row = Mapping[str, Any]

DEFAULT_2DPC_SPEED_FRAC = 0.75
"""Memory speed at 2 DIMMs per channel as a fraction of the 1-DPC speed, for boards that do not
state `max_mt_s_2dpc`: Genoa runs DDR5-4800 at 1DPC and 3600 at 2DPC, 3600 / 4800 = 0.75
(Gigabyte MZ33-AR0 spec; hardware.md, section 2, 'Channel population'). Milan (3200 -> 2933) and
Sapphire Rapids (4800 -> 4400) lose less, so this errs on the slow side."""

BASE_SYSTEM_W = 100.0
"""Power of everything except GPUs and CPU [W]: board (chipset, BMC, NICs), drives, fans and DIMMs.
An allowance (engineering estimate; hardware.md has no measured system power)."""


def cpu_fits_board(cpu_row: Row, board_row: Row) -> bool:
    """The CPU goes into the board: same socket and memory type, and the CPU row does not need more
    sockets than the board has (hardware.md, section 3: socket and memory columns)."""
    return (
        cpu_row["socket"].lower() == board_row["socket"].lower()
        and cpu_row["memory_type"] == board_row["memory_type"]
        and cpu_row.get("sockets", 1) <= board_row["sockets"]
    )


def ram_fits_board(ram_row: Row, board_row: Row) -> bool:
    """The module goes into the board: same memory type (DDR4/DDR5) and a module kind the board
    takes (RDIMM, UDIMM, LRDIMM; hardware.md, section 3, memory column)."""
    return (
        ram_row["memory_type"] == board_row["memory_type"]
        and ram_row["module_kind"] in board_row["module_kinds"]
    )


def effective_mt_s(ram_row: Row, cpu_row: Row, board_row: Row, n_modules: int) -> float:
    """Speed the memory runs at [MT/s] with `n_modules` modules on this board.

    mt = min(module mt_s, CPU memory_mt_s, board max_mt_s_1dpc if given). With more modules than
    the board has channels (2 DIMMs per channel) mt = min(mt, board max_mt_s_2dpc), or
    mt x DEFAULT_2DPC_SPEED_FRAC when the board does not state it (hardware.md, section 2,
    'Channel population': Genoa 4800 at 1DPC, 3600 at 2DPC).
    """
    if not 1 <= n_modules <= board_row["dimm_slots"]:
        raise InputError(f"board '{board_row['id']}': n_modules = {n_modules} is out of range; "
                         f"allowed: 1 <= value <= {board_row['dimm_slots']} (dimm_slots)")
    return float(mt_s_by_module_count(ram_row, cpu_row, board_row, np.array([n_modules]))[0])


def mt_s_by_module_count(ram_row: Row, cpu_row: Row, board_row: Row,
                         n_modules: NDArray[np.int64]) -> NDArray[np.float64]:
    """effective_mt_s for an array of module counts (no range check): the search's form."""
    speeds = [ram_row["mt_s"], cpu_row["memory_mt_s"], board_row.get("max_mt_s_1dpc")]
    base = float(min(speed for speed in speeds if speed is not None))
    two_dpc = board_row.get("max_mt_s_2dpc")
    derated = min(base, two_dpc) if two_dpc is not None else base * DEFAULT_2DPC_SPEED_FRAC
    return np.where(np.asarray(n_modules) > board_row["memory_channels"], derated, base)


def effective_module_gb_s(ram_row: Row, cpu_row: Row, board_row: Row, n_modules: int) -> float:
    """Peak bandwidth of one module [GB/s] at effective_mt_s: mt x 8 bytes / 1000 (hardware.md,
    section 4: DDR5-4800 = 38.4 GB/s, 3600 = 28.8 GB/s)."""
    return module_gb_per_s(effective_mt_s(ram_row, cpu_row, board_row, n_modules))


def usable_gpu_slots(board_row: Row, gpu_row: Row) -> int:
    """How many of this GPU the board takes: every listed slot (MCIO ports via an x16 adapter),
    but at most `double_width_gpu_slots` when the board states it and the card is 2 or more slots
    wide (slot spacing; hardware.md, section 3, slot columns)."""
    slots = len(board_row["pcie_slots"])
    double = board_row.get("double_width_gpu_slots")
    if double is not None and gpu_row["slot_width"] >= 2:
        return min(slots, double)
    return slots


def slot_links_gb_s(board_row: Row, gpu_row: Row, count: int) -> list[float]:
    """Host link of each of `count` identical cards [GB/s per direction], best slots first.

    Per slot: pcie_link_gb_per_s(min(card gen, slot gen), min(card lanes, slot lanes)), since a
    link trains to the lower generation and width of its two ends (hardware.md, section 5; a
    PCIe 4.0 x16 card in a 5.0 x8 slot gets 4.0 x8 = 15.75 GB/s). Cards take the fastest links.
    """
    usable = usable_gpu_slots(board_row, gpu_row)
    if not 0 <= count <= usable:
        raise InputError(f"board '{board_row['id']}': {count} x '{gpu_row['id']}' is out of range; "
                         f"allowed: 0 <= count <= {usable} (usable slots for this card)")
    links = [
        pcie_link_gb_per_s(min(gen, gpu_row["pcie_gen"]), min(lanes, gpu_row["pcie_lanes"]))
        for gen, lanes in sorted_slots(board_row)
    ]
    return sorted(links, reverse=True)[:count]


def power_w(
    gpu_rows_with_counts: Iterable[tuple[Row, int]], cpu_row: Row, *, cpu_count: int = 1
) -> float:
    """Build power [W] = sum of GPU TDP x count + CPU TDP x cpu_count + BASE_SYSTEM_W."""
    gpus_w = sum(row["tdp_w"] * count for row, count in gpu_rows_with_counts)
    return gpus_w + cpu_row["tdp_w"] * cpu_count + BASE_SYSTEM_W
