"""`moerig estimate`: tables, JSON, CSV sweeps, the engine command, plots and bad input."""

from __future__ import annotations

import builtins
import csv
import io
import json
from pathlib import Path

import pytest

from optimizer.cli.common import parse_contexts

from .conftest import BUILD, QWEN235, one_error_line

CONFIGS = Path(__file__).parents[1] / "fixtures" / "configs"
REPORT_KEYS = {"fits", "prefill_tokens_per_s", "time_to_first_token_s", "decode_tokens_per_s",
               "placement", "bottleneck_prefill", "bottleneck_decode", "breakdown_prefill",
               "breakdown_decode"}


def test_table_names_board_speeds_and_fits_80_columns(run):
    out = run("estimate", *QWEN235, *BUILD, "--context", "32768").stdout
    assert "board: supermicro-h13ssl-n, the cheapest catalog board" in out
    for key in ("Where the weights go", "tokens/s", "TTFT", "bottleneck", "Time breakdown", "rtx-3090 x"):
        assert key in out
    assert max(len(line) for line in out.splitlines()) <= 80


def test_json_has_report_keys(run):
    data = json.loads(run("estimate", *QWEN235, *BUILD, "--context", "8192", "--json").stdout)
    assert REPORT_KEYS <= set(data)
    assert data["fits"] is True and data["decode_tokens_per_s"] > 0
    assert data["board"] == "supermicro-h13ssl-n" and data["board_chosen"] is True
    assert data["engine_command"][0] == "llama-server"
    assert {p["kind"] for p in data["build"]} == {"board", "cpu", "gpu", "ram"}


def test_context_sweep_rows(run):
    out = run("estimate", *QWEN235, *BUILD, "--context", "0:32768:5", "--csv").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [int(r["context_tokens"]) for r in rows] == [0, 8192, 16384, 24576, 32768]
    decode = [float(r["decode_tokens_per_s"]) for r in rows]
    assert decode == sorted(decode, reverse=True)  # more context is never faster
    table = run("estimate", *QWEN235, *BUILD, "--context", "4096,32768").stdout
    assert "Speed vs context" in table and "4,096" in table and "32,768" in table
    sweep = json.loads(run("estimate", *QWEN235, *BUILD, "--context", "4096,8192", "--json").stdout)
    assert [r["context_tokens"] for r in sweep] == [4096, 8192]


def test_parse_contexts():
    assert parse_contexts("0:131072:8")[0] == 0 and parse_contexts("0:131072:8")[-1] == 131072
    assert len(parse_contexts("0:131072:8")) == 8
    assert parse_contexts("4096, 32768") == [4096, 32768]
    assert parse_contexts("100:100:1") == [100]


def test_command_for_the_estimated_placement(run):
    out = run("estimate", *QWEN235, *BUILD, "--context", "32768", "--command", "--quiet").stdout
    assert "llama-server -m qwen3-235b-a22b-Q4_K_M.gguf -c 32768 -ngl 999" in out
    assert "--tensor-split 1,1,1,1" in out and "--n-cpu-moe" in out and "-t 64" in out
    ik = run("estimate", *QWEN235, *BUILD, "--engine", "ik_llama.cpp", "--placement", "experts-cpu",
             "--command", "-q").stdout
    assert "-ot exps=CPU" in ik and "-fmoe" in ik


def test_upgrades(run):
    out = run("estimate", *QWEN235, *BUILD, "--upgrades").stdout
    assert "Upgrade steps" in out and "one more rtx-3090" in out


def test_board_given_and_spec_overlay(run, tmp_path):
    spec = tmp_path / "mine.toml"
    spec.write_text('''
[[gpu]]
id = "my-card"
name = "My 48 GB card"
vendor = "nvidia"
vram_gb = 48.0
memory_bw_gbps = 900.0
tflops = 150.0
pcie_gen = 4
pcie_lanes = 16
tdp_w = 300.0
slot_width = 2
source = "test"
as_of = "2025"
''')
    out = run("estimate", *QWEN235, "--gpu", "my-card:2", "--cpu", "epyc-9534", "--ram",
              "ddr5-4800-rdimm-64gb:8", "--board", "asrock-rack-genoad8x-2t", "--spec", spec, "--json").stdout
    data = json.loads(out)
    assert data["board_chosen"] is False and data["placement"][0]["device"] == "my-card"


def test_model_from_config_path(run):
    out = run("estimate", "--model", CONFIGS / "glm-4.5.json", *BUILD, "--quiet").stdout
    assert "decode" in out and "tokens/s" in out


def test_plot_png(run, tmp_path):
    pytest.importorskip("matplotlib")
    target = tmp_path / "sweep.png"
    run("estimate", *QWEN235, *BUILD, "--context", "4096,16384", "--plot", target, "-q")
    assert target.read_bytes()[:4] == b"\x89PNG"


def test_plot_without_matplotlib_says_how_to_install(run, tmp_path, monkeypatch):
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError("no matplotlib")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    result = run("estimate", *QWEN235, *BUILD, "--plot", tmp_path / "x.png", code=2)
    assert "pip install 'moerig[plot]'" in one_error_line(result)


@pytest.mark.parametrize(("args", "expected"), [
    (["--gpu", "rtx-309:4"], "--gpu: unknown gpu 'rtx-309'; close matches: rtx-3090"),
    (["--ram", "ddr5-4800-rdimm-64gb:40"], "no catalog board takes"),
    (["--kv-cache", "q5"], "'--kv-cache'"),
    (["--context", "1:2:x"], "--context '1:2:x': allowed:"),
    (["--context", "4096", "--prompt", "8192"], "--prompt 8192 exceeds --context 4096"),
    (["--context", "500000"], "exceeds the model's limit"),
    (["--quant", "Q4_K_X"], "--quant: unknown qwen3-235b-a22b quantization 'Q4_K_X'"),
    (["--ubatch", "0"], "'--ubatch'"),
])
def test_bad_input_is_one_line_exit_2(run, args, expected):
    parts = {"--gpu": "rtx-3090:4", "--cpu": "epyc-9534", "--ram": "ddr5-4800-rdimm-64gb:12"}
    extra = []
    for flag, value in zip(args[::2], args[1::2], strict=True):
        if flag in parts:
            parts[flag] = value
        else:
            extra += [flag, value]
    result = run("estimate", *QWEN235, *(x for item in parts.items() for x in item), *extra, code=2)
    assert expected in one_error_line(result)


def test_unknown_model_lists_close_matches(run):
    result = run("estimate", "--model", "qwen3-253b", *BUILD, code=2)
    line = one_error_line(result)
    assert "--model: unknown model 'qwen3-253b'; close matches:" in line and "qwen3-235b-a22b" in line
