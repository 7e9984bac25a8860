"""Enumerate builds as arrays, one board at a time: GPU configurations x memory configurations.

A memory configuration is a CPU (one per socket), a RAM module and a module count; a GPU
configuration is a count per GPU type. A board's candidates are their product, turned into
BuildArrays with np.repeat / np.tile, so the cost model sees every build of a board in one call.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from catalogs import Catalog
from catalogs.compat import (
    BASE_SYSTEM_W,
    cpu_fits_board,
    mt_s_by_module_count,
    ram_fits_board,
    usable_gpu_slots,
)
from catalogs.hardware_rows import cpu_peak_tflops, module_gb_per_s
from costmodel import BuildArrays
from costmodel.memory_bandwidth import ram_bandwidth_gb_s

from .parts import BuildParts, cpu_details, gpu_groups, purchase_cost_usd

GpuCounts = tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class GpuConfigs:
    """GPU configurations of one board: (n_gc, G) group arrays and (n_gc,) cost and power."""

    gpus: list[GpuCounts]
    count: NDArray[np.float64]
    vram_gb: NDArray[np.float64]
    bandwidth_gb_s: NDArray[np.float64]
    tflops: NDArray[np.float64]
    link_gb_s: NDArray[np.float64]
    cost_usd: NDArray[np.float64]  # NaN: a part to buy has no price
    power_w: NDArray[np.float64]


@dataclass(frozen=True)
class MemConfigs:
    """Memory configurations of one board: (n_mc,) arrays."""

    cpu: list[str]
    ram: list[str]
    ram_count: NDArray[np.int64]
    cpu_tflops: NDArray[np.float64]
    ram_gb: NDArray[np.float64]
    ram_bandwidth_gb_s: NDArray[np.float64]
    cost_usd: NDArray[np.float64]
    power_w: NDArray[np.float64]
    cpu_flop_per_cycle: NDArray[np.float64]
    cpu_cores: NDArray[np.float64]


def count_vectors(gpu_ids: Sequence[str], limits: Sequence[int], max_total: int,
                  mixed: bool) -> list[GpuCounts]:
    """No GPU, each type alone at 1..limit cards, and (mixed) every vector with 2+ types whose
    total is at most max_total."""
    out: list[GpuCounts] = [()]
    for gpu_id, limit in zip(gpu_ids, limits, strict=True):
        out += [((gpu_id, n),) for n in range(1, min(limit, max_total) + 1)]
    if mixed:
        ranges = [range(0, min(limit, max_total) + 1) for limit in limits]
        for counts in itertools.product(*ranges):
            if sum(1 for c in counts if c) >= 2 and sum(counts) <= max_total:
                out.append(tuple((g, c) for g, c in zip(gpu_ids, counts, strict=True) if c))
    return out


def gpu_configs(board_id: str, gpu_ids: Sequence[str], catalog: Catalog, owned: dict[str, int],
                max_gpus: int, mixed: bool) -> GpuConfigs:
    rows = catalog.rows
    board = rows["board"][board_id]
    slots = len(board["pcie_slots"])
    limits = [usable_gpu_slots(board, rows["gpu"][g]) for g in gpu_ids]
    vectors = [v for v in count_vectors(gpu_ids, limits, min(max_gpus, slots), mixed)
               if all(n <= lim for (g, n), lim in ((gn, limits[list(gpu_ids).index(gn[0])]) for gn in v))]
    groups = [gpu_groups(board, rows["gpu"], v) for v in vectors]
    width = max(1, max(len(g) for g in groups))
    arrays = np.zeros((5, len(vectors), width))
    for i, grp in enumerate(groups):
        for j, (count, vram, bw, tflops, link, _) in enumerate(grp):
            arrays[:, i, j] = (count, vram, bw, tflops, link)
    cost = np.array([sum(purchase_cost_usd(float(rows["gpu"][g].get("price_usd", math.nan)), n, owned.get(g, 0))
                         for g, n in v) for v in vectors])
    power = np.array([sum(rows["gpu"][g]["tdp_w"] * n for g, n in v) for v in vectors], dtype=float)
    return GpuConfigs(vectors, *arrays, cost_usd=cost, power_w=power)


def mem_configs(board_id: str, catalog: Catalog, owned: dict[str, int]) -> MemConfigs:
    """CPU x RAM module x module count (1 .. DIMM slots) for every compatible, undominated part."""
    rows = catalog.rows
    board = rows["board"][board_id]
    sockets = board["sockets"]
    cpu_ids = undominated([c for c, row in rows["cpu"].items() if cpu_fits_board(row, board)],
                          rows["cpu"], CPU_BETTER_HIGH, CPU_BETTER_LOW, owned, CPU_SAME)
    ram_ids = undominated([r for r, row in rows["ram"].items() if ram_fits_board(row, board)],
                          rows["ram"], RAM_BETTER_HIGH, RAM_BETTER_LOW, owned)
    m = np.arange(1, board["dimm_slots"] + 1)
    parts: dict[str, list] = {k: [] for k in ("cpu", "ram", "count", "tflops", "gb", "bw", "cost", "power",
                                              "fpc", "cores")}
    for cpu_id in cpu_ids:
        cpu = rows["cpu"][cpu_id]
        cpu_cost = purchase_cost_usd(float(cpu.get("price_usd", math.nan)), sockets, owned.get(cpu_id, 0))
        channels = min(board["memory_channels"], cpu["memory_channels"] * sockets)
        for ram_id in ram_ids:
            ram = rows["ram"][ram_id]
            module_gb_s = module_gb_per_s(mt_s_by_module_count(ram, cpu, board, m))
            bw = ram_bandwidth_gb_s(m, module_gb_s, channels)  # no chiplet cap, as optimizer.parts
            unit = float(ram.get("price_usd", math.nan))
            parts["cpu"] += [cpu_id] * len(m)
            parts["ram"] += [ram_id] * len(m)
            parts["count"].append(m)
            parts["tflops"].append(np.full(len(m), cpu_peak_tflops(cpu) * sockets))
            parts["gb"].append(m * float(ram["capacity_gb"]))
            parts["bw"].append(bw)
            parts["cost"].append(cpu_cost + np.array([purchase_cost_usd(unit, int(k), owned.get(ram_id, 0))
                                                      for k in m]))
            parts["power"].append(np.full(len(m), cpu["tdp_w"] * sockets, dtype=float))
            flop_per_cycle, cores = cpu_details(cpu, sockets)
            parts["fpc"].append(np.full(len(m), flop_per_cycle))
            parts["cores"].append(np.full(len(m), cores))
    if not parts["cpu"]:
        empty = np.zeros(0)
        return MemConfigs([], [], np.zeros(0, dtype=np.int64), *([empty] * 7))
    cat = {k: np.concatenate(parts[k]) for k in ("count", "tflops", "gb", "bw", "cost", "power", "fpc", "cores")}
    return MemConfigs(parts["cpu"], parts["ram"], cat["count"], cat["tflops"], cat["gb"], cat["bw"],
                      cat["cost"], cat["power"], cat["fpc"], cat["cores"])


CPU_BETTER_HIGH = ("base_ghz", "flop_per_cycle_fp32", "memory_mt_s", "memory_channels",
                   "ccd_count", "fclk_ghz")
CPU_BETTER_LOW = ("price_usd", "tdp_w")
CPU_SAME = ("cores",)
"""More cores are not always faster: the calibrated per-core synchronisation cost of every layer the
CPU works on grows with them (docs/formulas.md, Calibrated terms). So a CPU only dominates CPUs with
the same core count."""
RAM_BETTER_HIGH = ("capacity_gb", "mt_s")
RAM_BETTER_LOW = ("price_usd",)
GPU_BETTER_HIGH = ("memory_bw_gbps", "tflops", "pcie_gen", "pcie_lanes")
GPU_SAME = ("vram_gb",)
"""More VRAM is not always faster: it moves experts from RAM to the card, which is slower when the
card reads slower than the CPU's RAM (a P40's 347 GB/s against 12 DDR5 channels). So a card only
dominates cards of the same VRAM."""
GPU_BETTER_LOW = ("price_usd", "tdp_w", "slot_width")


def undominated(ids: Sequence[str], rows: dict, better_high: Sequence[str],
                better_low: Sequence[str], owned: dict[str, int], same: Sequence[str] = ()) -> list[str]:
    """Drop parts another part beats or equals on every field that can change speed, fit, price
    or power (a missing price counts as worse than any price; a missing CCD count as no cap), among
    parts equal on the `same` fields. Owned parts are kept: their price is not their cost. Ties keep
    the first id."""
    def key(i: str) -> tuple[list[float], list[float], list[float]]:
        r = rows[i]
        high = [float(r.get(f, math.inf if f == "ccd_count" else 0.0)) for f in better_high]
        low = [float(r.get(f, math.inf)) for f in better_low]
        return high, low, [float(r[f]) for f in same]

    keys = {i: key(i) for i in ids}
    kept = []
    for i in ids:
        hi_i, lo_i, same_i = keys[i]
        beaten = i not in owned and any(
            j != i and j not in owned and keys[j][2] == same_i
            and all(a >= b for a, b in zip(keys[j][0], hi_i, strict=True))
            and all(a <= b for a, b in zip(keys[j][1], lo_i, strict=True))
            and (keys[j] != keys[i] or ids.index(j) < ids.index(i))
            for j in ids)
        if not beaten:
            kept.append(i)
    return kept


@dataclass(frozen=True)
class Block:
    """All builds of one board: candidate i is GPU config i // n_mc and memory config i % n_mc."""

    board: str
    gpu_slots: int
    board_cost_usd: float
    gc: GpuConfigs
    mc: MemConfigs
    hw: BuildArrays
    price_usd: NDArray[np.float64]
    power_w: NDArray[np.float64]

    @property
    def n_mem(self) -> int:
        return len(self.mc.cpu)

    def parts(self, i: int) -> BuildParts:
        g, m = divmod(int(i), self.n_mem)
        return BuildParts(self.board, self.mc.cpu[m], self.gc.gpus[g], self.mc.ram[m],
                          int(self.mc.ram_count[m]))


def _priced(configs: GpuConfigs | MemConfigs) -> GpuConfigs | MemConfigs:
    """The configurations whose parts to buy all have a price."""
    return _take(configs, np.flatnonzero(~np.isnan(configs.cost_usd)))


def _take(configs: GpuConfigs | MemConfigs, keep: NDArray[np.int64]) -> GpuConfigs | MemConfigs:
    """The configurations at positions `keep`."""
    values = {}
    for name in configs.__dataclass_fields__:
        value = getattr(configs, name)
        values[name] = [value[i] for i in keep] if isinstance(value, list) else value[keep]
    return type(configs)(**values)


MAX_BLOCK_BUILDS = 262_144
"""Builds materialized at once: a board's GPU configurations are cut into slices so that one slice
times its memory configurations stays under this count (about 20 MB of arrays), whatever the
catalog size; the cost model then walks each slice in cache-sized chunks."""


def board_blocks(board_id: str, gpu_ids: Sequence[str], catalog: Catalog, owned: dict[str, int],
                 max_gpus: int, mixed: bool) -> Iterator[Block]:
    """Every priced build on `board_id`, in blocks of at most MAX_BLOCK_BUILDS builds (a single GPU
    configuration may exceed it when the board alone has more memory configurations). Nothing when
    the board has no price (and is not owned) or no priced CPU, RAM or GPU configuration fits it."""
    board_row = catalog.rows["board"][board_id]
    board_cost = purchase_cost_usd(float(board_row.get("price_usd", math.nan)), 1, owned.get(board_id, 0))
    if math.isnan(board_cost):
        return
    mc = _priced(mem_configs(board_id, catalog, owned))
    gc_all = _priced(gpu_configs(board_id, gpu_ids, catalog, owned, max_gpus, mixed))
    n_mc = len(mc.cpu)
    if not n_mc or not gc_all.gpus:
        return
    step = max(1, MAX_BLOCK_BUILDS // n_mc)
    for first in range(0, len(gc_all.gpus), step):
        gc = _take(gc_all, np.arange(first, min(first + step, len(gc_all.gpus))))
        n_gc = len(gc.gpus)

        def per_gpu(a: NDArray[np.float64], n_gc: int = n_gc) -> NDArray[np.float64]:
            return np.repeat(a, n_mc, axis=0)

        def per_mem(a: NDArray[np.float64], n_gc: int = n_gc) -> NDArray[np.float64]:
            return np.tile(a, n_gc)

        hw = BuildArrays(per_gpu(gc.count), per_gpu(gc.vram_gb), per_gpu(gc.bandwidth_gb_s),
                         per_gpu(gc.tflops), per_gpu(gc.link_gb_s), per_mem(mc.cpu_tflops),
                         per_mem(mc.ram_gb), per_mem(mc.ram_bandwidth_gb_s),
                         per_mem(mc.cpu_flop_per_cycle), per_mem(mc.cpu_cores))
        price = board_cost + per_gpu(gc.cost_usd) + per_mem(mc.cost_usd)
        power = per_gpu(gc.power_w) + per_mem(mc.power_w) + BASE_SYSTEM_W
        yield Block(board_id, len(board_row["pcie_slots"]), board_cost, gc, mc, hw, price, power)
