"""Weight initialisers: functions that draw W^[l] of shape (n_l, n_{l−1}).

Every initialiser takes the model's own ``numpy.random.Generator`` so that a
seed fixes the draw and NumPy's global random state is never used. Biases
always start at zero.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from layerwise._typing import FloatArray

Initializer = Callable[[np.random.Generator, tuple[int, int], np.dtype], FloatArray]


def small_random(rng, shape, dtype):
    """Draw from N(0, 0.01²): small values centred on zero."""
    return (0.01 * rng.standard_normal(shape)).astype(dtype)


def glorot_uniform(rng, shape, dtype):
    """Draw from U(−a, a) with a = √(6 / (fan_in + fan_out)).

    References: Glorot and Bengio, "Understanding the difficulty of training
    deep feedforward neural networks", AISTATS 2010.
    """
    fan_out, fan_in = shape
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape).astype(dtype)


def glorot_normal(rng, shape, dtype):
    """Draw from N(0, σ²) with σ = √(2 / (fan_in + fan_out)) (Glorot, 2010)."""
    fan_out, fan_in = shape
    std = np.sqrt(2.0 / (fan_in + fan_out))
    return (std * rng.standard_normal(shape)).astype(dtype)


def he_uniform(rng, shape, dtype):
    """Draw from U(−a, a) with a = √(6 / fan_in).

    References: He et al., "Delving Deep into Rectifiers", ICCV 2015.
    """
    fan_in = shape[1]
    limit = np.sqrt(6.0 / fan_in)
    return rng.uniform(-limit, limit, shape).astype(dtype)


def he_normal(rng, shape, dtype):
    """Draw from N(0, σ²) with σ = √(2 / fan_in) (He et al., 2015)."""
    fan_in = shape[1]
    std = np.sqrt(2.0 / fan_in)
    return (std * rng.standard_normal(shape)).astype(dtype)


INITIALIZERS: dict[str, Initializer] = {
    "small_random": small_random,
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
}
_ALIASES = {
    "random": "small_random",
    "xavier_uniform": "glorot_uniform",
    "xavier_normal": "glorot_normal",
    "kaiming_uniform": "he_uniform",
    "kaiming_normal": "he_normal",
}


def default_initializer(activation_name: str) -> str:
    """Return He initialisation for rectifiers and Glorot for the rest."""
    return (
        "he_uniform" if activation_name in ("relu", "leaky_relu") else "glorot_uniform"
    )


def get_initializer(name: str) -> Initializer:
    """Return the initialiser registered under ``name`` (or one of its aliases).

    Raises
    ------
    ValueError
        If the name is unknown.
    """
    if isinstance(name, str):
        key = _ALIASES.get(name.lower(), name.lower())
        if key in INITIALIZERS:
            return INITIALIZERS[key]
    raise ValueError(
        f"unknown initializer {name!r}; expected one of {sorted(INITIALIZERS)} "
        f"or an alias in {sorted(_ALIASES)}"
    )


def canonical_initializer_name(name: str) -> str:
    """Return the registered name for ``name``, resolving aliases."""
    get_initializer(name)
    return _ALIASES.get(name.lower(), name.lower())
