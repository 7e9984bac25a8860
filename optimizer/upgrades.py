"""Single next steps from a build and what each buys: tokens/s per 1,000 USD."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from catalogs import Catalog
from catalogs.compat import ram_fits_board, usable_gpu_slots
from costmodel import evaluate
from costmodel.validation import InputError

from .parts import BuildParts, build_arrays
from .query import Query, resolve


@dataclass(frozen=True)
class Step:
    description: str
    parts: BuildParts
    added_usd: float
    decode_tokens_per_s: float | None
    delta_decode_tokens_per_s: float | None
    prefill_tokens_per_s: float | None

    @property
    def tokens_per_s_per_1000_usd(self) -> float | None:
        if self.delta_decode_tokens_per_s is None or self.added_usd <= 0:
            return None
        return 1000.0 * self.delta_decode_tokens_per_s / self.added_usd

    def as_dict(self) -> dict[str, object]:
        return {"description": self.description, "added_usd": round(self.added_usd, 2),
                "decode_tokens_per_s": self.decode_tokens_per_s,
                "delta_decode_tokens_per_s": self.delta_decode_tokens_per_s,
                "prefill_tokens_per_s": self.prefill_tokens_per_s,
                "tokens_per_s_per_1000_usd": self.tokens_per_s_per_1000_usd}


def _speeds(parts: BuildParts, query: Query, catalog: Catalog) -> tuple[float | None, float | None]:
    spec, workload, engine = resolve(query, catalog)
    hw, _, _ = build_arrays(parts, catalog)
    est = evaluate(spec, hw, workload, engine)
    dec, pre = float(est.decode_tokens_per_s[0]), float(est.prefill_tokens_per_s[0])
    return (None if math.isnan(dec) else dec), (None if math.isnan(pre) else pre)


def _unit(catalog: Catalog, kind: str, part_id: str) -> float:
    return float(catalog.rows[kind][part_id].get("price_usd", math.nan))


def candidate_steps(parts: BuildParts, catalog: Catalog) -> list[tuple[str, BuildParts, float]]:
    """(description, new parts, added cost) for: one more card of each type in the build (when a
    slot is free), filling every memory channel, and the same module count at a faster speed."""
    rows = catalog.rows
    board, cpu = rows["board"][parts.board], rows["cpu"][parts.cpu]
    steps: list[tuple[str, BuildParts, float]] = []
    cards = sum(n for _, n in parts.gpus)
    for gpu_id, n in parts.gpus:
        if cards < len(board["pcie_slots"]) and n < usable_gpu_slots(board, rows["gpu"][gpu_id]):
            gpus = tuple((g, c + 1 if g == gpu_id else c) for g, c in parts.gpus)
            steps.append((f"one more {gpu_id} ({n} -> {n + 1})", replace(parts, gpus=gpus),
                          _unit(catalog, "gpu", gpu_id)))
    channels = min(board["memory_channels"], cpu["memory_channels"] * board["sockets"])
    if parts.ram_count < channels:
        extra = channels - parts.ram_count
        steps.append((f"fill the memory channels ({parts.ram_count} -> {channels} x {parts.ram})",
                      replace(parts, ram_count=channels), extra * _unit(catalog, "ram", parts.ram)))
    ram = rows["ram"][parts.ram]
    faster = [r for r_id, r in rows["ram"].items()
              if ram_fits_board(r, board) and r["capacity_gb"] == ram["capacity_gb"]
              and r["mt_s"] > ram["mt_s"] and "price_usd" in r and r_id != parts.ram]
    if faster and ram["mt_s"] < cpu["memory_mt_s"]:
        best = min(faster, key=lambda r: (r["price_usd"], -r["mt_s"]))
        steps.append((f"faster modules ({parts.ram} -> {best['id']})", replace(parts, ram=best["id"]),
                      parts.ram_count * best["price_usd"]))
    return steps


def next_steps(parts: BuildParts, query: Query, catalog: Catalog) -> list[Step]:
    """Each single step evaluated with the cost model, best tokens/s per dollar first (steps
    without a price or that break the build are left out)."""
    base_decode, _ = _speeds(parts, query, catalog)
    out = []
    for description, new, added in candidate_steps(parts, catalog):
        if math.isnan(added):
            continue
        try:
            dec, pre = _speeds(new, query, catalog)
        except InputError:
            continue
        delta = None if dec is None or base_decode is None else dec - base_decode
        out.append(Step(description, new, added, dec, delta, pre))
    return sorted(out, key=lambda s: -(s.tokens_per_s_per_1000_usd or -math.inf))
