"""What every command shares: option types, error handling, catalog loading and model paths."""

from __future__ import annotations

import json
import math
import traceback
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal, NoReturn

import typer
from rich.console import Console

from catalogs import KINDS, Catalog, CatalogError, UnknownIdError, load_catalog
from catalogs.loader import check_table, normalize
from costmodel.validation import InputError

EXIT_OK = 0
EXIT_NO_BUILD = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3

KIND_OPTIONS = {"gpu": "--gpu", "cpu": "--cpu", "board": "--board", "ram": "--ram",
                "model": "--model", "engine": "--engine"}
"""Option that names an id of each catalog kind, to name it in 'unknown id' messages."""

PANEL_CATALOG = "Catalogs and output"

# Option types shared by several commands (Typer reads ranges and choices from these, so --help
# shows them). Units are in the help text; rich markup would swallow square brackets.
CatalogOpt = Annotated[list[Path] | None, typer.Option(
    "--catalog", help="Extra catalog directory or TOML file, overlaid on the shipped catalogs "
    "(repeatable; later ones replace rows with the same id).", rich_help_panel=PANEL_CATALOG)]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print only the result.",
                                        rich_help_panel=PANEL_CATALOG)]
VerboseOpt = Annotated[bool, typer.Option(
    "--verbose", "-v", help="Print more detail, and the traceback of an error.",
    rich_help_panel=PANEL_CATALOG)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.",
                                       rich_help_panel=PANEL_CATALOG)]


def complete_ids(kind: str):
    """Shell-completion callback: ids of the shipped catalog rows of `kind` starting with the text."""
    def complete(incomplete: str) -> list[str]:
        try:
            ids = list(load_catalog().rows[kind])
        except InputError:
            return []
        return [i for i in ids if i.startswith(incomplete)]
    return complete


ModelOpt = Annotated[str, typer.Option(
    "--model", "-m", autocompletion=complete_ids("model"),
    help="Model id or alias (moerig catalog list models), a config.json (or its directory) or "
    "a .gguf file.")]
QuantOpt = Annotated[str, typer.Option(
    "--quant", help="Quantization of the model (Q4_K_M, UD-Q2_K_XL, ...) or bits per weight (4.5).")]
PromptOpt = Annotated[int | None, typer.Option(
    "--prompt", min=1, max=10**8, help="Prompt length in tokens: the last part of the context "
    "(default: the whole context).")]
UbatchOpt = Annotated[int, typer.Option(
    "--ubatch", min=1, max=65536, help="Micro-batch size (-ub) in tokens.")]
KvCacheOpt = Annotated[Literal["f16", "q8_0", "q4_0"], typer.Option(
    "--kv-cache", help="KV cache element type (-ctk/-ctv).")]
EngineOpt = Annotated[str, typer.Option(
    "--engine", autocompletion=complete_ids("engine"),
    help="Engine profile: llama.cpp, ik_llama.cpp, ktransformers (moerig catalog list engines).")]
PlacementOpt = Annotated[Literal["auto", "gpu", "cpu", "experts-cpu", "n-cpu-moe"], typer.Option(
    "--placement", help="Where weights go: auto fills VRAM with always-active layers, KV cache, "
    "then experts; experts-cpu keeps routed experts in RAM; n-cpu-moe uses --n-cpu-moe.")]
NCpuMoeOpt = Annotated[int, typer.Option(
    "--n-cpu-moe", min=0, max=10**4, help="MoE layers whose experts stay in RAM "
    "(with --placement n-cpu-moe).")]
SplitOpt = Annotated[Literal["layer", "tensor"], typer.Option(
    "--split", help="Multi-GPU split: layer (pipeline) or tensor (row split).")]


def console() -> Console:
    """Console on the current stdout (tables fit 80 columns; wider terminals are not used)."""
    return Console(highlight=False, width=80, soft_wrap=False)


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """One line on stderr and exit `code`."""
    typer.echo(f"moerig: error: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def cli_errors(verbose: bool = False, options: Mapping[str, str] | None = None) -> Iterator[None]:
    """Turn the errors of bad input into one line on stderr and exit 2.

    `options` maps catalog kinds to the option that named the id (default KIND_OPTIONS), so an
    unknown id reads '--gpu-type: unknown gpu ...'. Any other exception is a bug: one line, exit 3
    (the traceback with --verbose).
    """
    try:
        yield
    except typer.Exit:
        raise
    except UnknownIdError as exc:
        if verbose:
            traceback.print_exc()
        option = {**KIND_OPTIONS, **(options or {})}.get(exc.kind, "")
        option = option or ("--quant" if exc.kind.endswith("quantization") else "")
        fail(f"{option}: {exc}" if option else str(exc))
    except CatalogError as exc:
        if verbose:
            traceback.print_exc()
        fail(str(exc).replace("\n", "; "))
    except (InputError, ValueError, OSError) as exc:
        if verbose:
            traceback.print_exc()
        fail(str(exc) or type(exc).__name__)
    except Exception as exc:  # noqa: BLE001 - last resort: no traceback unless asked
        if verbose:
            traceback.print_exc()
        fail(f"internal error: {type(exc).__name__}: {exc} (run with --verbose for the traceback)",
             EXIT_INTERNAL)


@lru_cache(maxsize=8)
def _catalog(paths: tuple[str, ...]) -> Catalog:
    return load_catalog(list(paths))


def open_catalog(dirs: Sequence[Path | str] | None) -> Catalog:
    """The shipped catalog overlaid with `dirs` (cached per process)."""
    return _catalog(tuple(str(d) for d in dirs or ()))


def is_model_path(model: str) -> bool:
    """A --model value naming a file (.gguf, .json) or a directory rather than a catalog id."""
    lower = model.lower()
    return lower.endswith((".gguf", ".json")) or Path(model).is_dir()


@lru_cache(maxsize=32)
def model_row_from_path(model: str) -> dict:
    """The catalog row of a config.json (a directory means its config.json) or a GGUF file,
    checked against the models.toml schema."""
    from catalogs import importers

    path = Path(model)
    if path.is_dir():
        path = path / "config.json"
    if not path.is_file():
        raise InputError(f"--model '{model}': no such file")
    if path.suffix.lower() == ".gguf":
        row = importers.row_from_gguf(path)
    else:
        try:
            config = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise InputError(f"--model '{model}': not valid JSON ({exc})") from None
        row = importers.row_from_config(config)
    problems = check_table(row, KINDS["model"].schema)
    if problems:
        raise InputError(f"--model '{model}': " + "; ".join(problems))
    return normalize(row)


def with_model(catalog: Catalog, model: str) -> tuple[Catalog, str]:
    """(catalog, model id): for a path, the catalog plus the model read from it under its id."""
    if not is_model_path(model):
        return catalog, model
    row = model_row_from_path(model)
    arch = KINDS["model"].build(row)
    model_id = row["id"]
    aliases = {a: m for a, m in catalog.model_aliases.items() if a != model_id.lower()}
    catalog = replace(catalog, models={**catalog.models, model_id: arch},
                      rows={**catalog.rows, "model": {**catalog.rows["model"], model_id: row}},
                      model_aliases=aliases)
    return catalog, model_id


def parse_id_count(text: str, option: str, default_count: int = 1) -> tuple[str, int]:
    """'rtx-3090:4' -> ('rtx-3090', 4); 'rtx-3090' -> ('rtx-3090', default_count)."""
    part, sep, count = text.strip().rpartition(":")
    if not sep:
        part, count = text.strip(), str(default_count)
    if not part:
        raise InputError(f"{option} {text!r}: allowed: ID or ID:COUNT, e.g. rtx-3090:4")
    try:
        n = int(count)
    except ValueError:
        raise InputError(f"{option} {text!r}: count {count!r} is not a whole number; "
                         "allowed: ID:COUNT with 1 <= COUNT <= 64") from None
    if not 1 <= n <= 64:
        raise InputError(f"{option} {text!r}: count {n}; allowed: 1 <= COUNT <= 64")
    return part, n


def parse_id_counts(values: Sequence[str], option: str) -> tuple[tuple[str, int], ...]:
    """Repeated or ';'-separated ID[:COUNT] items, counts of the same id added, order kept."""
    merged: dict[str, int] = {}
    for value in values:
        for item in value.split(";"):
            if item.strip():
                part, n = parse_id_count(item, option)
                merged[part] = merged.get(part, 0) + n
    return tuple(merged.items())


MAX_SWEEP_POINTS = 1000


def parse_contexts(text: str) -> list[int]:
    """--context: 'N', a list 'A,B,C', or 'START:STOP:COUNT' = COUNT values evenly spaced
    (linear) from START to STOP, both ends included, rounded to whole tokens."""
    text = text.strip()
    try:
        if ":" in text:
            fields = text.split(":")
            if len(fields) != 3:
                raise ValueError
            start, stop, count = (int(f) for f in fields)
            if count < 1 or count > MAX_SWEEP_POINTS or start < 0 or stop < start:
                raise ValueError
            if count == 1:
                return [start]
            step = (stop - start) / (count - 1)
            values = [round(start + i * step) for i in range(count)]
        else:
            values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise InputError(
            f"--context {text!r}: allowed: TOKENS (e.g. 32768), a list A,B,C, or START:STOP:COUNT "
            f"with 0 <= START <= STOP and 1 <= COUNT <= {MAX_SWEEP_POINTS}") from None
    if not values or any(v < 0 for v in values):
        raise InputError(f"--context {text!r}: allowed: whole numbers of tokens >= 0")
    return list(dict.fromkeys(values))


def fmt_speed(x: float | None) -> str:
    """Tokens/s with about 3 significant digits; '-' when unknown."""
    if x is None or not math.isfinite(x):
        return "-"
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def fmt_seconds(x: float | None) -> str:
    """A duration: ms below 1 s, else seconds (minutes added from 2 min)."""
    if x is None or not math.isfinite(x):
        return "-"
    if x < 1:
        return f"{x * 1000:.1f} ms"
    if x < 100:
        return f"{x:.1f} s"
    if x < 120:
        return f"{x:,.0f} s"
    return f"{x:,.0f} s ({x / 60:.0f} min)"


def fmt_usd(x: float | None, cents: bool = False) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{x:,.2f}" if cents and x != round(x) else f"{x:,.0f}"
