"""`moerig cheapest` and `moerig pareto` on a small model (fast searches)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from .conftest import SMALL, one_error_line

RESULT_KEYS = {"status", "price_usd", "decode_tokens_per_s", "prefill_tokens_per_s",
               "time_to_first_token_s", "build"}
PART_KEYS = {"id", "count", "unit_price_usd"}


def test_cheapest_prints_build_command_and_steps(run):
    out = run("cheapest", *SMALL, "--decode", "30", "--gpu-type", "rtx-3090", "--gpu-type",
              "rtx-3060-12gb").stdout
    for key in ("Cheapest build:", "status optimal", "total", "decode", "TTFT", "bottlenecks",
                "Where the weights go", "What binds", "Next cheapest builds", "llama-server -m",
                "Upgrade steps"):
        assert key in out, key
    assert max(len(line) for line in out.splitlines()) <= 80


def test_cheapest_json(run):
    data = json.loads(run("cheapest", *SMALL, "--decode", "30", "--gpu-type", "rtx-3090", "--json").stdout)
    assert RESULT_KEYS <= set(data) and data["status"] == "optimal"
    assert all(PART_KEYS <= set(p) for p in data["build"])
    assert data["decode_tokens_per_s"] >= 30
    assert sum(p["count"] * p["unit_price_usd"] for p in data["build"]) == pytest.approx(data["price_usd"])
    assert data["engine_command"][0] == "llama-server"


def test_owned_parts_cost_nothing(run):
    data = json.loads(run("cheapest", *SMALL, "--decode", "60", "--gpu-type", "rtx-3090",
                          "--owned", "rtx-3090:2", "--max-gpus", "2", "--json").stdout)
    gpu = next(p for p in data["build"] if p["kind"] == "gpu")
    assert gpu["owned"] == 2 and gpu["count"] <= 2


def test_infeasible_exits_1_with_best_reachable(run):
    result = run("cheapest", *SMALL, "--decode", "100000", "--gpu-type", "rtx-3090", code=1)
    assert "No build meets the targets" in result.stdout
    assert "Best reachable build" in result.stdout
    data = json.loads(run("cheapest", *SMALL, "--decode", "100000", "--gpu-type", "rtx-3090",
                          "--json", code=1).stdout)
    assert data["status"] == "infeasible" and data["best_reachable"]["decode_tokens_per_s"] > 0


@pytest.mark.parametrize(("args", "expected"), [
    (["--decode", "0"], "'--decode'"),
    (["--budget", "-5"], "'--budget'"),
    (["--gpu-type", "rtx-309"], "--gpu-type: unknown gpu 'rtx-309'; close matches: rtx-3090"),
    (["--owned", "rtx-309:2"], "--owned: unknown part 'rtx-309'"),
    (["--owned", "rtx-3090:x"], "--owned 'rtx-3090:x'"),
    (["--max-gpus", "99"], "'--max-gpus'"),
    (["--mixed", "--gpu-type", "rtx-3090"], "mixed-GPU search needs 2 to 4 GPU types"),
    (["--engine", "vllm"], "--engine: unknown engine 'vllm'"),
])
def test_cheapest_bad_input(run, args, expected):
    result = run("cheapest", *SMALL, *args, code=2)
    assert expected in one_error_line(result)


def test_pareto_json_is_a_non_dominated_list(run):
    points = json.loads(run("pareto", *SMALL, "--gpu-type", "rtx-3090", "--json").stdout)
    assert isinstance(points, list) and points
    for p in points:
        assert {"price_usd", "decode_tokens_per_s", "prefill_tokens_per_s", "build"} <= set(p)
        assert all(PART_KEYS <= set(part) for part in p["build"])
    for a in points:
        for b in points:
            assert not (b["price_usd"] < a["price_usd"] and b["decode_tokens_per_s"] > a["decode_tokens_per_s"])


def test_pareto_table_csv_and_plot(run, tmp_path):
    out = run("pareto", *SMALL, "--gpu-type", "rtx-3090", "--axis", "both").stdout
    assert "Non-dominated builds" in out and "Seed builds" in out
    rows = list(csv.DictReader(io.StringIO(run("pareto", *SMALL, "--gpu-type", "rtx-3090",
                                               "--csv", "-").stdout)))
    assert rows and {"price_usd", "decode_tokens_per_s", "build"} <= set(rows[0])
    pytest.importorskip("matplotlib")
    target = tmp_path / "front.svg"
    run("pareto", *SMALL, "--gpu-type", "rtx-3090", "--plot", target, "-q")
    assert target.read_text().lstrip().startswith("<?xml")


def test_pareto_nothing_fits_exits_1(run):
    run("pareto", *SMALL, "--gpu-type", "rtx-3090", "--budget", "10", code=1)


def test_mixed_gpu_search(run):
    data = json.loads(run("cheapest", *SMALL, "--decode", "100", "--gpu-type", "rtx-3090", "--gpu-type",
                          "rtx-3060-12gb", "--mixed", "--json").stdout)
    assert data["status"] == "optimal" and data["decode_tokens_per_s"] >= 100


def test_verbose_shows_the_traceback(run):
    result = run("cheapest", *SMALL, "--gpu-type", "rtx-309", "-v", code=2)
    assert "Traceback" in result.stderr and "--gpu-type: unknown gpu" in result.stderr.splitlines()[-1]
