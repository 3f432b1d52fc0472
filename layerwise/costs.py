"""Cost functions C and their gradients ∂C/∂A.

Arrays are (n_outputs, N): one column per sample. Every cost is the mean of a
per-sample cost C_i over the N samples (or a weighted mean, when sample
weights are given). ``gradient`` returns the per-sample gradient ∂C_i/∂A,
without the 1/N factor, because the layers apply 1/N when they form dW and dB.

Binary and categorical cross-entropy also have a form computed from the
output layer's pre-activation Z (the logits). A network whose output layer
pairs sigmoid with binary cross-entropy, or softmax with categorical
cross-entropy, uses that form: it cannot overflow or take log(0) for any
finite Z, and its gradient ∂C_i/∂Z is simply A − Y.
"""

from __future__ import annotations

import abc
from typing import ClassVar

import numpy as np

from layerwise._typing import FloatArray


def _weighted_mean(per_sample: FloatArray, sample_weight: FloatArray | None) -> float:
    if sample_weight is None:
        return float(np.add.reduce(per_sample)) / per_sample.shape[0]
    return float(np.dot(per_sample, sample_weight) / np.sum(sample_weight))


def _apply_sample_weight(
    gradient: FloatArray, sample_weight: FloatArray | None
) -> FloatArray:
    """Scale column i by N·w_i / Σw so that the layers' 1/N gives a weighted mean."""
    if sample_weight is not None:
        n_samples = gradient.shape[1]
        gradient *= sample_weight * (n_samples / np.sum(sample_weight))
    return gradient


class Cost(abc.ABC):
    """A cost C(A^[L], Y), averaged over the samples (the columns).

    A subclass that changes ``per_sample`` (or ``per_sample_from_logits``)
    must change ``per_sample_gradient`` (or ``gradient_from_logits``) to
    match, because training uses the gradient and reports the cost.
    """

    name: ClassVar[str]
    fused_activation: ClassVar[str | None] = None
    """Name of the output activation whose pre-activation form this cost has."""
    divergence_factor: ClassVar[float] = 100.0
    """How many times the zero-output cost a batch cost may reach before
    training counts as diverged (see ``training.DivergenceGuard``)."""

    def zero_output_cost(
        self, Y: FloatArray, sample_weight: FloatArray | None = None
    ) -> float:
        """Return C for an output layer whose pre-activation is zero everywhere."""
        Z = np.zeros_like(Y, dtype=np.float64)
        if self.fused_activation is not None:
            return self.cost_from_logits(Z, Y, sample_weight)
        return self.cost(Z, Y, sample_weight)

    @abc.abstractmethod
    def per_sample(self, A: FloatArray, Y: FloatArray) -> FloatArray:
        """Return C_i for each sample, shape (N,)."""

    @abc.abstractmethod
    def per_sample_gradient(self, A: FloatArray, Y: FloatArray, out=None) -> FloatArray:
        """Return ∂C_i/∂A for each sample, shape (n_outputs, N)."""

    def cost(
        self, A: FloatArray, Y: FloatArray, sample_weight: FloatArray | None = None
    ) -> float:
        """Return C, the (weighted) mean of the per-sample costs."""
        return _weighted_mean(self.per_sample(A, Y), sample_weight)

    def gradient(
        self,
        A: FloatArray,
        Y: FloatArray,
        sample_weight: FloatArray | None = None,
        out: FloatArray | None = None,
    ) -> FloatArray:
        """Return N·∂C/∂A, the per-sample gradients with sample weights applied."""
        return _apply_sample_weight(self.per_sample_gradient(A, Y, out), sample_weight)

    def per_sample_from_logits(self, Z: FloatArray, Y: FloatArray) -> FloatArray:
        """Return C_i computed from the output pre-activation Z."""
        raise NotImplementedError(f"{self.name} has no pre-activation form")

    def cost_from_logits(
        self, Z: FloatArray, Y: FloatArray, sample_weight: FloatArray | None = None
    ) -> float:
        """Return C computed from the output pre-activation Z."""
        return _weighted_mean(self.per_sample_from_logits(Z, Y), sample_weight)

    def gradient_from_logits(
        self,
        A: FloatArray,
        Y: FloatArray,
        sample_weight: FloatArray | None = None,
        out: FloatArray | None = None,
    ) -> FloatArray:
        """Return N·∂C/∂Z for the fused output activation, given A = g(Z)."""
        raise NotImplementedError(f"{self.name} has no pre-activation form")

    def get_config(self) -> dict[str, object]:
        """Return the arguments that rebuild this cost."""
        return {"name": self.name}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class MeanSquaredError(Cost):
    """C_i = (1/M)·Σ_j (ŷ_j − y_j)² over the M outputs, so ∂C_i/∂ŷ = (2/M)·(ŷ − y)."""

    name = "mean_squared_error"
    # Squared error grows with the square of the output error, so 1e4 times
    # the zero-output cost means outputs about 100 times further off.
    divergence_factor = 1e4

    def per_sample(self, A, Y):
        residual = A - Y
        return np.mean(residual * residual, axis=0)

    def per_sample_gradient(self, A, Y, out=None):
        n_outputs = A.shape[0]
        out = np.subtract(A, Y, out=out)
        out *= 2.0 / n_outputs
        return out


def log_sum_exp(Z: FloatArray) -> FloatArray:
    """Return log Σ_j e^(Z_j) for each column, shape (1, N), without overflow.

    The column maximum is subtracted before ``exp``. This is SciPy's
    ``logsumexp`` for real input, written out because SciPy's version costs
    more in Python overhead than the arithmetic for a small batch.
    """
    Z_max = np.maximum.reduce(Z, axis=0, keepdims=True)
    shifted = np.exp(Z - Z_max)
    return np.log(np.add.reduce(shifted, axis=0, keepdims=True)) + Z_max


def _clip_probability(A: FloatArray) -> FloatArray:
    eps = np.finfo(A.dtype).eps
    return np.clip(A, eps, 1 - eps)


class BinaryCrossEntropy(Cost):
    """C_i = −Σ_j [y_j·log ŷ_j + (1 − y_j)·log(1 − ŷ_j)], summed over outputs.

    Each output is an independent Bernoulli probability, so a multi-label
    target adds one term per label. From the logit z the same cost is
    max(z, 0) − y·z + log(1 + e^(−|z|)) and ∂C_i/∂z = σ(z) − y.
    """

    name = "binary_cross_entropy"
    fused_activation = "sigmoid"

    def per_sample(self, A, Y):
        P = _clip_probability(A)
        return -np.sum(Y * np.log(P) + (1 - Y) * np.log1p(-P), axis=0)

    def per_sample_gradient(self, A, Y, out=None):
        P = _clip_probability(A)
        return np.divide(P - Y, P * (1 - P), out=out)

    def per_sample_from_logits(self, Z, Y):
        softplus = np.maximum(Z, 0) + np.log1p(np.exp(-np.abs(Z)))
        return np.sum(softplus - Y * Z, axis=0)

    def gradient_from_logits(self, A, Y, sample_weight=None, out=None):
        out = np.subtract(A, Y, out=out)
        return _apply_sample_weight(out, sample_weight)


class CategoricalCrossEntropy(Cost):
    """C_i = −Σ_j y_j·log ŷ_j over the classes, with one-hot (or soft) targets.

    From the logits Z the same cost is Σ_j y_j·(logsumexp(Z) − Z_j), and
    ∂C_i/∂Z = ŷ·Σ_j y_j − y, which is ŷ − y for targets that sum to one.
    """

    name = "categorical_cross_entropy"
    fused_activation = "softmax"

    def per_sample(self, A, Y):
        return -np.sum(Y * np.log(_clip_probability(A)), axis=0)

    def per_sample_gradient(self, A, Y, out=None):
        return np.divide(-Y, _clip_probability(A), out=out)

    def per_sample_from_logits(self, Z, Y, log_normalizer=None):
        if log_normalizer is None:
            log_normalizer = log_sum_exp(Z)
        return np.add.reduce(Y * (log_normalizer - Z), axis=0)

    def cost_from_logits(self, Z, Y, sample_weight=None, log_normalizer=None):
        """Return C from Z; ``log_normalizer`` is log Σ_k e^(Z_k) if known."""
        if (
            type(self).per_sample_from_logits
            is not CategoricalCrossEntropy.per_sample_from_logits
        ):
            # A subclass with its own per-sample cost (label smoothing, say).
            return super().cost_from_logits(Z, Y, sample_weight)
        if log_normalizer is None:
            log_normalizer = log_sum_exp(Z)
        terms = Y * (log_normalizer - Z)
        if sample_weight is None:
            # One reduction over all terms instead of one per column and a mean.
            return float(np.add.reduce(terms, axis=None)) / Z.shape[1]
        return _weighted_mean(np.add.reduce(terms, axis=0), sample_weight)

    def gradient_from_logits(self, A, Y, sample_weight=None, out=None):
        out = np.multiply(A, np.add.reduce(Y, axis=0, keepdims=True), out=out)
        out -= Y
        return _apply_sample_weight(out, sample_weight)


COSTS: dict[str, type[Cost]] = {
    cls.name: cls
    for cls in (MeanSquaredError, BinaryCrossEntropy, CategoricalCrossEntropy)
}
_ALIASES = {
    "mse": "mean_squared_error",
    "squared_error": "mean_squared_error",
    "bce": "binary_cross_entropy",
    "log_loss": "binary_cross_entropy",
    "cce": "categorical_cross_entropy",
    "cross_entropy": "categorical_cross_entropy",
}


def get_cost(cost: str | Cost | dict) -> Cost:
    """Return a cost instance from a name, a config dict or an instance.

    Parameters
    ----------
    cost : str, dict or Cost
        ``"mean_squared_error"`` (alias ``"mse"``), ``"binary_cross_entropy"``
        (``"bce"``) or ``"categorical_cross_entropy"`` (``"cce"``), a dict
        from ``Cost.get_config``, or an instance, returned unchanged.

    Raises
    ------
    ValueError
        If the name is unknown.
    """
    if isinstance(cost, Cost):
        return cost
    name = cost.get("name") if isinstance(cost, dict) else cost
    if isinstance(name, str):
        key = _ALIASES.get(name.lower(), name.lower())
        if key in COSTS:
            return COSTS[key]()
    raise ValueError(
        f"unknown cost {name!r}; expected one of {sorted(COSTS)} "
        f"or an alias in {sorted(_ALIASES)}"
    )
