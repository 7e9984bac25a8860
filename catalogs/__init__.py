"""moerig catalogs: TOML rows of GPUs, CPUs, boards, RAM, models and engine profiles.

`load_catalog()` reads the shipped files (cached) and overlays user directories; `Catalog` looks
parts up by id and names close matches when an id is unknown; `check_catalog_dir` lists every
problem of a directory; `catalogs.compat` holds the build rules.
"""

from .catalog import KINDS, Catalog, check_catalog_dir, load_catalog
from .engines import load_engine
from .loader import CatalogError, UnknownIdError
from .models import find_quant

__all__ = [
    "KINDS", "Catalog", "CatalogError", "UnknownIdError", "check_catalog_dir", "find_quant",
    "load_catalog", "load_engine",
]
