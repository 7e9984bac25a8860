"""Fitting engine profiles to measured cases, and leave-one-source-out cross-validation.

Residuals are log-ratios r = ln(predicted / measured) of every measured phase the model can
predict; `scipy.optimize.least_squares` minimises sum rho(r^2) with a robust loss (soft_l1 or
huber) inside physical bounds. One shared parameter set is fitted on every engine's cases (each
case keeps its engine's structural settings: streaming rule, latent attention); optionally an
engine with enough cases and sources then gets its own fit, pulled toward the shared values.
docs/formulas.md, section Calibrated terms.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import least_squares

from .calibration import PreparedCase, case_regime, predict_case
from .engine import EngineProfile
from .regimes import Accuracy, ratio_ranges

LOSSES = ("soft_l1", "huber", "linear")

F_SCALE_LOG_RATIO = 0.2
"""Where the robust loss turns from quadratic to linear [log-ratio]: a 22% miss. Published figures
scatter about 10-20% between runs of one machine (thread counts, builds), so larger misses are
treated as partly outliers."""

PRIOR_WEIGHT = 2.0
"""Weight of ln(theta_engine / theta_shared) in an engine's own fit [1/log-ratio]: a parameter
moving by a factor e costs as much as two cases missed by a factor e."""

MIN_ENGINE_MEASUREMENTS = 20
"""Measured phases an engine needs for its own fit (fewer: the shared values)."""

MIN_ENGINE_SOURCES = 4
"""Distinct sources an engine needs for its own fit: fewer cannot separate the engine from the
machines that measured it."""


@dataclass(frozen=True)
class FitParameter:
    """One EngineProfile field to fit, with its physical bounds."""

    name: str
    low: float
    high: float


@dataclass(frozen=True)
class PhaseArrays:
    """Measured and predicted speeds of n cases (rows) for prefill and decode (columns)."""

    measured: NDArray[np.float64]  # (n, 2) NaN where not measured
    predicted: NDArray[np.float64]  # (n, 2) NaN where not predicted

    @property
    def log_ratio(self) -> NDArray[np.float64]:
        """ln(predicted / measured), NaN where either is missing."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.log(self.predicted / self.measured)


def measured_arrays(prepared: Sequence[PreparedCase]) -> NDArray[np.float64]:
    """(n, 2) measured prefill and decode speeds, NaN where blank."""
    values = [[np.nan if v is None else v for v in
               (p.case.measured_prefill_tokens_per_s, p.case.measured_decode_tokens_per_s)]
              for p in prepared]
    return np.array(values, dtype=np.float64).reshape(len(prepared), 2)


def predict_arrays(prepared: Sequence[PreparedCase], profiles: Sequence[EngineProfile]) -> PhaseArrays:
    """Predict every case with its own profile."""
    predicted = np.full((len(prepared), 2), np.nan)
    for i, (p, profile) in enumerate(zip(prepared, profiles, strict=True)):
        pred = predict_case(p, profile)
        predicted[i] = (pred.prefill_tokens_per_s, pred.decode_tokens_per_s)
    return PhaseArrays(measured=measured_arrays(prepared), predicted=predicted)


def robust_cost(log_ratio: NDArray[np.float64], loss: str = "soft_l1",
                f_scale: float = F_SCALE_LOG_RATIO) -> float:
    """least_squares' cost of finite log-ratios: 0.5 sum f^2 rho((r / f)^2)."""
    z = (log_ratio[np.isfinite(log_ratio)] / f_scale) ** 2
    if loss == "soft_l1":
        rho = 2.0 * (np.sqrt(1.0 + z) - 1.0)
    elif loss == "huber":
        rho = np.where(z <= 1.0, z, 2.0 * np.sqrt(z) - 1.0)
    else:
        rho = z
    return float(0.5 * f_scale**2 * rho.sum())


@dataclass(frozen=True)
class FitResult:
    """Fitted parameter values, the robust cost before and after, and the solver's status."""

    values: dict[str, float]
    n_residuals: int
    cost_before: float
    cost_after: float
    success: bool
    message: str
    nfev: int


def _apply(starts: Sequence[EngineProfile], params: Sequence[FitParameter],
           x: NDArray[np.float64]) -> list[EngineProfile]:
    changes = {p.name: float(v) for p, v in zip(params, x, strict=True)}
    return [start.with_values(**changes) for start in starts]


def fit_parameters(prepared: Sequence[PreparedCase], starts: Sequence[EngineProfile],
                   params: Sequence[FitParameter], *, loss: str = "soft_l1",
                   f_scale: float = F_SCALE_LOG_RATIO, prior: Mapping[str, float] | None = None,
                   prior_weight: float = PRIOR_WEIGHT, max_nfev: int | None = None) -> FitResult:
    """Fit one value per parameter to the cases (case i predicted with `starts[i]` changed).

    Minimises sum_i rho((ln(pred_i / meas_i) / f)^2) f^2 + sum_j (w ln(theta_j / prior_j))^2 within
    the bounds; the prior term is present when `prior` is given (an engine's fit pulled toward the
    shared values). The start is the first case's values of `params`, clipped to the bounds.
    """
    if loss not in LOSSES:
        raise ValueError(f"loss {loss!r}; allowed: {', '.join(LOSSES)}")
    low = np.array([p.low for p in params])
    high = np.array([p.high for p in params])
    x0 = np.clip([getattr(starts[0], p.name) or 0.0 for p in params], low, high)
    first = predict_arrays(prepared, _apply(starts, params, x0)).log_ratio
    mask = np.isfinite(first)
    if not mask.any():
        return FitResult(dict(zip([p.name for p in params], x0.tolist(), strict=True)), 0, 0.0, 0.0,
                         False, "no measured case can be predicted", 0)
    log_prior = None
    if prior is not None:
        log_prior = np.log(np.maximum([prior[p.name] for p in params], 1e-12))

    def residuals(x: NDArray[np.float64]) -> NDArray[np.float64]:
        r = predict_arrays(prepared, _apply(starts, params, x)).log_ratio[mask]
        r = np.where(np.isfinite(r), r, 5.0)
        if log_prior is None:
            return r
        return np.concatenate([r, prior_weight * (np.log(np.maximum(x, 1e-12)) - log_prior)])

    result = least_squares(residuals, x0, bounds=(low, high), loss=loss, f_scale=f_scale,
                           max_nfev=max_nfev, x_scale="jac")
    after = predict_arrays(prepared, _apply(starts, params, result.x)).log_ratio
    return FitResult(values=dict(zip([p.name for p in params], result.x.tolist(), strict=True)),
                     n_residuals=int(mask.sum()), cost_before=robust_cost(first, loss, f_scale),
                     cost_after=robust_cost(after, loss, f_scale), success=bool(result.success),
                     message=str(result.message), nfev=int(result.nfev))


@dataclass(frozen=True)
class ProfileFit:
    """Shared values, each engine's own values (where fitted), and how much data each engine had."""

    shared: FitResult
    engines: dict[str, FitResult]
    coverage: dict[str, tuple[int, int]]  # engine -> (predictable measurements, sources)

    def values_for(self, engine: str) -> dict[str, float]:
        return self.engines[engine].values if engine in self.engines else self.shared.values

    def covered(self, engine: str) -> bool:
        """The data held enough of this engine for its own fit (MIN_ENGINE_* thresholds)."""
        n_measured, n_sources = self.coverage.get(engine, (0, 0))
        return n_measured >= MIN_ENGINE_MEASUREMENTS and n_sources >= MIN_ENGINE_SOURCES

    def note(self, engine: str) -> str:
        """How the engine's values came about, for the profile's `fit` field."""
        n_measured, n_sources = self.coverage.get(engine, (0, 0))
        data = f"{n_measured} predictable measurements from {n_sources} sources"
        if engine in self.engines:
            return f"own fit, pulled toward the shared values; {data}"
        if self.covered(engine):
            return (f"shared values of all engines (per-engine fits are off by default: on the "
                    f"calibration file they raised the cross-validated error); {data}")
        return (f"shared values of all engines; {data} (an own fit needs >= "
                f"{MIN_ENGINE_MEASUREMENTS} from >= {MIN_ENGINE_SOURCES})")


def fit_engine_profiles(prepared: Sequence[PreparedCase], starts: Mapping[str, EngineProfile],
                        default: EngineProfile, params: Sequence[FitParameter], *,
                        loss: str = "huber", per_engine: bool = False,
                        max_nfev: int | None = None) -> ProfileFit:
    """Shared fit over all cases; with `per_engine`, then each engine with enough data on its own,
    pulled toward the shared values (prior). `starts` maps engine names to their start profiles
    (structural settings included); cases of other engines use `default`.
    """
    case_starts = [starts.get(p.case.engine, default) for p in prepared]
    shared = fit_parameters(prepared, case_starts, params, loss=loss, max_nfev=max_nfev)
    engines: dict[str, FitResult] = {}
    coverage: dict[str, tuple[int, int]] = {}
    measured = np.isfinite(measured_arrays(prepared))
    for engine in sorted({p.case.engine for p in prepared}):
        index = [i for i, p in enumerate(prepared) if p.case.engine == engine and not p.reason]
        coverage[engine] = (int(measured[index].sum()) if index else 0,
                            len({prepared[i].case.group_key for i in index}))
    fit = ProfileFit(shared=shared, engines=engines, coverage=coverage)
    for engine in coverage:
        if per_engine and fit.covered(engine):
            index = [i for i, p in enumerate(prepared) if p.case.engine == engine and not p.reason]
            engine_starts = [_apply([case_starts[i]], params,
                                    np.array([shared.values[p.name] for p in params]))[0]
                             for i in index]
            engines[engine] = fit_parameters([prepared[i] for i in index], engine_starts, params,
                                             loss=loss, prior=shared.values, max_nfev=max_nfev)
    return fit


def cross_validate(prepared: Sequence[PreparedCase],
                   fit: Callable[[Sequence[PreparedCase]], Callable[[PreparedCase], EngineProfile]]
                   ) -> PhaseArrays:
    """Leave-one-source-out predictions: for each source, `fit` the other sources' cases and
    predict the held-out ones with the profile it returns per case."""
    predicted = np.full((len(prepared), 2), np.nan)
    for group in sorted({p.case.group_key for p in prepared}):
        held = [i for i, p in enumerate(prepared) if p.case.group_key == group]
        profile_of = fit([p for p in prepared if p.case.group_key != group])
        for i in held:
            pred = predict_case(prepared[i], profile_of(prepared[i]))
            predicted[i] = (pred.prefill_tokens_per_s, pred.decode_tokens_per_s)
    return PhaseArrays(measured=measured_arrays(prepared), predicted=predicted)


FIT_PARAMETERS = (
    FitParameter("gpu_memory_eff", 0.6, 0.95),
    FitParameter("gpu_compute_eff", 0.1, 1.0),
    FitParameter("cpu_memory_eff", 0.2, 1.0),
    FitParameter("cpu_compute_eff", 0.1, 2.0),
    FitParameter("link_eff", 0.2, 1.0),
    FitParameter("hop_latency_s", 0.0, 1e-3),
    FitParameter("cpu_sync_s_per_core_layer", 0.0, 5e-5),
    FitParameter("cpu_attention_eff", 0.02, 1.0),
    FitParameter("gpu_attention_eff", 0.02, 1.0),
)
"""Fitted fields and their physical bounds. gpu_memory_eff >= 0.6: llama.cpp's token generation
of dense models on RTX 30/40 cards reads about two thirds of the datasheet bandwidth, so a lower
fit would be absorbing fixed costs; cpu_compute_eff <= 2: int8 dot products (engine.MAX_CPU_COMPUTE_EFF);
hop latency <= 1 ms and CPU synchronisation <= 50 us per core and layer are far above any
measured synchronisation."""

FIT_START = {
    "gpu_memory_eff": 0.7, "gpu_compute_eff": 0.5, "cpu_memory_eff": 0.5, "cpu_compute_eff": 0.5,
    "link_eff": 0.5, "hop_latency_s": 5e-5, "cpu_sync_s_per_core_layer": 5e-6,
    "cpu_attention_eff": 0.5, "gpu_attention_eff": 0.5,
}
"""Start of every fit (the same for the shipped profiles and each cross-validation fold), so a
fit does not depend on the profile it replaces."""

HELD_VALUES = {"decode_token_overhead_s": 0.0}
"""Fields set, not fitted: the fixed cost per token went to 0 when fitted (the CPU
synchronisation and hop terms carry the fixed costs of a token)."""


@dataclass(frozen=True)
class Calibration:
    """Fitted profiles per engine (with cross-validated ranges when `cv` was run), the fit, and
    the predictions before (start profiles), after (in-sample) and cross-validated."""

    profiles: dict[str, EngineProfile]
    fit: ProfileFit
    regimes: list[str]
    before: PhaseArrays
    after: PhaseArrays
    cv: PhaseArrays | None


def calibrate(prepared: Sequence[PreparedCase], starts: Mapping[str, EngineProfile], generic: str,
              *, params: Sequence[FitParameter] = FIT_PARAMETERS, per_engine: bool = False,
              loss: str = "huber", cv: bool = True) -> Calibration:
    """Fit the profiles of `starts` (engine name -> profile holding its structural settings) to the
    cases; cases of engines without a profile use `starts[generic]`. With `cv`, every source is
    held out in turn and refitted without it, and the held-out log-ratios give each regime's range
    (costmodel.regimes.ratio_ranges), stored in the profiles' `accuracy`.
    """
    fitted_names = {q.name for q in params}
    begin = {name: p.with_values(**HELD_VALUES, **{k: v for k, v in FIT_START.items() if k in fitted_names})
             for name, p in starts.items()}
    default = begin[generic]

    def fitted(cases: Sequence[PreparedCase]) -> ProfileFit:
        return fit_engine_profiles(cases, begin, default, params, loss=loss, per_engine=per_engine)

    fit = fitted(prepared)
    profiles = {name: p.with_values(**fit.values_for(name)) for name, p in begin.items()}
    case_profiles = [profiles.get(p.case.engine, profiles[generic]) for p in prepared]
    after = predict_arrays(prepared, case_profiles)
    regimes = [case_regime(p.case, predict_case(p, prof).estimate)
               for p, prof in zip(prepared, case_profiles, strict=True)]
    before = predict_arrays(prepared, [starts.get(p.case.engine, starts[generic]) for p in prepared])
    cv_arrays = None
    if cv and len({p.case.group_key for p in prepared}) > 1:
        def fold(train: Sequence[PreparedCase]) -> Callable[[PreparedCase], EngineProfile]:
            f = fitted(train)
            return lambda p: begin.get(p.case.engine, default).with_values(**f.values_for(p.case.engine))
        cv_arrays = cross_validate(prepared, fold)
        ok = [p for p, prof in zip(prepared, case_profiles, strict=True) if p.inputs is not None]
        gpus = tuple(sorted({g.name for p in ok for g in p.case.gpus}))
        deepest = max((p.case.context_tokens + p.case.prompt_tokens for p in ok), default=0)
        ranges = ratio_ranges(regimes, cv_arrays.log_ratio)
        profiles = {name: p.with_values(accuracy=Accuracy(
            ranges=ranges, gpu_models=gpus, max_context_tokens=deepest,
            engine_covered=fit.covered(name))) for name, p in profiles.items()}
    return Calibration(profiles=profiles, fit=fit, regimes=regimes, before=before, after=after,
                       cv=cv_arrays)
