"""Attention work that grows with context. docs/formulas.md, section The context-squared term."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def attended_positions_sum(start_tokens: ArrayLike, count_tokens: ArrayLike,
                           window_tokens: int = 0) -> NDArray[np.float64]:
    """Sum over the new tokens t = s .. s+n-1 of the positions each attends to, min(t + 1, W).

    Full attention (W = 0): sum_{t=s}^{s+n-1} (t + 1) = n*s + n*(n + 1)/2, which is where a prompt's
    attention cost grows with the square of its length.
    Window W: tokens below position W - 1 attend t + 1 positions, later ones attend W.
    Parameters: s tokens already cached [tokens], n new tokens [tokens], W window [tokens].
    """
    s = np.asarray(start_tokens, dtype=np.float64)
    n = np.asarray(count_tokens, dtype=np.float64)
    full = n * s + n * (n + 1.0) / 2.0
    if window_tokens <= 0:
        return full
    w = float(window_tokens)
    # tokens t with t + 1 <= W, i.e. t <= W - 1, among s..s+n-1
    ramp_end = np.clip(w - s, 0.0, n)  # how many new tokens are still inside the ramp
    ramp = ramp_end * s + ramp_end * (ramp_end + 1.0) / 2.0
    return ramp + (n - ramp_end) * w


def attention_flops(flops_per_position_per_layer: float, positions_full: ArrayLike,
                    positions_window: ArrayLike, n_layers: int, n_window_layers: int
                    ) -> NDArray[np.float64]:
    """Attention FLOPs over all layers [FLOP].

    F_attn = a * [(L - L_w) * P_full + L_w * P_window]

    a: FLOPs per attended position per layer: GQA 4 * n_h * d_head (q.k and a.v, 2 FLOPs per
    multiply-add); MLA prefill 2 * n_h * (d_nope + d_rope + d_v); MLA decode with absorbed weights
    2 * n_h * (2 * r_kv + d_rope). P_full, P_window: attended positions (attended_positions_sum).
    """
    return flops_per_position_per_layer * (
        (n_layers - n_window_layers) * np.asarray(positions_full, dtype=np.float64)
        + n_window_layers * np.asarray(positions_window, dtype=np.float64)
    )
