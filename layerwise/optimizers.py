"""Optimizers: rules that update the parameters in place from their gradients."""

from __future__ import annotations

import abc
from collections.abc import Sequence

import numpy as np

from layerwise._typing import FloatArray


def _check_learning_rate(learning_rate: float) -> float:
    if (
        isinstance(learning_rate, bool)
        or not np.isfinite(learning_rate)
        or learning_rate <= 0
    ):
        raise ValueError(
            f"learning_rate must be a positive finite number, got {learning_rate!r}; "
            "values between 1e-4 and 1 are common"
        )
    return float(learning_rate)


class Optimizer(abc.ABC):
    """Updates a list of parameters in place, one ``step`` per batch.

    ``learning_rate`` is read at every step, so a schedule may change it
    between steps.
    """

    def __init__(self, learning_rate: float) -> None:
        self.learning_rate = _check_learning_rate(learning_rate)
        self.iterations = 0

    def step(self, params: Sequence[FloatArray], grads: Sequence[FloatArray]) -> None:
        """Apply one update to every parameter from its gradient."""
        if not hasattr(self, "_state") or len(self._state) != len(params):
            self._state = [self._init_state(p) for p in params]
        self.iterations += 1
        for param, grad, state in zip(params, grads, self._state, strict=True):
            self._update(param, grad, state)

    def reset(self) -> None:
        """Forget the per-parameter state and the step count."""
        self.iterations = 0
        if hasattr(self, "_state"):
            del self._state

    def _init_state(self, param: FloatArray) -> dict[str, FloatArray]:
        """Return the reusable arrays this rule keeps for one parameter."""
        return {"scratch": np.empty_like(param)}

    @abc.abstractmethod
    def _update(
        self, param: FloatArray, grad: FloatArray, state: dict[str, FloatArray]
    ) -> None:
        """Update ``param`` in place."""

    def get_config(self) -> dict[str, object]:
        return {"name": self.name, "learning_rate": self.learning_rate}


class GradientDescent(Optimizer):
    """W ← W − α·∂C/∂W and B ← B − α·∂C/∂B, with learning rate α.

    Parameters
    ----------
    learning_rate : float, default=0.1
        α, the step size.
    """

    name = "sgd"

    def __init__(self, learning_rate: float = 0.1) -> None:
        super().__init__(learning_rate)

    def _update(self, param, grad, state):
        gradient_descent_step(param, grad, self.learning_rate, state["scratch"])


def gradient_descent_step(
    param: FloatArray, grad: FloatArray, learning_rate: float, scratch: FloatArray
) -> None:
    """Apply param ← param − α·grad in place, using ``scratch`` for α·grad."""
    np.multiply(grad, learning_rate, out=scratch)
    param -= scratch


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": GradientDescent}


def get_optimizer(optimizer: str | Optimizer, learning_rate: float) -> Optimizer:
    """Return an optimizer from a name or an instance (returned unchanged)."""
    if isinstance(optimizer, Optimizer):
        return optimizer
    if isinstance(optimizer, str) and optimizer.lower() in OPTIMIZERS:
        return OPTIMIZERS[optimizer.lower()](learning_rate=learning_rate)
    raise ValueError(
        f"unknown optimizer {optimizer!r}; expected one of {sorted(OPTIMIZERS)}"
    )
