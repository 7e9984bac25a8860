"""Which routed experts a batch of tokens touches. docs/formulas.md, section Expert coverage."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def touched_expert_fraction(tokens: ArrayLike, experts_per_token: float,
                            n_routed_experts: float) -> NDArray[np.float64]:
    """Expected share of a layer's routed experts used by at least one of u tokens.

    touched(u) = 1 - (1 - k/E)^u

    Each token picks k of E experts; with routing taken as uniform and independent between tokens
    (the request: 'assume selection is random'), an expert is missed by one token with probability
    1 - k/E and by all u tokens with (1 - k/E)^u. Parameters: u tokens, k experts per token,
    E routed experts. A dense model (E = 0) returns 0.
    """
    u = np.asarray(tokens, dtype=np.float64)
    if n_routed_experts <= 0:
        return np.zeros_like(u)
    return 1.0 - np.power(1.0 - experts_per_token / n_routed_experts, u)
