"""The worked example of docs/formulas.md: DeepSeek-R1 on the 7-slot board, the request's figures."""

import pytest

from costmodel import CPU, GPU, LLM, RAM, Motherboard, PCBuild


@pytest.fixture
def result():
    board = Motherboard("7 x PCIe 5.0 + 8 DDR5", 1400, ram_slots=8, pcie_slots=7, pcie_gen=5,
                        pcie_gb_s_per_lane=8.0)
    cpu = CPU("Epyc 9543 (as given)", 900, tflops=0.3)
    ram = RAM("DDR5 64 GB", 300, capacity_gb=64, memory_bw_per_module_gbps=35)
    gpu = GPU("RTX 3090", 1100, vram_gb=24, memory_bw_gbps=930, tflops=35)
    r1 = LLM("DeepSeek-R1", 671, 37.55, 17.12, 4 * 7168e-9, 35136e-9, 7168, bits_per_weight=4.82,
             efficiency_factor=0.5, n_layers=61)
    return PCBuild(board, cpu).fill(ram, gpu).performance(r1, 4096)


def test_placement(result):
    # U_g = 24 - 0.7349 = 23.265 GB; D = 10.315 + 0.144 = 10.459 GB; X_gpu = 162.86 - 10.459 = 152.40 GB
    gpu, ram = result["placement"]
    assert gpu["weights_gb"] + gpu["kv_gb"] == pytest.approx(23.265, abs=0.002)
    assert result["experts_gpu_gb"] == pytest.approx(152.40, abs=0.01)
    # X = 653.88e9 * 4.82 / 8 = 393.96 GB; RAM 393.96 - 152.40 = 241.57 GB
    assert ram["weights_gb"] == pytest.approx(241.57, abs=0.01)


def test_decode(result):
    # 7 * 4.676 ms + 167.0 ms (CPU compute) + 0.036 ms (80.81 hops) = 199.8 ms
    assert result["time_per_output_token_s"] == pytest.approx(0.1998, rel=1e-3)
    assert result["decode_tokens_per_s"] == pytest.approx(5.005, rel=1e-3)
    assert result["bottleneck_decode"] == {"device": "cpu", "bound": "compute"}


def test_prefill(result):
    # 12.55 s (7 cards) + 36.06 s (streamed) + 0.148 s (links) = 48.76 s
    assert result["time_to_first_token_s"] == pytest.approx(48.76, rel=1e-3)
    assert result["breakdown_prefill"]["ram_weights"] == "streamed-to-gpu"
    assert result["bottleneck_prefill"] == {"device": "pcie", "bound": "link"}
