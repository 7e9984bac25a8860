"""Reading catalog TOML files and checking every row against the schema of its kind.

A catalog file holds arrays of tables named after a kind (`[[gpu]]`, `[[cpu]]`, `[[board]]`,
`[[ram]]`, `[[model]]`, `[[engine]]`). Every row is checked key by key and every problem becomes
one CatalogError whose message names the file, the entry (`gpu #3 'rtx-3090'`: the third `[[gpu]]`
table of the file, counted from 1), the field (list positions inside a field count from 0, as in
`pcie_slots[2].gen`), the value and what is allowed. Checking collects all errors, not only the
first, so `moerig catalog check DIR` can list them at once.
"""

from __future__ import annotations

import datetime
import difflib
import math
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from costmodel.validation import InputError

PACKAGE_DIR = Path(__file__).resolve().parent
"""Directory of the shipped TOML files (the `catalogs` package itself)."""

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9.+-]*$")
"""Row ids: lowercase letters, digits, '.', '+', '-'; no spaces, so they work as CLI arguments."""

DATE_PATTERN = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
"""`as_of` dates: YYYY, YYYY-MM or YYYY-MM-DD (sources often give only a year or a month)."""

MAX_CLOSE_MATCHES = 5


class CatalogError(InputError):
    """A catalog file or row breaks the schema; the message names file, entry, field and value."""


class UnknownIdError(InputError):
    """An id not in the catalog; the message names the kind, the id and up to 5 close matches."""

    def __init__(self, kind: str, key: str, known: Iterable[str]) -> None:
        by_lower = {name.lower(): name for name in sorted(known)}
        close = difflib.get_close_matches(key.lower(), by_lower, n=MAX_CLOSE_MATCHES)
        matches = [by_lower[name] for name in close]
        hint = f"; close matches: {', '.join(matches)}" if matches else "; no close match"
        super().__init__(f"unknown {kind} '{key}'{hint}")
        self.kind = kind
        self.key = key
        self.matches = matches


@dataclass(frozen=True)
class Field:
    """What one key of a row may hold. Build these with the helpers below, not directly."""

    type: str
    required: bool = True
    low: float | None = None
    high: float | None = None
    low_inclusive: bool = True
    choices: tuple[str, ...] = ()
    min_items: int = 0
    schema: Mapping[str, Field] | None = None


def text(*, required: bool = True) -> Field:
    """A non-empty string."""
    return Field("text", required)


def whole(low: int, high: int, *, required: bool = True) -> Field:
    """An integer in [low, high]; a float such as 3.0 is rejected (write 3)."""
    return Field("int", required, low, high)


def number(low: float, high: float, *, low_inclusive: bool = True, required: bool = True) -> Field:
    """An integer or float in [low, high] (or (low, high]); bool is not a number."""
    return Field("number", required, low, high, low_inclusive)


def flag(*, required: bool = True) -> Field:
    """true or false."""
    return Field("bool", required)


def date(*, required: bool = True) -> Field:
    """A string YYYY, YYYY-MM or YYYY-MM-DD (a bare TOML date is accepted and stored as text)."""
    return Field("date", required)


def choice(*options: str, required: bool = True) -> Field:
    """One of `options`."""
    return Field("choice", required, choices=options)


def choice_list(*options: str, min_items: int = 0, required: bool = True) -> Field:
    """A list of distinct values from `options`."""
    return Field("choice_list", required, choices=options, min_items=min_items)


def text_list(*, required: bool = True) -> Field:
    """A list of non-empty strings."""
    return Field("text_list", required)


def table_list(schema: Mapping[str, Field], *, required: bool = True) -> Field:
    """A list of (inline) tables, each checked against `schema`."""
    return Field("table_list", required, schema=schema)


def table_map(schema: Mapping[str, Field], *, required: bool = True) -> Field:
    """A table of named sub-tables (`[model.quant.NAME]`), each checked against `schema`."""
    return Field("table_map", required, schema=schema)


PRICE_FIELDS: dict[str, Field] = {
    "price_usd": number(0, 1e6, low_inclusive=False, required=False),
    "price_condition": choice("new", "used", "msrp", required=False),
    "price_as_of": date(required=False),
    "price_note": text(required=False),
}
PROVENANCE_FIELDS: dict[str, Field] = {
    "source": text(),
    "as_of": date(),
    "note": text(required=False),
}


@dataclass(frozen=True)
class Kind:
    """One kind of catalog row: its TOML table name, schema and domain-type builder."""

    name: str
    schema: Mapping[str, Field]
    build: Callable[[Mapping[str, Any]], Any]
    id_key: str = "id"
    id_pattern: re.Pattern[str] = ID_PATTERN


@dataclass(frozen=True)
class Entry:
    """A validated row, where it came from (`file: kind #n 'id'`) and its domain object."""

    where: str
    row: dict[str, Any]
    obj: Any


Layer = dict[str, dict[str, Entry]]
"""Entries of one catalog directory: kind name -> id -> entry."""


def display_path(path: Path) -> str:
    """`path` relative to the repository (`catalogs/gpus.toml`) when it lies inside it."""
    try:
        return path.resolve().relative_to(PACKAGE_DIR.parent).as_posix()
    except ValueError:
        return str(path)


def read_layer(
    files: Sequence[Path], kinds: Mapping[str, Kind]
) -> tuple[Layer, list[CatalogError]]:
    """Read and check `files` as one layer; return the valid entries and every error found.

    Ids must be unique per kind within the layer (across its files); a row with any error is left
    out of the layer.
    """
    layer: Layer = {name: {} for name in kinds}
    # id -> first entry of that id, valid or not (for duplicate messages)
    seen: dict[str, dict[str, str]] = {name: {} for name in kinds}
    errors: list[CatalogError] = []
    for path in files:
        shown = display_path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            errors.append(CatalogError(f"{shown}: cannot read TOML: {exc}"))
            continue
        for key, rows in data.items():
            kind = kinds.get(key)
            if kind is None:
                errors.append(CatalogError(
                    f"{shown}: top-level key '{key}' is not a catalog kind; allowed: "
                    f"{', '.join(f'[[{name}]]' for name in kinds)}"))
            elif not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                errors.append(
                    CatalogError(f"{shown}: '{key}' must be an array of tables [[{key}]]"))
            else:
                for index, row in enumerate(rows, start=1):
                    entry = f"{shown}: {key} #{index}"
                    errors += _add_row(layer[key], seen[key], kind, row, entry)
    return layer, errors


def _add_row(
    entries: dict[str, Entry], seen: dict[str, str], kind: Kind, row: dict[str, Any], entry: str
) -> list[CatalogError]:
    """Check `row`; add it to `entries` when valid, else return its errors."""
    row_id = row.get(kind.id_key)
    where = f"{entry} '{row_id}'" if isinstance(row_id, str) else entry
    problems = check_table(row, kind.schema)
    if isinstance(row_id, str) and not kind.id_pattern.match(row_id):
        problems.append(f"field '{kind.id_key}' = {row_id!r} is not a valid id; "
                        f"allowed: {kind.id_pattern.pattern}")
    if isinstance(row_id, str) and row_id in seen:
        problems.append(f"duplicate {kind.id_key} '{row_id}'; first defined at {seen[row_id]}")
    elif isinstance(row_id, str):
        seen[row_id] = where
    if problems:
        return [CatalogError(f"{where}: {problem}") for problem in problems]
    clean = normalize(row)
    try:
        obj = kind.build(clean)
    except InputError as exc:
        return [CatalogError(f"{where}: {exc}")]
    entries[row_id] = Entry(where, clean, obj)
    return []


def check_table(
    table: Mapping[str, Any], schema: Mapping[str, Field], prefix: str = ""
) -> list[str]:
    """Problems of one table against `schema`: unknown, missing, mistyped and out-of-range keys."""
    problems = [
        f"unknown field '{prefix}{key}'; allowed: {', '.join(schema)}"
        for key in table if key not in schema
    ]
    for key, spec in schema.items():
        if key in table:
            problems += _check_value(f"{prefix}{key}", table[key], spec)
        elif spec.required:
            problems.append(f"missing required field '{prefix}{key}' ({_describe(spec)})")
    return problems


def _check_value(name: str, value: Any, spec: Field) -> list[str]:
    if spec.type in ("int", "number"):
        return _check_numeric(name, value, spec)
    if spec.type == "table_map":
        if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
            return [_not_allowed(name, value, spec)]
        assert spec.schema is not None
        return [problem for key, sub in value.items()
                for problem in check_table(sub, spec.schema, f"{name}.{key}.")]
    if spec.type in ("choice_list", "text_list", "table_list"):
        return _check_list(name, value, spec) if isinstance(value, list) else [
            _not_allowed(name, value, spec)]
    ok = {
        "text": lambda: isinstance(value, str) and bool(value.strip()),
        "bool": lambda: isinstance(value, bool),
        "date": lambda: _is_date(value),
        "choice": lambda: isinstance(value, str) and value in spec.choices,
    }[spec.type]()
    return [] if ok else [_not_allowed(name, value, spec)]


def _not_allowed(name: str, value: Any, spec: Field) -> str:
    return f"field '{name}' = {value!r} is not allowed; allowed: {_describe(spec)}"


def _check_numeric(name: str, value: Any, spec: Field) -> list[str]:
    allowed = (int,) if spec.type == "int" else (int, float)
    if isinstance(value, bool) or not isinstance(value, allowed):
        return [f"field '{name}' = {value!r} has type {type(value).__name__}; "
                f"allowed: {_describe(spec)}"]
    low, high = spec.low, spec.high
    too_low = low is not None and (value < low if spec.low_inclusive else value <= low)
    too_high = high is not None and value > high
    if math.isnan(value) or too_low or too_high:
        return [f"field '{name}' = {value!r} is out of range; allowed: {_range_text(spec)}"]
    return []


def _check_list(name: str, value: list[Any], spec: Field) -> list[str]:
    problems = []
    if len(value) < spec.min_items:
        problems.append(f"field '{name}' = {value!r} has {len(value)} items; "
                        f"allowed: {_describe(spec)}")
    for i, item in enumerate(value):
        if spec.type == "table_list":
            assert spec.schema is not None
            problems += (check_table(item, spec.schema, f"{name}[{i}].") if isinstance(item, dict)
                         else [f"field '{name}[{i}]' = {item!r} is not allowed; allowed: a table"])
        elif item in value[:i]:
            problems.append(f"field '{name}[{i}]' = {item!r} repeats an earlier item")
        elif not (item in spec.choices if spec.type == "choice_list"
                  else isinstance(item, str) and item.strip()):
            problems.append(f"field '{name}[{i}]' = {item!r} is not allowed; "
                            f"allowed: {_describe(spec)}")
    return problems


def _is_date(value: Any) -> bool:
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return True
    match = DATE_PATTERN.match(value) if isinstance(value, str) else None
    if match is None:
        return False
    year, month, day = (int(part) if part else 1 for part in match.groups())
    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    return True


def _range_text(spec: Field) -> str:
    low = "" if spec.low is None else f"{spec.low:g} {'<=' if spec.low_inclusive else '<'} "
    high = "" if spec.high is None else f" <= {spec.high:g}"
    return f"{low}value{high}"


def _describe(spec: Field) -> str:
    if spec.type in ("int", "number"):
        return f"{'an integer' if spec.type == 'int' else 'a number'}, {_range_text(spec)}"
    if spec.type in ("choice", "choice_list"):
        options = ", ".join(repr(c) for c in spec.choices)
        if spec.type == "choice":
            return options
        return f"a list of distinct items from {options}" + (
            f", at least {spec.min_items}" if spec.min_items else "")
    return {
        "text": "a non-empty string",
        "bool": "true or false",
        "date": "'YYYY', 'YYYY-MM' or 'YYYY-MM-DD'",
        "text_list": "a list of distinct non-empty strings",
        "table_list": "a list of tables",
        "table_map": "a table of named tables",
    }[spec.type]


def normalize(row: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a checked row with TOML dates as ISO text, so rows stay JSON-serializable."""
    def plain(value: Any) -> Any:
        if isinstance(value, datetime.date):
            return value.isoformat()
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    return {key: plain(value) for key, value in row.items()}
