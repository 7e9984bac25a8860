"""`moerig catalog list|show|check`: the rows behind every estimate, with their sources."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.table import Table

from catalogs import KINDS, UnknownIdError, check_catalog_dir

from .common import CatalogOpt, JsonOpt, QuietOpt, VerboseOpt, cli_errors, console, fmt_usd, open_catalog
from .output import BOX

app = typer.Typer(help="List, show and check catalog rows (GPUs, CPUs, boards, RAM, models, engines).",
                  no_args_is_help=True)

PLURALS = {"gpus": "gpu", "cpus": "cpu", "boards": "board", "ram": "ram", "models": "model",
           "engines": "engine"}

Row = Mapping[str, Any]


def _price(row: Row) -> str:
    return fmt_usd(row.get("price_usd"), cents=True) if "price_usd" in row else "-"


COLUMNS: dict[str, list[tuple[str, Callable[[Row], str]]]] = {
    "gpu": [("id", lambda r: r["id"]), ("VRAM GB", lambda r: f"{r['vram_gb']:g}"),
            ("GB/s", lambda r: f"{r['memory_bw_gbps']:,.0f}"), ("TFLOPS", lambda r: f"{r['tflops']:g}"),
            ("PCIe", lambda r: f"{r['pcie_gen']}x{r['pcie_lanes']}"), ("W", lambda r: f"{r['tdp_w']:g}"),
            ("USD", _price)],
    "cpu": [("id", lambda r: r["id"]), ("socket", lambda r: r["socket"]), ("cores", lambda r: str(r["cores"])),
            ("memory", lambda r: f"{r['memory_channels']}x {r['memory_type']}-{r['memory_mt_s']}"),
            ("W", lambda r: f"{r['tdp_w']:g}"), ("USD", _price)],
    "board": [("id", lambda r: r["id"]), ("socket", lambda r: f"{r['sockets']}x {r['socket']}"),
              ("DIMMs", lambda r: f"{r['dimm_slots']} ({r['memory_channels']} ch)"),
              ("GPU slots", lambda r: str(len(r["pcie_slots"]))), ("USD", _price)],
    "ram": [("id", lambda r: r["id"]), ("GB", lambda r: f"{r['capacity_gb']:g}"),
            ("MT/s", lambda r: str(r["mt_s"])), ("USD", _price)],
    "model": [("id", lambda r: r["id"]),
              ("params B", lambda r: f"{r['derived_total_b']:,.1f}/{r['derived_active_b']:,.1f}"),
              ("layers", lambda r: str(r["n_layers"])), ("attn", lambda r: r["attention"]),
              ("max ctx", lambda r: f"{r['max_context_tokens']:,}"),
              ("quants", lambda r: str(len(r.get("quant", {}))))],
    "engine": [("name", lambda r: r["name"]), ("GPU mem", lambda r: f"{r['gpu_memory_eff']:g}"),
               ("GPU comp", lambda r: f"{r['gpu_compute_eff']:g}"),
               ("CPU mem", lambda r: f"{r['cpu_memory_eff']:g}"),
               ("stream from ub", lambda r: f"{r.get('stream_min_ubatch', '-')}"),
               ("as of", lambda r: r["as_of"])],
}


@app.command("list")
def list_rows(
    kind: Annotated[Literal["gpus", "cpus", "boards", "ram", "models", "engines"],
                    typer.Argument(help="Which rows.")],
    as_json: JsonOpt = False,
    catalog: CatalogOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """List the rows of one kind (--json: every field, with source and as_of)."""
    name = PLURALS[kind]
    with cli_errors(verbose):
        rows = list(open_catalog(catalog).rows[name].values())
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(box=BOX, pad_edge=False, show_edge=False)
    for i, (title, _) in enumerate(COLUMNS[name]):
        table.add_column(title, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*(get(row) for _, get in COLUMNS[name]))
    con = console()
    con.print(table)
    if not quiet:
        con.print(f"{len(rows)} {kind} · moerig catalog show ID for every field and the source",
                  markup=False)


def _find(catalog, key: str) -> tuple[str, Row]:
    """(kind, row) of an id in any kind; model aliases too. UnknownIdError with close matches."""
    wanted = key.strip()
    for kind, rows in catalog.rows.items():
        for candidate in (wanted, wanted.lower()):
            if candidate in rows:
                return kind, rows[candidate]
    model_id = catalog.model_aliases.get(wanted.lower())
    if model_id is not None:
        return "model", catalog.rows["model"][model_id]
    every = [i for rows in catalog.rows.values() for i in rows]
    raise UnknownIdError("id", key, every)


@app.command("show")
def show(
    part_id: Annotated[str, typer.Argument(metavar="ID", help="Id of any row (or a model alias).")],
    as_json: JsonOpt = False,
    catalog: CatalogOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Show every field of one row, with its source."""
    with cli_errors(verbose):
        kind, row = _find(open_catalog(catalog), part_id)
    if as_json:
        typer.echo(json.dumps({"kind": kind, **row}, indent=2))
        return
    table = Table(box=BOX, show_header=False, pad_edge=False, show_edge=False)
    table.add_column("field", style="bold", no_wrap=True)
    table.add_column("value", overflow="fold")
    table.add_row("kind", kind)
    for key, value in row.items():
        if key == "quant":
            value = ", ".join(f"{name} ({q['expert_bits_per_weight']:g}/{q['other_bits_per_weight']:g} bits)"
                              for name, q in value.items())
        elif key == "pcie_slots":
            value = ", ".join(f"{s['gen']}.0 x{s['lanes']}" + (f" {s['kind']}" if "kind" in s else "")
                              for s in value)
        elif isinstance(value, list):
            value = ", ".join(map(str, value))
        table.add_row(key, str(value))
    console().print(table)


@app.command("check")
def check(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="Catalog directory (or TOML file).")],
    quiet: QuietOpt = False,
) -> None:
    """Check a catalog directory against the schema; exit 2 listing every error."""
    errors = check_catalog_dir(directory)
    if errors:
        for error in errors:
            for line in str(error).splitlines():
                typer.echo(f"moerig: error: {line}", err=True)
        typer.echo(f"moerig: {len(errors)} error(s) in {directory}", err=True)
        raise typer.Exit(2)
    if not quiet:
        typer.echo(f"{directory}: OK ({', '.join(KINDS)} rows checked against the schema)")
