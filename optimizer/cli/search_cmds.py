"""`moerig cheapest`: the cheapest catalog build meeting speed targets, and the search options
shared with `moerig pareto`."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from catalogs import Catalog

from ..engine_command import format_command
from ..query import Query
from ..result import INFEASIBLE, FoundBuild, SearchResult
from ..search import cheapest as cheapest_search
from .builds import command_for, search_query
from .common import (
    EXIT_NO_BUILD,
    CatalogOpt,
    EngineOpt,
    JsonOpt,
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
    with_model,
)
from .output import (
    bottleneck_text,
    builds_table,
    parts_table,
    placement_note,
    placement_table,
    print_lines,
    section,
    short_notices,
    steps_table,
)

PANEL_TARGETS = "Targets and limits"


def _positive(value: float | None) -> float | None:
    if value is not None and value <= 0:
        raise typer.BadParameter(f"{value:g}; allowed: a number > 0")
    return value


ContextOpt = Annotated[int, typer.Option("--context", "-c", min=0, max=10**8,
                                         help="Tokens in the KV cache when decoding.")]
DecodeOpt = Annotated[float | None, typer.Option(
    "--decode", callback=_positive, rich_help_panel=PANEL_TARGETS,
    help="Target decode speed, tokens/s (> 0).")]
PrefillOpt = Annotated[float | None, typer.Option(
    "--prefill", callback=_positive, rich_help_panel=PANEL_TARGETS,
    help="Target prefill speed, tokens/s (> 0).")]
TtftOpt = Annotated[float | None, typer.Option(
    "--ttft", callback=_positive, rich_help_panel=PANEL_TARGETS,
    help="Target time to first token, seconds (> 0).")]
BudgetOpt = Annotated[float | None, typer.Option(
    "--budget", callback=_positive, rich_help_panel=PANEL_TARGETS, help="Price cap, USD (> 0).")]
PowerOpt = Annotated[float | None, typer.Option(
    "--power", callback=_positive, rich_help_panel=PANEL_TARGETS,
    help="Power cap, W: GPU and CPU TDPs plus 100 W for the rest (> 0).")]
MaxGpusOpt = Annotated[int, typer.Option("--max-gpus", min=0, max=32, rich_help_panel=PANEL_TARGETS,
                                         help="Most GPUs in a build.")]
OwnedOpt = Annotated[list[str] | None, typer.Option(
    "--owned", rich_help_panel=PANEL_TARGETS,
    help="Part you own, ID or ID:COUNT (repeatable); owned parts cost nothing but use slots.")]
GpuTypeOpt = Annotated[list[str] | None, typer.Option(
    "--gpu-type", autocompletion=complete_ids("gpu"), rich_help_panel=PANEL_TARGETS,
    help="Allowed GPU type (repeatable; default: every priced GPU not beaten by a cheaper one).")]
MixedOpt = Annotated[bool, typer.Option("--mixed", rich_help_panel=PANEL_TARGETS,
                                        help="Allow mixing the --gpu-type types in one build (2 to 4 types).")]


def _steps(build: FoundBuild, query: Query, cat: Catalog) -> list:
    from ..upgrades import next_steps
    return next_steps(build.parts_ref, query, cat)


def cheapest(
    model: ModelOpt,
    context: ContextOpt = 8192,
    decode: DecodeOpt = None,
    prefill: PrefillOpt = None,
    ttft: TtftOpt = None,
    budget: BudgetOpt = None,
    power: PowerOpt = None,
    max_gpus: MaxGpusOpt = 8,
    owned: OwnedOpt = None,
    gpu_type: GpuTypeOpt = None,
    mixed: MixedOpt = False,
    top: Annotated[int, typer.Option("--top", min=1, max=100,
                                     help="Builds to list: the cheapest and the next ones.")] = 5,
    quant: QuantOpt = "Q4_K_M",
    prompt: PromptOpt = None,
    ubatch: UbatchOpt = 512,
    kv_cache: KvCacheOpt = "f16",
    engine: EngineOpt = "llama.cpp",
    placement: PlacementOpt = "auto",
    n_cpu_moe: NCpuMoeOpt = 0,
    split: SplitOpt = "layer",
    as_json: JsonOpt = False,
    catalog: CatalogOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Find the cheapest build in the catalogs that meets the targets.

    Exit 1 (with the best reachable build) when no build does.
    Example: moerig cheapest --model deepseek-v3 --context 8192 --decode 10
    """
    with cli_errors(verbose, options={"gpu": "--gpu-type"}):
        cat, model_id = with_model(open_catalog(catalog), model)
        query = search_query(cat, model=model_id, owned=owned, gpu_type=gpu_type, quant=quant,
                             context_tokens=context, prompt_tokens=prompt, ubatch_tokens=ubatch,
                             kv_cache=kv_cache, engine=engine, placement=placement,
                             n_cpu_moe=n_cpu_moe, split=split, decode_tokens_per_s=decode,
                             prefill_tokens_per_s=prefill, time_to_first_token_s=ttft,
                             budget_usd=budget, power_cap_w=power, max_gpus=max_gpus, mixed=mixed,
                             top_k=top)
        if prompt is not None and prompt > context:
            fail(f"--prompt {prompt} exceeds --context {context}; allowed: 1 <= prompt <= context")
        result = cheapest_search(query, cat)
        shown = result.build or result.best_reachable
        argv = None if shown is None else command_for(query, shown.parts_ref, cat, shown.report, model)
        steps = [] if shown is None else _steps(shown, query, cat)
    code = EXIT_NO_BUILD if result.status == INFEASIBLE else 0
    if as_json:
        payload = {**result.as_dict(), "engine_command": argv,
                   "upgrades": [s.as_dict() for s in steps]}
        typer.echo(json.dumps(payload, indent=2))
        raise typer.Exit(code)
    _print_cheapest(result, query, argv, steps, quiet, verbose)
    raise typer.Exit(code)


def _targets_text(q: Query) -> str:
    out = []
    if q.decode_tokens_per_s is not None:
        out.append(f"decode >= {q.decode_tokens_per_s:g} tokens/s")
    if q.prefill_tokens_per_s is not None:
        out.append(f"prefill >= {q.prefill_tokens_per_s:g} tokens/s")
    if q.time_to_first_token_s is not None:
        out.append(f"TTFT <= {q.time_to_first_token_s:g} s")
    if q.budget_usd is not None:
        out.append(f"budget {q.budget_usd:,.0f} USD")
    if q.power_cap_w is not None:
        out.append(f"power <= {q.power_cap_w:,.0f} W")
    return ", ".join(out) or "no speed target (any build that fits)"


def _print_build(con, b: FoundBuild, query: Query) -> None:
    section(con, parts_table(b.parts))
    ttft = fmt_seconds(b.time_to_first_token_s)
    con.print(f"decode {fmt_speed(b.decode_tokens_per_s)} tokens/s · prefill "
              f"{fmt_speed(b.prefill_tokens_per_s)} tokens/s · TTFT {ttft} · {b.power_w:,.0f} W",
              markup=False)
    con.print(f"bottlenecks: decode {bottleneck_text(b.report['bottleneck_decode'])}, prefill "
              f"{bottleneck_text(b.report['bottleneck_prefill'])}", markup=False)


def _print_cheapest(result: SearchResult, query: Query, argv: list[str] | None, steps: list,
                    quiet: bool, verbose: bool) -> None:
    con = console()
    head = (f"{query.model} {query.quant} · context {query.context_tokens:,} · "
            f"{_targets_text(query)}")
    if result.status == INFEASIBLE:
        con.print("[bold red]No build meets the targets[/bold red]")
        con.print(head, markup=False)
        con.print(result.message, markup=False)
        if result.best_reachable is None:
            con.print("no build in the catalogs fits this model within the limits", markup=False)
        else:
            con.print()
            con.print("[bold]Best reachable build[/bold]")
            _print_build(con, result.best_reachable, query)
        if not quiet:
            print_lines(con, "Notices", result.notices if verbose else short_notices(result.notices))
        _print_command(con, query, argv, quiet)
        return
    b = result.build
    assert b is not None
    con.print(f"[bold]Cheapest build: {fmt_usd(b.price_usd)} USD[/bold]")
    con.print(head, markup=False)
    if not quiet:
        bound = "" if result.bound_usd is None else f", proven bound {fmt_usd(result.bound_usd)} USD"
        con.print(f"status {result.status} ({result.solver}, {result.candidates_evaluated:,} candidates, "
                  f"{result.wall_s:.2f} s{bound})", markup=False)
    _print_build(con, b, query)
    if quiet:
        _print_command(con, query, argv, quiet)
        return
    section(con, placement_table(b.report))
    con.print(placement_note(b.report), markup=False)
    print_lines(con, "What binds", result.binding or ["nothing within 10 % of a limit"])
    if result.alternatives:
        section(con, builds_table(result.alternatives, "Next cheapest builds", start=2))
    print_lines(con, "Warnings", b.report.get("warnings") or [])
    print_lines(con, "Notices", result.notices if verbose else short_notices(result.notices))
    _print_command(con, query, argv, quiet)
    if steps:
        section(con, steps_table(steps))


def _print_command(con, query: Query, argv: list[str] | None, quiet: bool) -> None:
    if argv is None:
        return
    if not quiet:
        con.print()
        con.print(f"[bold]{query.engine} command[/bold]")
    typer.echo(format_command(argv))
