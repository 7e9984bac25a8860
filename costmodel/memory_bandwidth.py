"""Peak RAM bandwidth a CPU can draw from its modules. docs/formulas.md, section Bandwidth."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

CCD_BYTES_PER_FCLK = 32.0
"""Bytes per fabric clock one chiplet (CCD) reads over its GMI link on EPYC / Threadripper:
32 B x 1.8 GHz = 57.6 GB/s (Zen 4), x 2.0 GHz = 64 GB/s (Zen 5). Source: shared/research/hardware.md,
CPU notes (CCD-limited bandwidth)."""


def ram_bandwidth_gb_s(n_modules: ArrayLike, module_gb_s: ArrayLike, channels: ArrayLike = 0,
                       ccd_count: ArrayLike = 0, fclk_ghz: ArrayLike = 0.0) -> NDArray[np.float64]:
    """b_RAM = min(n, ch) * b_module, capped at n_CCD * 32 B * f_FCLK [GB/s].

    The request: bandwidth adds up over modules (n * b). Modules beyond the memory channels add
    capacity, not bandwidth; channels = 0 means unknown (no cap). Chiplet CPUs cannot read faster
    than their CCD links allow; ccd_count = 0 or fclk = 0 means unknown (no cap).
    """
    n = np.asarray(n_modules, dtype=np.float64)
    ch = np.asarray(channels, dtype=np.float64)
    populated = np.where(ch > 0, np.minimum(n, ch), n)
    bw = populated * np.asarray(module_gb_s, dtype=np.float64)
    ccd_cap = np.asarray(ccd_count, dtype=np.float64) * CCD_BYTES_PER_FCLK * np.asarray(fclk_ghz, dtype=np.float64)
    return np.where(ccd_cap > 0, np.minimum(bw, ccd_cap), bw)
