"""Small hand-checkable models and builds shared by the cost-model tests."""

from costmodel import CPU, GPU, LLM, RAM, Motherboard, PCBuild


def moe_llm(**changes) -> LLM:
    """P = 44 B, A = 14 B, S = 4 B, 2 of 8 experts (k/E = (14 - 4)/(44 - 4) = 0.25), 4 bits per weight:
    always-active 4e9 * 4/8 = 2 GB, routed 40e9 * 4/8 = 20 GB. No KV cache, 40 layers, H = 4096."""
    fields = dict(name="toy-moe", total_parameters=44, active_parameters_per_token=14,
                  always_active_parameters_per_token=4, activations_size_per_token=0,
                  kvcache_size_per_user_token=0, hidden_dim=4096, bits_per_weight=4,
                  efficiency_factor=0.5, n_layers=40, n_routed_experts=8, experts_per_token=2)
    fields.update(changes)
    return LLM(**fields)


def build(n_gpus: int, *, pcie_gen: int = 4, ram_modules: int = 8, cpu_tflops: float = 2.0,
          gpu: GPU | None = None) -> PCBuild:
    """n_gpus cards of 24 GB, 1000 GB/s, 100 TFLOPS on PCIe `pcie_gen` x16; modules of 32 GB at 40 GB/s."""
    board = Motherboard("board", 1000, ram_slots=ram_modules, pcie_slots=n_gpus, pcie_gen=pcie_gen)
    cpu = CPU("cpu", 500, tflops=cpu_tflops)
    ram = RAM("ram", 100, capacity_gb=32, memory_bw_per_module_gbps=40)
    card = gpu or GPU("gpu", 800, vram_gb=24, memory_bw_gbps=1000, tflops=100)
    return PCBuild(board, cpu).fill(ram, card)
