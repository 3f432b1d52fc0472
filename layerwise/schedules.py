"""Learning-rate schedules: the step size as a function of the epoch.

A schedule is called with an epoch number, counting from 1 as the training
loop does, and returns the learning rate for that epoch. The
``LearningRateScheduler`` callback applies one to ``model.optimizer_``.
``ReduceLROnPlateau``, which reacts to a monitored metric instead of the epoch
number, lives in ``layerwise.callbacks`` and is re-exported here.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable

from layerwise.callbacks import Callback, ReduceLROnPlateau
from layerwise.optimizers import _check_learning_rate


def _check_positive(value: float, name: str) -> float:
    if isinstance(value, bool) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def _check_epoch(epoch: int) -> int:
    if isinstance(epoch, bool) or int(epoch) != epoch or epoch < 1:
        raise ValueError(f"epoch must be an integer counting from 1, got {epoch!r}")
    return int(epoch)


class Schedule(abc.ABC):
    """A learning rate for each epoch; ``schedule(epoch)`` returns it."""

    def __call__(self, epoch: int) -> float:
        return self.learning_rate_at(_check_epoch(epoch))

    @abc.abstractmethod
    def learning_rate_at(self, epoch: int) -> float:
        """Return the learning rate for ``epoch`` (counting from 1)."""

    def __repr__(self) -> str:
        arguments = ", ".join(f"{key}={value!r}" for key, value in vars(self).items())
        return f"{type(self).__name__}({arguments})"


class ConstantSchedule(Schedule):
    """α_e = α₀ for every epoch e.

    Parameters
    ----------
    learning_rate : float
        α₀.
    """

    def __init__(self, learning_rate: float) -> None:
        self.learning_rate = _check_learning_rate(learning_rate)

    def learning_rate_at(self, epoch):
        return self.learning_rate


class InverseScaling(Schedule):
    """α_e = α₀ / t^p with t = (e − 1)·samples_per_epoch + 1.

    With ``samples_per_epoch`` set to the number of training samples, t is
    one more than the number of samples seen before epoch e, which is
    scikit-learn's ``learning_rate="invscaling"`` for ``MLPClassifier`` (where
    the rate also changes once per epoch). The default of 1 gives α₀ / e^p.

    Parameters
    ----------
    learning_rate : float
        α₀, the rate of the first epoch.
    power_t : float, default=0.5
        p, the exponent.
    samples_per_epoch : int, default=1
        How far t advances per epoch.
    """

    def __init__(
        self, learning_rate: float, power_t: float = 0.5, samples_per_epoch: int = 1
    ) -> None:
        self.learning_rate = _check_learning_rate(learning_rate)
        self.power_t = _check_positive(power_t, "power_t")
        self.samples_per_epoch = int(
            _check_positive(samples_per_epoch, "samples_per_epoch")
        )

    def learning_rate_at(self, epoch):
        t = (epoch - 1) * self.samples_per_epoch + 1
        return self.learning_rate / t**self.power_t


class StepDecay(Schedule):
    """α_e = α₀·γ^⌊(e − 1) / step_size⌋: multiplied by γ every ``step_size`` epochs.

    Parameters
    ----------
    learning_rate : float
        α₀, the rate of the first ``step_size`` epochs.
    step_size : int, default=10
        Epochs between two drops.
    gamma : float, default=0.5
        γ, the factor applied at each drop, in (0, 1].
    """

    def __init__(
        self, learning_rate: float, step_size: int = 10, gamma: float = 0.5
    ) -> None:
        self.learning_rate = _check_learning_rate(learning_rate)
        if isinstance(step_size, bool) or int(step_size) != step_size or step_size < 1:
            raise ValueError(f"step_size must be a positive integer, got {step_size!r}")
        self.step_size = int(step_size)
        self.gamma = _check_factor(gamma, "gamma")

    def learning_rate_at(self, epoch):
        return self.learning_rate * self.gamma ** ((epoch - 1) // self.step_size)


class ExponentialDecay(Schedule):
    """α_e = α₀·γ^(e − 1): multiplied by γ after every epoch.

    Parameters
    ----------
    learning_rate : float
        α₀, the rate of the first epoch.
    gamma : float, default=0.95
        γ, the factor per epoch, in (0, 1].
    """

    def __init__(self, learning_rate: float, gamma: float = 0.95) -> None:
        self.learning_rate = _check_learning_rate(learning_rate)
        self.gamma = _check_factor(gamma, "gamma")

    def learning_rate_at(self, epoch):
        return self.learning_rate * self.gamma ** (epoch - 1)


class CosineDecay(Schedule):
    """Half a cosine from α₀ at epoch 1 down to a floor α_min at epoch T + 1.

    α_e = α_min + (α₀ − α_min)·(1 + cos(π·min(e − 1, T) / T)) / 2, so the rate
    stays at α_min after epoch T + 1. This is ``CosineAnnealingLR`` of PyTorch
    with ``T_max`` = T, without restarts.

    Parameters
    ----------
    learning_rate : float
        α₀, the rate of the first epoch.
    decay_epochs : int
        T, the number of epochs the decay takes.
    min_learning_rate : float, default=0.0
        α_min, the floor.
    """

    def __init__(
        self, learning_rate: float, decay_epochs: int, min_learning_rate: float = 0.0
    ) -> None:
        self.learning_rate = _check_learning_rate(learning_rate)
        if (
            isinstance(decay_epochs, bool)
            or int(decay_epochs) != decay_epochs
            or decay_epochs < 1
        ):
            raise ValueError(
                f"decay_epochs must be a positive integer, got {decay_epochs!r}"
            )
        self.decay_epochs = int(decay_epochs)
        if not 0 <= min_learning_rate <= self.learning_rate:
            raise ValueError(
                f"min_learning_rate must be in [0, learning_rate={learning_rate!r}], "
                f"got {min_learning_rate!r}"
            )
        self.min_learning_rate = float(min_learning_rate)

    def learning_rate_at(self, epoch):
        progress = min(epoch - 1, self.decay_epochs) / self.decay_epochs
        span = self.learning_rate - self.min_learning_rate
        return self.min_learning_rate + span * (1.0 + math.cos(math.pi * progress)) / 2


def _check_factor(value: float, name: str) -> float:
    if isinstance(value, bool) or not 0 < value <= 1:
        raise ValueError(f"{name} must be a number in (0, 1], got {value!r}")
    return float(value)


class LearningRateScheduler(Callback):
    """Sets ``model.optimizer_.learning_rate`` to ``schedule(epoch)`` for each epoch.

    The rate for epoch 1 is set in ``on_train_begin`` and the rate for epoch
    e + 1 in ``on_epoch_end`` of epoch e, so every step of an epoch uses that
    epoch's rate.

    Parameters
    ----------
    schedule : Schedule or callable
        Maps an epoch number (counting from 1) to a positive learning rate.

    Attributes
    ----------
    learning_rates : list of float
        The rate set for each epoch, epoch 1 first. After training it has one
        entry more than the epochs run: the rate set for the next epoch.
    """

    def __init__(self, schedule: Schedule | Callable[[int], float]) -> None:
        if not callable(schedule):
            raise TypeError(
                f"schedule must be a Schedule or a function of the epoch, got "
                f"{schedule!r}"
            )
        self.schedule = schedule
        self.learning_rates: list[float] = []

    def _apply(self, epoch: int) -> None:
        rate = float(self.schedule(epoch))
        if not math.isfinite(rate) or rate < 0:
            raise ValueError(
                f"the schedule returned the learning rate {rate!r} for epoch {epoch}, "
                "but it must be a finite number >= 0"
            )
        self.model.optimizer_.learning_rate = rate
        self.learning_rates.append(rate)

    def on_train_begin(self, logs=None):
        self.learning_rates = []
        self._apply(1)

    def on_epoch_end(self, epoch, logs):
        self._apply(epoch + 1)


__all__ = [
    "ConstantSchedule",
    "CosineDecay",
    "ExponentialDecay",
    "InverseScaling",
    "LearningRateScheduler",
    "ReduceLROnPlateau",
    "Schedule",
    "StepDecay",
]
