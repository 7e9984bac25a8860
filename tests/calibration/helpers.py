"""A benchmark-CSV writer for the calibration tests."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path

from catalogs.benchmarks import COLUMNS

CALIBRATION_CSV = Path(__file__).resolve().parents[2] / "catalogs" / "calibration.csv"
"""The calibration file: published measurements, each row with its source (catalogs/calibration.csv)."""

HYBRID_ROW = {
    "case_id": "h-1", "source": "test source A", "model": "deepseek-v3", "quant": "Q4_K_M",
    "weights_gb": "404.425", "engine": "ik_llama.cpp", "placement": "experts-cpu",
    "split_mode": "layer", "ubatch_tokens": "512", "context_tokens": "0", "prompt_tokens": "512",
    "kv_bytes_per_element": "2", "measured_prefill_tokens_per_s": "100",
    "measured_decode_tokens_per_s": "10", "gpu_count": "1", "gpu_model": "RTX 4090",
    "gpu_vram_gb": "24", "gpu_bandwidth_gb_s": "1008", "gpu_tflops": "165.2",
    "gpu_link_gb_s": "31.5", "cpu_model": "AMD EPYC 9355", "cpu_sockets": "1", "cpu_cores": "32",
    "cpu_tflops": "7.2704", "ram_channels": "12", "ram_mt_s": "6400",
    "ram_bandwidth_gb_s": "614.4", "ram_gb": "768",
}
"""A complete experts-in-RAM row (sousekd's EPYC 9355 + RTX 4090 box, with round speeds)."""


def write_csv(path: Path, rows: Sequence[Mapping[str, str]], extra: Sequence[str] = ()) -> Path:
    """Write `rows` under the full schema header (plus `extra` columns); missing cells blank."""
    header = [*COLUMNS, *extra]
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(name, "") for name in header])
    return path
