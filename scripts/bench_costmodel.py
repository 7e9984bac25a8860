"""Benchmark: builds evaluated per second by the vectorized core vs a Python loop over
PCBuild.performance. Prints the figures and the ratio; floors: >= 1,000,000 builds/s, >= 200x.

    python scripts/bench_costmodel.py [--builds 1000000] [--loop 300]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from costmodel import (
    CPU,
    GPU,
    LLM,
    RAM,
    BuildArrays,
    EngineProfile,
    Motherboard,
    PCBuild,
    Workload,
    evaluate,
)
from costmodel.speeds import evaluate_speeds

R1 = LLM("DeepSeek-R1", 671, 37.55, 17.12, 4 * 7168e-9, 35136e-9, 7168, bits_per_weight=4.82,
         n_layers=61)


def random_builds(n: int, rng: np.random.Generator) -> BuildArrays:
    return BuildArrays.from_arrays(
        gpu_count=rng.integers(0, 9, n),
        gpu_vram_gb=rng.choice([16.0, 24.0, 32.0, 48.0, 96.0], n),
        gpu_bandwidth_gb_s=rng.uniform(300, 1800, n),
        gpu_tflops=rng.uniform(20, 400, n),
        gpu_link_gb_s=rng.choice([15.75, 31.5, 63.0], n),
        cpu_tflops=rng.uniform(0.3, 20, n),
        ram_gb=rng.choice([256.0, 384.0, 512.0, 768.0, 1536.0], n),
        ram_bandwidth_gb_s=rng.uniform(80, 600, n),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--builds", type=int, default=1_000_000)
    parser.add_argument("--loop", type=int, default=300)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    hw = random_builds(args.builds, rng)
    spec = R1.to_spec()
    workload = Workload(prompt_tokens=4096, decode_context_tokens=4096)
    engine = EngineProfile.uniform(0.5)
    evaluate(spec, random_builds(1000, rng), workload, engine)  # warm-up

    start = time.perf_counter()
    evaluate_speeds(spec, hw, workload, engine)
    vector_s = time.perf_counter() - start
    vector_rate = args.builds / vector_s

    board = Motherboard("board", 1000, ram_slots=8, pcie_slots=8)
    builds = []
    for i in range(args.loop):
        gpu = GPU("g", 1000, vram_gb=24, memory_bw_gbps=float(rng.uniform(300, 1800)),
                  tflops=float(rng.uniform(20, 400)))
        ram = RAM("r", 300, capacity_gb=64, memory_bw_per_module_gbps=35)
        b = PCBuild(board, CPU("c", 900, tflops=float(rng.uniform(0.3, 20)))).fill(ram, gpu)
        b.gpus = b.gpus[: i % 9]
        builds.append(b)
    start = time.perf_counter()
    for b in builds:
        b.performance(R1, 4096, kv_cache_bpw=2)
    loop_s = time.perf_counter() - start
    loop_rate = args.loop / loop_s

    start = time.perf_counter()
    _ = evaluate(spec, hw, workload, engine).decode_tokens_per_s
    one_call_s = time.perf_counter() - start

    print(f"vectorized core, chunked (evaluate_speeds): {args.builds:,} builds in {vector_s:.3f} s = "
          f"{vector_rate:,.0f} builds/s")
    print(f"vectorized core, one call (evaluate): {args.builds / one_call_s:,.0f} builds/s")
    print(f"python loop over PCBuild.performance: {args.loop:,} builds in {loop_s:.3f} s = "
          f"{loop_rate:,.0f} builds/s")
    print(f"ratio: {vector_rate / loop_rate:,.0f}x  (floors: 1,000,000 builds/s and 200x)")


if __name__ == "__main__":
    main()
