"""Schema of engines.toml and its rows as costmodel.EngineProfile; `load_engine` by name or file.

An engine row holds the EngineProfile fields (the row's key is `name`, as in the profile) plus
`as_of` and an optional `note`. Engine names may contain '_' because the engines' own names do
(`ik_llama.cpp`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from costmodel import EngineProfile

from .loader import CatalogError, Kind, date, flag, number, read_layer, text, whole

ENGINE_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._+-]*$")

ENGINE_SCHEMA = {
    "name": text(),
    "gpu_memory_eff": number(0, 1, low_inclusive=False),
    "gpu_compute_eff": number(0, 1, low_inclusive=False),
    "cpu_memory_eff": number(0, 1, low_inclusive=False),
    "cpu_compute_eff": number(0, 1, low_inclusive=False),
    "link_eff": number(0, 1, low_inclusive=False),
    "decode_token_overhead_s": number(0, 10, required=False),
    "hop_latency_s": number(0, 1, required=False),
    "gpu_reserve_gb": number(0, 64, required=False),
    "ram_reserve_gb": number(0, 1024, required=False),
    "stream_min_ubatch": whole(0, 10**9, required=False),
    "stream_touched_only": flag(required=False),
    "source": text(),
    "as_of": date(),
    "note": text(required=False),
}

_PROFILE_KEYS = frozenset(f.name for f in fields(EngineProfile))


def profile_from_row(row: Mapping[str, Any]) -> EngineProfile:
    """An engines.toml row as an EngineProfile (missing optional keys take the profile defaults)."""
    return EngineProfile(**{key: value for key, value in row.items() if key in _PROFILE_KEYS})


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
