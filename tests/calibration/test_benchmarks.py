"""Reading benchmark CSVs: typed rows, rejected rows with their message, blanks filled from the
catalogs with a record of what was filled."""

import pytest

from catalogs import load_catalog
from catalogs.benchmark_cases import resolve_row, resolve_rows
from catalogs.benchmarks import BenchmarkFileError, read_benchmarks
from catalogs.quant_types import quant_bits_from_name

from .helpers import HYBRID_ROW, write_csv


def test_good_row_is_typed(tmp_path):
    bench = read_benchmarks(write_csv(tmp_path / "b.csv", [HYBRID_ROW], extra=["derivation_note"]))
    assert bench.errors == []
    row = bench.rows[0]
    assert (row.case_id, row.line, row.ubatch_tokens, row.gpu_count) == ("h-1", 2, 512, 1)
    assert row.gpu_vram_gb == (24.0,) and row.weights_gb == pytest.approx(404.425)
    assert row.n_cpu_moe is None and row.ram_measured_bandwidth_gb_s is None


@pytest.mark.parametrize(("change", "column", "allowed"), [
    ({"engine": "exllama"}, "engine", "llama.cpp, ik_llama.cpp, ktransformers"),
    ({"weights_gb": "-3"}, "weights_gb", "a number > 0"),
    ({"ubatch_tokens": "512.5"}, "ubatch_tokens", "a whole number"),
    ({"placement": "n-cpu-moe"}, "n_cpu_moe", "when placement is n-cpu-moe"),
    ({"gpu_count": "2", "gpu_vram_gb": "24;24;24"}, "gpu_vram_gb", "one per GPU"),
    ({"model": ""}, "model", "may not be blank"),
])
def test_malformed_row_is_rejected_with_line_and_column(tmp_path, change, column, allowed):
    rows = [HYBRID_ROW, {**HYBRID_ROW, "case_id": "bad", **change}, {**HYBRID_ROW, "case_id": "h-3"}]
    bench = read_benchmarks(write_csv(tmp_path / "b.csv", rows))
    assert [r.case_id for r in bench.rows] == ["h-1", "h-3"]  # the others go on
    (error,) = bench.errors
    message = str(error)
    assert (error.line, error.case_id, error.column) == (3, "bad", column)
    assert message.startswith(f"{tmp_path / 'b.csv'}:3: case 'bad': column '{column}'")
    assert allowed in message


def test_duplicate_case_id_is_rejected(tmp_path):
    bench = read_benchmarks(write_csv(tmp_path / "b.csv", [HYBRID_ROW, HYBRID_ROW]))
    assert len(bench.rows) == 1 and bench.errors[0].column == "case_id"


def test_missing_column_and_missing_file(tmp_path):
    path = tmp_path / "b.csv"
    path.write_text("case_id,source\nx,y\n", encoding="utf-8")
    with pytest.raises(BenchmarkFileError, match="missing column"):
        read_benchmarks(path)
    with pytest.raises(BenchmarkFileError, match="cannot read"):
        read_benchmarks(tmp_path / "absent.csv")


def test_blanks_filled_from_catalog_and_recorded(tmp_path):
    row = {**HYBRID_ROW, "weights_gb": "", "ram_channels": "", "ram_mt_s": "", "ram_bandwidth_gb_s": "",
           "gpu_link_gb_s": "", "cpu_tflops": ""}
    case = resolve_rows(read_benchmarks(write_csv(tmp_path / "b.csv", [row])).rows, load_catalog())[0]
    assert case.reason == ""
    assert case.ram_bandwidth_gb_s == pytest.approx(12 * 6000 * 8 / 1000)  # EPYC 9355 platform
    assert case.gpus[0].link_gb_s == pytest.approx(31.5, rel=1e-3)  # RTX 4090: PCIe 4.0 x16
    assert case.cpu_tflops == pytest.approx(32 * 3.55 * 64 / 1000)
    assert case.cpu_flop_per_cycle == 64 and case.weights_gb is None
    notes = " | ".join(case.filled)
    for text in ("ram_channels = 12", "ram_mt_s = 6000", "channels x MT/s", "gpu_link_gb_s",
                 "Q4_K_M bits in models.toml", "cpu_tflops"):
        assert text in notes


def test_unknown_model_and_unknown_weights_give_reasons(tmp_path):
    rows = [{**HYBRID_ROW, "model": "no-such-model"},
            {**HYBRID_ROW, "case_id": "h-2", "quant": "", "weights_gb": ""}]
    cases = resolve_rows(read_benchmarks(write_csv(tmp_path / "b.csv", rows)).rows, load_catalog())
    assert "unknown model 'no-such-model'" in cases[0].reason
    assert "weights unknown" in cases[1].reason


def test_size_of_same_quant_taken_from_another_row(tmp_path):
    rows = [{**HYBRID_ROW, "quant": "IQ4_K_R4", "weights_gb": "414.661"},
            {**HYBRID_ROW, "case_id": "h-2", "quant": "IQ4_K_R4", "weights_gb": ""}]
    cases = resolve_rows(read_benchmarks(write_csv(tmp_path / "b.csv", rows)).rows, load_catalog())
    assert cases[1].weights_gb == pytest.approx(414.661)
    assert any("row h-1" in note for note in cases[1].filled)
    assert cases[1].quant.other_bits_per_weight == 8.5  # type-named mix: other tensors at Q8_0


def test_measured_bandwidth_stands_in_for_theoretical(tmp_path):
    row = {**HYBRID_ROW, "cpu_model": "", "ram_channels": "", "ram_mt_s": "", "ram_bandwidth_gb_s": "",
           "ram_measured_bandwidth_gb_s": "400"}
    bench = read_benchmarks(write_csv(tmp_path / "b.csv", [row]))
    case = resolve_row(bench.rows[0], load_catalog())
    assert case.ram_bandwidth_gb_s == pytest.approx(400 / 0.8)
    row["ram_measured_bandwidth_gb_s"] = ""
    bench = read_benchmarks(write_csv(tmp_path / "b.csv", [row]))
    assert "RAM bandwidth unknown" in resolve_row(bench.rows[0], load_catalog()).reason


def test_quant_bits_from_type_names():
    assert quant_bits_from_name("Q8_0/Q4_K/Q4_K/Q5_K") == pytest.approx(((4.5 + 4.5 + 5.5) / 3, 8.5))
    assert quant_bits_from_name("IQ4_K_R4") == (4.5, 8.5)  # Q4_K: 144 bytes / 256 weights
    assert quant_bits_from_name("BF16") == (16.0, 16.0)
    assert quant_bits_from_name("mystery") is None
