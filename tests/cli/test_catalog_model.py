"""`moerig catalog ...`, `moerig model ...` and the help of every command."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from .conftest import one_error_line

FIXTURES = Path(__file__).parents[1] / "fixtures"


@pytest.mark.parametrize("kind", ["gpus", "cpus", "boards", "ram", "models", "engines"])
def test_list_json_rows_carry_provenance(run, kind):
    rows = json.loads(run("catalog", "list", kind, "--json").stdout)
    assert rows and all("source" in r and "as_of" in r for r in rows)
    assert all(("id" in r) or ("name" in r) for r in rows)
    table = run("catalog", "list", kind).stdout
    assert max(len(line) for line in table.splitlines()) <= 80


def test_show_any_kind_and_alias(run):
    assert "936.2" in run("catalog", "show", "rtx-3090").stdout
    data = json.loads(run("catalog", "show", "deepseek-ai/DeepSeek-R1", "--json").stdout)
    assert data["kind"] == "model" and data["id"] == "deepseek-v3"
    result = run("catalog", "show", "epyc-953", code=2)
    line = one_error_line(result)
    assert "unknown id 'epyc-953'; close matches:" in line and "epyc-9534" in line


def test_check_lists_every_error(run):
    result = run("catalog", "check", FIXTURES / "catalogs" / "broken", code=2)
    assert "broken-negative-bw" in result.stderr and "broken-unknown-key" in result.stderr
    assert "Traceback" not in result.stderr
    assert "OK" in run("catalog", "check", FIXTURES / "catalogs" / "valid").stdout


def test_catalog_option_overlays_rows(run):
    rows = json.loads(run("catalog", "list", "gpus", "--json", "--catalog",
                          FIXTURES / "catalogs" / "valid").stdout)
    shipped = json.loads(run("catalog", "list", "gpus", "--json").stdout)
    assert len(rows) >= len(shipped)


def test_model_from_config_prints_and_writes_toml(run, tmp_path):
    out = run("model", "from-config", FIXTURES / "configs" / "glm-4.5.json", "--id", "my-glm").stdout
    assert "[[model]]" in out and "total" in out
    target = tmp_path / "glm.toml"
    run("model", "from-config", FIXTURES / "configs" / "glm-4.5.json", "--id", "my-glm", "-o", target)
    row = tomllib.loads(target.read_text())["model"][0]
    estimate = run("estimate", "--catalog", target, "--model", row["id"], "--gpu", "rtx-3090:4",
                   "--cpu", "epyc-9534", "--ram", "ddr5-4800-rdimm-64gb:12", "-q").stdout
    assert "decode" in estimate
    result = run("model", "from-config", tmp_path / "missing.json", code=2)
    assert "no such file" in one_error_line(result)


def test_model_from_gguf(run, tmp_path):
    pytest.importorskip("gguf")
    from tests.catalogs.test_importers import write_tiny_gguf

    path = tmp_path / "tiny-moe-Q8_0.gguf"
    write_tiny_gguf(path)
    out = run("model", "from-gguf", path).stdout
    assert "[[model]]" in out and "Q8_0" in out


@pytest.mark.parametrize("command", [
    [], ["estimate"], ["cheapest"], ["pareto"], ["batch"], ["catalog"], ["catalog", "list"],
    ["catalog", "show"], ["catalog", "check"], ["model"], ["model", "from-config"],
    ["model", "from-gguf"], ["validate"], ["calibrate"]])
def test_help(run, command):
    out = run(*command, "--help").stdout
    assert "Usage" in out
    assert max(len(line) for line in out.splitlines()) <= 80


def test_usage_error_is_one_line(run):
    result = run("estimate", "--bogus", code=2)
    assert "No such option" in one_error_line(result)
