"""Range checks shared by the domain types. Every message names the field, the value and the range."""

from __future__ import annotations

import math


class InputError(ValueError):
    """Bad input: the message names where (object or file/row), the field, the value and what is allowed."""


def check_number(
    owner: str,
    field: str,
    value: float,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    allow_nan: bool = False,
) -> None:
    """Raise InputError unless `value` is a finite number inside [low, high] (or (low, high])."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{owner}: field '{field}' must be a number, got {value!r}")
    if math.isnan(value):
        if allow_nan:
            return
        raise InputError(f"{owner}: field '{field}' is NaN; {_range_text(low, high, low_inclusive)}")
    if math.isinf(value):
        raise InputError(f"{owner}: field '{field}' is infinite; {_range_text(low, high, low_inclusive)}")
    too_low = low is not None and (value < low if low_inclusive else value <= low)
    too_high = high is not None and value > high
    if too_low or too_high:
        raise InputError(
            f"{owner}: field '{field}' = {value!r} is out of range; {_range_text(low, high, low_inclusive)}"
        )


def _range_text(low: float | None, high: float | None, low_inclusive: bool) -> str:
    lo = "" if low is None else (f"{low} <= " if low_inclusive else f"{low} < ")
    hi = "" if high is None else f" <= {high}"
    if not lo and not hi:
        return "allowed: a finite number"
    return f"allowed: {lo}value{hi}"


def check_int(owner: str, field: str, value: int, *, low: int | None = None, high: int | None = None) -> None:
    """Raise InputError unless `value` is an integer inside [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise InputError(f"{owner}: field '{field}' must be a whole number, got {value!r}")
    check_number(owner, field, value, low=low, high=high)
