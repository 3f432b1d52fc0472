"""Encoding of targets into output-layer arrays, and decoding of predictions."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from layerwise._typing import FloatArray
from layerwise._validation import check_finite

TASKS = ("auto", "classification", "regression")


@dataclass
class TargetEncoder:
    """The mapping of targets to output neurons and back.

    Attributes
    ----------
    kind : {"binary", "multiclass", "multilabel", "regression"}
        ``binary`` uses one output (the probability of ``classes[1]``),
        ``multiclass`` one output per class (one-hot), ``multilabel`` one
        independent 0/1 output per column, ``regression`` one output per target.
    classes : ndarray or None
        The sorted class labels, for the two single-label classification kinds.
    n_outputs : int
        n_L, the number of output neurons.
    target_ndim : int
        1 when the training targets had shape (n,), 2 for (n, k); regression
        predictions take the same shape.
    target_mean, target_scale : ndarray of shape (n_outputs,) or None
        For standardised regression targets: the network learns
        (y − target_mean) / target_scale, and ``decode`` undoes it.
    """

    kind: str
    classes: np.ndarray | None
    n_outputs: int
    target_ndim: int
    target_mean: np.ndarray | None = None
    target_scale: np.ndarray | None = None

    @property
    def is_classifier(self) -> bool:
        return self.kind != "regression"

    def encode(self, y: object, dtype: np.dtype) -> FloatArray:
        """Return the targets as an array of shape (n_samples, n_outputs)."""
        y = np.asarray(y)
        if self.kind == "regression":
            Y = np.asarray(y, dtype=dtype).reshape(len(y), -1)
            if Y.shape[1] != self.n_outputs:
                raise ValueError(
                    f"y has {Y.shape[1]} target columns, but the model was trained "
                    f"with {self.n_outputs}"
                )
            check_finite(Y, "y")
            if self.target_mean is not None:
                Y = (Y - self.target_mean) / self.target_scale
            return np.ascontiguousarray(Y, dtype=dtype)
        if self.kind == "multilabel":
            return _check_indicator(y, self.n_outputs).astype(dtype)
        if y.ndim == 2 and y.shape[1] == len(self.classes) and len(self.classes) > 2:
            y = np.argmax(_check_indicator(y, self.n_outputs), axis=1)
        y = _as_label_vector(y)
        indices = np.searchsorted(self.classes, y)
        indices = np.clip(indices, 0, len(self.classes) - 1)
        unknown = self.classes[indices] != y
        if unknown.any():
            raise ValueError(
                f"y contains label {y[np.argmax(unknown)].item()!r}, which is not "
                f"one of the classes seen in training: {self.classes.tolist()}"
            )
        if self.kind == "binary":
            return indices.reshape(-1, 1).astype(dtype)
        Y = np.zeros((len(y), len(self.classes)), dtype=dtype)
        Y[np.arange(len(y)), indices] = 1
        return Y

    def probabilities(self, A: FloatArray) -> FloatArray:
        """Return class probabilities of shape (n_samples, n_classes) from outputs."""
        if self.kind == "binary":
            return np.hstack([1 - A, A])
        return A

    def decode(self, A: FloatArray) -> np.ndarray:
        """Return predictions in the original target values from outputs A (rows)."""
        if self.kind == "regression":
            if self.target_mean is not None:
                scale = self.target_scale.astype(A.dtype)
                A = A * scale + self.target_mean.astype(A.dtype)
            return A[:, 0].copy() if self.target_ndim == 1 else A
        if self.kind == "multilabel":
            return (A > 0.5).astype(np.int64)
        if self.kind == "binary":
            return self.classes[(A[:, 0] > 0.5).astype(np.intp)]
        return self.classes[np.argmax(A, axis=1)]

    def get_config(self) -> dict[str, object]:
        classes = None if self.classes is None else self.classes.tolist()
        return {
            "kind": self.kind,
            "classes": classes,
            "classes_dtype": None if self.classes is None else self.classes.dtype.str,
            "n_outputs": self.n_outputs,
            "target_ndim": self.target_ndim,
            "target_mean": _float_list(self.target_mean),
            "target_scale": _float_list(self.target_scale),
        }

    @classmethod
    def from_config(cls, config: dict) -> TargetEncoder:
        classes = config["classes"]
        if classes is not None:
            dtype_text = config["classes_dtype"]
            if not isinstance(dtype_text, str) or not re.fullmatch(
                r"[<>|=]?[biuf]\d{1,2}|[<>|=]?U\d{1,6}", dtype_text
            ):
                raise ValueError(f"unsupported class label dtype {dtype_text!r}")
            classes = np.asarray(classes, dtype=np.dtype(dtype_text))
        mean, scale = config.get("target_mean"), config.get("target_scale")
        if (mean is None) != (scale is None):
            raise ValueError("target_mean and target_scale must be given together")
        if mean is not None:
            mean = np.asarray(mean, dtype=np.float64).reshape(-1)
            scale = np.asarray(scale, dtype=np.float64).reshape(-1)
            n_outputs = config["n_outputs"]
            if mean.shape != (n_outputs,) or scale.shape != (n_outputs,):
                raise ValueError(f"target scaling must have {n_outputs} entries")
            if not (np.isfinite(mean).all() and np.isfinite(scale).all()):
                raise ValueError("target scaling must be finite")
            if (scale <= 0).any():
                raise ValueError("target_scale must be positive")
        return cls(
            config["kind"],
            classes,
            config["n_outputs"],
            config["target_ndim"],
            mean,
            scale,
        )


def _float_list(values: np.ndarray | None) -> list[float] | None:
    """Return float64 values as a list that JSON stores without losing bits."""
    return None if values is None else [float(value) for value in values]


def _as_label_vector(y: np.ndarray) -> np.ndarray:
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(
            f"class labels must have shape (n_samples,), got shape {y.shape}; pass a "
            "0/1 indicator matrix of integers for multi-label targets"
        )
    if y.dtype.kind == "f":
        check_finite(y, "y")
    if y.dtype.kind == "O":
        if any(value is None or value != value for value in y):
            raise ValueError("y contains a missing label (None or NaN)")
        y = y.astype(str) if all(isinstance(v, str) for v in y) else y
    return y


def _check_indicator(y: np.ndarray, n_outputs: int | None = None) -> np.ndarray:
    if y.ndim != 2 or not np.isin(y, (0, 1)).all():
        raise ValueError(
            f"multi-label targets must be a 0/1 matrix of shape (n_samples, n_labels), "
            f"got shape {y.shape}"
        )
    if n_outputs is not None and y.shape[1] != n_outputs:
        raise ValueError(
            f"y has {y.shape[1]} label columns, but the model was trained "
            f"with {n_outputs}"
        )
    return y


def infer_task(y: np.ndarray, cost_name: str | None) -> str:
    """Return "classification" or "regression" from the cost, else from y's dtype.

    Floating-point targets mean regression; integers, booleans and text mean
    classification.
    """
    if cost_name in ("binary_cross_entropy", "categorical_cross_entropy"):
        return "classification"
    if cost_name == "mean_squared_error":
        return "regression"
    return "regression" if y.dtype.kind in "fc" else "classification"


def fit_target_encoder(
    y: object,
    task: str,
    cost_name: str | None,
    classes: object = None,
    standardize_targets: bool = False,
) -> TargetEncoder:
    """Choose the encoding for targets ``y`` and the task (``"auto"`` infers it).

    ``classes`` declares every class label up front, as ``partial_fit`` needs;
    it implies classification.
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {list(TASKS)}, got {task!r}")
    y = np.asarray(y)
    if y.ndim not in (1, 2) or y.shape[0] == 0:
        raise ValueError(
            f"y must have shape (n_samples,) or (n_samples, n_outputs) with at least "
            f"one sample, got shape {y.shape}"
        )
    if task == "auto":
        task = "classification" if classes is not None else infer_task(y, cost_name)
    if task == "regression":
        if y.dtype.kind not in "biuf":
            raise ValueError(
                f"regression targets must be numeric, got dtype {y.dtype}; use "
                "task='classification' for text labels"
            )
        n_outputs = 1 if y.ndim == 1 else y.shape[1]
        encoder = TargetEncoder("regression", None, n_outputs, y.ndim)
        if standardize_targets:
            values = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
            check_finite(values, "y")
            std = values.std(axis=0)
            encoder.target_mean = values.mean(axis=0)
            encoder.target_scale = np.where(std > 0, std, 1.0)
        return encoder
    if y.ndim == 2 and y.shape[1] > 1:
        _check_indicator(y)
        if cost_name == "categorical_cross_entropy":
            return _one_hot_encoder(y)
        return TargetEncoder("multilabel", None, y.shape[1], 2)
    labels = _as_label_vector(y)
    if classes is None:
        classes = np.unique(labels)
    else:
        classes = np.unique(_as_label_vector(np.asarray(classes)))
        unknown = np.setdiff1d(np.unique(labels), classes)
        if len(unknown):
            raise ValueError(
                f"y contains label {unknown[0]!r}, which is not in classes="
                f"{classes.tolist()}"
            )
    if len(classes) < 2:
        raise ValueError(
            "classification needs at least two classes in y, got only "
            f"{classes.tolist()}"
        )
    if len(classes) == 2:
        return TargetEncoder("binary", classes, 1, 1)
    return TargetEncoder("multiclass", classes, len(classes), 1)


def _one_hot_encoder(Y: np.ndarray) -> TargetEncoder:
    """Treat a one-hot matrix as class indices 0..k−1, for categorical cross-entropy."""
    rows = Y.sum(axis=1)
    if not (rows == 1).all():
        row = int(np.argmax(rows != 1))
        raise ValueError(
            f"categorical cross-entropy needs exactly one 1 per row of a one-hot y, "
            f"but row {row} has {int(rows[row])}; pass class labels of shape "
            "(n_samples,) instead, or use binary cross-entropy for multi-label targets"
        )
    return TargetEncoder("multiclass", np.arange(Y.shape[1]), Y.shape[1], 1)
