"""The training loop: epochs of mini-batch gradient steps with a divergence guard."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from layerwise._typing import FloatArray
from layerwise.callbacks import Callback
from layerwise.exceptions import (
    ConvergenceWarning,
    DivergenceError,
    VanishingGradientWarning,
)
from layerwise.network import Network
from layerwise.optimizers import Optimizer

_DIVERGENCE_ADVICE = (
    "lower the learning rate (for example by a factor of 10) or standardise the "
    "input features and regression targets"
)


@dataclass
class TrainingData:
    """Training arrays with one sample per row, as the public API takes them.

    The loop gathers each batch's rows into reusable buffers and hands the
    network their transposes, so that samples become columns without a copy.
    """

    X: FloatArray
    Y: FloatArray
    sample_weight: FloatArray | None = None
    _buffers: dict[int, tuple[FloatArray, FloatArray, FloatArray | None]] = field(
        default_factory=dict, repr=False
    )

    @property
    def n_samples(self) -> int:
        return self.X.shape[0]

    def batch(self, indices: np.ndarray | None):
        """Return (A0, Y, sample_weight) for ``indices``, samples as columns."""
        if indices is None:
            weight = self.sample_weight
            return self.X.T, self.Y.T, weight
        size = len(indices)
        if size not in self._buffers:
            if len(self._buffers) >= 2:
                self._buffers.pop(next(iter(self._buffers)))
            weight = (
                None if self.sample_weight is None else np.empty(size, self.X.dtype)
            )
            self._buffers[size] = (
                np.empty((size, self.X.shape[1]), self.X.dtype),
                np.empty((size, self.Y.shape[1]), self.Y.dtype),
                weight,
            )
        X_rows, Y_rows, weight = self._buffers[size]
        self.X.take(indices, axis=0, out=X_rows)
        self.Y.take(indices, axis=0, out=Y_rows)
        if weight is not None:
            self.sample_weight.take(indices, out=weight)
        return X_rows.T, Y_rows.T, weight


def iter_minibatches(
    n_samples: int, batch_size: int, shuffle: bool, rng: np.random.Generator
) -> Iterator[np.ndarray | None]:
    """Yield the row indices of each batch; ``None`` stands for every row in order.

    A full batch is never shuffled, because the order of the samples does not
    change a full-batch gradient.
    """
    if batch_size >= n_samples:
        yield None
        return
    order = rng.permutation(n_samples) if shuffle else np.arange(n_samples)
    for start in range(0, n_samples, batch_size):
        yield order[start : start + batch_size]


class _Snapshot:
    """A copy of the parameters, kept in preallocated arrays."""

    def __init__(self, network: Network) -> None:
        self.network = network
        self.saved = [value.copy() for value in network.parameters()]

    def save(self) -> None:
        for saved, value in zip(self.saved, self.network.parameters(), strict=True):
            np.copyto(saved, value)

    def restore(self) -> None:
        for saved, value in zip(self.saved, self.network.parameters(), strict=True):
            np.copyto(value, saved)


def run_epoch(
    network: Network,
    data: TrainingData,
    optimizer: Optimizer,
    batch_size: int,
    shuffle: bool,
    rng: np.random.Generator,
    guard: DivergenceGuard | None = None,
) -> float:
    """Run one pass over the data and return the sample-weighted mean batch cost.

    Each batch cost is measured before that batch's update, as in scikit-learn
    and Keras, so the epoch cost lags the final weights by up to one epoch.
    Stops early and returns that batch's cost as soon as ``guard`` reports
    divergence.
    """
    total = 0.0
    params = network.parameters()
    grads = network.gradients()
    for indices in iter_minibatches(data.n_samples, batch_size, shuffle, rng):
        A0, Y, weight = data.batch(indices)
        cost = network.cost_and_gradients(A0, Y, weight)
        if guard is not None and guard.check(cost) is not None:
            return cost
        optimizer.step(params, grads)
        total += cost * A0.shape[1]
    return total / data.n_samples


def _divergence_error(epoch: int, what: str) -> DivergenceError:
    return DivergenceError(
        f"training diverged at epoch {epoch}: {what}. The model keeps the weights "
        f"from the end of epoch {epoch - 1}; {_DIVERGENCE_ADVICE}.",
        epoch=epoch,
    )


class DivergenceGuard:
    """Detects divergence from batch costs and parameter values.

    Besides NaN and infinity, a batch cost above ``factor`` times a reference
    counts as divergence. ReLU networks with a too-large learning rate can
    blow up to finite but useless weights whose units are all inactive, so
    their cost never becomes infinite. The reference is the larger of the
    cost of predicting zero (``Cost.zero_output_cost``) and the first batch's
    cost, so that neither a lucky first batch nor a warm start near zero cost
    makes ordinary batch-to-batch noise look like divergence. The cost's
    ``divergence_factor`` (1e4 for squared error, 100 for cross-entropy)
    corresponds to outputs about 100 times further off than zero outputs.
    """

    def __init__(self, factor: float, baseline: float) -> None:
        self.factor = factor
        self.baseline = baseline
        self.reference: float | None = None
        self.problem: str | None = None
        self.last_cost = np.inf

    @classmethod
    def for_data(cls, network: Network, data: TrainingData) -> DivergenceGuard:
        """Return a guard whose baseline is the zero-output cost on ``data``."""
        baseline = network.cost.zero_output_cost(data.Y.T, data.sample_weight)
        return cls(network.cost.divergence_factor, baseline)

    def check(self, cost: float) -> str | None:
        """Record a batch cost; return (and keep) the problem once it diverges."""
        self.last_cost = cost
        if not np.isfinite(cost):
            self.problem = f"the cost became {cost}"
        elif self.reference is None:
            self.reference = max(cost, self.baseline, 1e-12)
        elif cost > self.factor * self.reference:
            self.problem = (
                f"the batch cost grew to {cost:.4g}, more than {self.factor:g} "
                f"times {self.reference:.4g}, the larger of the first batch's cost "
                "and the cost of predicting zero"
            )
        return self.problem

    def check_weights(self, network: Network) -> str | None:
        """Return the problem if a parameter is NaN or infinite."""
        if not network.all_finite():
            self.problem = "a weight became NaN or infinite"
        return self.problem


def _stopped_on_divergence(callbacks, owner, epoch: int, cost: float) -> bool:
    """Offer the divergence to callbacks; return whether one stopped training."""
    for callback in callbacks:
        hook = getattr(callback, "on_divergence", None)
        if hook is not None:
            hook(epoch, {"cost": cost})
    return bool(getattr(owner, "stop_training", False))


def _warn_if_all_gradients_zero(network: Network) -> None:
    if any(np.any(grad) for grad in network.gradients()):
        return
    warnings.warn(
        "every gradient was exactly zero in the last batch of the first epoch, so "
        "the weights cannot change. Common causes: every ReLU unit is inactive "
        "(for example a ReLU output layer for regression), or the output cannot "
        "vary (a softmax over a single output). Use another activation, another "
        "initializer or standardised inputs",
        VanishingGradientWarning,
        stacklevel=4,
    )


def train(
    network: Network,
    data: TrainingData,
    optimizer: Optimizer,
    *,
    epochs: int,
    batch_size: int,
    shuffle: bool,
    rng: np.random.Generator,
    callbacks: Sequence[Callback] = (),
    validate: Callable[[], dict[str, float]] | None = None,
    owner: object = None,
    guard: DivergenceGuard | None = None,
) -> int:
    """Train ``network`` for up to ``epochs`` epochs and return the epochs completed.

    ``validate`` returns extra logs (such as ``val_cost``) after each epoch.
    ``owner`` is the object whose ``stop_training`` flag callbacks may set; an
    interruption by Ctrl-C sets its ``interrupted_`` attribute to True.
    ``guard`` carries the divergence reference across calls, as one-epoch
    ``partial_fit`` calls need; by default each call gets a new one.

    Raises
    ------
    DivergenceError
        When a cost or a parameter stops being finite. The parameters are first
        restored to the end of the last finite epoch. A callback with an
        ``on_divergence(epoch, logs)`` method that sets ``owner.stop_training``
        turns this into a normal stop.
    """
    snapshot = _Snapshot(network)
    for callback in callbacks:
        callback.on_train_begin()
    completed = 0
    if guard is None:
        guard = DivergenceGuard.for_data(network, data)
    guard.problem = None
    try:
        for epoch in range(1, epochs + 1):
            # Overflow while diverging is expected here; the checks below turn
            # it into a DivergenceError instead of a NumPy warning or error.
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                cost = run_epoch(
                    network, data, optimizer, batch_size, shuffle, rng, guard
                )
            problem = guard.problem or guard.check_weights(network)
            if problem is not None:
                snapshot.restore()
                if _stopped_on_divergence(callbacks, owner, epoch, cost):
                    break
                raise _divergence_error(epoch, problem)
            snapshot.save()
            if epoch == 1 and guard.last_cost > 1e-6:
                # Zero gradients at a near-zero cost mean a perfect fit.
                _warn_if_all_gradients_zero(network)
            completed = epoch
            logs = {"cost": cost}
            if validate is not None:
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                    logs.update(validate())
            for callback in callbacks:
                callback.on_epoch_end(epoch, logs)
            if getattr(owner, "stop_training", False):
                break
    except KeyboardInterrupt:
        snapshot.restore()
        if owner is not None:
            owner.interrupted_ = True
        warnings.warn(
            f"training interrupted during epoch {completed + 1}; the model keeps the "
            f"weights from the end of epoch {completed}",
            UserWarning,
            stacklevel=3,
        )
    finally:
        for callback in callbacks:
            callback.on_train_end()
        release_batch_arrays(network)
    return completed


def release_batch_arrays(network: Network) -> None:
    """Drop each layer's per-batch arrays; the next forward pass makes new ones.

    A trained model then keeps only its parameters, gradients and optimizer
    state, not a batch's activations and scratch space.
    """
    for layer in network.layers:
        layer.release_batch_arrays()


class ConvergenceMonitor(Callback):
    """Stops training once the training cost stops improving by at least ``tol``.

    Training has converged when ``n_iter_no_change`` consecutive epochs each
    fail to lower the best cost so far by ``tol``. With ``tol=None`` the
    monitor does nothing.
    """

    def __init__(self, tol: float | None, n_iter_no_change: int) -> None:
        if tol is not None and (isinstance(tol, bool) or not tol >= 0):
            raise ValueError(f"tol must be a non-negative number or None, got {tol!r}")
        if isinstance(n_iter_no_change, bool) or not (
            isinstance(n_iter_no_change, int | np.integer) and n_iter_no_change >= 1
        ):
            raise ValueError(
                f"n_iter_no_change must be a positive integer, got {n_iter_no_change!r}"
            )
        self.tol = tol
        self.n_iter_no_change = int(n_iter_no_change)
        self.best_cost = np.inf
        self.epochs_without_improvement = 0
        self.converged = False

    def on_epoch_end(self, epoch, logs):
        if self.tol is None:
            return
        cost = logs["cost"]
        if cost > self.best_cost - self.tol:
            self.epochs_without_improvement += 1
        else:
            self.epochs_without_improvement = 0
        self.best_cost = min(self.best_cost, cost)
        if self.epochs_without_improvement >= self.n_iter_no_change:
            self.converged = True
            self.model.stop_training = True

    def warn_if_not_converged(self, completed: int, epochs: int) -> None:
        """Warn with ConvergenceWarning when the epoch limit ended training."""
        if self.tol is None or self.converged or completed < epochs:
            return
        warnings.warn(
            f"training stopped at the limit of epochs={epochs} before the cost "
            f"settled (tol={self.tol}, n_iter_no_change={self.n_iter_no_change}); "
            "increase epochs or the learning rate",
            ConvergenceWarning,
            stacklevel=4,
        )
