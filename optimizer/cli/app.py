"""The `moerig` command line: parse, call the library, print.

Exit codes: 0 success, 1 no build meets the targets, 2 bad input, 3 internal error (a bug;
--verbose prints the traceback). Errors are one line on stderr.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import typer
from typer import Abort
from typer.core import TyperGroup

try:  # typer >= 0.2x vendors click
    from typer._click.exceptions import ClickException, UsageError
except ImportError:  # older typer depends on click
    from click.exceptions import ClickException, UsageError

from . import batch, catalog_cmds, estimate, model_cmds, pareto_cmd, search_cmds
from .accuracy import register as register_accuracy


class OneLineErrors(TyperGroup):
    """Usage errors (unknown option, bad choice, value out of range) as one stderr line, exit 2,
    instead of the usage text and a boxed message."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        try:
            rv = super().main(args=args, prog_name=prog_name, complete_var=complete_var,
                              standalone_mode=False, **extra)
        except ClickException as exc:
            where = exc.ctx.command_path if isinstance(exc, UsageError) and exc.ctx else "moerig"
            message = exc.format_message().replace("Value error, ", "")
            typer.echo(f"{where}: error: {message} (see --help)", err=True)
            if not standalone_mode:
                raise
            sys.exit(exc.exit_code)
        except Abort:
            if not standalone_mode:
                raise
            typer.echo("moerig: aborted", err=True)
            sys.exit(1)
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else 0)


app = typer.Typer(
    name="moerig", cls=OneLineErrors, no_args_is_help=True, pretty_exceptions_enable=False,
    help="Speed of Mixture-of-Experts LLMs on GPU + CPU machines, and the cheapest build for a "
    "target speed. Exit codes: 0 ok, 1 no build meets the targets, 2 bad input.")

app.command("estimate")(estimate.estimate)
app.command("cheapest")(search_cmds.cheapest)
app.command("pareto")(pareto_cmd.pareto)
app.command("batch")(batch.batch)
app.add_typer(catalog_cmds.app, name="catalog")
app.add_typer(model_cmds.app, name="model")
register_accuracy(app)


def main() -> None:
    """Console-script entry point (`moerig = "optimizer.cli.app:main"`)."""
    app()
