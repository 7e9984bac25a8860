"""The request's own code runs unchanged, and the public API stays pinned."""

import costmodel
from costmodel import CPU, GPU, LLM, RAM, Motherboard, PCBuild

REQUEST_FIELDS = {
    "Buyable": ["name", "price"],
    "Motherboard": ["name", "price", "ram_slots", "pcie_slots", "pcie_gen"],
    "RAM": ["name", "price", "capacity_gb", "memory_bw_per_module_gbps"],
    "GPU": ["name", "price", "vram_gb", "memory_bw_gbps", "tflops"],
    "CPU": ["name", "price", "tflops"],
    "LLM": ["name", "total_parameters", "active_parameters_per_token",
            "always_active_parameters_per_token", "activations_size_per_token",
            "kvcache_size_per_user_token", "hidden_dim", "bits_per_weight", "efficiency_factor"],
}


def test_request_fields_come_first_in_order():
    from dataclasses import fields
    for cls_name, names in REQUEST_FIELDS.items():
        got = [f.name for f in fields(getattr(costmodel, cls_name))][: len(names)]
        assert got == names, cls_name
    assert costmodel.Motherboard.__dataclass_fields__["pcie_gen"].default == 5
    assert costmodel.LLM.__dataclass_fields__["bits_per_weight"].default == 5
    assert costmodel.LLM.__dataclass_fields__["efficiency_factor"].default == 0.5


def test_request_example_runs_unchanged():
    rtx_3090 = GPU(name="RTX 3090", price=1100, vram_gb=24, memory_bw_gbps=930, tflops=35)
    epyc = CPU(name="Epyc 9543", price=900, tflops=0.3)
    ddr5 = RAM(name="DDR5 ECC 64GB", price=300, capacity_gb=64, memory_bw_per_module_gbps=35)
    board_7 = Motherboard(name="7x PCIe5, 8x DDR5", price=1400, ram_slots=8, pcie_slots=7)
    board_4 = Motherboard(name="4x PCIe5, 12x DDR5", price=1000, ram_slots=12, pcie_slots=4)
    mixtral = LLM(name="Mixtral 8x22B", total_parameters=141, active_parameters_per_token=39,
                  always_active_parameters_per_token=5.3, activations_size_per_token=0.0000246,
                  kvcache_size_per_user_token=0.000115, hidden_dim=6144)
    for board in (board_7, board_4):
        build = PCBuild(motherboard=board, cpu=epyc).fill(ram=ddr5, gpu=rtx_3090)
        perf = build.performance(mixtral, context_length=4096, kv_cache_bpw=1)
        assert perf["fits"]
        assert perf["decode_tokens_per_s"] > 0 and perf["prefill_tokens_per_s"] > 0
        assert set(perf) >= {"fits", "reason", "prefill_tokens_per_s", "time_to_first_token_s",
                             "decode_tokens_per_s", "time_per_output_token_s", "placement",
                             "bottleneck_prefill", "bottleneck_decode", "breakdown_prefill",
                             "breakdown_decode"}
    # 7 * 1100 + 900 + 8 * 300 + 1400 = 12,400 USD; 4 * 1100 + 900 + 12 * 300 + 1000 = 9,900 USD
    assert PCBuild(board_7, epyc).fill(ddr5, rtx_3090).price() == 12400
    assert PCBuild(board_4, epyc).fill(ddr5, rtx_3090).price() == 9900
    assert PCBuild().price() == 0


def test_public_api_is_pinned():
    assert sorted(costmodel.__all__) == sorted([
        "CPU", "GPU", "KV_CACHE_TYPES", "LLM", "PLACEMENTS", "RAM", "SPLITS", "BuildArrays",
        "Buyable", "EngineProfile", "Estimate", "InputError", "ModelArch", "ModelSpec",
        "Motherboard", "PCBuild", "ParamCounts", "Quantization", "Workload", "count_params",
        "evaluate", "pcie_link_gb_per_s", "spec_from_arch"])
