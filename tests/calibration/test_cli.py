"""`moerig validate` and `moerig calibrate` through their own Typer app (register)."""

import json

import pytest
import typer
from typer.testing import CliRunner

from catalogs import load_engine
from optimizer.cli.accuracy import register

from .helpers import CALIBRATION_CSV, HYBRID_ROW, write_csv


@pytest.fixture(scope="module")
def invoke():
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Test app."""

    register(app)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def small_csv(tmp_path):
    rows = [HYBRID_ROW,
            {**HYBRID_ROW, "case_id": "h-2", "context_tokens": "8192", "source": "test source B"},
            {**HYBRID_ROW, "case_id": "bad", "engine": "exllama"},
            {**HYBRID_ROW, "case_id": "h-4", "model": "no-such-model"}]
    return write_csv(tmp_path / "small.csv", rows)


def test_validate_json(invoke, small_csv):
    result = invoke("validate", small_csv, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    rows = {r["case_id"]: r for r in data["rows"]}
    assert set(rows) == {"h-1", "h-2", "h-4"}
    for key in ("predicted_prefill_tokens_per_s", "predicted_decode_tokens_per_s", "regime",
                "measured_decode_tokens_per_s", "filled", "reason"):
        assert key in rows["h-1"]
    assert rows["h-1"]["predicted_decode_tokens_per_s"] > 0 and rows["h-1"]["reason"] is None
    assert rows["h-4"]["predicted_decode_tokens_per_s"] is None
    assert "unknown model" in rows["h-4"]["reason"]
    assert data["summary"]["experts-in-ram"]["decode"]["n_predicted"] == 2
    assert "column 'engine'" in data["rejected"][0]
    assert "rejected row" in result.stderr and "line" not in result.stdout[:1]


def test_validate_table_fits_80_columns(invoke):
    result = invoke("validate", CALIBRATION_CSV)
    assert result.exit_code == 0
    assert "Error per regime" in result.stdout and "experts in RAM" in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 80


def test_validate_bad_input_is_one_line_exit_2(invoke, tmp_path):
    result = invoke("validate", tmp_path / "absent.csv")
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "cannot read" in lines[0]
    result = invoke("validate", CALIBRATION_CSV, "--engine", "no-such-engine")
    assert result.exit_code == 2 and "unknown engine" in result.stderr


def test_calibrate_one_engine_writes_loadable_profile(invoke, small_csv, tmp_path):
    out = tmp_path / "mine.toml"
    result = invoke("calibrate", small_csv, "-o", out, "--engine", "ik_llama.cpp", "--cv")
    assert result.exit_code == 0, result.output
    assert "Fitted values" in result.stdout and "Cross-validated" in result.stdout
    profile = load_engine(out)
    assert profile.name == "ik_llama.cpp" and profile.accuracy is not None
    assert "--engine ik_llama.cpp" in out.read_text(encoding="utf-8")
    again = invoke("validate", small_csv, "--profile", out, "--json")
    assert again.exit_code == 0
