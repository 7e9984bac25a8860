"""`moerig model from-config|from-gguf`: a models.toml row read from a model's own files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from costmodel.validation import InputError

from .common import QuietOpt, VerboseOpt, cli_errors, console

app = typer.Typer(help="Turn a config.json or a GGUF file into a models.toml row.", no_args_is_help=True)

OutOpt = Annotated[Path | None, typer.Option(
    "--output", "-o", help="Write the TOML row to FILE.toml (use it with --catalog FILE.toml).")]


def _emit(row: dict[str, Any], output: Path | None, quiet: bool) -> None:
    from catalogs import importers

    text = importers.row_to_toml(row)
    con = console()
    if not quiet:
        for line in importers.summary_lines(row):
            con.print(line, markup=False)
    if output is None:
        typer.echo(text)
        return
    output.write_text(text, encoding="utf-8")
    if not quiet:
        con.print(f"wrote {output}; use it with --catalog {output} --model {row['id']}", markup=False)


@app.command("from-config")
def from_config(
    path: Annotated[Path, typer.Argument(metavar="PATH", help="config.json, or the directory holding it.")],
    model_id: Annotated[str | None, typer.Option("--id", help="Id of the new row (default: from the config).")] = None,
    output: OutOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Read a Hugging Face config.json into a catalog row and print its summary and TOML."""
    from catalogs import importers

    with cli_errors(verbose):
        file = path / "config.json" if path.is_dir() else path
        if not file.is_file():
            raise InputError(f"PATH '{path}': no such file")
        try:
            config = json.loads(file.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise InputError(f"PATH '{file}': not valid JSON ({exc})") from None
        row = importers.row_from_config(config, model_id=model_id)
        _emit(row, output, quiet)


@app.command("from-gguf")
def from_gguf(
    path: Annotated[Path, typer.Argument(metavar="FILE", help="A .gguf file (the first part of a split file).")],
    output: OutOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Read a GGUF header into a catalog row and print its summary and TOML."""
    from catalogs import importers

    with cli_errors(verbose):
        if not path.is_file():
            raise InputError(f"FILE '{path}': no such file")
        row = importers.row_from_gguf(path)
        _emit(row, output, quiet)
