"""Measured-benchmark CSV files (shared/benchmarks/SCHEMA.md, v1) as typed rows.

`read_benchmarks(path)` checks every cell against the schema: a malformed row is left out with a
`RowError` naming file, line, case id, column, value and what is allowed; the other rows go on.
Columns the schema does not know are ignored. catalogs.benchmark_cases turns the rows into
measured cases with the blanks filled from the catalogs.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from costmodel.validation import InputError
from costmodel.workload import MAX_KV_BYTES_PER_ELEMENT, PLACEMENTS, SPLITS

ENGINES = ("llama.cpp", "ik_llama.cpp", "ktransformers", "vllm", "sglang", "other")
"""Engine names of SCHEMA.md."""


class BenchmarkFileError(InputError):
    """The file cannot be read as a benchmark CSV at all (missing, or required columns absent)."""


@dataclass(frozen=True)
class RowError:
    """One malformed cell; the row is left out."""

    file: str
    line: int
    case_id: str
    column: str
    value: str
    allowed: str

    def __str__(self) -> str:
        return (f"{self.file}:{self.line}: case '{self.case_id}': column '{self.column}' = "
                f"{self.value!r}; allowed: {self.allowed}")


@dataclass(frozen=True)
class BenchmarkRow:
    """One CSV row as typed values; None where the cell is blank. Per-GPU columns are tuples."""

    line: int
    case_id: str
    source: str
    model: str
    quant: str | None
    weights_gb: float | None
    engine: str
    placement: str
    n_cpu_moe: int | None
    split_mode: str | None
    ubatch_tokens: int | None
    context_tokens: int | None
    prompt_tokens: int | None
    kv_bytes_per_element: float | None
    measured_prefill_tokens_per_s: float | None
    measured_decode_tokens_per_s: float | None
    gpu_count: int
    gpu_model: tuple[str, ...] | None
    gpu_vram_gb: tuple[float, ...] | None
    gpu_bandwidth_gb_s: tuple[float, ...] | None
    gpu_tflops: tuple[float, ...] | None
    gpu_link_gb_s: tuple[float, ...] | None
    cpu_model: str | None
    cpu_sockets: int | None
    cpu_cores: int | None
    cpu_tflops: float | None
    ram_channels: int | None
    ram_mt_s: int | None
    ram_bandwidth_gb_s: float | None
    ram_gb: float | None
    ram_measured_bandwidth_gb_s: float | None


@dataclass(frozen=True)
class BenchmarkFile:
    path: str
    rows: list[BenchmarkRow]
    errors: list[RowError]


Parser = Callable[[str], Any]


class _Bad(ValueError):
    """A cell that breaks its column's rule; the message is the rule."""


def _text(cell: str) -> str:
    return cell


def _choice(*options: str) -> Parser:
    def parse(cell: str) -> str:
        for option in options:
            if cell.lower() == option.lower():
                return option
        raise _Bad(", ".join(options))
    return parse


def _int(low: int, high: int) -> Parser:
    def parse(cell: str) -> int:
        try:
            value = float(cell)
        except ValueError:
            raise _Bad(f"a whole number {low}..{high}") from None
        if not value.is_integer() or not low <= value <= high:
            raise _Bad(f"a whole number {low}..{high}")
        return int(value)
    return parse


def _float(low: float, high: float, *, low_inclusive: bool = False) -> Parser:
    rule = f"a number {'>=' if low_inclusive else '>'} {low:g} and <= {high:g}"

    def parse(cell: str) -> float:
        try:
            value = float(cell)
        except ValueError:
            raise _Bad(rule) from None
        too_low = value < low if low_inclusive else value <= low
        if not math.isfinite(value) or too_low or value > high:
            raise _Bad(rule)
        return value
    return parse


def _per_gpu(item: Parser) -> Parser:
    def parse(cell: str) -> tuple[Any, ...]:
        return tuple(item(part.strip()) for part in cell.split(";"))
    return parse


COLUMNS: dict[str, tuple[Parser, bool]] = {
    "case_id": (_text, True),
    "source": (_text, True),
    "model": (_text, True),
    "quant": (_text, False),
    "weights_gb": (_float(0, 1e5), False),
    "engine": (_choice(*ENGINES), True),
    "placement": (_choice(*PLACEMENTS), True),
    "n_cpu_moe": (_int(0, 10_000), False),
    "split_mode": (_choice(*SPLITS), False),
    "ubatch_tokens": (_int(1, 65_536), False),
    "context_tokens": (_int(0, 10**8), False),
    "prompt_tokens": (_int(1, 10**8), False),
    "kv_bytes_per_element": (_float(0, MAX_KV_BYTES_PER_ELEMENT), False),
    "measured_prefill_tokens_per_s": (_float(0, 1e7), False),
    "measured_decode_tokens_per_s": (_float(0, 1e6), False),
    "gpu_count": (_int(0, 64), True),
    "gpu_model": (_per_gpu(_text), False),
    "gpu_vram_gb": (_per_gpu(_float(0, 1e4)), False),
    "gpu_bandwidth_gb_s": (_per_gpu(_float(0, 1e5)), False),
    "gpu_tflops": (_per_gpu(_float(0, 1e5)), False),
    "gpu_link_gb_s": (_per_gpu(_float(0, 1e4)), False),
    "cpu_model": (_text, False),
    "cpu_sockets": (_int(1, 8), False),
    "cpu_cores": (_int(1, 4096), False),
    "cpu_tflops": (_float(0, 1e4), False),
    "ram_channels": (_int(1, 128), False),
    "ram_mt_s": (_int(100, 20_000), False),
    "ram_bandwidth_gb_s": (_float(0, 1e5), False),
    "ram_gb": (_float(0, 1e6), False),
    "ram_measured_bandwidth_gb_s": (_float(0, 1e5), False),
}
"""Column -> (parser, required). The parser raises _Bad with the rule; a blank cell is None."""

PER_GPU_COLUMNS = ("gpu_model", "gpu_vram_gb", "gpu_bandwidth_gb_s", "gpu_tflops", "gpu_link_gb_s")


def read_benchmarks(path: str | Path) -> BenchmarkFile:
    """Read a benchmark CSV; rows with a malformed cell go to `errors`, the rest to `rows`.

    Columns the schema does not know (such as `derivation_note`) are ignored. Raises
    BenchmarkFileError when the file is missing or lacks a required column.
    """
    path = Path(path)
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BenchmarkFileError(f"{shown}: cannot read: {exc}") from None
    reader = csv.reader(text.splitlines(keepends=True))
    header = [name.strip() for name in next(reader, [])]
    missing = [name for name, (_, required) in COLUMNS.items() if required and name not in header]
    if missing:
        raise BenchmarkFileError(f"{shown}: missing column(s) {', '.join(missing)}; the header must "
                                 "name the columns of SCHEMA.md (v1)")
    rows: list[BenchmarkRow] = []
    errors: list[RowError] = []
    seen: set[str] = set()
    line = reader.line_num + 1
    for record in reader:
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in record):
            continue
        cells = {name: (record[i].strip() if i < len(record) else "") for i, name in enumerate(header)}
        row, error = _parse_row(shown, start, cells, seen)
        if error is not None:
            errors.append(error)
        else:
            seen.add(row.case_id)
            rows.append(row)
    return BenchmarkFile(path=shown, rows=rows, errors=errors)


def _parse_row(shown: str, line: int, cells: Mapping[str, str], seen: set[str]
               ) -> tuple[BenchmarkRow | None, RowError | None]:
    case_id = cells.get("case_id", "") or "?"

    def bad(column: str, allowed: str) -> tuple[None, RowError]:
        return None, RowError(shown, line, case_id, column, cells.get(column, ""), allowed)

    values: dict[str, Any] = {"line": line}
    for name, (parse, required) in COLUMNS.items():
        cell = cells.get(name, "")
        if not cell:
            if required:
                return bad(name, "a value (this column may not be blank)")
            values[name] = None
            continue
        try:
            values[name] = parse(cell)
        except _Bad as rule:
            return bad(name, str(rule))
    if values["case_id"] in seen:
        return bad("case_id", "an id not used by an earlier row")
    if values["placement"] == "n-cpu-moe" and values["n_cpu_moe"] is None:
        return bad("n_cpu_moe", "a whole number >= 0 when placement is n-cpu-moe")
    count = values["gpu_count"]
    for name in PER_GPU_COLUMNS:
        items = values[name]
        if items is not None and len(items) > 1 and len(items) != count:
            return bad(name, f"one value, or one per GPU ({count} ';'-separated values)")
    return BenchmarkRow(**values), None
