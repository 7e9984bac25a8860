"""Search entry points: the cheapest build meeting the targets (enumeration, or CP-SAT when the
query has mixed GPUs, owned parts, a budget or a power cap)."""

from __future__ import annotations

import heapq
import time

import numpy as np

from catalogs import Catalog, load_catalog
from costmodel import EngineProfile, ModelSpec, Workload, evaluate
from costmodel.report import build_report

from .cpsat import solve_cheapest
from .parts import BuildParts, build_arrays, power_of
from .query import Query, finite_or_none, resolve
from .result import INFEASIBLE, OPTIMAL, FoundBuild, SearchResult
from .scan import ScannedBlock, scan, skipped_for_price

CHECK_RTOL = 1e-9
"""Re-check tolerance: a returned build's speeds from the one-build path must equal the
enumeration's to this relative precision."""


def confirm(parts: BuildParts, query: Query, catalog: Catalog, spec: ModelSpec, workload: Workload,
            engine: EngineProfile, expected_decode: float | None = None) -> FoundBuild:
    """Re-evaluate one build through the scalar parts path and the numpy cost model."""
    hw, names, counts = build_arrays(parts, catalog)
    est = evaluate(spec, hw, workload, engine)
    report = build_report(est, 0, names, counts)
    decode = report["decode_tokens_per_s"]
    if expected_decode is not None and decode is not None and not np.isclose(
            decode, expected_decode, rtol=CHECK_RTOL):
        raise RuntimeError(f"re-check mismatch for {parts}: {decode} vs {expected_decode} tokens/s")
    part_list = parts.parts(catalog, dict(query.owned))
    return FoundBuild(parts, part_list, sum(p.cost_usd for p in part_list), power_of(parts, catalog),
                      decode, report["prefill_tokens_per_s"], report["time_to_first_token_s"], report)


def _uses_solver(query: Query) -> bool:
    return bool(query.mixed or query.owned or query.budget_usd is not None
                or query.power_cap_w is not None)


def cheapest(query: Query, catalog: Catalog | None = None) -> SearchResult:
    """The cheapest build in the catalogs that meets the query's targets."""
    start = time.perf_counter()
    catalog = catalog or load_catalog()
    spec, workload, engine = resolve(query, catalog)
    blocks = list(scan(query, catalog, spec, workload, engine))
    evaluated = sum(b.block.hw.n_builds for b in blocks)
    notices = skipped_for_price(catalog, dict(query.owned))
    if _uses_solver(query):
        chosen, bound, status, solver = solve_cheapest(blocks, query)
    else:
        chosen, bound, status, solver = _cheapest_by_enumeration(blocks, query.top_k), None, None, "enumeration"
    found = [confirm(b.block.parts(i), query, catalog, spec, workload, engine,
                     float(b.speeds.decode_tokens_per_s[i])) for b, i in chosen]
    if found:
        best = found[0]
        return SearchResult(status or OPTIMAL, "cheapest build meeting the targets", best, found[1:],
                            None, bound if bound is not None else best.price_usd,
                            time.perf_counter() - start, evaluated, solver,
                            binding(best, query, catalog), notices)
    reach = _best_reachable(blocks, query)
    best_reachable = None if reach is None else confirm(
        reach[0].block.parts(reach[1]), query, catalog, spec, workload, engine)
    return SearchResult(INFEASIBLE, "no build in the catalogs meets the targets within the limits",
                        None, [], best_reachable, None, time.perf_counter() - start, evaluated,
                        solver, [], notices)


def _cheapest_by_enumeration(blocks: list[ScannedBlock], k: int) -> list[tuple[ScannedBlock, int]]:
    """The k cheapest candidates that meet the targets, cheapest first (ties: fastest decode)."""
    heap: list[tuple[float, float, int, int]] = []
    for bi, b in enumerate(blocks):
        idx = np.flatnonzero(b.ok)
        if idx.size == 0:
            continue
        prices = b.block.price_usd[idx]
        take = idx[np.argsort(prices, kind="stable")[:k]]
        for i in take:
            heap.append((float(b.block.price_usd[i]), -float(b.speeds.decode_tokens_per_s[i]), bi, int(i)))
    best = heapq.nsmallest(k, heap)
    return [(blocks[bi], i) for _, _, bi, i in best]


def _best_reachable(blocks: list[ScannedBlock], query: Query) -> tuple[ScannedBlock, int] | None:
    """The fastest fitting build within budget and power: by decode speed when a decode target was
    asked (or none was), else by prefill speed."""
    by_prefill = query.decode_tokens_per_s is None and (
        query.prefill_tokens_per_s is not None or query.time_to_first_token_s is not None)
    best: tuple[float, ScannedBlock, int] | None = None
    for b in blocks:
        speed = b.speeds.prefill_tokens_per_s if by_prefill else b.speeds.decode_tokens_per_s
        mask = b.within & b.speeds.fits
        if not mask.any():
            continue
        i = int(np.flatnonzero(mask)[np.argmax(speed[mask])])
        if best is None or speed[i] > best[0]:
            best = (float(speed[i]), b, i)
    return None if best is None else (best[1], best[2])


BINDING_SLACK = 0.10
"""A target, capacity or cap within 10 % of its limit is reported as binding."""


def binding(found: FoundBuild, query: Query, catalog: Catalog) -> list[str]:
    """What holds the answer where it is: targets met with little slack, full slots, RAM nearly
    full, price or power near the caps."""
    out = []
    checks = [("decode", query.decode_tokens_per_s, found.decode_tokens_per_s, True),
              ("prefill", query.prefill_tokens_per_s, found.prefill_tokens_per_s, True),
              ("time to first token", query.time_to_first_token_s, found.time_to_first_token_s, False)]
    for name, target, got, higher_better in checks:
        if target is None or got is None:
            continue
        slack = got / target - 1 if higher_better else target / got - 1
        if slack <= BINDING_SLACK:
            out.append(f"target: {name} {got:.3g} vs {target:g} ({slack:+.0%} slack)")
    board = catalog.rows["board"][found.parts_ref.board]
    cards = sum(n for _, n in found.parts_ref.gpus)
    if cards and cards == len(board["pcie_slots"]):
        out.append(f"GPU slots: all {cards} of the board's slots are used")
    ram = found.report["placement"][-1]
    total = ram["weights_gb"] + ram["kv_gb"] + ram["free_gb"]
    if total > 0 and ram["free_gb"] <= BINDING_SLACK * total:
        out.append(f"RAM capacity: {ram['free_gb']:.0f} GB of {total:.0f} GB free")
    if query.budget_usd is not None and found.price_usd >= (1 - BINDING_SLACK) * query.budget_usd:
        out.append(f"budget: {found.price_usd:,.0f} of {query.budget_usd:,.0f} USD")
    if query.power_cap_w is not None and found.power_w >= (1 - BINDING_SLACK) * query.power_cap_w:
        out.append(f"power: {found.power_w:.0f} of {query.power_cap_w:.0f} W")
    return out


def finite(x: float) -> float | None:
    return finite_or_none(x)
