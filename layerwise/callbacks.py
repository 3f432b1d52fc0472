"""Callbacks: hooks that run when training starts, after each epoch and at the end."""

from __future__ import annotations

import csv
import math
import os
from typing import Any

import numpy as np


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
        """Run after each epoch (counted from 1) with its metrics in ``logs``."""

    def on_train_end(self, logs: dict[str, float] | None = None) -> None:
        """Run once after the last epoch, also when training stopped early."""

    def on_divergence(self, epoch: int, logs: dict[str, float]) -> None:
        """Run when the cost or a weight of epoch ``epoch`` is NaN or infinite.

        The weights are those from the end of epoch ``epoch - 1``. Setting
        ``model.stop_training = True`` here ends training without an error.
        """


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

    def on_train_end(self, logs=None):
        # The model keeps this object as ``history_``. A reference back would
        # form a cycle, which only the garbage collector's full pass frees.
        self.model = None

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
        import sys

        from tqdm.auto import tqdm

        file = self.file if self.file is not None else sys.stderr
        # Outside a terminal every redraw becomes text in a log file, so the
        # bar redraws at most once a second there.
        interactive = getattr(file, "isatty", lambda: False)()
        self._bar = tqdm(
            total=self.model.epochs_planned_,
            unit="epoch",
            file=file,
            mininterval=0.1 if interactive else 1.0,
        )

    def on_epoch_end(self, epoch, logs):
        postfix = {key: f"{value:.4g}" for key, value in logs.items()}
        # refresh=False leaves redrawing to update(), which honours mininterval.
        self._bar.set_postfix(postfix, refresh=False)
        self._bar.update(1)

    def on_train_end(self, logs=None):
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class _Monitor:
    """Tracks the best value of one logged metric.

    ``mode="auto"`` maximises metrics whose name ends in ``accuracy`` or
    ``r2`` and minimises every other metric (costs and errors).
    """

    def __init__(self, monitor: str, mode: str, min_delta: float) -> None:
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
        if not isinstance(monitor, str):
            raise TypeError(f"monitor must be a metric name, got {monitor!r}")
        if isinstance(min_delta, bool) or not min_delta >= 0:
            raise ValueError(f"min_delta must be a number >= 0, got {min_delta!r}")
        if mode == "auto":
            mode = "max" if monitor.endswith(("accuracy", "r2")) else "min"
        self.monitor = monitor
        self.mode = mode
        self.min_delta = float(min_delta)
        self.reset()

    def reset(self) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf

    def read(self, logs: dict[str, float], owner: str) -> float:
        """Return the monitored value from one epoch's logs."""
        if self.monitor not in logs:
            advice = (
                "pass validation_data to fit"
                if self.monitor.startswith("val_")
                else "choose one of the logged metrics"
            )
            raise ValueError(
                f"{owner} monitors {self.monitor!r}, but the epoch logs only "
                f"contain {sorted(logs)}; {advice}"
            )
        return float(logs[self.monitor])

    def update(self, value: float) -> bool:
        """Record ``value`` and return whether it beats the best by min_delta.

        NaN never counts as an improvement.
        """
        if self.mode == "min":
            improved = value < self.best - self.min_delta
        else:
            improved = value > self.best + self.min_delta
        if improved:
            self.best = value
        return improved


def _check_patience(patience: int) -> int:
    if isinstance(patience, bool) or int(patience) != patience or patience < 0:
        raise ValueError(f"patience must be an integer >= 0, got {patience!r}")
    return int(patience)


class EarlyStopping(Callback):
    """Stops training when a metric has not improved for ``patience`` epochs.

    Parameters
    ----------
    monitor : str, default="val_cost"
        The logged metric to watch; ``"val_…"`` metrics need ``validation_data``.
    patience : int, default=10
        Epochs without improvement after which training stops.
    min_delta : float, default=0.0
        The smallest change of the metric that counts as an improvement.
    mode : {"auto", "min", "max"}, default="auto"
        Whether lower or higher values are better. ``"auto"`` maximises
        metrics ending in ``accuracy`` or ``r2`` and minimises the others.
    restore_best_weights : bool, default=True
        Copy the parameters of the best epoch back into ``model.network_``
        when training ends, whether it stopped early or ran every epoch.

    Attributes
    ----------
    best : float
        The best value of the metric.
    best_epoch : int or None
        The epoch (counting from 1) with the best value.
    stopped_epoch : int
        The epoch after which this callback stopped training; 0 if it did not.

    Notes
    -----
    ``on_train_end`` also runs when training ends with a ``DivergenceError``,
    so with ``restore_best_weights`` the model keeps the best epoch's weights
    in that case too, not the last finite ones.
    """

    def __init__(
        self,
        monitor: str = "val_cost",
        patience: int = 10,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best_weights: bool = True,
    ) -> None:
        self._monitor = _Monitor(monitor, mode, min_delta)
        self.monitor = monitor
        self.patience = _check_patience(patience)
        self.restore_best_weights = restore_best_weights
        self.best_epoch: int | None = None
        self.stopped_epoch = 0
        self.wait = 0
        self._best_params: list[np.ndarray] = []

    @property
    def best(self) -> float:
        return self._monitor.best

    def on_train_begin(self, logs=None):
        self._monitor.reset()
        self.best_epoch = None
        self.stopped_epoch = 0
        self.wait = 0
        if self.restore_best_weights:
            params = self.model.network_.parameters()
            self._best_params = [np.empty_like(value) for value in params]

    def on_epoch_end(self, epoch, logs):
        value = self._monitor.read(logs, "EarlyStopping")
        if self._monitor.update(value):
            self.best_epoch = epoch
            self.wait = 0
            if self.restore_best_weights:
                _copy_arrays(self.model.network_.parameters(), self._best_params)
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.restore_best_weights and self.best_epoch is not None:
            _copy_arrays(self._best_params, self.model.network_.parameters())


def _copy_arrays(sources: list[np.ndarray], targets: list[np.ndarray]) -> None:
    for source, target in zip(sources, targets, strict=True):
        np.copyto(target, source)


class ModelCheckpoint(Callback):
    """Saves the model with ``model.save(path)`` after an epoch.

    Parameters
    ----------
    path : str or path-like
        The file to write. ``"{epoch}"`` in it is replaced by the epoch
        number, for example ``"model-{epoch:03d}.safetensors"``.
    monitor : str, default="val_cost"
        The logged metric that decides which epoch is the best.
    save_best_only : bool, default=True
        Save only after epochs that improve on the best value so far;
        otherwise save after every epoch.
    mode : {"auto", "min", "max"}, default="auto"
        Whether lower or higher values are better, as in ``EarlyStopping``.

    Attributes
    ----------
    best : float
        The best value of the metric.
    best_epoch : int or None
        The epoch with the best value.
    saved_paths : list of str
        The paths written, in order; a path saved twice appears twice.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        monitor: str = "val_cost",
        save_best_only: bool = True,
        mode: str = "auto",
    ) -> None:
        self.path = os.fspath(path)
        self.monitor = monitor
        self.save_best_only = save_best_only
        self._monitor = _Monitor(monitor, mode, 0.0)
        self.best_epoch: int | None = None
        self.saved_paths: list[str] = []

    @property
    def best(self) -> float:
        return self._monitor.best

    def on_train_begin(self, logs=None):
        self._monitor.reset()
        self.best_epoch = None
        self.saved_paths = []

    def on_epoch_end(self, epoch, logs):
        improved = False
        if self.save_best_only or self.monitor in logs:
            improved = self._monitor.update(self._monitor.read(logs, "ModelCheckpoint"))
        if improved:
            self.best_epoch = epoch
        if improved or not self.save_best_only:
            path = self.path
            if "{epoch" in path:
                path = path.format(epoch=epoch)
            self.model.save(path)
            self.saved_paths.append(path)


class ReduceLROnPlateau(Callback):
    """Multiplies the learning rate by ``factor`` when a metric stops improving.

    After ``patience`` epochs without an improvement of at least ``min_delta``,
    α ← max(factor·α, min_lr) on ``model.optimizer_``, which takes effect from
    the next epoch. Then ``cooldown`` epochs pass before the count restarts.

    Parameters
    ----------
    monitor : str, default="val_cost"
        The logged metric to watch.
    factor : float, default=0.1
        The factor in (0, 1) applied to the learning rate.
    patience : int, default=10
        Epochs without improvement before a reduction.
    min_delta : float, default=1e-4
        The smallest change of the metric that counts as an improvement.
    cooldown : int, default=0
        Epochs after a reduction during which no epoch counts against patience.
    min_lr : float, default=0.0
        The floor of the learning rate.
    mode : {"auto", "min", "max"}, default="auto"
        Whether lower or higher values are better, as in ``EarlyStopping``.

    Attributes
    ----------
    reductions : list of (int, float)
        The epoch after which each reduction happened and the new rate.
    """

    def __init__(
        self,
        monitor: str = "val_cost",
        factor: float = 0.1,
        patience: int = 10,
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
        mode: str = "auto",
    ) -> None:
        if isinstance(factor, bool) or not 0 < factor < 1:
            raise ValueError(f"factor must be a number in (0, 1), got {factor!r}")
        if isinstance(min_lr, bool) or not min_lr >= 0:
            raise ValueError(f"min_lr must be a number >= 0, got {min_lr!r}")
        self._monitor = _Monitor(monitor, mode, min_delta)
        self.monitor = monitor
        self.factor = float(factor)
        self.patience = _check_patience(patience)
        self.cooldown = _check_patience(cooldown)
        self.min_lr = float(min_lr)
        self.wait = 0
        self.cooldown_left = 0
        self.reductions: list[tuple[int, float]] = []

    def on_train_begin(self, logs=None):
        self._monitor.reset()
        self.wait = 0
        self.cooldown_left = 0
        self.reductions = []

    def on_epoch_end(self, epoch, logs):
        value = self._monitor.read(logs, "ReduceLROnPlateau")
        improved = self._monitor.update(value)
        if self.cooldown_left > 0:
            self.cooldown_left -= 1
            self.wait = 0
            return
        if improved:
            self.wait = 0
            return
        self.wait += 1
        if self.wait >= self.patience:
            self._reduce(epoch)

    def _reduce(self, epoch: int) -> None:
        optimizer = self.model.optimizer_
        new_rate = max(optimizer.learning_rate * self.factor, self.min_lr)
        if new_rate < optimizer.learning_rate:
            optimizer.learning_rate = new_rate
            self.reductions.append((epoch, new_rate))
        self.cooldown_left = self.cooldown
        self.wait = 0


class TerminateOnNaN(Callback):
    """Stops training cleanly when a logged metric or the cost becomes NaN or inf.

    Unlike the ``DivergenceError`` that the training loop raises, stopping here
    ends ``fit`` normally: the model keeps the weights of the last finite epoch
    and ``history_`` is set.

    Attributes
    ----------
    stopped_epoch : int
        The epoch whose logs were not finite; 0 if training did not stop.

    Notes
    -----
    ``on_epoch_end`` receives metrics such as ``val_cost``, which the loop does
    not check. A non-finite training cost or weight reaches this callback only
    through ``on_divergence``.
    """

    def __init__(self) -> None:
        self.stopped_epoch = 0

    def on_train_begin(self, logs=None):
        self.stopped_epoch = 0

    def on_epoch_end(self, epoch, logs):
        if not all(math.isfinite(value) for value in logs.values()):
            self._stop(epoch)

    def on_divergence(self, epoch, logs):
        self._stop(epoch)

    def _stop(self, epoch: int) -> None:
        self.stopped_epoch = epoch
        self.model.stop_training = True


class CSVLogger(Callback):
    """Writes one CSV row per epoch: the epoch number and every logged metric.

    The header comes from the first epoch's logs. Each row is flushed as it is
    written, so the file is readable while training runs.

    Parameters
    ----------
    path : str or path-like
        The file to write.
    separator : str, default=","
        The field delimiter.
    append : bool, default=False
        Add rows to an existing file (without repeating a header when the file
        is not empty) instead of replacing it.
    """

    def __init__(
        self, path: str | os.PathLike, separator: str = ",", append: bool = False
    ) -> None:
        self.path = os.fspath(path)
        self.separator = separator
        self.append = append
        self._file = None
        self._writer: csv.DictWriter | None = None

    def on_train_begin(self, logs=None):
        has_rows = (
            self.append and os.path.exists(self.path) and os.path.getsize(self.path)
        )
        mode = "a" if self.append else "w"
        self._file = open(self.path, mode, newline="")
        self._writer = None
        self._header_written = bool(has_rows)

    def on_epoch_end(self, epoch, logs):
        row = {"epoch": epoch, **logs}
        if self._writer is None:
            self._writer = csv.DictWriter(
                self._file, fieldnames=list(row), delimiter=self.separator
            )
            if not self._header_written:
                self._writer.writeheader()
        self._writer.writerow(row)
        self._file.flush()

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
            self._file = None
