"""OR-Tools CP-SAT model of the cheapest build under linear side constraints.

Model (CP-SAT Primer's pattern: instance -> variables -> constraints -> objective -> solve):
- variables: g, the GPU configuration (a count per GPU type, shared by all boards), and m, the
  memory configuration (board, CPU, RAM module, module count);
- speed: the pairs (g, m) whose build meets every target form an AddAllowedAssignments table.
  The table is the numpy cost model evaluated on every pair (optimizer.scan), i.e. the time as the
  cost model computes it for exactly the decisions the solver sees;
- linear constraints: cards(g) <= slots(m); power(g) + power(m) + base <= cap; price <= budget;
- objective: price(g) + price(m) + price(board of m), with owned parts at zero cost.
Money is scaled to integer cents and power to integer watts once, at the boundary (PRICE_SCALE,
POWER_SCALE); re-ranking the k best uses AddForbiddenAssignments on the pairs already taken.
"""

from __future__ import annotations

import math

import numpy as np
from ortools.sat.python import cp_model

from catalogs.compat import BASE_SYSTEM_W

from .query import Query, meets_targets
from .result import INFEASIBLE, OPTIMAL, TIME_LIMIT
from .scan import ScannedBlock

PRICE_SCALE = 100
"""Integer units per USD in the model (cents)."""
POWER_SCALE = 1
"""Integer units per watt in the model."""
TIME_LIMIT_S = 10.0
"""Solver wall-time limit per solve [s]; past it the status is time_limit with the proven bound."""
STATUS = {cp_model.OPTIMAL: OPTIMAL, cp_model.FEASIBLE: TIME_LIMIT, cp_model.INFEASIBLE: INFEASIBLE}


def solve_cheapest(blocks: list[ScannedBlock], query: Query
                   ) -> tuple[list[tuple[ScannedBlock, int]], float | None, str, str]:
    """The k cheapest builds (k = query.top_k), the proven lower bound on the cheapest price [USD],
    the status, and the solver name."""
    gpu_index: dict[tuple, int] = {}
    g_cost, g_power, g_cards = [], [], []
    m_block, m_local, m_cost, m_power, m_slots = [], [], [], [], []
    pairs: list[tuple[int, int]] = []
    for bi, b in enumerate(blocks):
        blk = b.block
        local_to_global = []
        for gl, vector in enumerate(blk.gc.gpus):
            if vector not in gpu_index:
                gpu_index[vector] = len(g_cost)
                g_cost.append(blk.gc.cost_usd[gl])
                g_power.append(blk.gc.power_w[gl])
                g_cards.append(sum(n for _, n in vector))
            local_to_global.append(gpu_index[vector])
        first_m = len(m_cost)
        board_cost = blk.price_usd[0] - blk.gc.cost_usd[0] - blk.mc.cost_usd[0]
        slots = blk.gpu_slots
        for ml in range(blk.n_mem):
            m_block.append(bi)
            m_local.append(ml)
            m_cost.append(board_cost + blk.mc.cost_usd[ml])
            m_power.append(blk.mc.power_w[ml])
            m_slots.append(slots)
        meets = (b.speeds.fits & _meets(b, query)).reshape(len(blk.gc.gpus), blk.n_mem)
        for gl in range(len(blk.gc.gpus)):
            for ml in _cost_power_front(np.flatnonzero(meets[gl]), blk.mc.cost_usd, blk.mc.power_w):
                pairs.append((local_to_global[gl], first_m + int(ml)))
    if not pairs:
        return [], None, INFEASIBLE, "cp-sat"

    model = cp_model.CpModel()
    g = model.NewIntVar(0, len(g_cost) - 1, "gpu_config")
    m = model.NewIntVar(0, len(m_cost) - 1, "memory_config")
    model.AddAllowedAssignments([g, m], pairs)
    price_g = _element(model, g, [_cents(c) for c in g_cost], "price_gpus")
    price_m = _element(model, m, [_cents(c) for c in m_cost], "price_platform")
    cards = _element(model, g, g_cards, "cards")
    slots = _element(model, m, m_slots, "slots")
    model.Add(cards <= slots)
    price = price_g + price_m
    if query.budget_usd is not None:
        model.Add(price <= _cents(query.budget_usd))
    if query.power_cap_w is not None:
        power_g = _element(model, g, [_watts(p) for p in g_power], "power_gpus")
        power_m = _element(model, m, [_watts(p) for p in m_power], "power_platform")
        model.Add(power_g + power_m + _watts(BASE_SYSTEM_W) <= math.floor(query.power_cap_w * POWER_SCALE))
    model.Minimize(price)

    gpu_vectors = list(gpu_index)
    chosen: list[tuple[ScannedBlock, int]] = []
    bound: float | None = None
    status = OPTIMAL
    for rank in range(query.top_k):
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = TIME_LIMIT_S
        solver.parameters.num_workers = 2
        code = solver.Solve(model)
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            if rank == 0:
                status = STATUS.get(code, INFEASIBLE)
            break
        if rank == 0:
            status = STATUS[code]
            bound = solver.BestObjectiveBound() / PRICE_SCALE
        gv, mv = solver.Value(g), solver.Value(m)
        blk = blocks[m_block[mv]]
        gl = blk.block.gc.gpus.index(gpu_vectors[gv])
        chosen.append((blk, gl * blk.block.n_mem + m_local[mv]))
        model.AddForbiddenAssignments([g, m], [(gv, mv)])
    return chosen, bound, status if chosen else INFEASIBLE, "cp-sat"


def _cost_power_front(idx: np.ndarray, cost: np.ndarray, power: np.ndarray) -> np.ndarray:
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


def _meets(b: ScannedBlock, query: Query) -> np.ndarray:
    s = b.speeds
    return meets_targets(query, s.decode_tokens_per_s, s.prefill_tokens_per_s, s.time_to_first_token_s)


def _element(model: cp_model.CpModel, index: cp_model.IntVar, values: list[int], name: str):
    var = model.NewIntVar(min(values), max(values), name)
    model.AddElement(index, values, var)
    return var


def _cents(usd: float) -> int:
    return int(round(usd * PRICE_SCALE))


def _watts(w: float) -> int:
    return int(round(w * POWER_SCALE))

