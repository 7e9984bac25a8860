"""Acceptance: the shipped profiles reach the accuracy floors on the calibration file, cross-
validated leave-one-source-out, and they are what `moerig calibrate` produces.

The cross-validated predictions come from docs/accuracy_cv.csv, written by the documented command
(catalogs/engines.toml, `command`); the full cross-validation takes about 90 s, so these tests
refit one fold and the full-data profiles and check them against the stored results.
"""

import csv
from pathlib import Path

import numpy as np
import pytest

from catalogs import load_catalog
from catalogs.benchmark_cases import resolve_rows
from catalogs.benchmarks import read_benchmarks
from costmodel.calibration import predict_case, prepare
from costmodel.fitting import FIT_PARAMETERS, calibrate

from .helpers import CALIBRATION_CSV

CV_CSV = Path(__file__).resolve().parents[2] / "docs" / "accuracy_cv.csv"
FLOORS = {"predicted_share": 0.85, "decode_median": 0.15, "prefill_median": 0.25,
          "decode_within_25": 0.75}


def _cv_rows() -> list[dict[str, str]]:
    with CV_CSV.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _errors(rows, phase):
    meas = np.array([float(r[f"measured_{phase}_tokens_per_s"] or "nan") for r in rows])
    pred = np.array([float(r[f"cv_{phase}_tokens_per_s"] or "nan") for r in rows])
    measured = np.isfinite(meas)
    both = measured & np.isfinite(pred)
    return measured.sum(), both.sum(), np.abs(pred[both] / meas[both] - 1)


def test_cross_validated_floors():
    rows = _cv_rows()
    n_pre, ok_pre, err_pre = _errors(rows, "prefill")
    n_dec, ok_dec, err_dec = _errors(rows, "decode")
    assert (ok_pre + ok_dec) / (n_pre + n_dec) >= FLOORS["predicted_share"]
    assert np.median(err_dec) <= FLOORS["decode_median"]
    assert np.median(err_pre) <= FLOORS["prefill_median"]
    assert np.mean(err_dec <= 0.25) >= FLOORS["decode_within_25"]


@pytest.fixture(scope="module")
def prepared():
    return [prepare(c) for c in resolve_rows(read_benchmarks(CALIBRATION_CSV).rows, load_catalog())]


def test_shipped_profiles_are_reproduced(prepared):
    engines = load_catalog().engines
    result = calibrate(prepared, dict(engines), "generic", cv=False)
    for name, shipped in engines.items():
        for p in FIT_PARAMETERS:
            assert getattr(result.profiles[name], p.name) == pytest.approx(
                getattr(shipped, p.name), rel=2e-3, abs=1e-9), (name, p.name)


def test_stored_fold_is_reproduced(prepared):
    """Refit without the 4 rows of ik_llama.cpp PR 1022 and predict them: the stored values."""
    held = [p for p in prepared if p.case.case_id in {"qm-9", "qm-10", "qm-11", "qm-12"}]
    source = held[0].case.group_key
    train = [p for p in prepared if p.case.group_key != source]
    profiles = calibrate(train, dict(load_catalog().engines), "generic", cv=False).profiles
    stored = {r["case_id"]: r for r in _cv_rows()}
    for p in held:
        pred = predict_case(p, profiles[p.case.engine])
        row = stored[p.case.case_id]
        assert pred.decode_tokens_per_s == pytest.approx(float(row["cv_decode_tokens_per_s"]), rel=2e-3)
        assert pred.prefill_tokens_per_s == pytest.approx(float(row["cv_prefill_tokens_per_s"]), rel=2e-3)
