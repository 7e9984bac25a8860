"""OR-Tools CP-SAT model of the cheapest build under linear side constraints.

Model (the CP-SAT Primer's pattern: instance -> variables -> constraints -> objective -> solve):
- instance (`PairTable`): GPU configurations g (a count per GPU type; shared by all boards) and
  memory configurations m (board, CPU, RAM module, module count), with their costs, power draws,
  card counts and slot counts, and the (g, m) pairs whose build meets every target. The pairs come
  from the numpy cost model evaluated on every build (optimizer.scan): the solver sees the speed
  exactly as the cost model computes it for the decisions it makes;
- variables: g and m, integer indices;
- constraints: (g, m) in the allowed table; cards(g) <= slots(m); power(g) + power(m) + base <= cap;
  price <= budget;
- objective: minimize price(g) + price(m) (board included in m; owned parts cost nothing).
Money is scaled to integer cents and power to integer watts once, at the boundary (PRICE_SCALE,
POWER_SCALE). The k best come from re-solving with AddForbiddenAssignments on the pairs taken.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from ortools.sat.python import cp_model

from catalogs.compat import BASE_SYSTEM_W

from .candidates import GpuCounts
from .parts import BuildParts
from .query import Query
from .result import INFEASIBLE, OPTIMAL, TIME_LIMIT
from .scan import ScannedBlock

PRICE_SCALE = 100
"""Integer units per USD in the model (cents)."""
POWER_SCALE = 1
"""Integer units per watt in the model."""
TIME_LIMIT_S = 10.0
"""Solver wall-time limit per solve [s]; past it the status is time_limit with the proven bound."""
STATUS = {cp_model.OPTIMAL: OPTIMAL, cp_model.FEASIBLE: TIME_LIMIT}


@dataclass
class PairTable:
    """The solver's instance, filled block by block (`add`) so no block is kept."""

    gpu_index: dict[GpuCounts, int] = field(default_factory=dict)
    g_cost: list[float] = field(default_factory=list)
    g_power: list[float] = field(default_factory=list)
    g_cards: list[int] = field(default_factory=list)
    m_parts: list[tuple[str, str, str, int]] = field(default_factory=list)
    m_index: dict[tuple[str, str, str, int], int] = field(default_factory=dict)
    m_cost: list[float] = field(default_factory=list)
    m_power: list[float] = field(default_factory=list)
    m_slots: list[int] = field(default_factory=list)
    pairs: set[tuple[int, int]] = field(default_factory=set)

    def add(self, scanned: ScannedBlock) -> None:
        """Record the block's configurations and its (g, m) pairs that meet the targets, keeping
        per g only the memory configurations no other beats on both cost and power."""
        blk = scanned.block
        g_global = [self._gpu(vector, blk.gc.cost_usd[i], blk.gc.power_w[i])
                    for i, vector in enumerate(blk.gc.gpus)]
        m_cost = blk.board_cost_usd + blk.mc.cost_usd
        meets = (scanned.speeds.fits & scanned.meets_targets).reshape(len(blk.gc.gpus), blk.n_mem)
        for gl in range(len(blk.gc.gpus)):
            for ml in _cost_power_front(np.flatnonzero(meets[gl]), m_cost, blk.mc.power_w):
                key = (blk.board, blk.mc.cpu[ml], blk.mc.ram[ml], int(blk.mc.ram_count[ml]))
                m = self._memory(key, float(m_cost[ml]), float(blk.mc.power_w[ml]), blk.gpu_slots)
                self.pairs.add((g_global[gl], m))

    def _gpu(self, vector: GpuCounts, cost: float, power: float) -> int:
        if vector not in self.gpu_index:
            self.gpu_index[vector] = len(self.g_cost)
            self.g_cost.append(float(cost))
            self.g_power.append(float(power))
            self.g_cards.append(sum(n for _, n in vector))
        return self.gpu_index[vector]

    def _memory(self, key: tuple[str, str, str, int], cost: float, power: float, slots: int) -> int:
        if key not in self.m_index:
            self.m_index[key] = len(self.m_cost)
            self.m_parts.append(key)
            self.m_cost.append(cost)
            self.m_power.append(power)
            self.m_slots.append(slots)
        return self.m_index[key]


def solve_cheapest(table: PairTable, query: Query) -> tuple[list[BuildParts], float | None, str]:
    """The k cheapest builds (k = query.top_k), the proven lower bound on the cheapest price [USD]
    and the status."""
    if not table.pairs:
        return [], None, INFEASIBLE
    model = cp_model.CpModel()
    g = model.NewIntVar(0, len(table.g_cost) - 1, "gpu_config")
    m = model.NewIntVar(0, len(table.m_cost) - 1, "memory_config")
    model.AddAllowedAssignments([g, m], sorted(table.pairs))
    price_g = _element(model, g, [_cents(c) for c in table.g_cost], "price_gpus")
    price_m = _element(model, m, [_cents(c) for c in table.m_cost], "price_platform")
    model.Add(_element(model, g, table.g_cards, "cards") <= _element(model, m, table.m_slots, "slots"))
    price = price_g + price_m
    if query.budget_usd is not None:
        model.Add(price <= _cents(query.budget_usd))
    if query.power_cap_w is not None:
        power_g = _element(model, g, [_watts(p) for p in table.g_power], "power_gpus")
        power_m = _element(model, m, [_watts(p) for p in table.m_power], "power_platform")
        model.Add(power_g + power_m + _watts(BASE_SYSTEM_W) <= math.floor(query.power_cap_w * POWER_SCALE))
    model.Minimize(price)

    vectors = list(table.gpu_index)
    chosen: list[BuildParts] = []
    bound: float | None = None
    status = INFEASIBLE
    for rank in range(query.top_k):
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = TIME_LIMIT_S
        solver.parameters.num_workers = 2
        code = solver.Solve(model)
        if code not in STATUS:
            break
        if rank == 0:
            status = STATUS[code]
            bound = solver.BestObjectiveBound() / PRICE_SCALE
        gv, mv = solver.Value(g), solver.Value(m)
        board, cpu, ram, count = table.m_parts[mv]
        chosen.append(BuildParts(board, cpu, vectors[gv], ram, count))
        model.AddForbiddenAssignments([g, m], [(gv, mv)])
    return chosen, bound, status


def _cost_power_front(idx: NDArray[np.int64], cost: NDArray[np.float64],
                      power: NDArray[np.float64]) -> NDArray[np.int64]:
    """The memory configurations among `idx` that no other one beats on both cost and power.
    With the GPU configuration fixed, a dominated one can never be the cheaper choice under a
    budget and a power cap, so it is left out of the table (ties keep the first)."""
    if idx.size <= 1:
        return idx
    order = idx[np.lexsort((power[idx], cost[idx]))]
    running_min = np.minimum.accumulate(power[order])
    keep = np.ones(order.size, dtype=bool)
    keep[1:] = power[order][1:] < running_min[:-1]
    return order[keep]


def _element(model: cp_model.CpModel, index: cp_model.IntVar, values: list[int], name: str) -> cp_model.IntVar:
    var = model.NewIntVar(min(values), max(values), name)
    model.AddElement(index, values, var)
    return var


def _cents(usd: float) -> int:
    return int(round(usd * PRICE_SCALE))


def _watts(w: float) -> int:
    return int(round(w * POWER_SCALE))
