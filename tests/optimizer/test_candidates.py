"""The vectorized enumeration builds exactly the hardware the one-build parts path computes."""

import numpy as np
import pytest

from catalogs import load_catalog
from costmodel.validation import InputError
from optimizer.candidates import board_blocks
from optimizer.parts import BuildParts, build_arrays


@pytest.mark.parametrize("board", ["supermicro-h13ssl-n", "asrock-rack-genoad8x-2t", "asrock-rack-romed8-2t"])
def test_block_rows_equal_parts_path(board):
    catalog = load_catalog()
    rng = np.random.default_rng(0)
    blocks = list(board_blocks(board, ["rtx-3090", "rtx-5090", "p40"], catalog, {}, 8, True))
    assert blocks
    for block in blocks:
        for i in rng.integers(0, block.hw.n_builds, 25):
            parts = block.parts(int(i))
            hw, _, counts = build_arrays(parts, catalog)
            g = hw.gpu_count.shape[1]
            row = block.hw.rows(slice(int(i), int(i) + 1))
            # same cards, same per-card specs and links, group by group (zero-count groups padded)
            assert sorted(c for c in counts if c) == sorted(int(c) for c in row.gpu_count[0] if c)
            np.testing.assert_allclose(sorted(hw.gpu_link_gb_s[0][hw.gpu_count[0] > 0]),
                                       sorted(row.gpu_link_gb_s[0][row.gpu_count[0] > 0]))
            assert g >= 1
            np.testing.assert_allclose(hw.ram_bandwidth_gb_s, row.ram_bandwidth_gb_s)
            np.testing.assert_allclose(hw.ram_gb, row.ram_gb)
            np.testing.assert_allclose(hw.cpu_tflops, row.cpu_tflops)
            price = sum(p.cost_usd for p in parts.parts(catalog))
            assert price == pytest.approx(block.price_usd[i])


def test_two_dimms_per_channel_lowers_speed():
    catalog = load_catalog()
    # MZ33-style derate: 12 channels; 24 modules run at max_mt_s_2dpc or 0.75 x the 1DPC speed
    board = next(b for b, r in catalog.rows["board"].items() if r["dimm_slots"] > r["memory_channels"]
                 and r["socket"] == "sp5" and r["sockets"] == 1)
    one = build_arrays(BuildParts(board, "epyc-9534", (), "ddr5-4800-rdimm-64gb", 12), catalog)[0]
    two = build_arrays(BuildParts(board, "epyc-9534", (), "ddr5-4800-rdimm-64gb", 24), catalog)[0]
    assert two.ram_bandwidth_gb_s[0] < one.ram_bandwidth_gb_s[0]
    assert two.ram_gb[0] == 2 * one.ram_gb[0]


def test_incompatible_parts_are_named():
    catalog = load_catalog()
    with pytest.raises(InputError, match="--cpu 'epyc-7543'.*does not fit board 'supermicro-h13ssl-n'"):
        build_arrays(BuildParts("supermicro-h13ssl-n", "epyc-7543", (), "ddr5-4800-rdimm-64gb", 12), catalog)
