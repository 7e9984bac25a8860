"""Price-versus-speed Pareto frontiers over every candidate build of a query."""

from __future__ import annotations

import bisect
import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from catalogs import Catalog, load_catalog

from .query import Query, resolve
from .result import FoundBuild
from .scan import scan, skipped_for_price
from .search import confirm

AXES = ("decode", "prefill", "both")


def pareto_mask(price: NDArray[np.float64], *speeds: NDArray[np.float64]) -> NDArray[np.bool_]:
    """True for the points no other point dominates: lower-or-equal price and higher-or-equal
    speed on every axis, strictly better on one. Among exact duplicates the first is kept.

    Points are visited by price (then speeds, descending), so every point that could dominate the
    current one came before it. One speed axis: keep points faster than every earlier one.
    Two axes: keep the 2-D skyline (staircase) of the earlier points' speeds; the current point is
    dominated when the staircase has a point at least as fast on both. O(n log n).
    """
    n = price.shape[0]
    keep = np.zeros(n, dtype=bool)
    if n == 0:
        return keep
    if len(speeds) not in (1, 2):
        raise ValueError("pareto_mask takes one or two speed axes")
    order = np.lexsort(tuple(-s for s in reversed(speeds)) + (price,))
    if len(speeds) == 1:
        s = speeds[0][order]
        best_before = np.maximum.accumulate(np.concatenate(([-np.inf], s[:-1])))
        keep[order[s > best_before]] = True
        return keep
    a_sorted, b_sorted = speeds[0][order].tolist(), speeds[1][order].tolist()
    stair_a: list[float] = []  # ascending a; b descending along it
    stair_b: list[float] = []
    for pos, (a, b) in enumerate(zip(a_sorted, b_sorted, strict=True)):
        k = bisect.bisect_left(stair_a, a)
        if k < len(stair_a) and stair_b[k] >= b:
            continue
        keep[order[pos]] = True
        # drop staircase points the new one covers (a' <= a and b' <= b), then insert it
        j = k
        while j > 0 and stair_b[j - 1] <= b:
            j -= 1
        del stair_a[j:k]
        del stair_b[j:k]
        if j < len(stair_a) and stair_a[j] == a:
            stair_b[j] = max(stair_b[j], b)
        else:
            stair_a.insert(j, a)
            stair_b.insert(j, b)
    return keep


@dataclass(frozen=True)
class ParetoResult:
    axis: str
    points: list[FoundBuild]
    candidates_evaluated: int
    wall_s: float
    notices: list[str]

    def as_dict(self) -> dict:
        return {"axis": self.axis, "candidates_evaluated": self.candidates_evaluated,
                "wall_s": round(self.wall_s, 3), "notices": self.notices,
                "points": [p.as_dict() for p in self.points]}


def pareto(query: Query, axis: str = "decode", catalog: Catalog | None = None,
           max_points: int = 200) -> ParetoResult:
    """Non-dominated builds on price vs decode, price vs prefill, or all three, among the builds
    that fit (targets of the query, if any, filter first), cheapest first."""
    if axis not in AXES:
        raise ValueError(f"axis {axis!r}; allowed: {', '.join(AXES)}")
    start = time.perf_counter()
    catalog = catalog or load_catalog()
    spec, workload, engine = resolve(query, catalog)
    price, dec, pre, where = [], [], [], []
    evaluated = 0
    for b in scan(query, catalog, spec, workload, engine):
        evaluated += b.block.hw.n_builds
        ok = b.ok if query.has_targets else (b.within & b.speeds.fits)
        idx = np.flatnonzero(ok)
        if idx.size == 0:
            continue
        local = _front(axis, b.block.price_usd[idx], b.speeds.decode_tokens_per_s[idx],
                       b.speeds.prefill_tokens_per_s[idx])
        for i in idx[local]:
            price.append(b.block.price_usd[i])
            dec.append(b.speeds.decode_tokens_per_s[i])
            pre.append(b.speeds.prefill_tokens_per_s[i])
            where.append(b.block.parts(int(i)))
    price_a, dec_a, pre_a = np.array(price), np.array(dec), np.array(pre)
    front = np.flatnonzero(_front(axis, price_a, dec_a, pre_a))
    front = front[np.argsort(price_a[front], kind="stable")][:max_points]
    points = [confirm(where[k], query, catalog, spec, workload, engine, float(dec_a[k])) for k in front]
    return ParetoResult(axis, points, evaluated, time.perf_counter() - start,
                        skipped_for_price(catalog, dict(query.owned)))


def _front(axis: str, price: NDArray[np.float64], dec: NDArray[np.float64],
           pre: NDArray[np.float64]) -> NDArray[np.bool_]:
    if axis == "decode":
        return pareto_mask(price, dec)
    if axis == "prefill":
        return pareto_mask(price, pre)
    return pareto_mask(price, dec, pre)
