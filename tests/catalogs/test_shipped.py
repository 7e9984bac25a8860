"""The shipped catalog files load, are large enough, carry provenance, and their model rows
agree with costmodel.count_params."""

import pytest

from catalogs import check_catalog_dir, load_catalog
from catalogs.loader import PACKAGE_DIR
from costmodel import count_params

REQUIRED_MODELS = (
    "deepseek-v3", "kimi-k2", "qwen3-235b-a22b", "qwen3-30b-a3b", "qwen3-coder-480b-a35b",
    "mixtral-8x7b", "mixtral-8x22b", "gpt-oss-120b", "gpt-oss-20b", "glm-4.5", "glm-4.5-air",
    "llama-4-scout", "llama-4-maverick", "dbrx", "qwen2-57b-a14b", "hunyuan-a13b",
    "deepseek-v2-lite", "ernie-4.5-300b-a47b", "minimax-m2", "llama-3.1-70b", "llama-3.1-8b",
    "qwen3-32b",
)
MIN_ROWS = {"gpu": 30, "cpu": 30, "board": 15, "ram": 12}
PUBLISHED_TOTAL_TOLERANCE = 0.03  # vendors round (Kimi-K2 "1T" = 1026 B derived)
DERIVED_TOTAL_TOLERANCE = 0.005  # models.md section 2 arithmetic, printed to 0.01 B


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def test_shipped_dir_has_no_errors():
    assert check_catalog_dir(PACKAGE_DIR) == []


@pytest.mark.parametrize(("kind", "minimum"), MIN_ROWS.items())
def test_row_counts(catalog, kind, minimum):
    assert len(catalog.rows[kind]) >= minimum


def test_required_models_present(catalog):
    assert [m for m in REQUIRED_MODELS if m not in catalog.models] == []


def test_engines_present(catalog):
    names = ("llama.cpp", "ik_llama.cpp", "ktransformers")
    engines = {name: catalog.engine(name) for name in names}
    assert engines["llama.cpp"].stream_min_ubatch == 32
    assert engines["ik_llama.cpp"].stream_touched_only
    assert engines["ktransformers"].stream_min_ubatch == 10**9


def test_every_row_has_provenance(catalog):
    missing = [
        (kind, row_id)
        for kind, rows in catalog.rows.items()
        for row_id, row in rows.items()
        if not (row.get("source", "").strip() and str(row.get("as_of", "")).strip())
    ]
    assert missing == []
    quants_without_source = [
        (model_id, name)
        for model_id, row in catalog.rows["model"].items()
        for name, quant in row.get("quant", {}).items()
        if not quant["source"].strip()
    ]
    assert quants_without_source == []


@pytest.mark.parametrize("model_id", REQUIRED_MODELS)
def test_counted_total_matches_published_and_derived(catalog, model_id):
    row = catalog.rows["model"][model_id]
    total_b = count_params(catalog.model(model_id)).total / 1e9
    assert total_b == pytest.approx(row["published_total_b"], rel=PUBLISHED_TOTAL_TOLERANCE)
    assert total_b == pytest.approx(row["derived_total_b"], rel=DERIVED_TOTAL_TOLERANCE)
