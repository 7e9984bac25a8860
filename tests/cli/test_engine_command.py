"""The llama-server command line realizing an estimated placement (pure function)."""

from __future__ import annotations

import pytest

from catalogs import load_catalog
from costmodel.validation import InputError
from optimizer.engine_command import (
    engine_command,
    format_command,
    moe_layer_indices,
    moe_layers_in_ram,
    n_cpu_moe_argument,
)


def report(cards: list[tuple[str, int, float, float]], *, gpu_experts: float, ram_experts: float,
           frac: float = 1.0) -> dict:
    """A report with only the keys the command reads: per-card weights and KV, expert split."""
    placement = [{"device": d, "count": n, "weights_gb": w, "kv_gb": kv, "free_gb": 0.0}
                 for d, n, w, kv in cards]
    placement.append({"device": "ram", "count": 1, "weights_gb": ram_experts, "kv_gb": 0.0,
                      "free_gb": 100.0})
    return {"placement": placement, "experts_gpu_gb": gpu_experts, "experts_ram_gb": ram_experts,
            "layers_on_gpu_frac": frac, "fits": True}


@pytest.fixture(scope="module")
def deepseek():
    return load_catalog().model("deepseek-v3")


@pytest.fixture(scope="module")
def qwen():
    return load_catalog().model("qwen3-235b-a22b")


def test_known_placement_llama_cpp(qwen):
    # Qwen3-235B: 94 MoE layers, no dense layer. Experts 80 GB in VRAM, 120 GB in RAM:
    # N = round(94 x 120 / 200) = round(56.4) = 56 -> --n-cpu-moe 56 (layers 0..55).
    # Cards: 3 of 22 + 2 GB and one of 10 + 2 GB -> --tensor-split 24,24,24,12.
    r = report([("rtx-3090", 3, 22.0, 2.0), ("rtx-3060-12gb", 1, 10.0, 2.0)],
               gpu_experts=80.0, ram_experts=120.0)
    argv = engine_command(qwen, r, engine="llama.cpp", model_file="qwen.gguf", context_tokens=32768,
                          ubatch_tokens=512, kv_cache="q8_0", threads=64)
    assert " ".join(argv) == (
        "llama-server -m qwen.gguf -c 32768 -ngl 999 --tensor-split 24,24,24,12 --split-mode layer "
        "--n-cpu-moe 56 -ub 512 -b 2048 -ctk q8_0 -ctv q8_0 -fa on -t 64")


def test_ik_llama_all_experts_in_ram_mla(deepseek):
    r = report([("rtx-3090", 2, 20.0, 1.0)], gpu_experts=0.0, ram_experts=380.0)
    argv = engine_command(deepseek, r, engine="ik_llama.cpp", model_file="ds.gguf", context_tokens=8192,
                          ubatch_tokens=4096, kv_cache="f16", threads=32, split="tensor")
    text = " ".join(argv)
    assert "-ot exps=CPU" in text and "--cpu-moe" not in text
    assert "--tensor-split 1,1 --split-mode row" in text
    assert "-ub 4096 -b 4096" in text  # -b = max(ub, 2048)
    assert "-fmoe" in text and "-mla 3" in text and text.endswith("-t 32")


def test_dense_layers_lead_in_n_cpu_moe(deepseek):
    # DeepSeek-V3: layers 0-2 dense, 58 MoE layers; 10 MoE layers in RAM -> layers 0..12.
    assert moe_layer_indices(61, 3)[:2] == [3, 4]
    assert n_cpu_moe_argument(10, deepseek) == 13
    assert n_cpu_moe_argument(0, deepseek) == 0
    r = report([("rtx-3090", 1, 20.0, 1.0)], gpu_experts=0.0, ram_experts=10.0)
    argv = engine_command(deepseek, r, engine="llama.cpp", model_file="m.gguf", context_tokens=4096,
                          ubatch_tokens=512, kv_cache="f16", threads=8, placement="n-cpu-moe", n_cpu_moe=10)
    assert argv[argv.index("--n-cpu-moe") + 1] == "13"


def test_interleaved_moe_layers():
    # Llama 4 Maverick: 48 layers, 24 dense, MoE on the odd layers.
    assert moe_layer_indices(48, 24)[:3] == [1, 3, 5]
    assert moe_layer_indices(10, 0) == list(range(10))


def test_expert_share_rounding():
    r = report([("g", 1, 1.0, 0.0)], gpu_experts=25.0, ram_experts=75.0)
    assert moe_layers_in_ram(r, 94) == 70  # 94 x 0.75 = 70.5 -> 70 (round half to even)
    assert moe_layers_in_ram(report([], gpu_experts=0.0, ram_experts=0.0), 94) == 0


def test_partial_offload_and_cpu_only(qwen):
    r = report([("rtx-3090", 1, 23.0, 0.5)], gpu_experts=0.0, ram_experts=120.0, frac=0.25)
    argv = engine_command(qwen, r, engine="llama.cpp", model_file="m.gguf", context_tokens=4096,
                          ubatch_tokens=512, kv_cache="f16", threads=8)
    assert argv[argv.index("-ngl") + 1] == "24"  # floor(0.25 x 94 + 0.5) = 24
    assert "--cpu-moe" in argv and "--tensor-split" not in argv
    cpu = engine_command(qwen, report([], gpu_experts=0.0, ram_experts=120.0, frac=0.0),
                         engine="llama.cpp", model_file="m.gguf", context_tokens=4096,
                         ubatch_tokens=512, kv_cache="f16", threads=8, placement="cpu")
    assert cpu[cpu.index("-ngl") + 1] == "0" and "--cpu-moe" not in cpu


def test_gpu_placement_keeps_experts_on_gpu(qwen):
    r = report([("h100", 2, 70.0, 2.0)], gpu_experts=120.0, ram_experts=0.0)
    argv = engine_command(qwen, r, engine="llama.cpp", model_file="m.gguf", context_tokens=4096,
                          ubatch_tokens=512, kv_cache="f16", threads=8, placement="gpu")
    assert "--n-cpu-moe" not in argv and "--cpu-moe" not in argv and "-ot" not in argv


def test_engine_without_command_is_refused(qwen):
    with pytest.raises(InputError, match="ktransformers.*allowed: llama.cpp, ik_llama.cpp"):
        engine_command(qwen, report([], gpu_experts=0, ram_experts=1), engine="ktransformers",
                       model_file="m", context_tokens=1, ubatch_tokens=1, kv_cache="f16", threads=1)


def test_format_command_wraps_and_keeps_pairs():
    argv = ["llama-server", "-m", "a model.gguf", "-c", "8192", "--tensor-split", "1,1,1,1,1,1,1,1",
            "--n-cpu-moe", "45", "-ub", "512", "-b", "2048", "-ctk", "f16", "-ctv", "f16", "-fa", "on",
            "-t", "16"]
    text = format_command(argv)
    lines = text.split(" \\\n")
    assert all(len(line) <= 80 for line in lines)
    assert "-m 'a model.gguf'" in text  # quoted for the shell, kept with its option
    assert not any(line.strip().startswith(("8192", "45", "on")) for line in lines)
