"""Search entry points: the cheapest build meeting the targets (enumeration, or CP-SAT when the
query has mixed GPUs, owned parts, a budget or a power cap)."""

from __future__ import annotations

import heapq
import time

import numpy as np

from catalogs import Catalog, load_catalog
from costmodel import EngineProfile, ModelSpec, Workload, evaluate
from costmodel.report import build_report

from .cpsat import PairTable, solve_cheapest
from .parts import BuildParts, build_arrays, power_of
from .query import Query, meets_targets, resolve
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
    report = build_report(est, 0, names, counts, engine=engine,
                          context_tokens=workload.decode_context_tokens)
    decode = report["decode_tokens_per_s"]
    if expected_decode is not None and decode is not None and not np.isclose(
            decode, expected_decode, rtol=CHECK_RTOL):
        raise RuntimeError(f"re-check mismatch for {parts}: {decode} vs {expected_decode} tokens/s")
    part_list = parts.parts(catalog, dict(query.owned))
    return FoundBuild(parts, part_list, sum(p.cost_usd for p in part_list), power_of(parts, catalog),
                      decode, report["prefill_tokens_per_s"], report["time_to_first_token_s"], report)


def _verify(build: FoundBuild, query: Query) -> None:
    """An answer must meet every target and limit when re-evaluated without the search."""
    nan = float("nan")
    ok = meets_targets(query, np.array([build.decode_tokens_per_s or nan]),
                       np.array([build.prefill_tokens_per_s or nan]),
                       np.array([build.time_to_first_token_s or nan]))[0]
    if query.budget_usd is not None:
        ok &= build.price_usd <= query.budget_usd + 1e-6
    if query.power_cap_w is not None:
        ok &= build.power_w <= query.power_cap_w + 1e-9
    if not ok:
        raise RuntimeError(f"re-check failed: {build.parts_ref} does not meet the query when re-evaluated")


def _uses_solver(query: Query) -> bool:
    return bool(query.mixed or query.owned or query.budget_usd is not None
                or query.power_cap_w is not None)


class _Cheapest:
    """The k cheapest candidates that meet the targets, over all blocks (ties: fastest decode)."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.items: list[tuple[float, float, int, BuildParts]] = []
        self.seen = 0

    def add(self, b: ScannedBlock) -> None:
        idx = np.flatnonzero(b.ok)
        if idx.size == 0:
            return
        take = idx[np.lexsort((-b.speeds.decode_tokens_per_s[idx], b.block.price_usd[idx]))[: self.k]]
        for i in take:
            self.seen += 1
            self.items.append((float(b.block.price_usd[i]), -float(b.speeds.decode_tokens_per_s[i]),
                               self.seen, b.block.parts(int(i))))
        self.items = heapq.nsmallest(self.k, self.items)

    def best(self) -> list[BuildParts]:
        return [parts for *_, parts in sorted(self.items)]


class _Fastest:
    """The fastest fitting build within budget and power: by decode speed when a decode target was
    asked (or none was), else by prefill speed."""

    def __init__(self, query: Query) -> None:
        self.by_prefill = query.decode_tokens_per_s is None and (
            query.prefill_tokens_per_s is not None or query.time_to_first_token_s is not None)
        self.speed = -np.inf
        self.parts: BuildParts | None = None

    def add(self, b: ScannedBlock) -> None:
        speed = b.speeds.prefill_tokens_per_s if self.by_prefill else b.speeds.decode_tokens_per_s
        mask = b.within & b.speeds.fits
        if mask.any():
            i = int(np.flatnonzero(mask)[np.argmax(speed[mask])])
            if speed[i] > self.speed:
                self.speed, self.parts = float(speed[i]), b.block.parts(i)


def cheapest(query: Query, catalog: Catalog | None = None) -> SearchResult:
    """The cheapest build in the catalogs that meets the query's targets: enumeration with the
    vectorized cost model; CP-SAT over the evaluated table when the query has mixed GPUs, owned
    parts, a budget or a power cap. Every answer is re-checked through the one-build path."""
    start = time.perf_counter()
    catalog = catalog or load_catalog()
    spec, workload, engine = resolve(query, catalog)
    use_solver = _uses_solver(query)
    table, top, fastest = PairTable(), _Cheapest(query.top_k), _Fastest(query)
    evaluated = 0
    for b in scan(query, catalog, spec, workload, engine):
        evaluated += b.block.hw.n_builds
        if use_solver:
            table.add(b)
        else:
            top.add(b)
        fastest.add(b)
    if use_solver:
        chosen, bound, status = solve_cheapest(table, query)
        solver = "cp-sat"
    else:
        chosen, bound, status, solver = top.best(), None, OPTIMAL, "enumeration"
    found = [confirm(parts, query, catalog, spec, workload, engine) for parts in chosen]
    for build in found:
        _verify(build, query)
    # equal prices (e.g. owned cards in use or not): the faster build first
    found.sort(key=lambda b: (round(b.price_usd, 2), -(b.decode_tokens_per_s or 0.0)))
    notices = skipped_for_price(catalog, dict(query.owned))
    wall = time.perf_counter() - start
    if found:
        best = found[0]
        return SearchResult(status, "cheapest build meeting the targets", best, found[1:], None,
                            best.price_usd if bound is None else bound, wall, evaluated, solver,
                            binding(best, query, catalog), notices)
    reachable = None if fastest.parts is None else confirm(fastest.parts, query, catalog, spec,
                                                            workload, engine)
    return SearchResult(INFEASIBLE, "no build in the catalogs meets the targets within the limits",
                        None, [], reachable, None, wall, evaluated, solver, [], notices)


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
