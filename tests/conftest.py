"""Fixtures shared by the whole test suite."""

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def raise_floating_point_errors():
    """Turn NumPy's divide-by-zero, overflow and invalid-value warnings into errors.

    Underflow stays ignored, as in NumPy's default settings, because rounding
    e^(−2000) to 0 is the correct result in softmax and in the logistic cost.
    """
    with np.errstate(all="raise", under="ignore"):
        yield


@pytest.fixture
def rng():
    """Return a NumPy generator with a fixed seed, so every run draws the same data."""
    return np.random.default_rng(20240607)
