"""Build rules of catalogs.compat on hand-written rows, with the arithmetic in comments."""

import pytest

from catalogs.compat import (
    BASE_SYSTEM_W,
    cpu_fits_board,
    effective_module_gb_s,
    effective_mt_s,
    power_w,
    ram_fits_board,
    slot_links_gb_s,
    usable_gpu_slots,
)
from costmodel import InputError

BOARD = {
    "id": "board", "socket": "sp5", "sockets": 1, "memory_type": "ddr5", "module_kinds": ["rdimm"],
    "dimm_slots": 24, "memory_channels": 12, "max_mt_s_1dpc": 4800,
    "pcie_slots": [{"gen": 4, "lanes": 16}, {"gen": 5, "lanes": 8}, {"gen": 5, "lanes": 16}],
}
CPU = {"id": "cpu", "socket": "SP5", "memory_type": "ddr5", "memory_mt_s": 6000, "tdp_w": 280.0}
RAM = {"id": "ram", "memory_type": "ddr5", "module_kind": "rdimm", "mt_s": 5600}
GPU4 = {"id": "gpu4", "pcie_gen": 4, "pcie_lanes": 16, "slot_width": 3, "tdp_w": 350.0}
GPU5 = {"id": "gpu5", "pcie_gen": 5, "pcie_lanes": 16, "slot_width": 1, "tdp_w": 300.0}


def test_cpu_fits_board_on_socket_memory_type_and_socket_count():
    assert cpu_fits_board(CPU, BOARD)  # socket compared case-insensitively
    assert not cpu_fits_board({**CPU, "socket": "sp3"}, BOARD)
    assert not cpu_fits_board({**CPU, "memory_type": "ddr4"}, BOARD)
    assert not cpu_fits_board({**CPU, "sockets": 2}, BOARD)
    assert cpu_fits_board({**CPU, "sockets": 2}, {**BOARD, "sockets": 2})


def test_ram_fits_board_on_memory_type_and_module_kind():
    assert ram_fits_board(RAM, BOARD)
    assert not ram_fits_board({**RAM, "module_kind": "udimm"}, BOARD)
    assert not ram_fits_board({**RAM, "memory_type": "ddr4"}, BOARD)


def test_speed_is_the_slowest_of_module_cpu_and_board():
    assert effective_mt_s(RAM, CPU, BOARD, 12) == 4800  # min(5600, 6000, 4800)
    assert effective_mt_s(RAM, {**CPU, "memory_mt_s": 4400}, BOARD, 8) == 4400
    board = {k: v for k, v in BOARD.items() if k != "max_mt_s_1dpc"}
    assert effective_mt_s(RAM, CPU, board, 12) == 5600


def test_two_dimms_per_channel_use_the_board_limit():
    board = {**BOARD, "max_mt_s_2dpc": 4400}
    assert effective_mt_s(RAM, CPU, board, 12) == 4800  # 12 modules on 12 channels: 1DPC
    assert effective_mt_s(RAM, CPU, board, 13) == 4400
    slow = {**RAM, "mt_s": 4000}
    assert effective_mt_s(slow, CPU, board, 24) == 4000  # never faster than the module


def test_two_dimms_per_channel_default_derate():
    # Genoa: 4800 x 0.75 = 3600 MT/s; x 8 B / 1000 = 28.8 GB/s per module
    assert effective_mt_s(RAM, CPU, BOARD, 24) == pytest.approx(3600)
    assert effective_module_gb_s(RAM, CPU, BOARD, 24) == pytest.approx(28.8)
    assert effective_module_gb_s(RAM, CPU, BOARD, 12) == pytest.approx(38.4)  # 4800 x 8 / 1000


@pytest.mark.parametrize("n_modules", [0, 25])
def test_module_count_outside_the_slots_is_an_error(n_modules):
    with pytest.raises(InputError, match=f"board 'board': n_modules = {n_modules} is out of range; "
                                         "allowed: 1 <= value <= 24"):
        effective_mt_s(RAM, CPU, BOARD, n_modules)


def test_usable_slots_and_double_width_limit():
    assert usable_gpu_slots(BOARD, GPU4) == 3
    limited = {**BOARD, "double_width_gpu_slots": 2}
    assert usable_gpu_slots(limited, GPU4) == 2  # 3-slot card
    assert usable_gpu_slots(limited, GPU5) == 3  # single-slot card


def test_links_use_lower_gen_and_fewer_lanes_best_slots_first():
    # Gen4 card: 4.0 x16 = 31.5 in the 5x16 and 4x16 slots, 4.0 x8 = 15.75 in the 5x8 slot
    assert slot_links_gb_s(BOARD, GPU4, 3) == pytest.approx([31.504, 31.504, 15.752])
    # Gen5 card: 5.0 x16 = 63.0, then 4.0 x16 = 31.5 and 5.0 x8 = 31.5
    assert slot_links_gb_s(BOARD, GPU5, 2) == pytest.approx([63.008, 31.504])
    assert slot_links_gb_s(BOARD, GPU5, 0) == []


def test_more_cards_than_usable_slots_is_an_error():
    limited = {**BOARD, "double_width_gpu_slots": 2}
    with pytest.raises(InputError, match="board 'board': 3 x 'gpu4' is out of range; allowed: "
                                         "0 <= count <= 2"):
        slot_links_gb_s(limited, GPU4, 3)


def test_power_is_tdp_sum_plus_base():
    # 2 x 350 + 1 x 300 + 280 + 100 = 1380 W
    assert power_w([(GPU4, 2), (GPU5, 1)], CPU) == 1380
    assert power_w([], CPU, cpu_count=2) == 2 * 280 + BASE_SYSTEM_W
