"""`moerig batch`: a CSV or JSONL of estimate / cheapest queries into a CSV or JSONL of results.

Output rows come in input order: `row` (1-based index of the input row), the input columns, then
the result columns. Each finished row is written and flushed at once (fsync at least every
FSYNC_INTERVAL_S and at the end), so an interrupted run keeps every row it finished; `--resume`
drops a half-written last line and skips the rows already in the output.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from costmodel.validation import InputError

from .batch_rows import INPUT_COLUMNS, RESULT_COLUMNS, run_row, text, unknown_column_message
from .common import CatalogOpt, QuietOpt, VerboseOpt, cli_errors, fail, open_catalog

INPUT_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
OUTPUT_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
FSYNC_INTERVAL_S = 1.0
"""Finished rows are flushed to the OS at once (they survive the process being killed) and
fsynced to disk at most this often (they survive a crash of the machine, but for the last second)."""
ROW_COLUMN = "row"


def _format(path: Path, formats: dict[str, str], option: str) -> str:
    kind = formats.get(path.suffix.lower())
    if kind is None:
        raise InputError(f"{option} {path}: allowed file types: {', '.join(formats)}")
    return kind


def read_input(path: Path) -> tuple[list[str], list[dict[str, Any] | str]]:
    """(columns, rows): each row a dict, or an error text for a line that is not a JSON object."""
    kind = _format(path, INPUT_FORMATS, "FILE")
    if not path.is_file():
        raise InputError(f"FILE {path}: no such file")
    rows: list[dict[str, Any] | str] = []
    if kind == "csv":
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            columns = [c.strip() for c in reader.fieldnames or []]
            reader.fieldnames = columns
            for row in reader:
                extra = row.pop(None, None)  # type: ignore[call-overload]
                rows.append(f"more values than the {len(columns)} header columns" if extra
                            else dict(row))
        unknown = [c for c in columns if c not in INPUT_COLUMNS]
        if unknown:
            raise InputError(f"FILE {path}: {unknown_column_message(unknown[0])}")
        return columns, rows
    columns_seen: dict[str, None] = {}
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                rows.append(f"line {number}: not valid JSON ({exc.msg})")
                continue
            if not isinstance(value, dict):
                rows.append(f"line {number}: not a JSON object")
                continue
            columns_seen.update(dict.fromkeys(str(k) for k in value))
            rows.append(value)
    return list(columns_seen), rows


def _done_rows(path: Path, kind: str, columns: list[str]) -> tuple[set[int], int]:
    """Row indices already in the output and how many of them hold an error. A half-written last
    line is cut off; a CSV whose header differs from `columns` cannot be resumed."""
    if not path.exists() or path.stat().st_size == 0:
        return set(), 0
    data = path.read_bytes()
    if not data.endswith(b"\n"):
        data = data[: data.rfind(b"\n") + 1]
        with path.open("r+b") as f:
            f.truncate(len(data))
    body = data.decode("utf-8")
    if kind == "csv":
        reader = csv.DictReader(io.StringIO(body))
        if reader.fieldnames and list(reader.fieldnames) != columns:
            raise InputError(f"--resume: the columns of {path} differ from this input's; "
                             "write to a new output file instead")
        records = list(reader)
    else:
        records = [json.loads(line) for line in body.splitlines() if line.strip()]
    done = {int(r[ROW_COLUMN]) for r in records if str(r.get(ROW_COLUMN, "")).isdigit()}
    errors = sum(1 for r in records if r.get("status") == "error")
    return done, errors


class RowWriter:
    """Appends result rows to a CSV or JSONL file, flushing each one."""

    def __init__(self, path: Path, kind: str, columns: list[str], append: bool) -> None:
        self.kind, self.columns = kind, columns
        fresh = not append or not path.exists() or path.stat().st_size == 0
        self.file = path.open("a" if append else "w", newline="", encoding="utf-8")
        self.csv = csv.DictWriter(self.file, columns, lineterminator="\n") if kind == "csv" else None
        if self.csv is not None and fresh:
            self.csv.writeheader()
        self.synced = time.monotonic()

    def write(self, record: dict[str, Any]) -> None:
        if self.csv is not None:
            self.csv.writerow({c: _cell(record.get(c)) for c in self.columns})
        else:
            self.file.write(json.dumps({c: record.get(c) for c in self.columns}) + "\n")
        self.file.flush()
        if time.monotonic() - self.synced >= FSYNC_INTERVAL_S:
            os.fsync(self.file.fileno())
            self.synced = time.monotonic()

    def close(self) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()


def _cell(value: Any) -> Any:
    """A CSV cell: '' for None, true/false, lists joined with ';', no line breaks."""
    if value is None:
        return ""
    if isinstance(value, (bool, list, tuple)):
        return text(value)
    if isinstance(value, str):
        return value.replace("\r", " ").replace("\n", " ")
    return value


def _work(args: tuple[dict[str, Any] | str, tuple[str, ...]]) -> dict[str, Any]:
    row, dirs = args
    if isinstance(row, str):
        return {c: None for c in RESULT_COLUMNS} | {"status": "error", "error": row}
    return run_row(row, dirs)


def _results(todo: list[tuple[dict[str, Any] | str, tuple[str, ...]]], jobs: int) -> Iterator[dict[str, Any]]:
    """Results in input order: in this process, or in a pool of `jobs` processes."""
    if jobs <= 1 or len(todo) < 2:
        yield from map(_work, todo)
        return
    chunk = max(1, min(64, len(todo) // (jobs * 8)))
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        yield from pool.map(_work, todo, chunksize=chunk)


def batch(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="Queries: FILE.csv or FILE.jsonl.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Results: OUT.csv or OUT.jsonl.")],
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, max=256,
                                      help="Worker processes (order is kept).")] = 1,
    resume: Annotated[bool, typer.Option(
        "--resume", help="Keep the rows already in the output and compute only the rest.")] = False,
    catalog: CatalogOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Run many estimates and cheapest-build queries from a CSV or JSONL file.

    Each row is an estimate (columns kind=estimate, model, quant, gpu e.g. "rtx-3090:4;rtx-4090:1",
    cpu, ram e.g. "ddr5-4800-rdimm-64gb:12", board, context, prompt, ubatch, kv_cache, engine,
    placement, n_cpu_moe, split) or a cheapest query (kind=cheapest, model, quant, context, prompt,
    decode, prefill, ttft, budget, power, max_gpus, owned, gpu_types, mixed, engine, placement).
    Without a kind column a row with a cpu is an estimate. A bad row gets its message in the error
    column and the others are still computed; the exit code is then 2.
    """
    with cli_errors(verbose):
        out_kind = _format(output, OUTPUT_FORMATS, "--output")
        if output.resolve() == file.resolve():
            raise InputError("--output: must differ from FILE")
        in_columns, rows = read_input(file)
        dirs = tuple(str(d) for d in catalog or ())
        open_catalog(dirs)
        columns = [ROW_COLUMN, *(c for c in in_columns if c not in RESULT_COLUMNS and c != ROW_COLUMN),
                   *RESULT_COLUMNS]
        done, old_errors = _done_rows(output, out_kind, columns) if resume else (set(), 0)
        todo_index = [i for i in range(1, len(rows) + 1) if i not in done]
        todo = [(rows[i - 1], dirs) for i in todo_index]
        writer = RowWriter(output, out_kind, columns, append=resume)
        errors = 0
        show_progress = not quiet and sys.stderr.isatty() and len(todo) > 1
        try:
            with _progress(show_progress, len(todo)) as advance:
                for index, result in zip(todo_index, _results(todo, jobs), strict=True):
                    row = rows[index - 1]
                    echo = {c: row.get(c) for c in in_columns} if isinstance(row, dict) else {}
                    writer.write({ROW_COLUMN: index, **echo, **result})
                    errors += result["status"] == "error"
                    advance()
        finally:
            writer.close()
    total_errors = errors + old_errors
    if not quiet:
        skipped = f", {len(done)} already there" if resume else ""
        typer.echo(f"wrote {len(todo)} rows to {output}{skipped}; {total_errors} with errors")
    if total_errors:
        fail(f"{total_errors} of {len(rows)} rows failed; see the error column of {output}")


class _progress:
    """A rich progress bar on stderr when `show`, else a no-op; yields the advance function."""

    def __init__(self, show: bool, total: int) -> None:
        self.progress = None
        if show:
            self.progress = Progress(TextColumn("rows"), BarColumn(), MofNCompleteColumn(),
                                     TimeRemainingColumn(), console=Console(stderr=True))
        self.total = total

    def __enter__(self):
        if self.progress is None:
            return lambda: None
        self.progress.start()
        task = self.progress.add_task("rows", total=self.total)
        return lambda: self.progress.advance(task)

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()
