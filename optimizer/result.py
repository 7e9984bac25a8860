"""What a search returns: a status, the build, its price and speeds, and how it was found."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .parts import BuildParts, Part

OPTIMAL = "optimal"
INFEASIBLE = "infeasible"
TIME_LIMIT = "time_limit"
FEASIBLE = "feasible"


@dataclass(frozen=True)
class FoundBuild:
    """One build, re-checked with the cost model: parts, price, power and the estimate report."""

    parts_ref: BuildParts
    parts: list[Part]
    price_usd: float
    power_w: float
    decode_tokens_per_s: float | None
    prefill_tokens_per_s: float | None
    time_to_first_token_s: float | None
    report: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "price_usd": round(self.price_usd, 2),
            "power_w": round(self.power_w, 1),
            "decode_tokens_per_s": self.decode_tokens_per_s,
            "prefill_tokens_per_s": self.prefill_tokens_per_s,
            "time_to_first_token_s": self.time_to_first_token_s,
            "build": [p.as_dict() for p in self.parts],
            "bottleneck_decode": self.report.get("bottleneck_decode"),
            "bottleneck_prefill": self.report.get("bottleneck_prefill"),
            "placement": self.report.get("placement"),
        }


@dataclass(frozen=True)
class SearchResult:
    """status: optimal (the cheapest build meeting the targets, proven), infeasible (none in the
    catalogs does; `best_reachable` holds the fastest build within the limits), time_limit (the
    solver stopped first; `build` is the best found, `bound_usd` the proven lower bound)."""

    status: str
    message: str
    build: FoundBuild | None
    alternatives: list[FoundBuild]
    best_reachable: FoundBuild | None
    bound_usd: float | None
    wall_s: float
    candidates_evaluated: int
    solver: str
    binding: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        best = self.build
        return {
            "status": self.status,
            "message": self.message,
            "price_usd": None if best is None else round(best.price_usd, 2),
            "decode_tokens_per_s": None if best is None else best.decode_tokens_per_s,
            "prefill_tokens_per_s": None if best is None else best.prefill_tokens_per_s,
            "time_to_first_token_s": None if best is None else best.time_to_first_token_s,
            "build": None if best is None else [p.as_dict() for p in best.parts],
            "details": None if best is None else best.as_dict(),
            "alternatives": [b.as_dict() for b in self.alternatives],
            "best_reachable": None if self.best_reachable is None else self.best_reachable.as_dict(),
            "bound_usd": self.bound_usd,
            "binding": self.binding,
            "wall_s": round(self.wall_s, 3),
            "candidates_evaluated": self.candidates_evaluated,
            "solver": self.solver,
            "notices": self.notices,
        }
