"""Shared helpers: run the moerig app in-process with Typer's CliRunner."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from optimizer.cli.app import app

QWEN235 = ["--model", "qwen3-235b-a22b", "--quant", "Q4_K_M"]
BUILD = ["--gpu", "rtx-3090:4", "--cpu", "epyc-9534", "--ram", "ddr5-4800-rdimm-64gb:12"]
SMALL = ["--model", "qwen3-30b-a3b", "--context", "8192"]
"""A small model and a short GPU list keep searches well under a second."""


class Run:
    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, code: int | None = 0):
        result = self.runner.invoke(app, [str(a) for a in args])
        if code is not None:
            assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr,
                                              result.exception)
        return result


@pytest.fixture(scope="session")
def run() -> Run:
    return Run()


def one_error_line(result) -> str:
    """The single stderr line of a failed command (no traceback, no usage box)."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]
