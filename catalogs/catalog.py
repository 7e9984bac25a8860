"""The catalog: shipped TOML files plus user directories, as costmodel objects looked up by id.

Layers: the shipped files next to this module first, then each user directory in order. A user
row with the id of an earlier row replaces it; a new id adds a row. Within one layer ids are unique.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from costmodel import CPU, GPU, RAM, EngineProfile, ModelArch, Motherboard

from .engines import ENGINE_KIND
from .hardware_rows import BOARD_KIND, CPU_KIND, GPU_KIND, RAM_KIND
from .loader import PACKAGE_DIR, CatalogError, Entry, Kind, Layer, UnknownIdError, read_layer
from .models import MODEL_KIND

KINDS: dict[str, Kind] = {
    kind.name: kind for kind in (GPU_KIND, CPU_KIND, BOARD_KIND, RAM_KIND, MODEL_KIND, ENGINE_KIND)
}
"""Every kind of row, by its TOML table name ([[gpu]], [[cpu]], ...)."""

T = TypeVar("T")


@dataclass(frozen=True)
class Catalog:
    """Parts, models and engine profiles by id, and the validated TOML rows behind them.

    `rows[kind][id]` is the row as written (kinds: 'gpu', 'cpu', 'board', 'ram', 'model', 'engine'),
    with `source` and `as_of`. `model_aliases` maps lowercase aliases to model ids. The catalog
    returned by `load_catalog()` is shared (cached): do not mutate it.
    """

    gpus: dict[str, GPU]
    cpus: dict[str, CPU]
    boards: dict[str, Motherboard]
    ram: dict[str, RAM]
    models: dict[str, ModelArch]
    engines: dict[str, EngineProfile]
    rows: dict[str, dict[str, dict[str, Any]]]
    model_aliases: dict[str, str]

    def gpu(self, key: str) -> GPU:
        return _lookup("gpu", self.gpus, key)

    def cpu(self, key: str) -> CPU:
        return _lookup("cpu", self.cpus, key)

    def board(self, key: str) -> Motherboard:
        return _lookup("board", self.boards, key)

    def ram_module(self, key: str) -> RAM:
        return _lookup("ram", self.ram, key)

    def model(self, key: str) -> ModelArch:
        """A model by id or by one of its `aliases`, case-insensitive."""
        model_id = self.model_aliases.get(key.strip().lower(), key)
        return _lookup("model", self.models, model_id, also=self.model_aliases)

    def engine(self, key: str) -> EngineProfile:
        return _lookup("engine", self.engines, key)


def _lookup(kind: str, table: Mapping[str, T], key: str, also: Iterable[str] = ()) -> T:
    """`table[key]`, trying the lowercase id too; UnknownIdError with close matches otherwise."""
    for candidate in (key, key.strip().lower()):
        if candidate in table:
            return table[candidate]
    raise UnknownIdError(kind, key, [*table, *also])


def load_catalog(extra_dirs: Sequence[Path | str] | Path | str = ()) -> Catalog:
    """The shipped catalog overlaid with each of `extra_dirs` (directories of *.toml files, or
    single files) in order. Raises CatalogError listing every problem found."""
    if isinstance(extra_dirs, (str, Path)):
        extra_dirs = [extra_dirs]
    if not extra_dirs:
        return _shipped_catalog()
    layers = [_shipped_layer(), *(_load_layer(Path(path)) for path in extra_dirs)]
    catalog, errors = _assemble(layers)
    if errors:
        raise _combined(errors)
    return catalog


def check_catalog_dir(path: Path | str) -> list[CatalogError]:
    """Every problem in the TOML files of `path` (schema, ranges, duplicate ids), plus alias
    clashes with the shipped catalog it would be overlaid on. Empty when the directory is valid."""
    path = Path(path)
    try:
        files = _catalog_files(path)
    except CatalogError as exc:
        return [exc]
    if not files:
        return [CatalogError(f"{path}: holds no *.toml files")]
    layer, errors = read_layer(files, KINDS)
    if path.resolve() == PACKAGE_DIR:
        return errors + _assemble([layer])[1]
    try:
        shipped = _shipped_layer()
    except CatalogError as exc:
        return [*errors, exc]
    return errors + _assemble([shipped, layer])[1]


@lru_cache(maxsize=1)
def _shipped_layer() -> Layer:
    return _load_layer(PACKAGE_DIR)


@lru_cache(maxsize=1)
def _shipped_catalog() -> Catalog:
    catalog, errors = _assemble([_shipped_layer()])
    if errors:
        raise _combined(errors)
    return catalog


def _catalog_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise CatalogError(f"{path}: no such catalog directory or file")
    return sorted(path.glob("*.toml"))


def _load_layer(path: Path) -> Layer:
    layer, errors = read_layer(_catalog_files(path), KINDS)
    if errors:
        raise _combined(errors)
    return layer


def _combined(errors: Sequence[CatalogError]) -> CatalogError:
    if len(errors) == 1:
        return errors[0]
    return CatalogError(f"{len(errors)} catalog errors:\n" + "\n".join(map(str, errors)))


def _assemble(layers: Sequence[Layer]) -> tuple[Catalog, list[CatalogError]]:
    """Overlay `layers` (later ids replace earlier ones) and index the model aliases."""
    merged: Layer = {name: {} for name in KINDS}
    for layer in layers:
        for name, entries in layer.items():
            merged[name].update(entries)
    aliases, errors = _alias_index(merged["model"])

    def objects(name: str) -> dict[str, Any]:
        return {key: entry.obj for key, entry in merged[name].items()}

    catalog = Catalog(
        gpus=objects("gpu"), cpus=objects("cpu"), boards=objects("board"), ram=objects("ram"),
        models=objects("model"), engines=objects("engine"),
        rows={name: {key: entry.row for key, entry in entries.items()}
              for name, entries in merged.items()},
        model_aliases=aliases,
    )
    return catalog, errors


def _alias_index(models: Mapping[str, Entry]) -> tuple[dict[str, str], list[CatalogError]]:
    """Lowercase alias -> model id; an alias naming another model (id or alias) is an error."""
    index: dict[str, str] = {}
    errors = []
    for model_id, entry in models.items():
        for alias in entry.row["aliases"]:
            key = alias.strip().lower()
            owner = key if key in models else index.get(key, model_id)
            if owner == model_id:
                index[key] = model_id
            else:
                errors.append(CatalogError(f"{entry.where}: alias '{alias}' already names model "
                                           f"'{owner}' ({models[owner].where})"))
    return index, errors
