"""Pareto fronts: the mask against brute force, and a real front in which no build dominates another."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from optimizer.pareto import pareto, pareto_mask
from optimizer.query import Query

small_ints = st.lists(st.integers(0, 6), min_size=0, max_size=40)


def brute_mask(price, *speeds):
    n = len(price)
    keep = []
    for i in range(n):
        dominated = False
        for j in range(n):
            if j == i:
                continue
            ge = price[j] <= price[i] and all(s[j] >= s[i] for s in speeds)
            strictly = price[j] < price[i] or any(s[j] > s[i] for s in speeds)
            if ge and (strictly or j < i):
                dominated = True
                break
        keep.append(not dominated)
    return np.array(keep, dtype=bool)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), n=st.integers(0, 40), axes=st.integers(1, 2))
def test_mask_matches_brute_force(data, n, axes):
    price = np.array(data.draw(st.lists(st.integers(0, 6), min_size=n, max_size=n)), dtype=float)
    speeds = [np.array(data.draw(st.lists(st.integers(0, 6), min_size=n, max_size=n)), dtype=float)
              for _ in range(axes)]
    assert (pareto_mask(price, *speeds) == brute_mask(price, *speeds)).all()


def test_real_front_has_no_dominated_build():
    result = pareto(Query(model="qwen3-30b-a3b", quant="Q4_K_M", context_tokens=8192,
                          gpu_types=("rtx-3090", "rtx-3060-12gb")), "both")
    points = [(p.price_usd, p.decode_tokens_per_s, p.prefill_tokens_per_s) for p in result.points]
    assert len(points) >= 2
    for i, a in enumerate(points):
        for j, b in enumerate(points):
            if i != j:
                assert not (b[0] <= a[0] and b[1] >= a[1] and b[2] >= a[2] and b != a)
    prices = [p[0] for p in points]
    assert prices == sorted(prices)
