"""Checks and conversions for user-supplied arrays."""

from __future__ import annotations

import numpy as np

from layerwise._typing import FloatArray


def _feature_label(index: int, feature_names: np.ndarray | None) -> str:
    if feature_names is not None:
        return f"column {index} ({feature_names[index]!r})"
    return f"column {index}"


def check_finite(array: np.ndarray, name: str, feature_names=None) -> None:
    """Raise ValueError naming the first row and column that is NaN or infinite."""
    finite = np.isfinite(array)
    if finite.all():
        return
    bad = np.argwhere(~finite)[0]
    row = int(bad[0])
    column = _feature_label(int(bad[1]), feature_names) if array.ndim == 2 else None
    where = f"row {row}" + (f", {column}" if column else "")
    raise ValueError(
        f"{name} contains {float(array[tuple(bad)])!r} at {where}; remove or impute "
        "missing and infinite values"
    )


def feature_names_of(X: object) -> np.ndarray | None:
    """Return the column names of a DataFrame whose columns are all strings."""
    columns = getattr(X, "columns", None)
    if columns is None:
        return None
    names = np.asarray(columns, dtype=object)
    if all(isinstance(name, str) for name in names):
        return names
    return None


def check_features(
    X: object,
    dtype: np.dtype,
    n_features: int | None = None,
    allow_empty: bool = False,
    feature_names: np.ndarray | None = None,
) -> FloatArray:
    """Return X as a C-contiguous 2-D array of ``dtype``, without writing to X.

    Raises
    ------
    ValueError
        If X is not 2-D, has no samples (unless ``allow_empty``), is not
        numeric, contains NaN or infinity, or has the wrong number of features.
    """
    try:
        array = np.asarray(X)
    except (TypeError, ValueError) as error:
        raise ValueError(f"X could not be read as a numeric array: {error}") from None
    if array.ndim != 2:
        raise ValueError(
            f"X must be a 2-D array of shape (n_samples, n_features), got shape "
            f"{array.shape}; use X.reshape(-1, 1) for a single feature or "
            "X.reshape(1, -1) for a single sample"
        )
    if array.dtype.kind == "c":
        raise ValueError(
            f"X must be real-valued, got dtype {array.dtype}; pass the real and "
            "imaginary parts as separate features"
        )
    if array.dtype.kind not in "biuf":
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                f"X must be numeric, got dtype {array.dtype}; encode text columns "
                "first (the layerwise command line one-hot encodes them)"
            ) from None
    if array.shape[0] == 0 and not allow_empty:
        raise ValueError(
            f"X has 0 samples (shape {array.shape}); at least one sample is required"
        )
    if array.shape[1] == 0:
        raise ValueError(
            f"X has 0 features (shape {array.shape}); at least one is required"
        )
    if n_features is not None and array.shape[1] != n_features:
        raise ValueError(
            f"X has {array.shape[1]} features, but the model was trained with "
            f"{n_features} features"
        )
    # No copy when X already has the dtype and layout: nothing downstream
    # writes into it, because input scaling returns a new array.
    if array.dtype == dtype and array.flags.c_contiguous:
        result = array
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            result = np.asarray(array, dtype=dtype, order="C")
    if not np.isfinite(result).all():
        _check_cast_overflow(array, result, dtype, feature_names)
        check_finite(result, "X", feature_names)
    return result


def _check_cast_overflow(original, result, dtype, feature_names) -> None:
    """Raise ValueError when a finite input value became infinite in ``dtype``."""
    bad = np.argwhere(~np.isfinite(result))[0]
    value = original[tuple(bad)]
    if np.isfinite(value):
        column = _feature_label(int(bad[1]), feature_names)
        raise ValueError(
            f"X contains {float(value)!r} at row {int(bad[0])}, {column}, which "
            f"overflows {np.dtype(dtype).name}; scale the inputs or use "
            "dtype='float64'"
        )


def check_sample_weight(sample_weight: object, n_samples: int, dtype) -> FloatArray:
    """Return sample weights as a 1-D array, rejecting negative or non-finite values."""
    weight = np.asarray(sample_weight, dtype=dtype).reshape(-1)
    if weight.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight has {weight.shape[0]} entries but X has {n_samples} samples"
        )
    check_finite(weight, "sample_weight")
    if (weight < 0).any():
        index = int(np.argmax(weight < 0))
        raise ValueError(
            f"sample_weight must be non-negative, got {float(weight[index])!r} at "
            f"index {index}"
        )
    if weight.sum() <= 0:
        raise ValueError("sample_weight must have a positive sum, got all zeros")
    return weight


def warn_if_unscaled(X: FloatArray, feature_names=None, ratio: float = 1e3) -> None:
    """Warn when the largest feature magnitude exceeds the smallest by ``ratio``.

    A column's magnitude is its largest absolute value; all-zero columns are
    ignored.
    """
    import warnings

    from layerwise.exceptions import FeatureScaleWarning

    if X.shape[0] == 0:
        return
    # max(|max|, |min|) per column, without an |X|-sized temporary.
    magnitude = np.maximum(np.abs(X.max(axis=0)), np.abs(X.min(axis=0)))
    nonzero = np.flatnonzero(magnitude > 0)
    if len(nonzero) < 2:
        return
    large = nonzero[np.argmax(magnitude[nonzero])]
    small = nonzero[np.argmin(magnitude[nonzero])]
    if magnitude[large] <= ratio * magnitude[small]:
        return
    warnings.warn(
        f"input features differ in scale by a factor of "
        f"{magnitude[large] / magnitude[small]:.3g}: "
        f"{_feature_label(large, feature_names)} reaches {magnitude[large]:.3g} but "
        f"{_feature_label(small, feature_names)} only {magnitude[small]:.3g}; pass "
        "standardize=True or scale the inputs so that training converges",
        FeatureScaleWarning,
        stacklevel=4,
    )
