"""Evaluate every candidate build of a query with the vectorized cost model, board by board."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from catalogs import Catalog
from costmodel import EngineProfile, ModelSpec, Workload
from costmodel.speeds import Speeds, evaluate_speeds

from .candidates import GPU_BETTER_HIGH, GPU_BETTER_LOW, GPU_SAME, Block, board_blocks, undominated
from .query import Query, meets_targets


@dataclass(frozen=True)
class ScannedBlock:
    """One block of a board's candidates with their speeds; `within` = inside the budget and power
    cap, `meets_targets` = every target met, `ok` = both, and the build fits."""

    block: Block
    speeds: Speeds
    within: NDArray[np.bool_]
    meets_targets: NDArray[np.bool_]

    @property
    def ok(self) -> NDArray[np.bool_]:
        return self.within & self.speeds.fits & self.meets_targets


def allowed_gpu_ids(query: Query, catalog: Catalog) -> list[str]:
    """The GPU types to search: the query's list (checked ids) or every catalog GPU not dominated
    by a cheaper, better one (optimizer.candidates.undominated); owned GPUs always."""
    if query.gpu_types:
        return [catalog.gpu(g).id or g for g in query.gpu_types]
    ids = list(catalog.rows["gpu"])
    return undominated(ids, catalog.rows["gpu"], GPU_BETTER_HIGH, GPU_BETTER_LOW, dict(query.owned),
                       GPU_SAME)


def scan(query: Query, catalog: Catalog, spec: ModelSpec, workload: Workload,
         engine: EngineProfile) -> Iterator[ScannedBlock]:
    """Yield every board's evaluated candidates, block by block (boards without a price or fitting
    parts skipped). Consumers reduce each block before the next, so memory stays bounded."""
    gpu_ids = allowed_gpu_ids(query, catalog)
    owned = dict(query.owned)
    for board_id in catalog.rows["board"]:
        for block in board_blocks(board_id, gpu_ids, catalog, owned, query.max_gpus, query.mixed):
            yield _evaluated(block, query, spec, workload, engine)


def _evaluated(block: Block, query: Query, spec: ModelSpec, workload: Workload,
               engine: EngineProfile) -> ScannedBlock:
    """Speeds, limits and targets of every build in `block`."""
    within = np.ones(block.hw.n_builds, dtype=bool)
    if query.budget_usd is not None:
        within &= block.price_usd <= query.budget_usd
    if query.power_cap_w is not None:
        within &= block.power_w <= query.power_cap_w
    speeds = evaluate_speeds(spec, block.hw, workload, engine)
    meets = meets_targets(query, speeds.decode_tokens_per_s, speeds.prefill_tokens_per_s,
                          speeds.time_to_first_token_s)
    return ScannedBlock(block, speeds, within, meets)


def skipped_for_price(catalog: Catalog, owned: dict[str, int]) -> list[str]:
    """Notices for parts the search skips because they have no price (and are not owned)."""
    notices = []
    for kind in ("board", "cpu", "gpu", "ram"):
        missing = sorted(i for i, row in catalog.rows[kind].items()
                         if "price_usd" not in row and i not in owned)
        if missing:
            notices.append(f"skipped {len(missing)} {kind} rows without a price: {', '.join(missing)}")
    return notices
