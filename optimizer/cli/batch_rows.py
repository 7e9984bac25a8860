"""One batch row (a dict of column -> value) into an estimate or a cheapest-build result.

Pure of I/O so a process pool can run it; results of identical rows are cached per process.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from catalogs import CatalogError, UnknownIdError
from costmodel.validation import InputError

from ..query import Query
from ..search import cheapest
from .builds import build_parts, estimate_report, parts_summary, price_and_power, search_query
from .common import open_catalog, parse_id_count, parse_id_counts, with_model

COMMON_COLUMNS = ("model", "quant", "context", "prompt", "ubatch", "kv_cache", "engine", "placement",
                  "n_cpu_moe", "split")
ESTIMATE_COLUMNS = (*COMMON_COLUMNS, "gpu", "cpu", "ram", "board")
CHEAPEST_COLUMNS = (*COMMON_COLUMNS, "decode", "prefill", "ttft", "budget", "power", "max_gpus",
                    "owned", "gpu_types", "mixed", "top")
META_COLUMNS = ("kind", "id", "note")
INPUT_COLUMNS = tuple(dict.fromkeys((*META_COLUMNS, *ESTIMATE_COLUMNS, *CHEAPEST_COLUMNS)))
KINDS = ("estimate", "cheapest")

RESULT_COLUMNS = ("status", "error", "fits", "decode_tokens_per_s", "prefill_tokens_per_s",
                  "time_to_first_token_s", "price_usd", "power_w", "build", "bottleneck_decode",
                  "bottleneck_prefill")

ID_COLUMNS = {"gpu": "gpu", "cpu": "cpu", "board": "board", "ram": "ram", "model": "model",
              "engine": "engine"}
TRUE, FALSE = ("1", "true", "yes", "y"), ("", "0", "false", "no", "n")


class RowError(InputError):
    """A bad value in a batch row; the message names the column."""


def text(value: Any) -> str:
    """A cell as text: None -> '', lists joined with ';', floats without a trailing .0."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ";".join(text(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def unknown_column_message(column: str) -> str:
    close = difflib.get_close_matches(column, INPUT_COLUMNS, n=3)
    hint = f"; close matches: {', '.join(close)}" if close else ""
    return f"unknown column '{column}'{hint}; allowed: {', '.join(INPUT_COLUMNS)}"


def _int(row: Mapping[str, str], column: str, default: int | None, low: int = 0,
         high: int = 10**8) -> int | None:
    value = row.get(column, "")
    if value == "":
        return default
    try:
        number = float(value)
        if not number.is_integer():
            raise ValueError
        n = int(number)
    except ValueError:
        raise RowError(f"column '{column}' = {value!r}: allowed: a whole number") from None
    if not low <= n <= high:
        raise RowError(f"column '{column}' = {n}: allowed: {low} <= value <= {high}")
    return n


def _positive(row: Mapping[str, str], column: str) -> float | None:
    value = row.get(column, "")
    if value == "":
        return None
    try:
        x = float(value)
    except ValueError:
        raise RowError(f"column '{column}' = {value!r}: allowed: a number > 0") from None
    if not math.isfinite(x) or x <= 0:
        raise RowError(f"column '{column}' = {value!r}: allowed: a number > 0")
    return x


def _bool(row: Mapping[str, str], column: str) -> bool:
    value = row.get(column, "").lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise RowError(f"column '{column}' = {value!r}: allowed: true/false, yes/no, 1/0")


def _choice(row: Mapping[str, str], column: str, default: str, allowed: tuple[str, ...]) -> str:
    value = row.get(column, "") or default
    if value not in allowed:
        raise RowError(f"column '{column}' = {value!r}: allowed: {', '.join(allowed)}")
    return value


def row_kind(row: Mapping[str, str]) -> str:
    """The row's kind column, or 'estimate' when it names a CPU and 'cheapest' otherwise."""
    kind = row.get("kind", "").lower()
    if not kind:
        return "estimate" if row.get("cpu") else "cheapest"
    if kind not in KINDS:
        raise RowError(f"column 'kind' = {kind!r}: allowed: {', '.join(KINDS)}")
    return kind


def _common(row: Mapping[str, str]) -> dict[str, Any]:
    if not row.get("model"):
        raise RowError("column 'model' is missing; allowed: a model id, config.json or .gguf path")
    return dict(
        quant=row.get("quant") or "Q4_K_M",
        context_tokens=_int(row, "context", 8192),
        prompt_tokens=_int(row, "prompt", None, low=1),
        ubatch_tokens=_int(row, "ubatch", 512, low=1, high=65536),
        kv_cache=_choice(row, "kv_cache", "f16", ("f16", "q8_0", "q4_0")),
        engine=row.get("engine") or "llama.cpp",
        placement=_choice(row, "placement", "auto", ("auto", "gpu", "cpu", "experts-cpu", "n-cpu-moe")),
        n_cpu_moe=_int(row, "n_cpu_moe", 0, high=10**4),
        split=_choice(row, "split", "layer", ("layer", "tensor")),
    )


def _check_prompt(fields: dict[str, Any]) -> None:
    prompt, context = fields["prompt_tokens"], fields["context_tokens"]
    if prompt is not None and prompt > context:
        raise RowError(f"column 'prompt' = {prompt} exceeds column 'context' = {context}; "
                       "allowed: 1 <= prompt <= context")


def _estimate(row: Mapping[str, str], dirs: tuple[str, ...]) -> dict[str, Any]:
    fields = _common(row)
    _check_prompt(fields)
    for column in ("cpu", "ram"):
        if not row.get(column):
            raise RowError(f"column '{column}' is missing (kind=estimate needs model, cpu and ram)")
    cat, model_id = with_model(open_catalog(dirs), row["model"])
    ram_id, ram_count = parse_id_count(row["ram"], "column 'ram'")
    parts, _ = build_parts(cat, gpus=parse_id_counts([row.get("gpu", "")], "column 'gpu'"),
                           cpu=row["cpu"], ram=ram_id, ram_count=ram_count, board=row.get("board") or None)
    report = estimate_report(Query(model=model_id, **fields), parts, cat)
    _, price, power = price_and_power(parts, cat)
    fits = report["fits"]
    return {"status": "fits" if fits else f"does not fit: {report['reason']}", "fits": fits,
            "decode_tokens_per_s": _round(report["decode_tokens_per_s"]),
            "prefill_tokens_per_s": _round(report["prefill_tokens_per_s"]),
            "time_to_first_token_s": _round(report["time_to_first_token_s"]),
            "price_usd": None if math.isnan(price) else round(price, 2), "power_w": power,
            "build": parts_summary(parts),
            "bottleneck_decode": _bottleneck(report["bottleneck_decode"]) if fits else None,
            "bottleneck_prefill": _bottleneck(report["bottleneck_prefill"]) if fits else None}


def _cheapest(row: Mapping[str, str], dirs: tuple[str, ...]) -> dict[str, Any]:
    fields = _common(row)
    _check_prompt(fields)
    cat, model_id = with_model(open_catalog(dirs), row["model"])
    owned = [row["owned"]] if row.get("owned") else []
    gpu_types = [g for g in row.get("gpu_types", "").split(";") if g.strip()]
    query = search_query(cat, model=model_id, owned=owned, gpu_type=gpu_types,
                   decode_tokens_per_s=_positive(row, "decode"),
                   prefill_tokens_per_s=_positive(row, "prefill"),
                   time_to_first_token_s=_positive(row, "ttft"), budget_usd=_positive(row, "budget"),
                   power_cap_w=_positive(row, "power"), max_gpus=_int(row, "max_gpus", 8, high=32),
                   mixed=_bool(row, "mixed"), top_k=_int(row, "top", 1, low=1, high=100), **fields)
    result = cheapest(query, cat)
    b = result.build or result.best_reachable
    out: dict[str, Any] = {"status": result.status, "fits": None if b is None else b.report["fits"]}
    if b is not None:
        summary = parts_summary(b.parts_ref)
        out.update({"decode_tokens_per_s": _round(b.decode_tokens_per_s),
                    "prefill_tokens_per_s": _round(b.prefill_tokens_per_s),
                    "time_to_first_token_s": _round(b.time_to_first_token_s),
                    "price_usd": round(b.price_usd, 2) if result.build else None,
                    "power_w": b.power_w,
                    "build": summary if result.build else f"best reachable: {summary}",
                    "bottleneck_decode": _bottleneck(b.report["bottleneck_decode"]),
                    "bottleneck_prefill": _bottleneck(b.report["bottleneck_prefill"])})
    return out


SIGNIFICANT_DIGITS = 6
"""Speeds and times are written with 6 significant digits (the model is not that precise)."""


def _round(x: float | None) -> float | None:
    return None if x is None else float(f"{x:.{SIGNIFICANT_DIGITS}g}")


def _bottleneck(b: Mapping[str, str] | None) -> str | None:
    return None if not b else f"{b['device']} ({b['bound']})"


def _error_text(exc: Exception, kind: str) -> str:
    if isinstance(exc, UnknownIdError):
        column = "gpu_types" if exc.kind == "gpu" and kind == "cheapest" else ID_COLUMNS.get(exc.kind)
        column = column or ("quant" if exc.kind.endswith("quantization") else "")
        return f"column '{column}': {exc}" if column else str(exc)
    return " ".join(str(exc).split()) or type(exc).__name__


@lru_cache(maxsize=4096)
def _cached(items: tuple[tuple[str, str], ...], dirs: tuple[str, ...]) -> tuple[tuple[str, Any], ...]:
    row = dict(items)
    kind = "estimate"
    try:
        unknown = [c for c in row if c not in INPUT_COLUMNS]
        if unknown:
            raise RowError(unknown_column_message(unknown[0]))
        kind = row_kind(row)
        allowed = ESTIMATE_COLUMNS if kind == "estimate" else CHEAPEST_COLUMNS
        stray = [c for c in row if row[c] and c not in allowed and c not in META_COLUMNS]
        if stray:
            raise RowError(f"column '{stray[0]}' does not apply to kind={kind}; "
                           f"allowed: {', '.join(allowed)}")
        result = _estimate(row, dirs) if kind == "estimate" else _cheapest(row, dirs)
    except (InputError, CatalogError, ValueError, OSError) as exc:
        result = {"status": "error", "error": _error_text(exc, kind)}
    except Exception as exc:  # noqa: BLE001 - one bad row must not stop the batch
        result = {"status": "error", "error": f"internal error: {type(exc).__name__}: {exc}"}
    return tuple(result.items())


def run_row(row: Mapping[str, Any], dirs: tuple[str, ...] = ()) -> dict[str, Any]:
    """Result columns (RESULT_COLUMNS) of one input row; never raises for bad input."""
    items = tuple(sorted((str(k).strip(), text(v)) for k, v in row.items() if text(v) != ""))
    result = dict(_cached(items, dirs))
    return {column: result.get(column) for column in RESULT_COLUMNS}
