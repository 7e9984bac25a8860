"""`moerig validate` and `moerig calibrate`: predicted vs measured speeds of a benchmark CSV, and
engine profiles fitted to it (shared/benchmarks/SCHEMA.md; docs/formulas.md, Calibrated terms).

Thin layer: parse, call catalogs.benchmarks / benchmark_cases and costmodel.calibration / costmodel.fitting, print.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import math
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.table import Table

from catalogs import Catalog, load_catalog, load_engine
from catalogs.benchmark_cases import resolve_rows
from catalogs.benchmarks import BenchmarkFile, read_benchmarks
from catalogs.engines import profile_toml
from costmodel import EngineProfile
from costmodel.calibration import PreparedCase, case_regime, predict_case, prepare
from costmodel.fitting import PhaseArrays, calibrate
from costmodel.regimes import REGIME_LABELS, ErrorSummary, summarize_errors

from .common import CatalogOpt, JsonOpt, cli_errors, console, fail, fmt_speed
from .output import BOX

GENERIC_ENGINE = "generic"
"""Profile for rows whose engine has no profile of its own (other, vllm, sglang)."""

FileArg = Annotated[Path, typer.Argument(help="Benchmark CSV in the measured-benchmark "
                                         "schema v1 (columns: catalogs/benchmarks.py).")]


def register(app: typer.Typer) -> None:
    """Add `validate` and `calibrate` to the main Typer app."""
    app.command("validate")(validate)
    app.command("calibrate")(calibrate_cmd)


def _load_file(file: Path) -> BenchmarkFile:
    bench = read_benchmarks(file)
    for error in bench.errors:
        typer.echo(f"moerig: rejected row: {error}", err=True)
    if not bench.rows:
        fail(f"{file}: no valid rows")
    return bench


def _profiles(catalog: Catalog) -> dict[str, EngineProfile]:
    if GENERIC_ENGINE not in catalog.engines:
        fail(f"the catalog has no '{GENERIC_ENGINE}' engine profile (used for unknown engines)")
    return dict(catalog.engines)


def _ratio_text(pred: float, meas: float | None) -> str:
    if meas is None or not math.isfinite(pred):
        return "-"
    return f"{(pred / meas - 1) * 100:+.0f}%"


def _summary_json(summaries: Sequence[ErrorSummary]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for s in summaries:
        out.setdefault(s.regime, {})[s.phase] = {
            "n_measured": s.n_measured, "n_predicted": s.n_predicted,
            "median_abs_error_frac": None if math.isnan(s.median_abs_error_frac)
            else round(s.median_abs_error_frac, 4),
            "within_25_frac": None if math.isnan(s.within_25_frac) else round(s.within_25_frac, 4),
            "worst": [{"case_id": c, "predicted_over_measured": round(r, 3)} for c, r in s.worst],
        }
    return out


SHORT_REGIMES = {"cpu-only": "cpu", "experts-in-ram": "hybrid", "vram-1-gpu": "vram-1",
                 "vram-multi-gpu": "vram-n"}
"""Regime names in the tables: CPU only, experts in RAM, all in VRAM on 1 / several GPUs."""

REGIME_LEGEND = ("regimes: " + ", ".join(f"{SHORT_REGIMES[k]} = {v}" for k, v in REGIME_LABELS.items()))


def summary_table(summaries: Sequence[ErrorSummary], title: str) -> Table:
    """Per regime and phase: predicted/measured rows, median |error|, share within 25%, worst."""
    table = Table(box=BOX, title=title, title_justify="left", title_style="bold", pad_edge=False,
                  show_edge=False)
    for name, justify in (("regime", "left"), ("phase", "left"), ("n", "right"),
                          ("median", "right"), ("<=25%", "right"), ("worst (pred/meas)", "left")):
        table.add_column(name, justify=justify)
    for s in summaries:
        worst = ", ".join(f"{c} {r:.2f}" for c, r in s.worst[:2])
        median = "-" if math.isnan(s.median_abs_error_frac) else f"{s.median_abs_error_frac:.0%}"
        within = "-" if math.isnan(s.within_25_frac) else f"{s.within_25_frac:.0%}"
        table.add_row(SHORT_REGIMES.get(s.regime, s.regime), s.phase,
                      f"{s.n_predicted}/{s.n_measured}", median, within, worst)
    return table


def validate(
    file: FileArg,
    engine: Annotated[str | None, typer.Option(
        "--engine", help="Predict every row with this engine profile (default: each row's own "
        "engine, 'generic' for engines without a profile).")] = None,
    profile: Annotated[Path | None, typer.Option(
        "--profile", help="Predict every row with the single [[engine]] of this TOML file "
        "(as written by moerig calibrate).")] = None,
    json_out: JsonOpt = False,
    catalog_dirs: CatalogOpt = None,
) -> None:
    """Predict every row of a benchmark CSV; print predicted vs measured and the error per regime."""
    with cli_errors():
        if engine and profile:
            fail("--engine and --profile: give at most one")
        bench = _load_file(file)
        catalog = load_catalog(catalog_dirs or ())
        forced = (load_engine(profile) if profile else catalog.engine(engine) if engine else None)
        profiles = {} if forced else _profiles(catalog)
        prepared = [prepare(c) for c in resolve_rows(bench.rows, catalog)]
        rows, regimes, measured, predicted = [], [], [], []
        for p in prepared:
            prof = forced or profiles.get(p.case.engine, profiles[GENERIC_ENGINE])
            rows.append(_row(p, prof, regimes))
            measured.append([p.case.measured_prefill_tokens_per_s or np.nan,
                             p.case.measured_decode_tokens_per_s or np.nan])
            predicted.append([rows[-1]["predicted_prefill_tokens_per_s"] or np.nan,
                              rows[-1]["predicted_decode_tokens_per_s"] or np.nan])
        arrays = PhaseArrays(np.array(measured, dtype=float), np.array(predicted, dtype=float))
        summaries = summarize_errors([p.case.case_id for p in prepared], regimes, arrays.measured,
                                     arrays.log_ratio)
    if json_out:
        typer.echo(json.dumps({"rows": rows, "summary": _summary_json(summaries),
                               "rejected": [str(e) for e in bench.errors]}, indent=1))
        return
    con = console()
    con.print(_rows_table(rows))
    unpredicted = [r for r in rows if any(
        r[f"measured_{ph}_tokens_per_s"] is not None and r[f"predicted_{ph}_tokens_per_s"] is None
        for ph in ("prefill", "decode"))]
    if unpredicted:
        con.print()
        con.print(f"Not predicted ({len(unpredicted)} rows):", style="bold")
        for r in unpredicted:
            con.print(f"  {r['case_id']}: {r['reason']}", overflow="fold")
    con.print()
    con.print(summary_table(summaries, "Error per regime (profiles as given)"))
    con.print(REGIME_LEGEND, overflow="fold")
    con.print("(cross-validated figures: moerig calibrate FILE -o OUT --cv)")


def _row(p: PreparedCase, profile: EngineProfile, regimes: list[str]) -> dict[str, Any]:
    """One JSON row: measured and predicted speeds, errors, regime, reason, filled values."""
    c = p.case
    pred = predict_case(p, profile)
    pre, dec = pred.prefill_tokens_per_s, pred.decode_tokens_per_s
    regimes.append(case_regime(c, pred.estimate))

    def num(x: float) -> float | None:
        return round(x, 3) if math.isfinite(x) else None

    reasons = {r for r in (pred.prefill_reason, pred.decode_reason) if r}
    return {
        "case_id": c.case_id, "source": c.source, "engine": c.engine,
        "profile": profile.name, "regime": regimes[-1],
        "measured_prefill_tokens_per_s": c.measured_prefill_tokens_per_s,
        "predicted_prefill_tokens_per_s": num(pre),
        "measured_decode_tokens_per_s": c.measured_decode_tokens_per_s,
        "predicted_decode_tokens_per_s": num(dec),
        "prefill_error_frac": _err(pre, c.measured_prefill_tokens_per_s),
        "decode_error_frac": _err(dec, c.measured_decode_tokens_per_s),
        "reason": "; ".join(sorted(reasons)) or None,
        "filled": list(c.filled),
    }


def _err(pred: float, meas: float | None) -> float | None:
    return None if meas is None or not math.isfinite(pred) else round(pred / meas - 1, 4)


def _rows_table(rows: Sequence[dict[str, Any]]) -> Table:
    table = Table(box=BOX, title="Predicted vs measured (tokens/s)", title_justify="left",
                  title_style="bold", pad_edge=False, show_edge=False)
    for name in ("case", "regime", "pp meas", "pp pred", "err", "tg meas", "tg pred", "err"):
        table.add_column(name, justify="left" if name in ("case", "regime") else "right")
    for r in rows:
        pre = r["predicted_prefill_tokens_per_s"]
        dec = r["predicted_decode_tokens_per_s"]
        table.add_row(
            r["case_id"][:10], SHORT_REGIMES.get(r["regime"], r["regime"]),
            fmt_speed(r["measured_prefill_tokens_per_s"]), fmt_speed(pre),
            _ratio_text(pre if pre is not None else math.nan, r["measured_prefill_tokens_per_s"]),
            fmt_speed(r["measured_decode_tokens_per_s"]), fmt_speed(dec),
            _ratio_text(dec if dec is not None else math.nan, r["measured_decode_tokens_per_s"]))
    return table


def calibrate_cmd(
    file: FileArg,
    output: Annotated[Path, typer.Option("--output", "-o", help="Profile TOML to write "
                                         "(engines.toml schema).")],
    engine: Annotated[str | None, typer.Option(
        "--engine", help="Fit only this engine's rows into one profile of that name (default: "
        "every engine profile of the catalog, with values shared by all engines).")] = None,
    per_engine: Annotated[bool, typer.Option(
        "--per-engine", help="Also fit each engine with enough rows (20 measurements from 4 "
        "sources) on its own, pulled toward the shared values.")] = False,
    cv: Annotated[bool, typer.Option(
        "--cv/--no-cv", help="Leave-one-source-out cross-validation: honest errors, and the "
        "ranges stored with the profiles (takes about a minute for 27 sources).")] = False,
    cv_csv: Annotated[Path | None, typer.Option(
        "--cv-csv", help="With --cv: also write each row's cross-validated predictions to this "
        "CSV (read by scripts/plot_accuracy.py and the accuracy test).")] = None,
    catalog_dirs: CatalogOpt = None,
) -> None:
    """Fit engine profiles to a benchmark CSV; print errors before and after and the fitted values."""
    with cli_errors():
        bench = _load_file(file)
        catalog = load_catalog(catalog_dirs or ())
        starts = _profiles(catalog)
        cases = resolve_rows(bench.rows, catalog)
        if engine:
            start = catalog.engine(engine)
            cases = [c for c in cases if c.engine.lower() == start.name.lower()]
            if not cases:
                fail(f"{file}: no rows with engine '{engine}'")
            starts = {start.name: start}
        prepared = [prepare(c) for c in cases]
        generic = GENERIC_ENGINE if engine is None else next(iter(starts))
        result = calibrate(prepared, starts, generic, per_engine=per_engine and engine is None, cv=cv)
    con = console()
    ids = [p.case.case_id for p in prepared]
    for title, arrays in (("Before (profiles in the catalog)", result.before),
                          ("After (fitted, in-sample)", result.after)):
        con.print(summary_table(_overall(ids, result.regimes, arrays), title))
        con.print()
    if result.cv is not None:
        con.print(summary_table(summarize_errors(ids, result.regimes, result.cv.measured,
                                                 result.cv.log_ratio),
                                "Cross-validated (leave one source out)"))
        con.print(REGIME_LEGEND, overflow="fold")
        con.print()
    con.print(_values_table(result))
    command = "moerig calibrate " + shlex.join(
        [str(file), "-o", str(output)] + (["--engine", engine] if engine else [])
        + (["--per-engine"] if per_engine else []) + (["--cv"] if cv else [])
        + (["--cv-csv", str(cv_csv)] if cv_csv else []))
    fits = {name: result.fit.note(name) for name in result.profiles}
    header = (f"# moerig engine profiles, fitted by `{command}`\n"
              f"# on {file.name}: {len(prepared)} rows, "
              f"{len({p.case.group_key for p in prepared})} sources. Fields: costmodel.EngineProfile "
              "(docs/formulas.md, sections Efficiencies and Calibrated terms);\n# [engine.range.REGIME]: "
              "10th-90th percentile of measured/predicted, leave-one-source-out.\n")
    as_of = datetime.date.today().strftime("%Y-%m")
    body = "\n".join(profile_toml(p.with_values(source=f"moerig calibrate on {file.name}"),
                                  as_of=as_of, command=command, fit=fits[name])
                     for name, p in result.profiles.items())
    with cli_errors():
        output.write_text(header + "\n" + body, encoding="utf-8")
        if cv_csv is not None and result.cv is not None:
            cv_csv.write_text(cv_table_csv(prepared, result.regimes, result.cv), encoding="utf-8")
    con.print(f"wrote {output} ({len(result.profiles)} profiles)"
              + (f" and {cv_csv}" if cv_csv is not None and result.cv is not None else "")
              + ("" if result.cv is not None else "; no ranges without --cv (2+ sources)"))


CV_COLUMNS = ("case_id", "source", "engine", "regime", "measured_prefill_tokens_per_s",
              "cv_prefill_tokens_per_s", "measured_decode_tokens_per_s", "cv_decode_tokens_per_s")
"""Columns of the --cv-csv file: each row's measured and cross-validated predicted speeds."""


def cv_table_csv(prepared: Sequence[PreparedCase], regimes: Sequence[str], cv: PhaseArrays) -> str:
    """The cross-validated predictions as CSV text (blank where not measured or not predicted)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CV_COLUMNS)

    def cell(x: float) -> str:
        return f"{x:.4g}" if math.isfinite(x) else ""

    for i, p in enumerate(prepared):
        writer.writerow([p.case.case_id, p.case.source, p.case.engine, regimes[i],
                         cell(cv.measured[i, 0]), cell(cv.predicted[i, 0]),
                         cell(cv.measured[i, 1]), cell(cv.predicted[i, 1])])
    return buffer.getvalue()


def _overall(ids: Sequence[str], regimes: Sequence[str], arrays: PhaseArrays) -> list[ErrorSummary]:
    return [s for s in summarize_errors(ids, regimes, arrays.measured, arrays.log_ratio)
            if s.regime == "all"]


def _values_table(result: Any) -> Table:
    table = Table(box=BOX, title="Fitted values", title_justify="left", title_style="bold",
                  pad_edge=False, show_edge=False)
    table.add_column("parameter")
    table.add_column("shared", justify="right")
    engines = list(result.fit.engines)
    for name in engines:
        table.add_column(name[:12], justify="right")
    for key, value in result.fit.shared.values.items():
        table.add_row(key, f"{value:.4g}", *(f"{result.fit.engines[e].values[key]:.4g}"
                                             for e in engines))
    return table

