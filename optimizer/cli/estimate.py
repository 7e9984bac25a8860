"""`moerig estimate`: how fast one build runs a model, at one context or a sweep of contexts."""

from __future__ import annotations

import csv
import json
import math
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any

import typer

from catalogs import Catalog

from ..engine_command import format_command
from ..parts import BuildParts, Part
from ..query import Query
from .builds import (
    BoardChoice,
    build_parts,
    command_for,
    estimate_report,
    parts_summary,
    price_and_power,
)
from .common import (
    CatalogOpt,
    EngineOpt,
    KvCacheOpt,
    ModelOpt,
    NCpuMoeOpt,
    PlacementOpt,
    PromptOpt,
    QuantOpt,
    QuietOpt,
    SplitOpt,
    UbatchOpt,
    VerboseOpt,
    cli_errors,
    complete_ids,
    console,
    fail,
    fmt_seconds,
    fmt_speed,
    fmt_usd,
    open_catalog,
    parse_contexts,
    parse_id_count,
    parse_id_counts,
    with_model,
)
from .output import (
    breakdown_table,
    placement_note,
    placement_table,
    print_lines,
    section,
    speeds_table,
    steps_table,
    sweep_table,
)

CSV_COLUMNS = ("context_tokens", "prompt_tokens", "fits", "reason", "prefill_tokens_per_s",
               "time_to_first_token_s", "decode_tokens_per_s", "time_per_output_token_s",
               "bottleneck_prefill", "bottleneck_decode", "layers_on_gpu_frac", "experts_gpu_gb",
               "experts_ram_gb")


def estimate(
    model: ModelOpt,
    cpu: Annotated[str, typer.Option("--cpu", autocompletion=complete_ids("cpu"),
                                     help="CPU id (one per socket of the board).")],
    ram: Annotated[str, typer.Option("--ram", autocompletion=complete_ids("ram"),
                                     help="RAM module id and count, e.g. ddr5-4800-rdimm-64gb:12.")],
    gpu: Annotated[list[str] | None, typer.Option(
        "--gpu", autocompletion=complete_ids("gpu"),
        help="GPU id and count, e.g. rtx-3090:4 (repeatable; cards take the best slots in order).")] = None,
    board: Annotated[str | None, typer.Option(
        "--board", autocompletion=complete_ids("board"),
        help="Board id (default: the cheapest catalog board that takes the parts).")] = None,
    spec: Annotated[list[Path] | None, typer.Option(
        "--spec", help="TOML file of custom parts in the catalog schema (gpu, cpu, board, ram tables), "
        "overlaid on the catalogs; name its ids with --gpu/--cpu/--ram/--board.")] = None,
    quant: QuantOpt = "Q4_K_M",
    context: Annotated[str, typer.Option(
        "--context", "-c", help="Tokens in the KV cache: N, a list A,B,C, or START:STOP:COUNT "
        "(COUNT values spaced linearly, both ends included).")] = "8192",
    prompt: PromptOpt = None,
    ubatch: UbatchOpt = 512,
    kv_cache: KvCacheOpt = "f16",
    engine: EngineOpt = "llama.cpp",
    placement: PlacementOpt = "auto",
    n_cpu_moe: NCpuMoeOpt = 0,
    split: SplitOpt = "layer",
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print one CSV row per context.")] = False,
    plot: Annotated[Path | None, typer.Option(
        "--plot", help="Draw speed against context to FILE.png or .svg "
        "(needs pip install 'moerig\\[plot]').")] = None,
    upgrades: Annotated[bool, typer.Option(
        "--upgrades", help="Also price single next steps (one more GPU, more or faster RAM).")] = False,
    command: Annotated[bool, typer.Option(
        "--command", help="Print the llama.cpp / ik_llama.cpp command line of this placement.")] = False,
    catalog: CatalogOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Estimate prefill and decode speed of one build.

    Example: moerig estimate --model qwen3-235b-a22b --context 32768
    --gpu rtx-3090:4 --cpu epyc-9534 --ram ddr5-4800-rdimm-64gb:12
    """
    if as_json and as_csv:
        fail("--json and --csv: choose one")
    with cli_errors(verbose):
        cat = open_catalog([*(catalog or []), *(spec or [])])
        cat, model_id = with_model(cat, model)
        ram_id, ram_count = parse_id_count(ram, "--ram")
        parts, choice = build_parts(cat, gpus=parse_id_counts(gpu or [], "--gpu"), cpu=cpu, ram=ram_id,
                                    ram_count=ram_count, board=board)
        contexts = parse_contexts(context)
        if prompt is not None and len(contexts) == 1 and prompt > contexts[0]:
            fail(f"--prompt {prompt} exceeds --context {contexts[0]}; allowed: 1 <= prompt <= context "
                 "(the prompt is the last part of the context)")
        base = Query(model=model_id, quant=quant, context_tokens=contexts[0], ubatch_tokens=ubatch,
                     kv_cache=kv_cache, engine=engine, placement=placement, n_cpu_moe=n_cpu_moe,
                     split=split)
        result = run_estimate(cat, base, parts, choice, contexts, prompt, model_arg=model,
                              upgrades=upgrades, command=command or as_json)
        if plot is not None:
            from .plots import plot_sweep
            plot_sweep(result.rows, plot, title=f"{model_id} {quant} on {parts_summary(parts)}")
    if as_json:
        typer.echo(json.dumps(result.as_json(upgrades), indent=2))
    elif as_csv:
        _write_csv(result.rows)
    else:
        _print_estimate(result, quiet=quiet, verbose=verbose, plot=plot, upgrades=upgrades,
                        command=command)


@dataclass(frozen=True)
class EstimateRun:
    """An estimate at one or more contexts: the reports (one per context, with context_tokens and
    prompt_tokens added), the build and, when asked, upgrade steps and the engine command of the
    last context."""

    query: Query
    parts: BuildParts
    choice: BoardChoice
    rows: list[dict[str, Any]]
    part_list: list[Part]
    price_usd: float
    power_w: float
    steps: list
    argv: list[str] | None

    def as_json(self, upgrades: bool) -> Any:
        extra: dict[str, Any] = {
            "board": self.choice.board, "board_chosen": self.choice.chosen,
            "price_usd": None if math.isnan(self.price_usd) else round(self.price_usd, 2),
            "power_w": self.power_w, "build": [p.as_dict() for p in self.part_list],
            "engine_command": self.argv}
        if upgrades:
            extra["upgrades"] = [s.as_dict() for s in self.steps]
        if len(self.rows) > 1:
            return [{**r, **extra} for r in self.rows]
        return {**self.rows[0], **extra}


def run_estimate(cat: Catalog, base: Query, parts: BuildParts, choice: BoardChoice,
                 contexts: list[int], prompt: int | None, *, model_arg: str, upgrades: bool,
                 command: bool) -> EstimateRun:
    """Reports at every context; a prompt longer than a context is cut to that context."""
    rows = []
    query = base
    for ctx in contexts:
        p = None if prompt is None else max(1, min(prompt, ctx))
        query = replace(base, context_tokens=ctx, prompt_tokens=p)
        report = estimate_report(query, parts, cat)
        rows.append({"context_tokens": ctx, "prompt_tokens": query.workload().prompt_tokens, **report})
    steps = _upgrade_steps(parts, query, cat) if upgrades else []
    argv = command_for(query, parts, cat, rows[-1], model_arg) if command else None
    part_list, price, power = price_and_power(parts, cat)
    return EstimateRun(query, parts, choice, rows, part_list, price, power, steps, argv)


def _print_estimate(run: EstimateRun, *, quiet: bool, verbose: bool, plot: Path | None,
                    upgrades: bool, command: bool) -> None:
    con = console()
    q = run.query
    if quiet:
        for r in run.rows:
            con.print(f"context {r['context_tokens']:,}: decode {fmt_speed(r['decode_tokens_per_s'])} "
                      f"tokens/s, prefill {fmt_speed(r['prefill_tokens_per_s'])} tokens/s, "
                      f"TTFT {fmt_seconds(r['time_to_first_token_s'])}", markup=False)
    else:
        con.print(f"[bold]{q.model} {q.quant}[/bold] · {q.engine} · placement {q.placement} · "
                  f"KV {q.kv_cache} · ubatch {q.ubatch_tokens}")
        con.print(f"build: {parts_summary(run.parts)}", markup=False)
        con.print(f"price {fmt_usd(run.price_usd)} USD (catalog prices) · power {run.power_w:,.0f} W "
                  "(TDPs)", markup=False)
        if run.choice.chosen:
            con.print(f"board: {run.choice.board}, the {run.choice.note}", markup=False)
        if len(run.rows) > 1:
            section(con, sweep_table(run.rows))
        else:
            _print_one(con, run.rows[0], verbose)
        if plot is not None:
            con.print(f"plot: {plot}", markup=False)
        if upgrades:
            section(con, steps_table(run.steps) if run.steps else "no single upgrade step applies")
    if command:
        _print_command(con, run, quiet)


def _print_command(con, run: EstimateRun, quiet: bool) -> None:
    if run.argv is None:
        con.print(f"no command line: engine {run.query.engine} has none, or the model does not fit",
                  markup=False)
        return
    if not quiet:
        con.print()
        con.print(f"[bold]{run.query.engine} command[/bold] (context {run.rows[-1]['context_tokens']:,})")
    typer.echo(format_command(run.argv))


def _print_one(con, report: dict[str, Any], verbose: bool) -> None:
    con.print(f"context {report['context_tokens']:,} tokens · prompt {report['prompt_tokens']:,} tokens")
    if not report["fits"]:
        con.print(f"[bold red]does not fit:[/bold red] {report['reason']}")
    section(con, placement_table(report))
    con.print(placement_note(report), markup=False)
    section(con, speeds_table(report))
    section(con, breakdown_table(report))
    print_lines(con, "Warnings", report.get("warnings") or [])
    if verbose:
        con.print(f"break-even prompt for streaming RAM weights to GPUs: "
                  f"{fmt_speed(report['stream_break_even_prompt_tokens'])} tokens · "
                  f"link hops per token {report['hops_per_token']:.1f}", markup=False)


def _upgrade_steps(parts, query: Query, cat) -> list:
    from ..upgrades import next_steps
    return next_steps(parts, query, cat)


def _write_csv(rows: list[dict[str, Any]]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        values = []
        for column in CSV_COLUMNS:
            v = r.get(column)
            if isinstance(v, dict):
                v = f"{v['device']} ({v['bound']})"
            values.append("" if v is None else v)
        writer.writerow(values)
