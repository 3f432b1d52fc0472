"""Fixtures shared by the whole test suite."""

import os

import numpy as np
import pytest
from hypothesis import settings


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


# CI runs every hypothesis test with a fixed sequence of examples, so a CI run
# fails only when the code changes. Local runs draw new examples each time.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
