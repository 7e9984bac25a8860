"""The request's second question: the two example motherboards filled with RTX 3090s and DDR5,
with the EPYC CPU, for Mixtral 8x22B, Qwen3 235B-A22B and DeepSeek R1 at several context lengths.

Table 1 uses the request's figures as given; table 2 datasheet figures; table 3 datasheet figures
with the calibrated llama.cpp engine profile instead of one efficiency of 0.5.

    python scripts/seed_examples.py

Assumptions added (prices are the request's round figures, not catalog rows): 64 GB DDR5 ECC RDIMM
at 300 USD, RTX 3090 at 1,100 USD, CPU at 900 USD, boards at 1,400 USD (7 slots) and 1,000 USD
(4 slots); models at Q4_K_M (catalogs/models.toml bits per tensor class); KV cache q8_0-like at
1 byte per element (the request's default kv_cache_bpw=1); a prompt as long as the context.
"""

from __future__ import annotations

from catalogs import find_quant, load_catalog
from costmodel import CPU, GPU, LLM, RAM, Motherboard, PCBuild, count_params

MODELS = (("mixtral-8x22b", "Mixtral 8x22B"), ("qwen3-235b-a22b", "Qwen3 235B-A22B"),
          ("deepseek-v3", "DeepSeek R1"))
CONTEXTS = (4096, 32768, 131072)
QUANT = "Q4_K_M"

REQUEST_PARTS = {
    "gpu": GPU("RTX 3090", 1100, vram_gb=24, memory_bw_gbps=930, tflops=35),
    "cpu": CPU("Epyc 9543 (as given)", 900, tflops=0.3),
    "ram": RAM("DDR5 ECC 64 GB", 300, capacity_gb=64, memory_bw_per_module_gbps=35),
    # "PCIe Gen 5 speed is 64 GB/s per 8 lanes": 8 GB/s per lane as stated
    "boards": (Motherboard("7 x PCIe5, 8 x DDR5", 1400, ram_slots=8, pcie_slots=7, pcie_gb_s_per_lane=8.0),
               Motherboard("4 x PCIe5, 12 x DDR5", 1000, ram_slots=12, pcie_slots=4, pcie_gb_s_per_lane=8.0)),
}
# Datasheet figures (catalogs/gpus.toml rtx-3090, cpus.toml epyc-9534, ram.toml DDR5-4800):
# RTX 3090 936.2 GB/s, 71.2 TFLOPS dense FP16 tensor with FP32 accumulate, PCIe 4.0 x16;
# EPYC 9534 64 cores x 2.45 GHz x 32 FLOP/cycle = 5.02 TFLOPS, 12 channels of DDR5-4800;
# DDR5-4800 RDIMM 4800 MT/s x 8 B = 38.4 GB/s; PCIe 5.0 slots at 3.938 GB/s per lane.
DATASHEET_PARTS = {
    "gpu": GPU("RTX 3090", 1100, vram_gb=24, memory_bw_gbps=936.2, tflops=71.2, pcie_gen=4),
    "cpu": CPU("EPYC 9534", 900, tflops=64 * 2.45 * 32 / 1000, cores=64, flop_per_cycle=32,
               memory_channels=12, ccd_count=8,
               fclk_ghz=1.8),
    "ram": RAM("DDR5-4800 RDIMM 64 GB", 300, capacity_gb=64, memory_bw_per_module_gbps=38.4),
    "boards": (Motherboard("7 x PCIe5, 8 x DDR5", 1400, ram_slots=8, pcie_slots=7, memory_channels=8),
               Motherboard("4 x PCIe5, 12 x DDR5", 1000, ram_slots=12, pcie_slots=4, memory_channels=12)),
}


def models() -> list[LLM]:
    """The three models as the request's LLM, with the catalog architecture attached."""
    catalog = load_catalog()
    out = []
    for model_id, label in MODELS:
        arch = catalog.model(model_id)
        counts = count_params(arch)
        quant = find_quant(arch, QUANT)
        out.append(LLM(
            name=label, total_parameters=counts.total / 1e9,
            active_parameters_per_token=counts.active_per_token / 1e9,
            always_active_parameters_per_token=counts.always_active / 1e9,
            activations_size_per_token=4 * arch.hidden_size / 1e9,
            kvcache_size_per_user_token=0.0, hidden_dim=arch.hidden_size,
            bits_per_weight=quant.expert_bits_per_weight, arch=arch, quant=quant))
    return out


HEADER = (f"{'model':<16}{'ctx':>5} {'board':<7}{'USD':>6} {'GPU GB':>6} {'RAM GB':>6} "
          f"{'pp t/s':>7} {'TTFT s':>7} {'tg t/s':>6}  bottleneck")


def table(title: str, parts: dict, engine: str | None) -> None:
    print(title)
    print(HEADER)
    print("-" * len(HEADER))
    for llm in models():
        for context in CONTEXTS:
            if context > llm.arch.max_context_tokens:
                continue
            for board in parts["boards"]:
                build = PCBuild(board, parts["cpu"]).fill(parts["ram"], parts["gpu"])
                r = build.performance(llm, context, kv_cache_bpw=1, engine=engine)
                short = f"{board.pcie_slots}x{board.ram_slots}"
                ctx = f"{context // 1024}k"
                if not r["fits"]:
                    print(f"{llm.name:<16}{ctx:>5} {short:<7}{build.price():>6.0f}  does not fit: {r['reason']}")
                    continue
                gpu_gb = sum((d["weights_gb"] + d["kv_gb"]) * d["count"] for d in r["placement"][:-1])
                ram_gb = r["placement"][-1]["weights_gb"] + r["placement"][-1]["kv_gb"]
                b = r["bottleneck_decode"]
                print(f"{llm.name:<16}{ctx:>5} {short:<7}{build.price():>6.0f} {gpu_gb:>6.0f} {ram_gb:>6.0f} "
                      f"{r['prefill_tokens_per_s']:>7.1f} {r['time_to_first_token_s']:>7.1f} "
                      f"{r['decode_tokens_per_s']:>6.2f}  {b['device']} {b['bound']}")
    print()


def main() -> None:
    table("Table 1: the request's figures as given (efficiency 0.5 everywhere)", REQUEST_PARTS, None)
    table("Table 2: datasheet figures (efficiency 0.5 everywhere)", DATASHEET_PARTS, None)
    table("Table 3: datasheet figures, calibrated llama.cpp profile (catalogs/engines.toml)",
          DATASHEET_PARTS, "llama.cpp")


if __name__ == "__main__":
    main()
