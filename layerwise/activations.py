"""Activation functions g and the products g'(Z) ⊙ dA used by backpropagation.

Arrays follow the layer notation: ``Z`` and ``A`` have shape (n_l, N), one
column per sample, so softmax normalises over axis 0.
"""

from __future__ import annotations

import abc
from typing import ClassVar

import numpy as np
from scipy import special

from layerwise._typing import FloatArray


class Activation(abc.ABC):
    """An element-wise (or column-wise, for softmax) function A = g(Z)."""

    name: ClassVar[str]

    @abc.abstractmethod
    def forward(self, Z: FloatArray, out: FloatArray | None = None) -> FloatArray:
        """Return A = g(Z), written into ``out`` when it is given."""

    @abc.abstractmethod
    def backward(
        self,
        Z: FloatArray,
        A: FloatArray,
        dA: FloatArray,
        out: FloatArray | None = None,
    ) -> FloatArray:
        """Return dZ = ∂C/∂Z from dA = ∂C/∂A, written into ``out`` when given.

        For element-wise activations this is g'(Z) ⊙ dA. ``A`` must equal
        g(Z); activations whose derivative is cheaper from A use it.
        """

    def release_batch_arrays(self) -> None:  # noqa: B027 (most keep nothing)
        """Drop values kept from the last ``forward`` call, if any."""

    def get_config(self) -> dict[str, object]:
        """Return the constructor arguments that rebuild this activation."""
        return {"name": self.name}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.get_config() == self.get_config()

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.get_config().items())))


class Identity(Activation):
    """g(z) = z, g'(z) = 1."""

    name = "identity"

    def forward(self, Z, out=None):
        if out is None:
            return Z.copy()
        np.copyto(out, Z)
        return out

    def backward(self, Z, A, dA, out=None):
        if out is None:
            return dA.copy()
        np.copyto(out, dA)
        return out


class Sigmoid(Activation):
    """g(z) = 1 / (1 + e^(−z)), g'(z) = g(z)·(1 − g(z)).

    SciPy's ``expit`` returns exactly 0 or 1 for large |z| without overflow.
    """

    name = "sigmoid"

    def forward(self, Z, out=None):
        return special.expit(Z, out=out)

    def backward(self, Z, A, dA, out=None):
        if out is None:
            out = np.empty_like(dA)
        np.subtract(1, A, out=out)
        out *= A
        out *= dA
        return out


class Tanh(Activation):
    """g(z) = tanh(z), g'(z) = 1 − tanh(z)²."""

    name = "tanh"

    def forward(self, Z, out=None):
        return np.tanh(Z, out=out)

    def backward(self, Z, A, dA, out=None):
        if out is None:
            out = np.empty_like(dA)
        np.multiply(A, A, out=out)
        np.subtract(1, out, out=out)
        out *= dA
        return out


class ReLU(Activation):
    """g(z) = max(z, 0), g'(z) = 1 for z > 0 and 0 otherwise (0 at z = 0)."""

    name = "relu"

    def forward(self, Z, out=None):
        return np.maximum(Z, 0, out=out)

    def backward(self, Z, A, dA, out=None):
        # sign(A) is 1 where Z > 0 and 0 elsewhere, because A = max(Z, 0); it
        # gives the derivative without allocating a boolean mask.
        out = np.sign(A, out=out)
        out *= dA
        return out


class LeakyReLU(Activation):
    """g(z) = z for z > 0 and negative_slope·z otherwise.

    g'(z) = 1 for z > 0 and ``negative_slope`` otherwise (including z = 0).
    """

    name = "leaky_relu"

    def __init__(self, negative_slope: float = 0.01) -> None:
        if not 0 <= negative_slope < 1:
            raise ValueError(
                f"negative_slope must be in [0, 1), got {negative_slope!r}; "
                "the common choice is 0.01"
            )
        self.negative_slope = float(negative_slope)

    def forward(self, Z, out=None):
        # For 0 ≤ slope < 1, max(z, slope·z) is z when z > 0 and slope·z otherwise.
        out = np.multiply(Z, self.negative_slope, out=out)
        return np.maximum(Z, out, out=out)

    def backward(self, Z, A, dA, out=None):
        if out is None:
            out = np.empty_like(dA)
        np.greater(Z, 0, out=out)
        out *= 1 - self.negative_slope
        out += self.negative_slope
        out *= dA
        return out

    def get_config(self):
        return {"name": self.name, "negative_slope": self.negative_slope}

    def __repr__(self) -> str:
        return f"LeakyReLU(negative_slope={self.negative_slope})"


class Softmax(Activation):
    """g(Z)_j = e^(Z_j) / Σ_k e^(Z_k), over the n_l neurons of each column.

    The column maximum is subtracted before ``exp`` so that no finite input
    overflows. The backward product is the Jacobian-vector product
    dZ = A ⊙ (dA − Σ_k A_k·dA_k).
    """

    name = "softmax"

    def forward(self, Z, out=None):
        if out is None:
            out = np.empty_like(Z)
        Z_max = np.maximum.reduce(Z, axis=0, keepdims=True)
        np.subtract(Z, Z_max, out=out)
        np.exp(out, out=out)
        total = np.add.reduce(out, axis=0, keepdims=True)
        out /= total
        # log Σ_k e^(Z_k) = max + log Σ_k e^(Z_k − max) costs two steps on one
        # row here; the cross-entropy from logits needs it.
        np.log(total, out=total)
        total += Z_max
        self._log_normalizer = (Z, total)
        return out

    def log_normalizer(self, Z: FloatArray) -> FloatArray | None:
        """Return log Σ_k e^(Z_k) per column, shape (1, N), from the last ``forward``.

        Returns None unless that call was on Z itself, so that the caller
        computes the value where this one does not apply.
        """
        source, value = getattr(self, "_log_normalizer", (None, None))
        return value if source is Z else None

    def release_batch_arrays(self) -> None:
        self.__dict__.pop("_log_normalizer", None)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_log_normalizer", None)  # a per-batch value, not a setting
        return state

    def backward(self, Z, A, dA, out=None):
        if out is None:
            out = np.empty_like(dA)
        np.multiply(A, dA, out=out)
        weighted_sum = out.sum(axis=0, keepdims=True)
        np.subtract(dA, weighted_sum, out=out)
        out *= A
        return out


ACTIVATIONS: dict[str, type[Activation]] = {
    cls.name: cls for cls in (Identity, Sigmoid, Tanh, ReLU, LeakyReLU, Softmax)
}
_ALIASES = {"linear": "identity", "logistic": "sigmoid"}


def get_activation(activation: str | Activation | dict) -> Activation:
    """Return an activation instance from a name, a config dict or an instance.

    Parameters
    ----------
    activation : str, dict or Activation
        One of ``"identity"``, ``"sigmoid"``, ``"tanh"``, ``"relu"``,
        ``"leaky_relu"``, ``"softmax"`` (``"linear"`` and ``"logistic"`` are
        accepted as aliases), a dict from ``Activation.get_config``, or an
        instance, which is returned unchanged.

    Raises
    ------
    ValueError
        If the name is unknown.
    """
    if isinstance(activation, Activation):
        return activation
    if isinstance(activation, dict):
        config = dict(activation)
        name = config.pop("name", None)
        return _lookup(name)(**config)
    return _lookup(activation)()


def _lookup(name: object) -> type[Activation]:
    if isinstance(name, str):
        key = _ALIASES.get(name.lower(), name.lower())
        if key in ACTIVATIONS:
            return ACTIVATIONS[key]
    raise ValueError(
        f"unknown activation {name!r}; expected one of {sorted(ACTIVATIONS)}"
    )
