"""CLI commands ``moerig validate`` and ``moerig calibrate`` (accuracy against measurements).

Thin layer: parse, call :mod:`catalogs.benchmarks` and :mod:`costmodel.calibration`, print.
"""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the ``validate`` and ``calibrate`` commands to ``app``."""
    app.command("validate")(validate)
    app.command("calibrate")(calibrate)


def validate(file: str) -> None:
    """Predict every row of a benchmark CSV and print predicted vs measured (work in progress)."""
    raise typer.Exit(code=2)


def calibrate(file: str) -> None:
    """Fit an engine profile on a benchmark CSV (work in progress)."""
    raise typer.Exit(code=2)
