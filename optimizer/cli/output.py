"""Rich tables of estimates, builds and upgrade steps, each within 80 columns."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rich import box
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from ..parts import Part
from ..result import FoundBuild
from .common import fmt_seconds, fmt_speed, fmt_usd

BOX = box.SIMPLE_HEAD


def _table(*columns: str, title: str | None = None, right_from: int = 1) -> Table:
    table = Table(box=BOX, title=title, title_justify="left", title_style="bold", pad_edge=False,
                  show_edge=False)
    for i, column in enumerate(columns):
        table.add_column(column, justify="right" if i >= right_from else "left")
    return table


def bottleneck_text(b: Mapping[str, str] | None) -> str:
    return "-" if not b else f"{b['device']} ({b['bound']})"


def device_labels(devices: Sequence[Mapping[str, Any]]) -> list[str]:
    """'rtx-3090 x3'; a second group of the same card (slots with a slower link) gets
    '(slower link)'; the CPU row 'cpu (RAM weights)', the RAM row 'ram'."""
    seen: set[str] = set()
    labels = []
    for d in devices:
        name = d["device"]
        if name in ("ram", "cpu"):
            labels.append("cpu (RAM weights)" if name == "cpu" else "ram")
            continue
        label = f"{name} x{d['count']}" + (" (slower link)" if name in seen else "")
        seen.add(name)
        labels.append(label)
    return labels


def placement_table(report: Mapping[str, Any]) -> Table:
    """Per device group: weights, KV cache and free memory of one card, GB."""
    table = _table("device", "weights GB", "KV GB", "free GB", title="Where the weights go (per card)")
    for label, d in zip(device_labels(report["placement"]), report["placement"], strict=True):
        table.add_row(label, f"{d['weights_gb']:,.1f}", f"{d['kv_gb']:,.1f}", f"{d['free_gb']:,.1f}")
    return table


def placement_note(report: Mapping[str, Any]) -> str:
    return (f"layers on GPUs {report['layers_on_gpu_frac']:.0%} · routed experts: "
            f"{report['experts_gpu_gb']:,.1f} GB in VRAM, {report['experts_ram_gb']:,.1f} GB in RAM")


def _range_text(report: Mapping[str, Any], key: str, fmt) -> str:
    """'low - high' of report[key + '_range'] given as [low, high] or {low, high}."""
    value = report.get(f"{key}_range")
    if isinstance(value, Mapping):
        value = [value.get("low", value.get("min")), value.get("high", value.get("max"))]
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        return ""
    return f"{fmt(value[0])} - {fmt(value[1])}"


def speeds_table(report: Mapping[str, Any]) -> Table:
    """Prefill and decode side by side: speed, time, bottleneck (and a range when reported)."""
    table = _table("", "prefill", "decode", title="Speed")
    table.add_row("tokens/s", fmt_speed(report["prefill_tokens_per_s"]),
                  fmt_speed(report["decode_tokens_per_s"]))
    pre_range = _range_text(report, "prefill_tokens_per_s", fmt_speed)
    dec_range = _range_text(report, "decode_tokens_per_s", fmt_speed)
    if pre_range or dec_range:
        table.add_row("range", pre_range or "-", dec_range or "-")
    ttft_range = _range_text(report, "time_to_first_token_s", fmt_seconds)
    table.add_row("time", f"TTFT {fmt_seconds(report['time_to_first_token_s'])}",
                  f"{fmt_seconds(report['time_per_output_token_s'])}/token")
    if ttft_range:
        table.add_row("TTFT range", ttft_range, "")
    table.add_row("bottleneck", bottleneck_text(report["bottleneck_prefill"]),
                  bottleneck_text(report["bottleneck_decode"]))
    return table


def breakdown_table(report: Mapping[str, Any]) -> Table:
    """Where the time of one prompt (s) and one output token (ms) goes."""
    pre, dec = report["breakdown_prefill"], report["breakdown_decode"]
    table = _table("component", "prefill s", "decode ms", "bound pre/dec",
                   title="Time breakdown (one card of each group)")
    labels = device_labels(pre["devices"])
    for label, p, d in zip(labels, pre["devices"], dec["devices"], strict=True):
        table.add_row(label, f"{p['time_s']:,.2f}", f"{d['time_s'] * 1e3:,.2f}",
                      f"{p['bound']}/{d['bound']}")
    table.add_row("all GPUs (in turn)", f"{pre['gpus_s']:,.2f}", f"{dec['gpus_s'] * 1e3:,.2f}", "")
    if pre["ram_weights"] == "streamed-to-gpu" or dec["ram_weights"] == "streamed-to-gpu":
        table.add_row("RAM weights streamed", f"{pre['stream_s']:,.2f}", f"{dec['stream_s'] * 1e3:,.2f}", "")
    table.add_row("links", f"{pre['link_s']:,.2f}", f"{dec['link_s'] * 1e3:,.2f}", "")
    table.add_row("fixed overhead", f"{pre['overhead_s']:,.2f}", f"{dec['overhead_s'] * 1e3:,.2f}", "")
    table.add_row("total", f"{pre['total_s']:,.2f}", f"{dec['total_s'] * 1e3:,.2f}", "")
    return table


def sweep_table(rows: Sequence[Mapping[str, Any]]) -> Table:
    """Speed against context: one row per context."""
    table = _table("context", "prompt", "fits", "prefill t/s", "TTFT", "decode t/s", "decode bound",
                   "GPU layers", title="Speed vs context")
    for r in rows:
        fits = r["fits"]
        table.add_row(f"{r['context_tokens']:,}", f"{r['prompt_tokens']:,}", "yes" if fits else "no",
                      fmt_speed(r["prefill_tokens_per_s"]), fmt_seconds(r["time_to_first_token_s"]),
                      fmt_speed(r["decode_tokens_per_s"]),
                      bottleneck_text(r["bottleneck_decode"]) if fits else r["reason"][:18],
                      f"{r['layers_on_gpu_frac']:.0%}")
    return table


def parts_table(parts: Sequence[Part], title: str = "Parts") -> Table:
    """Parts with unit price and line total; owned parts cost nothing."""
    table = _table("kind", "part", "count", "owned", "unit USD", "total USD", title=title, right_from=2)
    total = 0.0
    for p in parts:
        cost = p.cost_usd
        total += cost
        table.add_row(p.kind, p.id, str(p.count), str(p.owned) if p.owned else "",
                      fmt_usd(p.unit_price_usd, cents=True), fmt_usd(cost, cents=True))
    table.add_section()
    table.add_row("total", "", "", "", "", fmt_usd(total, cents=True))
    return table


def build_text(b: FoundBuild) -> str:
    """Compact parts list, GPUs first: '4x rtx-3090, 12x ddr5-..., epyc-9534, h13ssl-n'."""
    order = {"gpu": 0, "ram": 1, "cpu": 2, "board": 3}
    parts = sorted(b.parts, key=lambda p: order.get(p.kind, 4))
    return ", ".join(p.id if p.count == 1 else f"{p.count}x {p.id}" for p in parts)


def builds_table(builds: Iterable[FoundBuild], title: str, start: int = 1,
                 labels: Sequence[str] | None = None) -> Table:
    """Builds with price and speeds, numbered from `start` (or labelled)."""
    table = _table("#", "USD", "decode t/s", "prefill t/s", "build", title=title, right_from=1)
    table.columns[-1].justify = "left"
    for i, b in enumerate(builds, start=start):
        label = labels[i - start] if labels else str(i)
        table.add_row(label, fmt_usd(b.price_usd), fmt_speed(b.decode_tokens_per_s),
                      fmt_speed(b.prefill_tokens_per_s), build_text(b))
    return table


def steps_table(steps: Sequence[Any], title: str = "Upgrade steps (one at a time)") -> Table:
    """upgrades.Step rows: what it adds, its price and the decode speed it buys."""
    table = _table("step", "+USD", "decode", "+t/s", "t/s per 1k USD", title=title)
    for s in steps:
        per_k = s.tokens_per_s_per_1000_usd
        delta = s.delta_decode_tokens_per_s
        table.add_row(s.description, fmt_usd(s.added_usd), fmt_speed(s.decode_tokens_per_s),
                      "-" if delta is None else f"{delta:+.2f}",
                      "-" if per_k is None or not math.isfinite(per_k) else f"{per_k:.2f}")
    return table


def print_lines(con: Console, title: str, lines: Sequence[str]) -> None:
    """A bold title and indented lines (wrapped lines keep the indent)."""
    if lines:
        con.print()
        con.print(f"[bold]{title}[/bold]")
        for line in lines:
            con.print(Padding(Text(line), (0, 0, 0, 2), expand=False))


def section(con: Console, renderable: Any) -> None:
    """A blank line, then a table."""
    con.print()
    con.print(renderable)


def short_notices(notices: list[str]) -> list[str]:
    """'skipped 12 gpu rows without a price: a, b, ...' -> first ids only (--verbose: all)."""
    out = []
    for n in notices:
        head, sep, ids = n.partition(": ")
        names = ids.split(", ")
        out.append(n if not sep or len(names) <= 4 else f"{head}: {', '.join(names[:4])}, ...")
    return out
