"""Random small hardware catalogs on top of the shipped models and engines, for brute-force checks."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import strategies as st

from catalogs import load_catalog
from catalogs.hardware_rows import board_from_row, cpu_from_row, gpu_from_row, ram_from_row

PROVENANCE = {"source": "test", "as_of": "2026-12"}


@st.composite
def boards(draw, index: int):
    channels = draw(st.sampled_from([2, 4]))
    dpc = draw(st.sampled_from([1, 2]))
    slots = [{"gen": draw(st.sampled_from([4, 5])), "lanes": draw(st.sampled_from([8, 16]))}
             for _ in range(draw(st.integers(1, 3)))]
    return {"id": f"board-{index}", "name": f"board {index}", "socket": "sp5", "sockets": 1,
            "form_factor": "atx", "dimm_slots": channels * dpc, "memory_channels": channels,
            "dimms_per_channel": dpc, "memory_type": "ddr5", "module_kinds": ["rdimm"],
            "pcie_slots": slots, "price_usd": float(draw(st.integers(100, 1000))), **PROVENANCE}


@st.composite
def cpus(draw, index: int):
    return {"id": f"cpu-{index}", "name": f"cpu {index}", "vendor": "amd", "family": "genoa",
            "socket": "sp5", "cores": draw(st.sampled_from([8, 16, 32, 64])),
            "base_ghz": draw(st.sampled_from([2.0, 3.0, 4.0])),
            "flop_per_cycle_fp32": draw(st.sampled_from([32, 64])), "isa": ["avx2"],
            "memory_type": "ddr5", "memory_channels": draw(st.sampled_from([2, 4, 12])),
            "memory_mt_s": draw(st.sampled_from([4800, 6000])), "pcie_lanes": 128, "pcie_gen": 5,
            "tdp_w": float(draw(st.integers(100, 400))),
            "price_usd": float(draw(st.integers(100, 3000))), **PROVENANCE}


@st.composite
def gpus(draw, index: int):
    return {"id": f"gpu-{index}", "name": f"gpu {index}", "vendor": "nvidia",
            "vram_gb": float(draw(st.sampled_from([8, 12, 16, 24, 48]))),
            "memory_bw_gbps": float(draw(st.integers(200, 2000))),
            "tflops": float(draw(st.integers(10, 300))), "pcie_gen": draw(st.sampled_from([3, 4, 5])),
            "pcie_lanes": 16, "tdp_w": float(draw(st.integers(75, 450))), "slot_width": 2,
            "price_usd": float(draw(st.integers(50, 3000))), "price_condition": "used",
            "price_as_of": "2026-01", **PROVENANCE}


@st.composite
def rams(draw, index: int):
    return {"id": f"ram-{index}", "name": f"ram {index}", "memory_type": "ddr5", "module_kind": "rdimm",
            "capacity_gb": float(draw(st.sampled_from([8, 16, 32, 64]))),
            "mt_s": draw(st.sampled_from([4800, 5600, 6400])),
            "price_usd": float(draw(st.integers(20, 600))), "price_condition": "new",
            "price_as_of": "2026-01", **PROVENANCE}


@st.composite
def small_catalogs(draw, max_gpus: int = 3):
    kinds = {
        "board": [draw(boards(i)) for i in range(draw(st.integers(1, 2)))],
        "cpu": [draw(cpus(i)) for i in range(draw(st.integers(1, 2)))],
        "gpu": [draw(gpus(i)) for i in range(draw(st.integers(1, max_gpus)))],
        "ram": [draw(rams(i)) for i in range(draw(st.integers(1, 2)))],
    }
    return make_catalog(kinds)


def make_catalog(kinds: dict[str, list[dict]]):
    """The shipped catalog (models, engines) with its hardware replaced by `kinds` rows."""
    shipped = load_catalog()
    convert = {"board": board_from_row, "cpu": cpu_from_row, "gpu": gpu_from_row, "ram": ram_from_row}
    objects = {k: {r["id"]: convert[k](r) for r in rows} for k, rows in kinds.items()}
    rows = dict(shipped.rows)
    rows.update({k: {r["id"]: r for r in v} for k, v in kinds.items()})
    return replace(shipped, gpus=objects["gpu"], cpus=objects["cpu"], boards=objects["board"],
                   ram=objects["ram"], rows=rows)
