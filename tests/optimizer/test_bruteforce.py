"""The search against brute force on random small catalogs: same minimum price, or both find none.

The brute force walks every board x compatible CPU x GPU counts x module x module count one build
at a time through the scalar parts path (optimizer.parts.build_arrays) and the cost model, with no
pruning, no vectorized enumeration and no solver.
"""

from __future__ import annotations

import itertools
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalogs.compat import cpu_fits_board, ram_fits_board, usable_gpu_slots
from costmodel import evaluate
from optimizer.parts import BuildParts, build_arrays, power_of
from optimizer.query import Query, resolve
from optimizer.search import cheapest

from .small_catalogs import small_catalogs

MODEL = "qwen3-30b-a3b"


def brute_force_min_price(query: Query, catalog) -> float | None:
    spec, workload, engine = resolve(query, catalog)
    rows = catalog.rows
    gpu_ids = list(query.gpu_types) or list(rows["gpu"])
    best = None
    for board_id, board in rows["board"].items():
        slots = len(board["pcie_slots"])
        limits = [min(usable_gpu_slots(board, rows["gpu"][g]), slots, query.max_gpus) for g in gpu_ids]
        vectors = [()] + [((g, n),) for g, lim in zip(gpu_ids, limits, strict=True) for n in range(1, lim + 1)]
        if query.mixed:
            vectors += [tuple((g, c) for g, c in zip(gpu_ids, counts, strict=True) if c)
                        for counts in itertools.product(*(range(lim + 1) for lim in limits))
                        if sum(1 for c in counts if c) >= 2 and sum(counts) <= min(slots, query.max_gpus)]
        for cpu_id, cpu in rows["cpu"].items():
            if not cpu_fits_board(cpu, board):
                continue
            for ram_id, ram in rows["ram"].items():
                if not ram_fits_board(ram, board):
                    continue
                for m in range(1, board["dimm_slots"] + 1):
                    for vector in vectors:
                        parts = BuildParts(board_id, cpu_id, vector, ram_id, m)
                        price = sum(p.cost_usd for p in parts.parts(catalog, dict(query.owned)))
                        if query.budget_usd is not None and price > query.budget_usd:
                            continue
                        if query.power_cap_w is not None and power_of(parts, catalog) > query.power_cap_w:
                            continue
                        hw, _, _ = build_arrays(parts, catalog)
                        est = evaluate(spec, hw, workload, engine)
                        decode = float(est.decode_tokens_per_s[0])
                        if math.isnan(decode) or decode < query.decode_tokens_per_s:
                            continue
                        if best is None or price < best:
                            best = price
    return best


def check(query: Query, catalog) -> None:
    result = cheapest(query, catalog)
    expected = brute_force_min_price(query, catalog)
    if expected is None:
        assert result.build is None and result.status == "infeasible"
    else:
        assert result.build is not None, f"search found nothing, brute force {expected}"
        assert math.isclose(result.build.price_usd, expected, rel_tol=1e-9), (result.build.price_usd, expected)
        assert result.build.decode_tokens_per_s >= query.decode_tokens_per_s


SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))


@SETTINGS
@given(catalog=small_catalogs(), target=st.floats(5, 150))
def test_enumeration_matches_brute_force(catalog, target):
    check(Query(model=MODEL, context_tokens=4096, prompt_tokens=512, decode_tokens_per_s=target),
          catalog)


@SETTINGS
@given(catalog=small_catalogs(), target=st.floats(5, 150), budget=st.floats(500, 8000),
       power=st.floats(300, 1500))
def test_cp_sat_with_caps_matches_brute_force(catalog, target, budget, power):
    check(Query(model=MODEL, context_tokens=4096, prompt_tokens=512, decode_tokens_per_s=target,
                budget_usd=budget, power_cap_w=power), catalog)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(catalog=small_catalogs(max_gpus=2), target=st.floats(5, 150))
def test_cp_sat_mixed_matches_brute_force(catalog, target):
    gpu_ids = tuple(catalog.rows["gpu"])
    if len(gpu_ids) < 2:
        return
    check(Query(model=MODEL, context_tokens=4096, prompt_tokens=512, decode_tokens_per_s=target,
                gpu_types=gpu_ids, mixed=True), catalog)
