"""Callbacks: hooks that run when training starts, after each epoch and at the end."""

from __future__ import annotations

from typing import Any


class Callback:
    """Base class for training callbacks. Every hook does nothing by default.

    ``model`` is set before training begins. A callback stops training by
    setting ``model.stop_training = True``.
    """

    model: Any = None

    def set_model(self, model: Any) -> None:
        self.model = model

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        """Run once before the first epoch."""

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        """Run after each epoch. ``epoch`` counts from 1; ``logs`` holds its metrics."""

    def on_train_end(self, logs: dict[str, float] | None = None) -> None:
        """Run once after the last epoch, also when training stopped early."""


class History(Callback):
    """Records the logs of every epoch.

    Attributes
    ----------
    epoch : list of int
        The epoch numbers, counting from 1.
    history : dict of str to list of float
        One list per metric, for example ``"cost"`` and ``"val_cost"``.
    """

    def __init__(self) -> None:
        self.epoch: list[int] = []
        self.history: dict[str, list[float]] = {}

    def on_epoch_end(self, epoch, logs):
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, metrics={sorted(self.history)})"


class ProgressBar(Callback):
    """Shows a tqdm progress bar over epochs with the latest metrics.

    Parameters
    ----------
    file : file-like, default=None
        Where the bar is written; tqdm's default (standard error) when None.
    """

    def __init__(self, file: Any = None) -> None:
        self.file = file
        self._bar = None

    def on_train_begin(self, logs=None):
        from tqdm.auto import tqdm

        self._bar = tqdm(total=self.model.epochs_planned_, unit="epoch", file=self.file)

    def on_epoch_end(self, epoch, logs):
        self._bar.set_postfix({key: f"{value:.4g}" for key, value in logs.items()})
        self._bar.update(1)

    def on_train_end(self, logs=None):
        if self._bar is not None:
            self._bar.close()
            self._bar = None
