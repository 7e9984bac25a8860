"""KV-cache size. docs/formulas.md, section KV cache."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def cached_positions(context_tokens: ArrayLike, n_layers: int, n_window_layers: int,
                     window_tokens: int) -> NDArray[np.float64]:
    """Token positions held in the cache, summed over layers [layer-tokens].

    positions(C) = (L - L_w) * C + L_w * min(C, W)

    Full-attention layers keep every token; sliding-window layers keep the last W.
    Parameters: C context [tokens], L layers, L_w sliding-window layers, W window [tokens].
    """
    c = np.asarray(context_tokens, dtype=np.float64)
    if n_window_layers == 0:
        return (n_layers * c).astype(np.float64)
    return (n_layers - n_window_layers) * c + n_window_layers * np.minimum(c, window_tokens)


def kv_cache_bytes(context_tokens: ArrayLike, kv_elements_per_token_per_layer: float,
                   bytes_per_element: float, n_layers: int, n_window_layers: int = 0,
                   window_tokens: int = 0) -> NDArray[np.float64]:
    """KV-cache bytes of one sequence of C tokens [bytes].

    bytes(C) = e * q_kv * positions(C)

    e: elements per token per layer; GQA 2 * n_kv * d_head (one key and one value vector per KV
    head), MLA r_kv + d_rope (the compressed latent and the decoupled RoPE key, as llama.cpp and
    ik_llama.cpp cache them). q_kv: bytes per element (2 f16, 1.0625 q8_0, 0.5625 q4_0).
    Source: models.md, Formulas (KV cache); DeepSeek-V2 paper, section 2.1.
    """
    return kv_elements_per_token_per_layer * bytes_per_element * cached_positions(
        context_tokens, n_layers, n_window_layers, window_tokens
    )
