"""`moerig pareto`: the builds no other build beats on price and speed, with the seed builds."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Annotated, Literal

import typer

from catalogs import Catalog
from costmodel.validation import InputError

from ..pareto import ParetoResult
from ..pareto import pareto as pareto_search
from ..parts import BuildParts
from ..query import Query, resolve
from ..result import FoundBuild
from ..search import confirm
from .builds import search_query
from .common import (
    EXIT_NO_BUILD,
    CatalogOpt,
    EngineOpt,
    KvCacheOpt,
    ModelOpt,
    PlacementOpt,
    PromptOpt,
    QuantOpt,
    QuietOpt,
    SplitOpt,
    UbatchOpt,
    VerboseOpt,
    cli_errors,
    console,
    fail,
    open_catalog,
    with_model,
)
from .output import builds_table, print_lines, section, short_notices
from .search_cmds import (
    BudgetOpt,
    ContextOpt,
    DecodeOpt,
    GpuTypeOpt,
    MaxGpusOpt,
    MixedOpt,
    OwnedOpt,
    PowerOpt,
    PrefillOpt,
    TtftOpt,
)

SEED_BUILDS = (
    ("A: 7-slot board, 7x RTX 3090, 8x DDR5",
     BuildParts("asrock-rack-genoad8x-2t", "epyc-9534", (("rtx-3090", 7),), "ddr5-4800-rdimm-64gb", 8)),
    ("B: 4-slot board, 4x RTX 3090, 12x DDR5",
     BuildParts("supermicro-h13ssl-n", "epyc-9534", (("rtx-3090", 4),), "ddr5-4800-rdimm-64gb", 12)),
)
"""The request's two example machines (its boards filled with RTX 3090s and DDR5, EPYC 9534)."""


def seed_builds(query: Query, cat: Catalog) -> list[tuple[str, FoundBuild]]:
    """The seed builds evaluated for the query; those the catalogs lack or that fail are left out."""
    spec, workload, engine = resolve(query, cat)
    out = []
    for name, parts in SEED_BUILDS:
        try:
            found = confirm(parts, query, cat, spec, workload, engine)
        except (InputError, KeyError):
            continue
        if found.report["fits"]:
            out.append((name, found))
    return out


PARETO_CSV_COLUMNS = ("price_usd", "decode_tokens_per_s", "prefill_tokens_per_s",
                      "time_to_first_token_s", "power_w", "build")


def pareto(
    model: ModelOpt,
    context: ContextOpt = 8192,
    axis: Annotated[Literal["decode", "prefill", "both"], typer.Option(
        "--axis", help="Speed axes: price vs decode, vs prefill, or vs both.")] = "decode",
    decode: DecodeOpt = None,
    prefill: PrefillOpt = None,
    ttft: TtftOpt = None,
    budget: BudgetOpt = None,
    power: PowerOpt = None,
    max_gpus: MaxGpusOpt = 8,
    owned: OwnedOpt = None,
    gpu_type: GpuTypeOpt = None,
    mixed: MixedOpt = False,
    quant: QuantOpt = "Q4_K_M",
    prompt: PromptOpt = None,
    ubatch: UbatchOpt = 512,
    kv_cache: KvCacheOpt = "f16",
    engine: EngineOpt = "llama.cpp",
    placement: PlacementOpt = "auto",
    split: SplitOpt = "layer",
    csv_file: Annotated[str | None, typer.Option(
        "--csv", help="Write the frontier as CSV to FILE ('-' for stdout).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the frontier as a JSON list of points.")] = False,
    plot: Annotated[Path | None, typer.Option(
        "--plot", help="Draw price vs speed with the seed builds to FILE.png or .svg "
        "(needs pip install 'moerig\\[plot]').")] = None,
    catalog: CatalogOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """List the builds no other build beats on both price and speed.

    Example: moerig pareto --model qwen3-235b-a22b --context 32768 --axis both
    """
    if csv_file == "-" and as_json:
        fail("--csv - and --json both print to stdout: choose one")
    with cli_errors(verbose, options={"gpu": "--gpu-type"}):
        cat, model_id = with_model(open_catalog(catalog), model)
        query = search_query(cat, model=model_id, owned=owned, gpu_type=gpu_type, quant=quant,
                             context_tokens=context, prompt_tokens=prompt, ubatch_tokens=ubatch,
                             kv_cache=kv_cache, engine=engine, placement=placement, split=split,
                             decode_tokens_per_s=decode, prefill_tokens_per_s=prefill,
                             time_to_first_token_s=ttft, budget_usd=budget, power_cap_w=power,
                             max_gpus=max_gpus, mixed=mixed)
        if prompt is not None and prompt > context:
            fail(f"--prompt {prompt} exceeds --context {context}; allowed: 1 <= prompt <= context")
        result = pareto_search(query, axis, cat)
        seeds = seed_builds(query, cat)
        if csv_file is not None:
            _write_pareto_csv(result.points, csv_file)
        if plot is not None and result.points:
            from .plots import plot_pareto
            plot_pareto(result.points, seeds, plot, axis,
                        title=f"{model_id} {quant}, context {context:,}: price vs {axis} speed")
    code = 0 if result.points else EXIT_NO_BUILD
    if as_json:
        typer.echo(json.dumps([p.as_dict() for p in result.points], indent=2))
    elif csv_file != "-":
        _print_pareto(result, seeds, query, quiet=quiet, verbose=verbose, csv_file=csv_file, plot=plot)
    raise typer.Exit(code)


def _print_pareto(result: ParetoResult, seeds: list[tuple[str, FoundBuild]], query: Query, *,
                  quiet: bool, verbose: bool, csv_file: str | None, plot: Path | None) -> None:
    con = console()
    head = f"{query.model} {query.quant} · context {query.context_tokens:,} · price vs {result.axis}"
    if not result.points:
        con.print(f"{head}: no build in the catalogs fits within the limits", markup=False)
        return
    if not quiet:
        con.print(f"{head} · {len(result.points)} non-dominated builds of "
                  f"{result.candidates_evaluated:,} ({result.wall_s:.2f} s)", markup=False)
    section(con, builds_table(result.points, "Non-dominated builds, cheapest first"))
    if quiet:
        return
    if seeds:
        section(con, builds_table([b for _, b in seeds], "Seed builds (the request's machines)",
                                  labels=[name.split(":")[0] for name, _ in seeds]))
    print_lines(con, "Notices", result.notices if verbose else short_notices(result.notices))
    for label, target in (("CSV", csv_file), ("plot", plot)):
        if target is not None:
            con.print(f"{label}: {target}", markup=False)


def _write_pareto_csv(points: list[FoundBuild], target: str) -> None:
    """One row per point; build as 'ID xCOUNT' items joined by ';'."""
    stream = sys.stdout if target == "-" else open(target, "w", newline="", encoding="utf-8")
    try:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(PARETO_CSV_COLUMNS)
        for b in points:
            build = ";".join(f"{p.id}:{p.count}" for p in b.parts)
            writer.writerow([round(b.price_usd, 2), b.decode_tokens_per_s, b.prefill_tokens_per_s,
                             b.time_to_first_token_s, round(b.power_w, 1), build])
    finally:
        if stream is not sys.stdout:
            stream.close()
