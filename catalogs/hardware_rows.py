"""Schemas of gpus.toml, cpus.toml, boards.toml and ram.toml, and their rows as costmodel parts.

Units as in costmodel.hardware: GB = 10^9 bytes, GB/s, TFLOPS = 10^12 FLOP/s, W, USD. A row
without `price_usd` becomes a part with price NaN (known part, no price yet).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from costmodel import CPU, GPU, RAM, Motherboard
from costmodel.units import BYTES_PER_GB, FLOPS_PER_TFLOPS
from costmodel.validation import InputError

from .loader import (
    PRICE_FIELDS,
    PROVENANCE_FIELDS,
    Kind,
    choice,
    choice_list,
    number,
    table_list,
    text,
    whole,
)

MEMORY_TYPES = ("ddr4", "ddr5")
MODULE_KINDS = ("rdimm", "udimm", "lrdimm")
ISA_EXTENSIONS = ("avx2", "avx512", "amx")
MAX_MT_S = 20000
TRANSFERS_PER_MT = 1e6
HZ_PER_GHZ = 1e9

DIMM_BUS_BYTES = 8
"""Data bytes per transfer of one DDR4/DDR5 DIMM (64-bit bus; DDR5 as two 32-bit subchannels)."""

GPU_SCHEMA = {
    "id": text(),
    "name": text(),
    "vendor": text(),
    "vram_gb": number(0, 1024, low_inclusive=False),
    "memory_bw_gbps": number(0, 20000, low_inclusive=False),
    "tflops": number(0, 20000, low_inclusive=False),
    "tflops_fp16_acc": number(0, 20000, low_inclusive=False, required=False),
    "pcie_gen": whole(1, 6),
    "pcie_lanes": whole(1, 16),
    "tdp_w": number(0, 2000, low_inclusive=False),
    "slot_width": whole(1, 4),
    **PRICE_FIELDS,
    **PROVENANCE_FIELDS,
}

CPU_SCHEMA = {
    "id": text(),
    "name": text(),
    "vendor": text(),
    "family": text(),
    "socket": text(),
    "cores": whole(1, 1024),
    "base_ghz": number(0, 10, low_inclusive=False),
    "boost_ghz": number(0, 10, low_inclusive=False, required=False),
    "flop_per_cycle_fp32": number(0, 256, low_inclusive=False),
    "isa": choice_list(*ISA_EXTENSIONS),
    "memory_type": choice(*MEMORY_TYPES),
    "memory_channels": whole(1, 32),
    "memory_mt_s": whole(1, MAX_MT_S),
    "pcie_lanes": whole(0, 512),
    "pcie_gen": whole(1, 6),
    "ccd_count": whole(1, 32, required=False),
    "fclk_ghz": number(0, 10, low_inclusive=False, required=False),
    "sockets": whole(1, 8, required=False),
    "tdp_w": number(0, 2000, low_inclusive=False),
    **PRICE_FIELDS,
    **PROVENANCE_FIELDS,
}

PCIE_SLOT_SCHEMA = {
    "gen": whole(1, 6),
    "lanes": whole(1, 16),
    "kind": choice("slot", "mcio", required=False),
}

BOARD_SCHEMA = {
    "id": text(),
    "name": text(),
    "socket": text(),
    "sockets": whole(1, 8),
    "form_factor": text(),
    "dimm_slots": whole(1, 64),
    "memory_channels": whole(1, 32),
    "dimms_per_channel": whole(1, 3),
    "memory_type": choice(*MEMORY_TYPES),
    "module_kinds": choice_list(*MODULE_KINDS, min_items=1),
    "max_mt_s_1dpc": whole(1, MAX_MT_S, required=False),
    "max_mt_s_2dpc": whole(1, MAX_MT_S, required=False),
    "pcie_slots": table_list(PCIE_SLOT_SCHEMA),
    "double_width_gpu_slots": whole(0, 32, required=False),
    **PRICE_FIELDS,
    **PROVENANCE_FIELDS,
}

RAM_SCHEMA = {
    "id": text(),
    "name": text(),
    "memory_type": choice(*MEMORY_TYPES),
    "module_kind": choice(*MODULE_KINDS),
    "capacity_gb": number(0, 4096, low_inclusive=False),
    "mt_s": whole(1, MAX_MT_S),
    "ranks": whole(1, 16, required=False),
    **PRICE_FIELDS,
    **PROVENANCE_FIELDS,
}


def price_of(row: Mapping[str, Any]) -> float:
    """`price_usd` of a row [USD], NaN when the row has none."""
    return float(row.get("price_usd", math.nan))


def module_gb_per_s(mt_s: float) -> float:
    """Peak bandwidth of one DIMM [GB/s] = MT/s x 8 bytes / 1000 (DDR5-4800: 38.4 GB/s;
    shared/research/hardware.md, section 4)."""
    return mt_s * TRANSFERS_PER_MT * DIMM_BUS_BYTES / BYTES_PER_GB


def cpu_peak_tflops(row: Mapping[str, Any]) -> float:
    """Peak FP32 of a CPU row [TFLOPS] = cores x base GHz x FP32 FLOP per cycle per core / 1000.

    Derived, never typed in the catalog. Zen 2-4: 32 FLOP/cycle, Zen 5 and Xeon AVX-512: 64
    (shared/research/hardware.md, section 2); EPYC 9654: 96 x 2.4 x 32 / 1000 = 7.37 TFLOPS.
    """
    flops = row["cores"] * row["base_ghz"] * HZ_PER_GHZ * row["flop_per_cycle_fp32"]
    return flops / FLOPS_PER_TFLOPS


def sorted_slots(board_row: Mapping[str, Any]) -> list[tuple[int, int]]:
    """(gen, lanes) of a board's GPU slots, widest and fastest first: the order the search fills
    them in (sorted by lanes, then generation, descending)."""
    slots = [(slot["gen"], slot["lanes"]) for slot in board_row["pcie_slots"]]
    return sorted(slots, key=lambda gen_lanes: (gen_lanes[1], gen_lanes[0]), reverse=True)


def gpu_from_row(row: Mapping[str, Any]) -> GPU:
    """A gpus.toml row as a costmodel GPU (`tflops`: dense FP16 tensor, FP32 accumulate)."""
    return GPU(
        name=row["name"], price=price_of(row), vram_gb=row["vram_gb"],
        memory_bw_gbps=row["memory_bw_gbps"], tflops=row["tflops"], id=row["id"],
        pcie_gen=row["pcie_gen"], pcie_lanes=row["pcie_lanes"], tdp_w=row["tdp_w"],
        slot_width=row["slot_width"],
    )


def cpu_from_row(row: Mapping[str, Any]) -> CPU:
    """A cpus.toml row as a costmodel CPU with derived peak `tflops` (cpu_peak_tflops)."""
    boost = row.get("boost_ghz")
    if boost is not None and boost < row["base_ghz"]:
        raise InputError(f"field 'boost_ghz' = {boost!r} is below base_ghz = {row['base_ghz']!r}; "
                         "allowed: boost_ghz >= base_ghz")
    return CPU(
        name=row["name"], price=price_of(row), tflops=cpu_peak_tflops(row), id=row["id"],
        socket=row["socket"], cores=row["cores"], memory_channels=row["memory_channels"],
        memory_mt_s=row["memory_mt_s"], ccd_count=row.get("ccd_count", 0),
        fclk_ghz=row.get("fclk_ghz", 0.0), sockets=row.get("sockets", 1), tdp_w=row["tdp_w"],
        isa=tuple(row["isa"]), flop_per_cycle=row["flop_per_cycle_fp32"],
    )


def board_from_row(row: Mapping[str, Any]) -> Motherboard:
    """A boards.toml row as a costmodel Motherboard; GPU slots in sorted_slots order."""
    _check_board(row)
    slots = sorted_slots(row)
    return Motherboard(
        name=row["name"], price=price_of(row), ram_slots=row["dimm_slots"],
        pcie_slots=len(slots), pcie_gen=max((gen for gen, _ in slots), default=1), id=row["id"],
        socket=row["socket"], memory_channels=row["memory_channels"],
        memory_type=row["memory_type"], slot_gens=tuple(gen for gen, _ in slots),
        slot_lanes=tuple(lanes for _, lanes in slots),
    )


def _check_board(row: Mapping[str, Any]) -> None:
    capacity = row["memory_channels"] * row["dimms_per_channel"]
    if row["dimm_slots"] > capacity:
        raise InputError(f"field 'dimm_slots' = {row['dimm_slots']} exceeds memory_channels x "
                         f"dimms_per_channel = {capacity}; allowed: dimm_slots <= {capacity}")
    one, two = row.get("max_mt_s_1dpc"), row.get("max_mt_s_2dpc")
    if one is not None and two is not None and two > one:
        raise InputError(f"field 'max_mt_s_2dpc' = {two} exceeds max_mt_s_1dpc = {one}; "
                         "allowed: max_mt_s_2dpc <= max_mt_s_1dpc")
    double = row.get("double_width_gpu_slots")
    if double is not None and double > len(row["pcie_slots"]):
        raise InputError(f"field 'double_width_gpu_slots' = {double} exceeds the "
                         f"{len(row['pcie_slots'])} listed pcie_slots")


def ram_from_row(row: Mapping[str, Any]) -> RAM:
    """A ram.toml row as a costmodel RAM module, its bandwidth from mt_s (module_gb_per_s)."""
    return RAM(
        name=row["name"], price=price_of(row), capacity_gb=row["capacity_gb"],
        memory_bw_per_module_gbps=module_gb_per_s(row["mt_s"]), id=row["id"],
        memory_type=row["memory_type"], module_kind=row["module_kind"], mt_s=row["mt_s"],
    )


GPU_KIND = Kind("gpu", GPU_SCHEMA, gpu_from_row)
CPU_KIND = Kind("cpu", CPU_SCHEMA, cpu_from_row)
BOARD_KIND = Kind("board", BOARD_SCHEMA, board_from_row)
RAM_KIND = Kind("ram", RAM_SCHEMA, ram_from_row)
