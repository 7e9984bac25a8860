"""Benchmark of the search on the shipped catalogs. Prints wall times, candidates per second and
the ratio against evaluating the same builds one at a time in a Python loop.

Floors (issue 4): homogeneous cheapest-build query < 2 s after import; mixed query (two GPU types,
up to 8 GPUs) proven optimal < 10 s; vectorized candidates/s >= 100x the per-build loop.

    python scripts/bench_optimizer.py
"""

from __future__ import annotations

import time

import numpy as np

from catalogs import load_catalog
from costmodel import evaluate
from optimizer.parts import build_arrays
from optimizer.query import Query, resolve
from optimizer.scan import scan
from optimizer.search import cheapest

HOMOGENEOUS = Query(model="deepseek-v3", quant="Q4_K_M", context_tokens=8192, decode_tokens_per_s=10)
MIXED = Query(model="deepseek-v3", quant="Q4_K_M", context_tokens=8192, decode_tokens_per_s=10,
              gpu_types=("rtx-3090", "rtx-5090"), mixed=True, max_gpus=8)
LOOP_SAMPLE = 2000


def main() -> None:
    start = time.perf_counter()
    catalog = load_catalog()
    load_s = time.perf_counter() - start

    start = time.perf_counter()
    homogeneous = cheapest(HOMOGENEOUS, catalog)
    homogeneous_s = time.perf_counter() - start

    start = time.perf_counter()
    mixed = cheapest(MIXED, catalog)
    mixed_s = time.perf_counter() - start

    spec, workload, engine = resolve(HOMOGENEOUS, catalog)
    blocks = list(scan(HOMOGENEOUS, catalog, spec, workload, engine))
    n_candidates = sum(b.block.hw.n_builds for b in blocks)
    start = time.perf_counter()
    list(scan(HOMOGENEOUS, catalog, spec, workload, engine))
    scan_s = time.perf_counter() - start
    rng = np.random.default_rng(0)
    sample = []
    for _ in range(LOOP_SAMPLE):
        b = blocks[rng.integers(len(blocks))]
        sample.append(b.block.parts(int(rng.integers(b.block.hw.n_builds))))
    start = time.perf_counter()
    for parts in sample:
        hw, _, _ = build_arrays(parts, catalog)
        _ = evaluate(spec, hw, workload, engine).decode_tokens_per_s
    loop_s = time.perf_counter() - start
    vector_rate = n_candidates / scan_s
    loop_rate = LOOP_SAMPLE / loop_s

    print(f"catalog load: {load_s:.3f} s")
    print(f"homogeneous cheapest (deepseek-v3 Q4_K_M, 8k, >= 10 tok/s): {homogeneous_s:.2f} s, "
          f"status {homogeneous.status}, {homogeneous.candidates_evaluated:,} candidates, "
          f"{homogeneous.build.price_usd:,.0f} USD  (floor: < 2 s)")
    print(f"mixed cheapest (rtx-3090 + rtx-5090, up to 8 GPUs): {mixed_s:.2f} s, status {mixed.status} "
          f"via {mixed.solver}, {mixed.build.price_usd:,.0f} USD, bound {mixed.bound_usd:,.0f}  (floor: < 10 s)")
    print(f"vectorized scan: {n_candidates:,} candidates in {scan_s:.2f} s = {vector_rate:,.0f} /s")
    print(f"per-build Python loop: {LOOP_SAMPLE:,} builds in {loop_s:.2f} s = {loop_rate:,.0f} /s")
    print(f"ratio: {vector_rate / loop_rate:,.0f}x  (floor: 100x)")


if __name__ == "__main__":
    main()
