"""A build named on the command line: its parts, the board chosen for them, its estimate and
engine command; and the Query of a search. No printing here: the commands and `moerig batch`
both call these.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from catalogs import Catalog, UnknownIdError
from costmodel import ModelArch, evaluate
from costmodel.report import build_report
from costmodel.validation import InputError

from ..engine_command import ENGINES, engine_command
from ..parts import BuildParts, Part, build_arrays, check_parts, power_of
from ..query import Query, resolve
from .common import parse_id_counts


@dataclass(frozen=True)
class BoardChoice:
    board: str
    chosen: bool  # True when moerig picked it (no --board)
    note: str


def choose_board(catalog: Catalog, cpu: str, gpus: tuple[tuple[str, int], ...], ram: str,
                 ram_count: int) -> BoardChoice:
    """The cheapest catalog board that takes the CPU, `ram_count` modules of `ram` and the GPUs
    (unpriced boards only when no priced one does; ties by id)."""
    catalog.cpu(cpu)
    catalog.ram_module(ram)
    for gpu_id, _ in gpus:
        catalog.gpu(gpu_id)
    fitting: list[tuple[float, str]] = []
    why_not = ""
    for board_id, row in catalog.rows["board"].items():
        try:
            check_parts(BuildParts(board_id, cpu, gpus, ram, ram_count), catalog)
        except InputError as exc:
            if not why_not and row["socket"].lower() == catalog.rows["cpu"][cpu]["socket"].lower():
                why_not = str(exc)
            continue
        fitting.append((float(row.get("price_usd", math.inf)), board_id))
    cards = sum(n for _, n in gpus)
    if not fitting:
        hint = f" (e.g. {why_not})" if why_not else f" (no board has socket {catalog.rows['cpu'][cpu]['socket']})"
        raise InputError(f"--board: no catalog board takes --cpu {cpu} with {ram_count} x {ram} and "
                         f"{cards} GPU(s){hint}; name one with --board or change the parts")
    price, board = min(fitting)
    shown = "no price" if math.isinf(price) else f"{price:,.0f} USD"
    return BoardChoice(board, True, f"cheapest catalog board ({shown}) that takes the CPU, "
                                    f"{ram_count} modules and {cards} GPU(s); choose with --board")


def build_parts(catalog: Catalog, *, gpus: tuple[tuple[str, int], ...], cpu: str, ram: str,
                ram_count: int, board: str | None) -> tuple[BuildParts, BoardChoice]:
    """The parts, with the board given or chosen; raises InputError when they do not fit."""
    if board:
        catalog.board(board)
        choice = BoardChoice(board, False, "")
    else:
        choice = choose_board(catalog, cpu, gpus, ram, ram_count)
    parts = BuildParts(choice.board, cpu, gpus, ram, ram_count)
    check_parts(parts, catalog)
    return parts, choice


def estimate_report(query: Query, parts: BuildParts, catalog: Catalog) -> dict[str, Any]:
    """costmodel.report.build_report of one build for the query."""
    spec, workload, engine = resolve(query, catalog)
    hw, names, counts = build_arrays(parts, catalog)
    return build_report(evaluate(spec, hw, workload, engine), 0, names, counts, engine=engine,
                        context_tokens=workload.decode_context_tokens)


def price_and_power(parts: BuildParts, catalog: Catalog) -> tuple[list[Part], float, float]:
    """(parts with unit prices, total USD (NaN when a part has no price), power W)."""
    part_list = parts.parts(catalog)
    return part_list, sum(p.cost_usd for p in part_list), power_of(parts, catalog)


def threads_of(parts: BuildParts, catalog: Catalog) -> int:
    """Physical cores of the build: cores of the CPU row x sockets of the board."""
    return catalog.rows["cpu"][parts.cpu]["cores"] * catalog.rows["board"][parts.board]["sockets"]


def model_file_name(model: str, arch: ModelArch, quant: str) -> str:
    """The --model path when it is a GGUF file, else a placeholder named after model and quant."""
    if model.lower().endswith(".gguf"):
        return model
    return f"{arch.id}-{quant}.gguf"


def command_for(query: Query, parts: BuildParts, catalog: Catalog, report: dict[str, Any],
                model_arg: str) -> list[str] | None:
    """llama-server argv for this estimate, or None for an engine without one."""
    if query.engine not in ENGINES or not report.get("fits"):
        return None
    arch = catalog.model(query.model)
    workload = query.workload()
    return engine_command(
        arch, report, engine=query.engine, model_file=model_file_name(model_arg, arch, query.quant),
        context_tokens=workload.kv_allocated_tokens, ubatch_tokens=query.ubatch_tokens,
        kv_cache=query.kv_cache, threads=threads_of(parts, catalog), split=query.split,
        placement=query.placement, n_cpu_moe=query.n_cpu_moe)


def parts_summary(parts: BuildParts) -> str:
    """'supermicro-h13ssl-n + epyc-9534 + 4x rtx-3090 + 12x ddr5-4800-rdimm-64gb'."""
    gpus = [f"{n}x {g}" for g, n in parts.gpus if n]
    return " + ".join([parts.board, parts.cpu, *gpus, f"{parts.ram_count}x {parts.ram}"])


def search_query(cat: Catalog, *, model: str, owned: list[str] | None,
                 gpu_type: list[str] | None, **fields: Any) -> Query:
    """The Query of a cheapest or pareto search; owned ids are checked against every part kind
    (the search itself would ignore an unknown one)."""
    owned_counts = dict(parse_id_counts(owned or [], "--owned"))
    part_ids = [i for kind in ("gpu", "cpu", "board", "ram") for i in cat.rows[kind]]
    for part_id in owned_counts:
        if part_id not in part_ids:
            raise InputError(f"--owned: {UnknownIdError('part', part_id, part_ids)}")
    gpu_types = tuple(dict.fromkeys(g.strip() for g in gpu_type or [] if g.strip()))
    return Query(model=model, owned=owned_counts, gpu_types=gpu_types, **fields)
