"""Schema of engines.toml and its rows as costmodel.EngineProfile; `load_engine` by name or file.

An engine row holds the EngineProfile fields (the row's key is `name`, as in the profile) plus
`as_of` and optional `note`, `command` (what reproduces the row), `fit` (own fit or shared values,
and why), the calibrated space (`calibrated_gpus`, `calibrated_max_context_tokens`,
`calibrated_engine`: the data held enough rows of this engine) and
`[engine.range.REGIME]` tables with the cross-validated measured/predicted ranges of each regime
(docs/formulas.md, section Calibrated terms). Engine names may contain '_' because the engines' own
names do (`ik_llama.cpp`). `profile_toml` writes a profile back in this schema.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from costmodel import EngineProfile
from costmodel.engine import MAX_CPU_COMPUTE_EFF
from costmodel.regimes import PHASES, REGIMES, Accuracy, RatioRange

from .loader import (
    CatalogError,
    Kind,
    date,
    flag,
    number,
    read_layer,
    table_map,
    text,
    text_list,
    whole,
)

ENGINE_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._+-]*$")

RANGE_SCHEMA = {
    "prefill_low": number(0, 100, low_inclusive=False, required=False),
    "prefill_high": number(0, 100, low_inclusive=False, required=False),
    "n_prefill": whole(0, 10**6, required=False),
    "decode_low": number(0, 100, low_inclusive=False, required=False),
    "decode_high": number(0, 100, low_inclusive=False, required=False),
    "n_decode": whole(0, 10**6, required=False),
    "prefill_pooled": flag(required=False),
    "decode_pooled": flag(required=False),
}
"""One regime's 10th-90th percentile of measured / predicted per phase, the case counts, and
whether the range is that of all regimes (too few cases of this one)."""

ENGINE_SCHEMA = {
    "name": text(),
    "gpu_memory_eff": number(0, 1, low_inclusive=False),
    "gpu_compute_eff": number(0, 1, low_inclusive=False),
    "cpu_memory_eff": number(0, 1, low_inclusive=False),
    "cpu_compute_eff": number(0, MAX_CPU_COMPUTE_EFF, low_inclusive=False),
    "link_eff": number(0, 1, low_inclusive=False),
    "decode_token_overhead_s": number(0, 10, required=False),
    "hop_latency_s": number(0, 1, required=False),
    "gpu_reserve_gb": number(0, 64, required=False),
    "ram_reserve_gb": number(0, 1024, required=False),
    "stream_min_ubatch": whole(0, 10**9, required=False),
    "stream_touched_only": flag(required=False),
    "cpu_sync_s_per_core_layer": number(0, 1e-3, required=False),
    "cpu_attention_eff": number(0, 1, required=False),
    "gpu_attention_eff": number(0, 1, required=False),
    "cpu_flop_per_cycle_cap": number(0, 1024, required=False),
    "latent_attention_prefill": flag(required=False),
    "stream_always": flag(required=False),
    "gpu_copy_via_host": flag(required=False),
    "source": text(),
    "as_of": date(),
    "note": text(required=False),
    "command": text(required=False),
    "fit": text(required=False),
    "calibrated_gpus": text_list(required=False),
    "calibrated_max_context_tokens": whole(0, 10**9, required=False),
    "calibrated_engine": flag(required=False),
    "range": table_map(RANGE_SCHEMA, required=False),
}

_PROFILE_KEYS = frozenset(f.name for f in fields(EngineProfile)) - {"accuracy"}


def accuracy_from_row(row: Mapping[str, Any]) -> Accuracy | None:
    """The row's ranges and calibrated space, or None when it has no `range` tables."""
    tables = row.get("range")
    if not tables:
        return None
    ranges = {}
    for regime, table in tables.items():
        for phase in PHASES:
            if f"{phase}_low" in table and f"{phase}_high" in table:
                ranges[(regime, phase)] = RatioRange(
                    low=table[f"{phase}_low"], high=table[f"{phase}_high"],
                    n=table.get(f"n_{phase}", 0), pooled=table.get(f"{phase}_pooled", False))
    return Accuracy(ranges=ranges, gpu_models=tuple(row.get("calibrated_gpus", ())),
                    max_context_tokens=row.get("calibrated_max_context_tokens", 0),
                    engine_covered=row.get("calibrated_engine", False))


def profile_from_row(row: Mapping[str, Any]) -> EngineProfile:
    """An engines.toml row as an EngineProfile (missing optional keys take the profile defaults)."""
    return EngineProfile(**{key: value for key, value in row.items() if key in _PROFILE_KEYS},
                         accuracy=accuracy_from_row(row))


ENGINE_KIND = Kind("engine", ENGINE_SCHEMA, profile_from_row, id_key="name",
                   id_pattern=ENGINE_NAME_PATTERN)


def load_engine(name_or_path: str | Path) -> EngineProfile:
    """The engine profile named `name_or_path` in the shipped catalogs/engines.toml
    (case-insensitive), or the single `[[engine]]` of a TOML file when given a path or a name
    ending in '.toml'. Raises UnknownIdError (with close matches) or CatalogError."""
    path = Path(name_or_path)
    if isinstance(name_or_path, Path) or path.suffix == ".toml":
        layer, errors = read_layer([path], {ENGINE_KIND.name: ENGINE_KIND})
        if errors:
            raise CatalogError("\n".join(str(error) for error in errors))
        entries = list(layer[ENGINE_KIND.name].values())
        if len(entries) != 1:
            raise CatalogError(
                f"{path}: holds {len(entries)} [[engine]] tables; allowed: exactly 1")
        return entries[0].obj
    from .catalog import load_catalog  # here, not at the top: catalog imports this module

    return load_catalog().engine(str(name_or_path))


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.3e}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def profile_toml(profile: EngineProfile, *, as_of: str, command: str = "", fit: str = "",
                 note: str = "") -> str:
    """One `[[engine]]` table of `profile` in the engines.toml schema (every field written)."""
    row: dict[str, Any] = {f.name: getattr(profile, f.name) for f in fields(EngineProfile)
                           if f.name not in ("accuracy",)}
    row.update(as_of=as_of, command=command, fit=fit, note=note)
    acc = profile.accuracy
    if acc is not None:
        row.update(calibrated_gpus=list(acc.gpu_models),
                   calibrated_max_context_tokens=acc.max_context_tokens,
                   calibrated_engine=acc.engine_covered)
    lines = ["[[engine]]"]
    lines += [f"{key} = {_toml_value(value)}" for key, value in row.items()
              if value is not None and value != ""]
    if acc is not None:
        for regime in REGIMES:
            present = [phase for phase in PHASES if (regime, phase) in acc.ranges]
            if not present:
                continue
            lines += ["", f"[engine.range.{regime}]"]
            for phase in present:
                r = acc.ranges[(regime, phase)]
                lines += [f"{phase}_low = {r.low:.3f}", f"{phase}_high = {r.high:.3f}",
                          f"n_{phase} = {r.n}"]
                if r.pooled:
                    lines.append(f"{phase}_pooled = true")
    return "\n".join(lines) + "\n"
