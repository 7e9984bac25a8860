"""Catalog loading: conversion to costmodel objects, layering, lookups and error messages."""

import json
import math
import tomllib
from pathlib import Path

import pytest

import catalogs
from catalogs import (
    CatalogError,
    UnknownIdError,
    check_catalog_dir,
    find_quant,
    load_catalog,
    load_engine,
)
from catalogs.loader import PACKAGE_DIR, display_path
from costmodel import InputError

FIXTURES = Path(__file__).parents[1] / "fixtures" / "catalogs"
VALID = FIXTURES / "valid"


def toml_value(value) -> str:
    """Just enough TOML writing for the test rows: scalars, lists and inline tables."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    return repr(value)


def write_rows(path: Path, kind: str, rows: list[dict]) -> Path:
    text = "".join(
        f"[[{kind}]]\n" + "".join(f"{json.dumps(k)} = {toml_value(v)}\n" for k, v in row.items())
        for row in rows
    )
    path.write_text(text, encoding="utf-8")
    return path


def fixture_row(file_name: str, kind: str, index: int = 0) -> dict:
    return tomllib.loads((VALID / file_name).read_text())[kind][index]


def only_error(tmp_path: Path, file_name: str, kind: str, row: dict) -> str:
    write_rows(tmp_path / file_name, kind, [row])
    errors = check_catalog_dir(tmp_path)
    assert len(errors) == 1, errors
    return str(errors[0])


@pytest.fixture(scope="module")
def catalog():
    return load_catalog([VALID])


def test_public_api():
    assert sorted(catalogs.__all__) == [
        "Catalog", "CatalogError", "KINDS", "UnknownIdError", "check_catalog_dir", "find_quant",
        "load_catalog", "load_engine",
    ]


# Conversion of rows to costmodel objects


def test_valid_fixture_has_no_errors():
    assert check_catalog_dir(VALID) == []


def test_gpu_row_becomes_gpu(catalog):
    gpu = catalog.gpu("fixture-rtx-3090")
    assert (gpu.name, gpu.price, gpu.vram_gb) == ("Fixture RTX 3090", 750, 24)
    assert (gpu.memory_bw_gbps, gpu.tflops, gpu.pcie_gen, gpu.pcie_lanes) == (936.2, 71, 4, 16)
    assert (gpu.tdp_w, gpu.slot_width) == (350, 3)


def test_missing_price_is_nan(catalog):
    assert math.isnan(catalog.gpu("fixture-p40").price)
    assert not catalog.gpu("fixture-p40").has_price


def test_cpu_tflops_is_derived(catalog):
    cpu = catalog.cpu("fixture-epyc-9534")
    # 64 cores x 2.45 GHz x 32 FLOP/cycle = 5017.6 GFLOPS = 5.0176 TFLOPS
    assert cpu.tflops == pytest.approx(5.0176)
    assert (cpu.socket, cpu.cores, cpu.memory_channels, cpu.memory_mt_s) == ("sp5", 64, 12, 4800)
    assert (cpu.ccd_count, cpu.fclk_ghz, cpu.sockets, cpu.isa) == (8, 1.8, 1, ("avx2", "avx512"))


def test_cpu_optional_fields_default_to_zero(catalog):
    cpu = catalog.cpu("fixture-epyc-7543")
    assert (cpu.ccd_count, cpu.fclk_ghz, cpu.sockets) == (0, 0.0, 1)
    assert cpu.tflops == pytest.approx(32 * 2.8 * 32 / 1000)  # 2.8672 TFLOPS


def test_ram_bandwidth_is_derived(catalog):
    ram = catalog.ram_module("fixture-ddr5-4800-64gb")
    assert ram.memory_bw_per_module_gbps == pytest.approx(38.4)  # 4800 MT/s x 8 B / 1000
    assert (ram.capacity_gb, ram.mt_s) == (64, 4800)
    assert (ram.memory_type, ram.module_kind) == ("ddr5", "rdimm")


def test_board_slots_sorted_widest_and_fastest_first(catalog):
    board = catalog.board("fixture-h13ssl")
    assert (board.ram_slots, board.pcie_slots, board.pcie_gen) == (12, 4, 5)
    # listed: 5x8, 5x16, 4x16, 5x8 -> sorted by (lanes, gen) descending
    assert board.slot_lanes == (16, 16, 8, 8)
    assert board.slot_gens == (5, 4, 5, 5)
    assert (board.memory_channels, board.socket, board.memory_type) == (12, "sp5", "ddr5")


def test_model_row_becomes_arch_with_quants(catalog):
    arch = catalog.model("fixture-mixtral-8x7b")
    assert arch.head_dim == 128  # hidden 4096 / 32 heads, as the config omits head_dim
    assert set(arch.quantizations) == {"Q4_K_M", "Q8_0"}
    assert arch.quantizations["Q4_K_M"].expert_bits_per_weight == 4.5


def test_engine_row_becomes_profile_with_defaults(catalog):
    engine = catalog.engine("fixture_engine")
    assert (engine.gpu_memory_eff, engine.link_eff, engine.stream_min_ubatch) == (0.6, 0.7, 32)
    assert engine.source == "test fixture"


def test_rows_are_kept_and_json_serializable(catalog):
    row = catalog.rows["gpu"]["fixture-p40"]
    assert row["as_of"] == "2025-12-01"  # bare TOML date stored as text
    model_row = catalog.rows["model"]["fixture-mixtral-8x7b"]
    assert model_row["quant"]["Q8_0"]["source"] == "test fixture"
    json.dumps(catalog.rows)


# Layering and lookups


def test_user_dir_overrides_and_adds():
    catalog = load_catalog([VALID, str(FIXTURES / "override")])
    assert catalog.gpu("fixture-p40").price == 180
    assert catalog.rows["gpu"]["fixture-p40"]["source"] == "test fixture override"
    assert catalog.gpu("fixture-new-card").vram_gb == 32
    assert catalog.gpu("fixture-rtx-3090").price == 750


def test_shipped_catalog_is_cached_and_untouched_by_overlays():
    shipped = load_catalog()
    load_catalog([VALID])
    assert load_catalog() is shipped
    assert "fixture-p40" not in shipped.gpus


def test_lookup_is_case_insensitive_and_knows_aliases(catalog):
    arch = catalog.model("fixture-mixtral-8x7b")
    assert catalog.model("FIXTURE-MIXTRAL") is arch
    assert catalog.model("Fixture/Mixtral-8x7B-v0.1") is arch
    assert catalog.gpu("Fixture-RTX-3090") is catalog.gpu("fixture-rtx-3090")


def test_unknown_id_names_kind_id_and_close_matches(catalog):
    with pytest.raises(UnknownIdError) as info:
        catalog.gpu("fixture-rtx-309")
    assert isinstance(info.value, InputError)
    assert str(info.value).startswith(
        "unknown gpu 'fixture-rtx-309'; close matches: fixture-rtx-3090")
    with pytest.raises(UnknownIdError, match="unknown model 'fixture-mixtrl'; close matches: "):
        catalog.model("fixture-mixtrl")


def test_unknown_id_without_close_match(catalog):
    with pytest.raises(UnknownIdError, match="unknown engine 'zzzz'; no close match"):
        catalog.engine("zzzz")


def test_find_quant(catalog):
    arch = catalog.model("fixture-mixtral-8x7b")
    assert find_quant(arch, "q4_k_m") is arch.quantizations["Q4_K_M"]
    plain = find_quant(arch, "4.5")
    assert (plain.expert_bits_per_weight, plain.other_bits_per_weight) == (4.5, 4.5)
    with pytest.raises(UnknownIdError, match="close matches: Q4_K_M"):
        find_quant(arch, "Q4_K_S")
    with pytest.raises(InputError, match="expert_bits_per_weight"):
        find_quant(arch, "64")


def test_load_engine_by_name_and_by_path(tmp_path):
    assert load_engine("LLAMA.CPP").name == "llama.cpp"
    assert load_engine(VALID / "engines.toml").name == "fixture_engine"
    with pytest.raises(UnknownIdError, match="close matches: llama.cpp"):
        load_engine("llama-cpp")
    row = fixture_row("engines.toml", "engine")
    two = write_rows(tmp_path / "two.toml", "engine", [row, {**row, "name": "other"}])
    with pytest.raises(CatalogError, match="holds 2 \\[\\[engine\\]\\] tables; allowed: exactly 1"):
        load_engine(str(two))


# Error messages: file, entry (number and id), field, value, allowed


def test_out_of_range_message(tmp_path):
    row = {**fixture_row("gpus.toml", "gpu"), "id": "rtx-3090", "memory_bw_gbps": -5}
    rows = [{**row, "id": f"card-{i}", "memory_bw_gbps": 900} for i in (1, 2)] + [row]
    path = write_rows(tmp_path / "gpus.toml", "gpu", rows)
    assert [str(e) for e in check_catalog_dir(tmp_path)] == [
        f"{path}: gpu #3 'rtx-3090': field 'memory_bw_gbps' = -5 is out of range; "
        "allowed: 0 < value <= 20000"
    ]


def test_shipped_files_are_shown_relative_to_the_repository():
    assert display_path(PACKAGE_DIR / "gpus.toml") == "catalogs/gpus.toml"


@pytest.mark.parametrize(("change", "expected"), [
    ({"vram": 24}, "unknown field 'vram'; allowed: id, name, vendor, vram_gb,"),
    ({"tflops": "71"},
     "field 'tflops' = '71' has type str; allowed: a number, 0 < value <= 20000"),
    ({"tflops": True}, "field 'tflops' = True has type bool; allowed: a number"),
    ({"pcie_gen": 4.0},
     "field 'pcie_gen' = 4.0 has type float; allowed: an integer, 1 <= value <= 6"),
    ({"tdp_w": float("nan")}, "field 'tdp_w' = nan is out of range; allowed: 0 < value <= 2000"),
    ({"price_condition": "mint"},
     "field 'price_condition' = 'mint' is not allowed; allowed: 'new', 'used', 'msrp'"),
    ({"as_of": "2025/12"},
     "field 'as_of' = '2025/12' is not allowed; allowed: 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD'"),
    ({"as_of": "2025-13"}, "field 'as_of' = '2025-13' is not allowed"),
    ({"id": "RTX 3090"},
     "field 'id' = 'RTX 3090' is not a valid id; allowed: ^[a-z0-9][a-z0-9.+-]*$"),
    ({"name": ""}, "field 'name' = '' is not allowed; allowed: a non-empty string"),
])
def test_gpu_field_errors(tmp_path, change, expected):
    row = {**fixture_row("gpus.toml", "gpu"), **change}
    message = only_error(tmp_path, "gpus.toml", "gpu", row)
    assert message.startswith(f"{tmp_path / 'gpus.toml'}: gpu #1 '{row['id']}': ")
    assert expected in message


def test_missing_field_names_field_and_type(tmp_path):
    row = fixture_row("gpus.toml", "gpu")
    del row["vram_gb"]
    message = only_error(tmp_path, "gpus.toml", "gpu", row)
    assert message.endswith(
        "gpu #1 'fixture-rtx-3090': missing required field 'vram_gb' (a number, 0 < value <= 1024)")


def test_missing_id_names_entry_number(tmp_path):
    row = fixture_row("gpus.toml", "gpu")
    del row["id"]
    assert "gpu #1: missing required field 'id'" in only_error(tmp_path, "gpus.toml", "gpu", row)


def test_list_item_errors_name_the_position(tmp_path):
    row = fixture_row("boards.toml", "board")
    row["pcie_slots"] = [{"gen": 5, "lanes": 16}, {"gen": 7, "lanes": 16, "width": 2}]
    row["module_kinds"] = ["rdimm", "rdimm"]
    write_rows(tmp_path / "boards.toml", "board", [row])
    errors = "\n".join(str(e) for e in check_catalog_dir(tmp_path))
    assert ("board #1 'fixture-h13ssl': unknown field 'pcie_slots[1].width'; "
            "allowed: gen, lanes, kind") in errors
    assert "field 'pcie_slots[1].gen' = 7 is out of range; allowed: 1 <= value <= 6" in errors
    assert "field 'module_kinds[1]' = 'rdimm' repeats an earlier item" in errors


def test_duplicate_of_an_invalid_row_is_still_a_duplicate(tmp_path):
    row = fixture_row("gpus.toml", "gpu")
    write_rows(tmp_path / "gpus.toml", "gpu", [{**row, "tflops": -1}, row])
    messages = [str(e) for e in check_catalog_dir(tmp_path)]
    assert len(messages) == 2
    assert messages[1].endswith("gpu #2 'fixture-rtx-3090': duplicate id 'fixture-rtx-3090'; "
                                "first defined at " + messages[0].split(": field")[0])


def test_duplicate_ids_across_files_of_one_dir(tmp_path):
    row = fixture_row("gpus.toml", "gpu")
    write_rows(tmp_path / "a.toml", "gpu", [row])
    write_rows(tmp_path / "b.toml", "gpu", [row])
    [message] = [str(e) for e in check_catalog_dir(tmp_path)]
    assert message == (f"{tmp_path / 'b.toml'}: gpu #1 'fixture-rtx-3090': duplicate id "
                       f"'fixture-rtx-3090'; first defined at {tmp_path / 'a.toml'}: gpu #1 "
                       "'fixture-rtx-3090'")


def test_cross_field_board_error(tmp_path):
    row = {**fixture_row("boards.toml", "board"), "dimm_slots": 16}
    message = only_error(tmp_path, "boards.toml", "board", row)
    assert message.endswith("board #1 'fixture-h13ssl': field 'dimm_slots' = 16 exceeds "
                            "memory_channels x dimms_per_channel = 12; allowed: dimm_slots <= 12")


def test_cpu_boost_below_base(tmp_path):
    row = {**fixture_row("cpus.toml", "cpu"), "boost_ghz": 2.0}
    assert "field 'boost_ghz' = 2.0 is below base_ghz = 2.45" in only_error(
        tmp_path, "cpus.toml", "cpu", row)


def test_quant_sub_table_errors(tmp_path):
    row = fixture_row("models.toml", "model")
    row["quant"]["Q4_K_M"]["expert_bits_per_weight"] = 0.5
    message = only_error(tmp_path, "models.toml", "model", row)
    assert message.endswith("model #1 'fixture-mixtral-8x7b': "
                            "field 'quant.Q4_K_M.expert_bits_per_weight' = 0.5 is out of range; "
                            "allowed: 1 <= value <= 32")


def test_model_cross_field_error_from_modelarch(tmp_path):
    row = {**fixture_row("models.toml", "model"), "experts_per_token": 9}
    message = only_error(tmp_path, "models.toml", "model", row)
    assert ("model #1 'fixture-mixtral-8x7b': model 'fixture-mixtral-8x7b': "
            "field 'experts_per_token' = 9 is out of range") in message


def test_alias_naming_another_model_is_an_error(tmp_path):
    row = fixture_row("models.toml", "model")
    other = {**row, "id": "fixture-other", "aliases": ["fixture-mixtral"]}
    write_rows(tmp_path / "models.toml", "model", [row, other])
    messages = [str(e) for e in check_catalog_dir(tmp_path)]
    assert len(messages) == 1
    assert ("model #2 'fixture-other': alias 'fixture-mixtral' already names model "
            "'fixture-mixtral-8x7b' (") in messages[0]


def test_file_level_errors(tmp_path):
    (tmp_path / "a.toml").write_text("[[gpus]]\nid = 'x'\n")
    (tmp_path / "b.toml").write_text("gpu = 3\n")
    (tmp_path / "c.toml").write_text("[[gpu]\n")
    messages = [str(e) for e in check_catalog_dir(tmp_path)]
    assert messages[0] == (
        f"{tmp_path / 'a.toml'}: top-level key 'gpus' is not a catalog kind; "
        "allowed: [[gpu]], [[cpu]], [[board]], [[ram]], [[model]], [[engine]]")
    assert messages[1] == f"{tmp_path / 'b.toml'}: 'gpu' must be an array of tables [[gpu]]"
    assert messages[2].startswith(f"{tmp_path / 'c.toml'}: cannot read TOML: ")


def test_missing_or_empty_dir(tmp_path):
    assert [str(e) for e in check_catalog_dir(tmp_path)] == [f"{tmp_path}: holds no *.toml files"]
    missing = tmp_path / "nope"
    assert [str(e) for e in check_catalog_dir(missing)] == [
        f"{missing}: no such catalog directory or file"]


def test_check_returns_every_error():
    broken = FIXTURES / "broken"
    messages = [str(e) for e in check_catalog_dir(broken)]
    gpus = f"{display_path(broken / 'gpus.toml')}: gpu"
    ram = f"{display_path(broken / 'ram.toml')}: ram #1 'broken-ram'"
    assert gpus.startswith("tests/fixtures/catalogs/broken/gpus.toml")
    assert messages[0].startswith(f"{gpus} #1 'broken-negative-bw': field 'memory_bw_gbps' = -5 ")
    assert messages[1].startswith(f"{gpus} #2 'broken-unknown-key': unknown field 'vram'")
    assert messages[2] == (f"{gpus} #4 'fine-card': duplicate id 'fine-card'; "
                           f"first defined at {gpus} #3 'fine-card'")
    assert messages[3].startswith(
        f"{gpus} #5 'broken-missing-source': missing required field 'source'")
    assert messages[4].startswith(f"{ram}: field 'module_kind' = 'sodimm' is not allowed")
    assert messages[5].startswith(f"{ram}: field 'as_of' = '2025/08' is not allowed")
    assert len(messages) == 6


def test_load_raises_with_every_error():
    with pytest.raises(CatalogError, match="^6 catalog errors:\n") as info:
        load_catalog([FIXTURES / "broken"])
    assert "'broken-ram'" in str(info.value)
