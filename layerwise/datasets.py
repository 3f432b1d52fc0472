"""Small data sets as pandas DataFrames, each with a named target column.

The bundled sets (digits, iris, wine, breast_cancer, diabetes) ship with
scikit-learn, and moons, circles and sine are generated from a seed, so no set
needs a download.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

#: Name of each data set's target column.
TARGET_COLUMNS = {
    "breast_cancer": "diagnosis",
    "circles": "label",
    "diabetes": "progression",
    "digits": "digit",
    "iris": "species",
    "moons": "label",
    "sine": "y",
    "wine": "cultivar",
}

DATASET_NAMES = tuple(sorted(TARGET_COLUMNS))


def load_dataset(
    name: str, *, n_samples: int = 500, noise: float | None = None, random_state=0
) -> pd.DataFrame:
    """Return the data set ``name`` with its features and target as columns.

    Parameters
    ----------
    name : str
        One of ``DATASET_NAMES``. The target column is ``TARGET_COLUMNS[name]``.
    n_samples : int, default=500
        Rows of the generated sets (moons, circles, sine). The bundled sets
        always have their fixed size: digits 1,797, iris 150, wine 178,
        breast_cancer 569, diabetes 442.
    noise : float or None, default=None
        Standard deviation of the Gaussian noise of the generated sets; None
        uses 0.2 for moons, 0.1 for circles and 0.05 for sine. With 0.05 the
        best R² any model can reach on sine is about 0.995.
    random_state : int or None, default=0
        Seed for the generated sets.

    Returns
    -------
    pandas.DataFrame
        Features first, target last. Targets are integers for digits, wine,
        moons and circles, text for iris (species names) and breast_cancer
        ("malignant" or "benign"), and floats for diabetes and sine.
    """
    if name in _BUNDLED:
        return _BUNDLED[name]()
    if name in _GENERATED:
        return _GENERATED[name](n_samples, noise, random_state)
    raise ValueError(
        f"unknown data set {name!r}; expected one of {list(DATASET_NAMES)}"
    )


def _bundled_frame(loader: Callable, target: str, labels: bool) -> pd.DataFrame:
    bunch = loader(as_frame=True)
    frame = bunch.data.copy()
    values = bunch.target.to_numpy()
    if labels:
        values = np.asarray(bunch.target_names)[values]
    frame[target] = values
    return frame


def _load_digits() -> pd.DataFrame:
    from sklearn.datasets import load_digits

    return _bundled_frame(load_digits, TARGET_COLUMNS["digits"], labels=False)


def _load_iris() -> pd.DataFrame:
    from sklearn.datasets import load_iris

    return _bundled_frame(load_iris, TARGET_COLUMNS["iris"], labels=True)


def _load_wine() -> pd.DataFrame:
    from sklearn.datasets import load_wine

    return _bundled_frame(load_wine, TARGET_COLUMNS["wine"], labels=False)


def _load_breast_cancer() -> pd.DataFrame:
    from sklearn.datasets import load_breast_cancer

    return _bundled_frame(
        load_breast_cancer, TARGET_COLUMNS["breast_cancer"], labels=True
    )


def _load_diabetes() -> pd.DataFrame:
    from sklearn.datasets import load_diabetes

    # scaled=False keeps age, BMI and blood pressure in their original units.
    return _bundled_frame(
        lambda as_frame: load_diabetes(as_frame=as_frame, scaled=False),
        TARGET_COLUMNS["diabetes"],
        labels=False,
    )


def _make_moons(n_samples: int, noise: float | None, random_state) -> pd.DataFrame:
    from sklearn.datasets import make_moons

    X, y = make_moons(
        n_samples, noise=0.2 if noise is None else noise, random_state=random_state
    )
    return pd.DataFrame({"x1": X[:, 0], "x2": X[:, 1], "label": y})


def _make_circles(n_samples: int, noise: float | None, random_state) -> pd.DataFrame:
    from sklearn.datasets import make_circles

    X, y = make_circles(
        n_samples,
        noise=0.1 if noise is None else noise,
        factor=0.5,
        random_state=random_state,
    )
    return pd.DataFrame({"x1": X[:, 0], "x2": X[:, 1], "label": y})


def _make_sine(n_samples: int, noise: float | None, random_state) -> pd.DataFrame:
    """Return y = sin(x) + ε with x uniform on [−3, 3] and ε ~ N(0, noise²)."""
    rng = np.random.default_rng(random_state)
    x = rng.uniform(-3.0, 3.0, n_samples)
    y = np.sin(x) + rng.normal(0.0, 0.05 if noise is None else noise, n_samples)
    return pd.DataFrame({"x": x, "y": y})


_GENERATED = {"circles": _make_circles, "moons": _make_moons, "sine": _make_sine}
_BUNDLED = {
    "breast_cancer": _load_breast_cancer,
    "diabetes": _load_diabetes,
    "digits": _load_digits,
    "iris": _load_iris,
    "wine": _load_wine,
}
