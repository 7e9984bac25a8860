"""A build as a parts list, and its hardware arrays computed one part at a time.

This scalar path is the reference the vectorized enumeration (optimizer.candidates) must agree
with; `moerig estimate` and the re-check of every search answer use it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from catalogs import Catalog
from catalogs.compat import (
    BASE_SYSTEM_W,
    cpu_fits_board,
    effective_module_gb_s,
    ram_fits_board,
    usable_gpu_slots,
)
from catalogs.hardware_rows import cpu_peak_tflops, sorted_slots
from costmodel import BuildArrays, pcie_link_gb_per_s
from costmodel.memory_bandwidth import ram_bandwidth_gb_s
from costmodel.validation import InputError


def purchase_cost_usd(unit_price_usd: float, count: int, owned: int) -> float:
    """What `count` parts cost when `owned` of them are already there: the rest at the unit price;
    nothing (not NaN) when none is bought, so an owned part without a price still counts."""
    bought = max(count - owned, 0)
    return 0.0 if bought == 0 else bought * unit_price_usd


@dataclass(frozen=True)
class Part:
    kind: str  # "board", "cpu", "gpu", "ram"
    id: str
    count: int
    unit_price_usd: float
    owned: int = 0

    @property
    def cost_usd(self) -> float:
        return purchase_cost_usd(self.unit_price_usd, self.count, self.owned)

    def as_dict(self) -> dict[str, object]:
        price = None if math.isnan(self.unit_price_usd) else self.unit_price_usd
        return {"kind": self.kind, "id": self.id, "count": self.count, "unit_price_usd": price,
                "owned": self.owned}


@dataclass(frozen=True)
class BuildParts:
    """Board, CPU (one per socket), GPUs per type in slot order (best slots first), RAM modules."""

    board: str
    cpu: str
    gpus: tuple[tuple[str, int], ...]
    ram: str
    ram_count: int

    def parts(self, catalog: Catalog, owned: dict[str, int] | None = None) -> list[Part]:
        owned = owned or {}
        rows = catalog.rows
        sockets = rows["board"][self.board]["sockets"]
        out = [Part("board", self.board, 1, _price(rows["board"][self.board]), owned.get(self.board, 0)),
               Part("cpu", self.cpu, sockets, _price(rows["cpu"][self.cpu]), owned.get(self.cpu, 0))]
        out += [Part("gpu", g, n, _price(rows["gpu"][g]), owned.get(g, 0)) for g, n in self.gpus if n]
        out.append(Part("ram", self.ram, self.ram_count, _price(rows["ram"][self.ram]),
                        owned.get(self.ram, 0)))
        return out


def _price(row: dict) -> float:
    return float(row.get("price_usd", math.nan))


def check_parts(build: BuildParts, catalog: Catalog) -> None:
    """Raise InputError naming the part when the parts do not fit together."""
    rows = catalog.rows
    catalog.board(build.board)
    catalog.cpu(build.cpu)
    catalog.ram_module(build.ram)
    board, cpu, ram = rows["board"][build.board], rows["cpu"][build.cpu], rows["ram"][build.ram]
    if not cpu_fits_board(cpu, board):
        raise InputError(f"--cpu '{build.cpu}' ({cpu['socket']}, {cpu['memory_type']}) does not fit "
                         f"board '{build.board}' ({board['socket']}, {board['memory_type']})")
    if not ram_fits_board(ram, board):
        raise InputError(f"--ram '{build.ram}' ({ram['memory_type']} {ram['module_kind']}) does not fit "
                         f"board '{build.board}' ({board['memory_type']} {'/'.join(board['module_kinds'])})")
    if not 1 <= build.ram_count <= board["dimm_slots"]:
        raise InputError(f"--ram count {build.ram_count}; allowed: 1 <= count <= {board['dimm_slots']} "
                         f"(DIMM slots of '{build.board}')")
    total = 0
    for gpu_id, count in build.gpus:
        catalog.gpu(gpu_id)
        total += count
    if total > len(board["pcie_slots"]):
        raise InputError(f"--gpu: {total} cards; allowed: at most {len(board['pcie_slots'])} "
                         f"(GPU slots of '{build.board}')")
    for gpu_id, count in build.gpus:
        limit = usable_gpu_slots(board, rows["gpu"][gpu_id])
        if count > limit:
            raise InputError(f"--gpu {gpu_id}:{count}; allowed: at most {limit} of this card on "
                             f"'{build.board}' (slot width)")


def gpu_groups(board_row: dict, gpu_rows: dict, gpus: tuple[tuple[str, int], ...]) -> list[list]:
    """[count, vram_gb, bandwidth_gb_s, tflops, link_gb_s, id] per group of identical cards on
    links of the same speed. Types take the board's slots in the order given, best slots first;
    a link runs at the lower generation and width of card and slot (catalogs.compat)."""
    groups: list[list] = []
    slots = sorted_slots(board_row)
    slot = 0
    for gpu_id, n in gpus:
        g = gpu_rows[gpu_id]
        for _ in range(n):
            gen, lanes = slots[slot]
            slot += 1
            link = pcie_link_gb_per_s(min(gen, g["pcie_gen"]), min(lanes, g["pcie_lanes"]))
            for grp in groups:
                if grp[5] == gpu_id and grp[4] == link:
                    grp[0] += 1
                    break
            else:
                groups.append([1, g["vram_gb"], g["memory_bw_gbps"], g["tflops"], link, gpu_id])
    return groups


def hardware_row(build: BuildParts, catalog: Catalog) -> tuple[list[float], ...]:
    """Per-group GPU lists (count, vram, bandwidth, tflops, link) and the CPU/RAM scalars of one build.

    GPU types take the board's slots in the order given, best slots first; cards of one type on
    slots of different speed form separate groups.
    """
    rows = catalog.rows
    board, cpu, ram = rows["board"][build.board], rows["cpu"][build.cpu], rows["ram"][build.ram]
    groups = gpu_groups(board, rows["gpu"], build.gpus)
    sockets = board["sockets"]
    channels = min(board["memory_channels"], cpu["memory_channels"] * sockets)
    module = effective_module_gb_s(ram, cpu, board, build.ram_count)
    # no chiplet cap: it did not hold on the measured machines (docs/formulas.md, Calibrated terms)
    ram_bw = float(ram_bandwidth_gb_s(build.ram_count, module, channels))
    cpu_tflops = cpu_peak_tflops(cpu) * sockets
    return groups, cpu_tflops, build.ram_count * ram["capacity_gb"], ram_bw, cpu_details(cpu, sockets)


def cpu_details(cpu: dict, sockets: int) -> tuple[float, float]:
    """(FP32 FLOP per cycle per core, physical cores over all sockets) for the calibrated terms."""
    return float(cpu["flop_per_cycle_fp32"]), float(cpu["cores"] * sockets)


def build_arrays(build: BuildParts, catalog: Catalog) -> tuple[BuildArrays, list[str], list[int]]:
    """One build as a batch of one, with GPU group names and counts (for costmodel.report)."""
    check_parts(build, catalog)
    groups, cpu_tflops, ram_gb, ram_bw, (flop_per_cycle, cores) = hardware_row(build, catalog)
    if not groups:
        groups = [[0, 0.0, 0.0, 0.0, 0.0, "gpu"]]
    hw = BuildArrays.from_arrays(
        gpu_count=[[g[0] for g in groups]], gpu_vram_gb=[[g[1] for g in groups]],
        gpu_bandwidth_gb_s=[[g[2] for g in groups]], gpu_tflops=[[g[3] for g in groups]],
        gpu_link_gb_s=[[g[4] for g in groups]], cpu_tflops=[cpu_tflops], ram_gb=[ram_gb],
        ram_bandwidth_gb_s=[ram_bw], cpu_flop_per_cycle=[flop_per_cycle], cpu_cores=[cores])
    return hw, [str(g[5]) for g in groups], [int(g[0]) for g in groups]


def power_of(build: BuildParts, catalog: Catalog) -> float:
    """GPU TDPs + CPU TDP per socket + BASE_SYSTEM_W [W] (catalogs.compat.power_w)."""
    rows = catalog.rows
    board = rows["board"][build.board]
    gpus_w = sum(rows["gpu"][g]["tdp_w"] * n for g, n in build.gpus)
    return gpus_w + rows["cpu"][build.cpu]["tdp_w"] * board["sockets"] + BASE_SYSTEM_W
