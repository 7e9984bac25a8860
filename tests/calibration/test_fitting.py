"""The fit recovers known parameters from cases whose 'measurements' the model itself produced,
and cross-validation of exact data predicts every held-out case exactly."""

from dataclasses import replace

import numpy as np
import pytest

from catalogs import load_catalog
from catalogs.benchmark_cases import resolve_rows
from catalogs.benchmarks import read_benchmarks
from costmodel.calibration import predict_case, prepare
from costmodel.fitting import (
    FitParameter,
    cross_validate,
    fit_parameters,
    measured_arrays,
    robust_cost,
)

from .helpers import CALIBRATION_CSV

TRUE = {"gpu_memory_eff": 0.72, "cpu_memory_eff": 0.48, "cpu_compute_eff": 0.9,
        "hop_latency_s": 8e-5}
PARAMS = [FitParameter("gpu_memory_eff", 0.3, 1.0), FitParameter("cpu_memory_eff", 0.1, 1.0),
          FitParameter("cpu_compute_eff", 0.05, 2.0), FitParameter("hop_latency_s", 0.0, 1e-3)]


@pytest.fixture(scope="module")
def synthetic():
    """14 predictable cases of the calibration file (every regime it has), measured = the model
    with TRUE values under the catalog's ik_llama.cpp structure."""
    catalog = load_catalog()
    start = catalog.engine("ik_llama.cpp")
    wanted = {"ds-60", "ds-63", "ds-64", "ds-67", "qm-3", "qm-7", "ds-72", "ds-75", "ds-78",
              "ds-83", "ds-85", "qm-13", "qm-16", "qm-22"}
    cases = [c for c in resolve_rows(read_benchmarks(CALIBRATION_CSV).rows, catalog)
             if c.case_id in wanted]
    truth = start.with_values(**TRUE)
    made = []
    for case in cases:
        pred = predict_case(prepare(case), truth)
        made.append(prepare(replace(case, measured_prefill_tokens_per_s=pred.prefill_tokens_per_s,
                                    measured_decode_tokens_per_s=pred.decode_tokens_per_s)))
    return made, start


def test_fit_recovers_known_parameters(synthetic):
    prepared, start = synthetic
    begin = start.with_values(gpu_memory_eff=0.5, cpu_memory_eff=0.5, cpu_compute_eff=0.5,
                              hop_latency_s=2e-5)
    result = fit_parameters(prepared, [begin] * len(prepared), PARAMS, loss="soft_l1")
    assert result.success and result.cost_after < 1e-10 < result.cost_before
    for name, value in TRUE.items():
        assert result.values[name] == pytest.approx(value, rel=1e-3), name


def test_cross_validation_of_exact_data_is_exact(synthetic):
    prepared, start = synthetic
    profile = start.with_values(**TRUE)
    cv = cross_validate(prepared, lambda train: (lambda p: profile))
    ok = np.isfinite(cv.log_ratio)
    assert ok.sum() == np.isfinite(measured_arrays(prepared)).sum()
    assert np.abs(cv.log_ratio[ok]).max() < 1e-12


def test_robust_cost_matches_least_squares_definitions():
    r = np.array([0.1, -0.4, np.nan])
    assert robust_cost(r, "linear", 0.2) == pytest.approx(0.5 * (0.01 + 0.16))
    z = (r[:2] / 0.2) ** 2
    assert robust_cost(r, "soft_l1", 0.2) == pytest.approx(0.5 * 0.04 * (2 * (np.sqrt(1 + z) - 1)).sum())
    assert robust_cost(r, "huber", 0.2) == pytest.approx(0.5 * 0.04 * (z[0] + 2 * np.sqrt(z[1]) - 1))


def test_bad_loss_is_rejected(synthetic):
    prepared, start = synthetic
    with pytest.raises(ValueError, match="allowed: soft_l1, huber, linear"):
        fit_parameters(prepared, [start] * len(prepared), PARAMS, loss="cauchy")
