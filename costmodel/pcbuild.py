"""`PCBuild` as the request defines it; `performance` runs the vectorized core on a batch of one."""

from __future__ import annotations

from typing import Any

import numpy as np

from .build_arrays import BuildArrays
from .engine import EngineProfile
from .evaluate import evaluate
from .hardware import CPU, GPU, RAM, Motherboard, pcie_link_gb_per_s
from .llm import LLM
from .memory_bandwidth import ram_bandwidth_gb_s
from .report import build_report
from .validation import InputError
from .workload import MAX_KV_BYTES_PER_ELEMENT, Workload


def gpu_link_gb_s(board: Motherboard, gpu: GPU, slot_index: int) -> float:
    """Host link of a card [GB/s per direction]: the lower PCIe generation of card and slot, the
    fewer lanes of the two (an RTX 3090 is a PCIe 4.0 x16 card), or the board's stated per-lane rate."""
    slot_gen, slot_lanes = board.slot(slot_index)
    lanes = min(slot_lanes, gpu.pcie_lanes)
    if board.pcie_gb_s_per_lane:
        return lanes * board.pcie_gb_s_per_lane
    gen = min(slot_gen, gpu.pcie_gen) if gpu.pcie_gen else slot_gen
    return pcie_link_gb_per_s(gen, lanes)


def resolve_engine(engine: EngineProfile | str | None, llm: LLM) -> EngineProfile:
    if engine is None:
        return EngineProfile.uniform(llm.efficiency_factor)
    if isinstance(engine, EngineProfile):
        return engine
    from catalogs.engines import load_engine

    return load_engine(engine)


class PCBuild:
    def __init__(
        self,
        motherboard: Motherboard | None = None,
        cpu: CPU | None = None,
    ):
        self.motherboard = motherboard
        self.cpu = cpu
        self.ram_sticks: list[RAM] = []
        self.gpus: list[GPU] = []

    def fill(self, ram: RAM, gpu: GPU):
        """Fill available slots with specified components"""
        if not self.motherboard:
            raise ValueError("Motherboard must be selected first")

        # Fill RAM slots
        self.ram_sticks = [ram for _ in range(self.motherboard.ram_slots)]

        # Fill GPU slots (practical limit of 8 GPUs)
        num_gpus = self.motherboard.pcie_slots
        self.gpus = [gpu for _ in range(num_gpus)]

        return self

    def price(self) -> float:
        """Calculate total build price"""
        if not self.motherboard or not self.cpu:
            return 0

        motherboard_cost = self.motherboard.price
        cpu_cost = self.cpu.price
        ram_cost = sum(ram.price for ram in self.ram_sticks)
        gpu_cost = sum(gpu.price for gpu in self.gpus)

        return motherboard_cost + cpu_cost + ram_cost + gpu_cost

    def gpu_groups(self) -> list[tuple[GPU, int, float]]:
        """Identical cards in slots of the same link speed, as (card, count, link GB/s)."""
        groups: list[tuple[GPU, int, float]] = []
        for index, gpu in enumerate(self.gpus):
            link = gpu_link_gb_s(self.motherboard, gpu, index)
            for j, (g, n, lk) in enumerate(groups):
                if g == gpu and lk == link:
                    groups[j] = (g, n + 1, lk)
                    break
            else:
                groups.append((gpu, 1, link))
        return groups

    def ram_bandwidth_gb_s(self) -> float:
        """Modules x per-module bandwidth, capped by the memory channels and the CPU's chiplet links
        where the board or CPU states them (costmodel.memory_bandwidth)."""
        if not self.ram_sticks:
            return 0.0
        module = self.ram_sticks[0]
        channels = [c for c in (self.motherboard.memory_channels, self.cpu.memory_channels) if c]
        return float(ram_bandwidth_gb_s(
            len(self.ram_sticks), module.memory_bw_per_module_gbps, min(channels) if channels else 0,
            self.cpu.ccd_count, self.cpu.fclk_ghz))

    def to_arrays(self) -> tuple[BuildArrays, list[str], list[int]]:
        """This build as a batch of one for the core, with the GPU group names and counts."""
        if self.motherboard is None or self.cpu is None:
            raise InputError("PCBuild: a motherboard and a CPU must be selected before performance()")
        if len(self.gpus) > self.motherboard.pcie_slots:
            raise InputError(f"PCBuild: {len(self.gpus)} GPUs but motherboard "
                             f"'{self.motherboard.name}' has {self.motherboard.pcie_slots} PCIe slots")
        if len(self.ram_sticks) > self.motherboard.ram_slots:
            raise InputError(f"PCBuild: {len(self.ram_sticks)} RAM modules but motherboard "
                             f"'{self.motherboard.name}' has {self.motherboard.ram_slots} slots")
        if len({(r.capacity_gb, r.memory_bw_per_module_gbps) for r in self.ram_sticks}) > 1:
            raise InputError("PCBuild: RAM modules must be identical (the request's n identical modules)")
        groups = self.gpu_groups() or [(None, 0, 0.0)]
        hw = BuildArrays.from_arrays(
            gpu_count=[[n for _, n, _ in groups]],
            gpu_vram_gb=[[g.vram_gb if g else 0.0 for g, _, _ in groups]],
            gpu_bandwidth_gb_s=[[g.memory_bw_gbps if g else 0.0 for g, _, _ in groups]],
            gpu_tflops=[[g.tflops if g else 0.0 for g, _, _ in groups]],
            gpu_link_gb_s=[[lk for _, _, lk in groups]],
            cpu_tflops=[self.cpu.tflops],
            ram_gb=[sum(r.capacity_gb for r in self.ram_sticks)],
            ram_bandwidth_gb_s=[self.ram_bandwidth_gb_s()],
            cpu_cores=[self.cpu.cores * self.cpu.sockets],
            cpu_flop_per_cycle=[self.cpu.flop_per_cycle],
        )
        names = [(g.id or g.name) if g else "gpu" for g, _, _ in groups]
        return hw, names, [n for _, n, _ in groups]

    def performance(
        self,
        llm: LLM,
        context_length: int,
        kv_cache_bpw=1,
        *,
        engine: EngineProfile | str | None = None,
        prompt_tokens: int | None = None,
        ubatch_tokens: int = 512,
        placement: str = "auto",
        n_cpu_moe: int = 0,
        split: str = "layer",
    ) -> dict[str, Any]:
        """Calculate LLM performance metrics based on PC build hardware, LLM model, context length and KV cache quantization

        Prefill: a prompt of `prompt_tokens` (default `context_length`) from an empty cache; decode:
        one token with `context_length` tokens cached. `kv_cache_bpw` is BYTES per KV element
        (2 = f16, 1 = q8_0-like). Without `engine`, `llm.efficiency_factor` is the efficiency of every
        device and link; `engine` (a profile or its name in catalogs/engines.toml) sets them per device.
        Returns the dict of costmodel.report.build_report.
        """
        if isinstance(kv_cache_bpw, (int, float)) and kv_cache_bpw > MAX_KV_BYTES_PER_ELEMENT:
            raise InputError(
                f"performance: kv_cache_bpw = {kv_cache_bpw!r} is bytes per KV element, not bits; "
                f"allowed: 0 < value <= {MAX_KV_BYTES_PER_ELEMENT} (2 = f16, 1 = q8_0-like)"
            )
        hw, names, counts = self.to_arrays()
        prompt = context_length if prompt_tokens is None else prompt_tokens
        workload = Workload(
            prompt_tokens=max(int(prompt), 1) if isinstance(prompt, (int, np.integer)) else prompt,
            decode_context_tokens=context_length,
            ubatch_tokens=ubatch_tokens,
            kv_bytes_per_element=kv_cache_bpw,
            placement=placement,
            n_cpu_moe=n_cpu_moe,
            split=split,
        )
        profile = resolve_engine(engine, llm)
        est = evaluate(llm.to_spec(), hw, workload, profile)
        return build_report(est, 0, names, counts, engine=profile, context_tokens=context_length)
