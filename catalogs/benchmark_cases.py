"""Benchmark rows as measured cases: blanks filled from the catalogs, each filled value recorded.

`resolve_rows(rows, catalog)` turns catalogs.benchmarks rows into
`costmodel.calibration.MeasuredCase`s: a named CPU's platform gives channels, memory speed, cores
and peak; a GPU's catalog row gives its figures and PCIe link; a known quantization gives bits; a
size stated by another row of the file for the same model and quantization is reused. A row that
still lacks what a prediction needs carries a `reason` (docs/formulas.md, Calibrated terms).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from costmodel import ModelArch, Quantization, pcie_link_gb_per_s, spec_from_arch
from costmodel.calibration import (
    DEFAULT_KV_BYTES_PER_ELEMENT,
    DEFAULT_UBATCH_TOKENS,
    UNSTATED_RAM_GB,
    GpuGroup,
    MeasuredCase,
)
from costmodel.units import BITS_PER_BYTE, BYTES_PER_GB

from .benchmarks import PER_GPU_COLUMNS, BenchmarkRow
from .catalog import Catalog
from .loader import UnknownIdError
from .models import find_quant
from .quant_types import quant_bits_from_name

STREAM_FRACTION_OF_THEORETICAL = 0.8
"""Measured read bandwidth (STREAM, mlc, AIDA64) as a fraction of theoretical channel bandwidth.
Source: shared/research/insights.md, 'STREAM triad on fully populated Genoa/Turin reaches about
78-82% of theoretical'. Used only to stand in for the theoretical figure when a row gives nothing
else."""

CPU_FLOP_PER_CYCLE_BY_NAME: tuple[tuple[re.Pattern[str], float], ...] = (
    (re.compile(r"epyc\s*9\d\d5"), 64.0),
    (re.compile(r"epyc"), 32.0),
    (re.compile(r"threadripper.*\b9\d{3}"), 64.0),
    (re.compile(r"threadripper"), 32.0),
    (re.compile(r"ryzen.*\b9\d{3}x"), 64.0),
    (re.compile(r"ryzen"), 32.0),
    (re.compile(r"xeon.*\be[357]-"), 32.0),
    (re.compile(r"xeon"), 64.0),
)
"""FP32 FLOP per cycle per core by CPU name, the convention of SCHEMA.md's cpu_tflops column:
32 for Zen 2/3/4 (EPYC 7xx2/7xx3/9xx4, Threadripper 3000-7000, Ryzen 3000-7000) and AVX2 Xeons
(E5/E7), 64 for Zen 5 (EPYC 9xx5, Threadripper 9000, Ryzen 9000) and AVX-512 Xeons. First match
wins; a CPU found in cpus.toml uses its own flop_per_cycle_fp32."""

RAM_BYTES_PER_TRANSFER = 8
"""A DDR channel is 64 bits wide: GB/s = channels x MT/s x 8 / 1000 (SCHEMA.md)."""

_TOKEN = re.compile(r"[a-z0-9]+")


def _tokens(name: str) -> list[str]:
    return _TOKEN.findall(name.lower())


def _model_token(name: str) -> str:
    """The model number of a part name: its longest token holding a digit ('7975wx', '4090')."""
    digits = [t for t in _tokens(name) if any(c.isdigit() for c in t)]
    return max(digits, key=len) if digits else ""


def match_parts(name: str, rows: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Catalog ids whose model number appears in `name`, best token overlap first; ties kept.

    'AMD Threadripper PRO 7975WX' finds tr-pro-7975wx; 'Xeon QYFS (~Xeon 8480)' finds
    xeon-8480plus; 'EPYC 9135 or 9115' finds both (callers keep only the fields they agree on).
    """
    query = set(_tokens(name))
    scored = []
    for key, row in rows.items():
        token = _model_token(row["name"])
        if key == name.strip().lower() or (token and token in query):
            scored.append((len(query & set(_tokens(row["name"]))), key))
    if not scored:
        return []
    best = max(score for score, _ in scored)
    return [key for score, key in scored if score == best]


def _agreed(rows: Sequence[Mapping[str, Any]], key: str) -> Any:
    """The value all `rows` give for `key`, or None when they differ or lack it."""
    values = {repr(row.get(key)) for row in rows}
    return rows[0].get(key) if len(values) == 1 else None


def cpu_peak_tflops(row: Mapping[str, Any]) -> float:
    """Peak FP32 TFLOPS of one socket = cores x base GHz x FLOP per cycle / 1000 (SCHEMA.md)."""
    return row["cores"] * row["base_ghz"] * row["flop_per_cycle_fp32"] / 1000.0


def resolve_rows(rows: Sequence[BenchmarkRow], catalog: Catalog) -> list[MeasuredCase]:
    """Measured cases of `rows`, blanks filled from `catalog` and from same-quant rows of the file."""
    sizes = _stated_sizes(rows)
    return [resolve_row(row, catalog, sizes) for row in rows]


def _stated_sizes(rows: Iterable[BenchmarkRow]) -> dict[tuple[str, str], tuple[float, str]]:
    """(model, quant) -> (weights_gb, case_id) of the first row that states the size."""
    sizes: dict[tuple[str, str], tuple[float, str]] = {}
    for row in rows:
        if row.weights_gb is not None and row.quant:
            sizes.setdefault((row.model.lower(), row.quant.lower()), (row.weights_gb, row.case_id))
    return sizes


def resolve_row(row: BenchmarkRow, catalog: Catalog,
                sizes: Mapping[tuple[str, str], tuple[float, str]] | None = None) -> MeasuredCase:
    """One row as a MeasuredCase (see module docstring); `reason` is set when it cannot be predicted."""
    filled: list[str] = []
    reasons: list[str] = []
    arch, quant, weights_gb = _resolve_model(row, catalog, sizes or {}, filled, reasons)
    gpus = _resolve_gpus(row, catalog, filled, reasons)
    cpu = _resolve_cpu(row, catalog, filled, reasons)
    ubatch = row.ubatch_tokens
    if ubatch is None:
        ubatch = DEFAULT_UBATCH_TOKENS
        filled.append(f"ubatch_tokens = {ubatch} (schema default)")
    context = row.context_tokens
    if context is None:
        context = 0
        filled.append("context_tokens = 0 (not stated)")
    prompt = row.prompt_tokens
    if prompt is None:
        prompt = ubatch
        if row.measured_prefill_tokens_per_s is not None:
            filled.append(f"prompt_tokens = {prompt} (not stated: one micro-batch)")
    kv = row.kv_bytes_per_element
    if kv is None:
        kv = DEFAULT_KV_BYTES_PER_ELEMENT
        filled.append(f"kv_bytes_per_element = {kv:g} (schema default f16)")
    split = row.split_mode or "layer"
    return MeasuredCase(
        case_id=row.case_id, source=row.source, engine=row.engine, arch=arch, quant=quant,
        weights_gb=weights_gb, placement=row.placement, n_cpu_moe=row.n_cpu_moe or 0, split=split,
        ubatch_tokens=ubatch, context_tokens=context, prompt_tokens=prompt, kv_bytes_per_element=kv,
        gpus=gpus, cpu_model=row.cpu_model or "", cpu_tflops=cpu["tflops"], cpu_sockets=cpu["sockets"],
        ram_gb=cpu["ram_gb"], ram_bandwidth_gb_s=cpu["ram_bandwidth_gb_s"],
        cpu_flop_per_cycle=cpu["flop_per_cycle"],
        cpu_cores=cpu["cores"],
        measured_prefill_tokens_per_s=row.measured_prefill_tokens_per_s,
        measured_decode_tokens_per_s=row.measured_decode_tokens_per_s,
        filled=tuple(filled), reason="; ".join(reasons),
    )


def _resolve_model(row: BenchmarkRow, catalog: Catalog,
                   sizes: Mapping[tuple[str, str], tuple[float, str]], filled: list[str],
                   reasons: list[str]) -> tuple[ModelArch | None, Quantization | None, float | None]:
    try:
        arch = catalog.model(row.model)
    except UnknownIdError as exc:
        reasons.append(str(exc))
        return None, None, None
    weights_gb = row.weights_gb
    if weights_gb is None and row.quant:
        stated = sizes.get((row.model.lower(), row.quant.lower()))
        if stated is not None:
            weights_gb = stated[0]
            filled.append(f"weights_gb = {weights_gb:g} (row {stated[1]}, same model and quant)")
    quant = _resolve_quant(arch, row.quant, weights_gb, filled)
    if quant is None:
        reasons.append(f"weights unknown: quant {row.quant or '(blank)'} is not in the catalog of "
                       f"{arch.id} and weights_gb is blank")
    return arch, quant, weights_gb


def _resolve_quant(arch: ModelArch, name: str | None, weights_gb: float | None,
                   filled: list[str]) -> Quantization | None:
    """The catalog quantization `name` (also without UD-/CPU-/mix- prefixes or _R4/_R8 repack
    suffixes), else bits from the ggml type names in `name`, else uniform bits from weights_gb."""
    if name:
        for candidate in _quant_aliases(name):
            try:
                quant = find_quant(arch, candidate)
            except UnknownIdError:
                continue
            if candidate != name:
                filled.append(f"quant {name} taken as {arch.id} {quant.name}")
            elif weights_gb is None:
                filled.append(f"weights from {arch.id} {quant.name} bits in models.toml")
            return quant
        bits = quant_bits_from_name(name)
        if bits is not None:
            if weights_gb is None:
                filled.append(f"weights from ggml type bits of {name}: experts {bits[0]:g}, other {bits[1]:g}")
                return Quantization(name, *bits)
            return _experts_from_size(arch, name, bits, weights_gb, filled)
    if weights_gb is not None:
        filled.append("expert/other bit ratio 1 (quant not known)")
        return Quantization(name or "unstated", 4.0, 4.0)
    return None


def _experts_from_size(arch: ModelArch, name: str, bits: tuple[float, float], weights_gb: float,
                       filled: list[str]) -> Quantization:
    """A type-named quantization sized by its file: the other tensors keep their type's bits Q_o,
    the routed experts take what the file leaves, Q_x = (8 W - P_o Q_o) / P_x (W file bytes, P_x
    routed and P_o other parameters). Falls back to the type bits when that is out of 1-32."""
    spec = spec_from_arch(arch, Quantization(name, *bits))
    other_params = spec.always_active_params + spec.input_embedding_params
    if spec.routed_params > 0:
        experts = (weights_gb * BYTES_PER_GB * BITS_PER_BYTE - other_params * bits[1]) / spec.routed_params
        if 1.0 <= experts <= 32.0:
            filled.append(f"expert bits {experts:.3g} from weights_gb with other tensors at {bits[1]:g} "
                        f"({name})")
            return Quantization(name, experts, bits[1])
    return Quantization(name, *bits)


def _quant_aliases(name: str) -> list[str]:
    plain = re.sub(r"^(ud|cpu|mix)-", "", name.strip(), flags=re.IGNORECASE)
    plain = re.sub(r"_r(4|8)$", "", plain, flags=re.IGNORECASE)
    return list(dict.fromkeys([name.strip(), plain]))


def _resolve_gpus(row: BenchmarkRow, catalog: Catalog, filled: list[str],
                  reasons: list[str]) -> tuple[GpuGroup, ...]:
    count = row.gpu_count
    if count == 0 or row.placement == "cpu":
        return ()

    def per_gpu(values: tuple[Any, ...] | None) -> list[Any]:
        if values is None:
            return [None] * count
        return list(values) * count if len(values) == 1 else list(values)

    names = per_gpu(row.gpu_model)
    columns = {name: per_gpu(getattr(row, name)) for name in PER_GPU_COLUMNS[1:]}
    catalog_keys = {"gpu_vram_gb": "vram_gb", "gpu_bandwidth_gb_s": "memory_bw_gbps",
                    "gpu_tflops": "tflops"}
    cards = []
    for i in range(count):
        card = {name: columns[name][i] for name in columns}
        matches = [catalog.rows["gpu"][k] for k in match_parts(names[i] or "", catalog.rows["gpu"])]
        for column, key in catalog_keys.items():
            if card[column] is None and matches and _agreed(matches, key) is not None:
                card[column] = float(_agreed(matches, key))
                filled.append(f"{column} = {card[column]:g} (gpus.toml {names[i]})")
        if card["gpu_link_gb_s"] is None and matches and _agreed(matches, "pcie_gen") is not None:
            card["gpu_link_gb_s"] = pcie_link_gb_per_s(_agreed(matches, "pcie_gen"),
                                                       _agreed(matches, "pcie_lanes") or 16)
            filled.append(f"gpu_link_gb_s = {card['gpu_link_gb_s']:g} (card's PCIe generation and lanes)")
        missing = [column for column, value in card.items() if value is None]
        if missing:
            reasons.append(f"GPU {names[i] or i + 1}: {', '.join(missing)} blank and not in the catalog")
            return ()
        cards.append((names[i] or "gpu", *(card[c] for c in PER_GPU_COLUMNS[1:])))
    groups: dict[tuple[Any, ...], int] = {}
    for card_values in cards:
        groups[card_values] = groups.get(card_values, 0) + 1
    return tuple(GpuGroup(key[0], n, *key[1:]) for key, n in groups.items())


def _resolve_cpu(row: BenchmarkRow, catalog: Catalog, filled: list[str],
                 reasons: list[str]) -> dict[str, Any]:
    """CPU peak, cores, FLOP per cycle, sockets, RAM size and theoretical RAM bandwidth."""
    matches = ([catalog.rows["cpu"][k] for k in match_parts(row.cpu_model, catalog.rows["cpu"])]
               if row.cpu_model else [])
    shown = ", ".join(m["id"] for m in matches)

    def from_catalog(key: str) -> Any:
        return _agreed(matches, key) if matches else None

    sockets = row.cpu_sockets
    if sockets is None:
        sockets = 1
        filled.append("cpu_sockets = 1 (not stated)")
    cores = row.cpu_cores
    if cores is None and from_catalog("cores"):
        cores = from_catalog("cores") * sockets
        filled.append(f"cpu_cores = {cores} (cpus.toml {shown})")
    tflops = row.cpu_tflops
    if tflops is None and from_catalog("cores") and from_catalog("base_ghz"):
        tflops = cpu_peak_tflops(matches[0]) * sockets
        filled.append(f"cpu_tflops = {tflops:.4g} (cpus.toml {shown}: cores x base GHz x FLOP/cycle)")
    channels = row.ram_channels
    if channels is None and from_catalog("memory_channels"):
        channels = from_catalog("memory_channels") * sockets
        filled.append(f"ram_channels = {channels} (cpus.toml {shown})")
    mt_s = row.ram_mt_s
    if mt_s is None and from_catalog("memory_mt_s"):
        mt_s = from_catalog("memory_mt_s")
        filled.append(f"ram_mt_s = {mt_s} (cpus.toml {shown}, rated speed)")
    bandwidth = row.ram_bandwidth_gb_s
    if bandwidth is None and channels and mt_s:
        bandwidth = channels * mt_s * RAM_BYTES_PER_TRANSFER / 1000.0
        filled.append(f"ram_bandwidth_gb_s = {bandwidth:g} (channels x MT/s x 8 / 1000)")
    if bandwidth is None and row.ram_measured_bandwidth_gb_s is not None:
        bandwidth = row.ram_measured_bandwidth_gb_s / STREAM_FRACTION_OF_THEORETICAL
        filled.append(f"ram_bandwidth_gb_s = {bandwidth:g} (measured / {STREAM_FRACTION_OF_THEORETICAL})")
    ram_gb = row.ram_gb
    if ram_gb is None:
        ram_gb = UNSTATED_RAM_GB
        filled.append("ram_gb unstated: capacity not checked (the run fitted)")
    needs_ram = row.placement != "gpu"
    if bandwidth is None:
        bandwidth = 0.0
        if needs_ram:
            reasons.append("RAM bandwidth unknown (no ram_bandwidth_gb_s, channels and MT/s, "
                           "measured bandwidth or catalog CPU)")
    fpc = from_catalog("flop_per_cycle_fp32")
    if fpc is None and row.cpu_model:
        name = row.cpu_model.lower()
        fpc = next((value for pattern, value in CPU_FLOP_PER_CYCLE_BY_NAME if pattern.search(name)), None)
    return {"tflops": tflops or 0.0, "sockets": sockets, "ram_gb": ram_gb,
            "ram_bandwidth_gb_s": bandwidth, "flop_per_cycle": float(fpc or 0.0), "cores": cores or 0}

