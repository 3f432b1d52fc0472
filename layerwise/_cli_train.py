"""Table preparation and training for ``layerwise train`` and ``layerwise demo``."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

logger = logging.getLogger("layerwise")


# Training ------------------------------------------------------------------


@dataclass
class TrainingSettings:
    """Options of one training run, shared by ``train`` and ``demo``."""

    hidden: tuple[int, ...] = (64, 32)
    activation: str = "relu"
    cost: str | None = None
    epochs: int = 100
    learning_rate: float = 0.05
    batch_size: int = 32
    test_fraction: float = 0.2
    seed: int = 0
    task: str = "auto"


def _split_rows(frame, y, task: str, settings: TrainingSettings):
    """Return (train_frame, test_frame, y_train, y_test), stratified by class."""
    from sklearn.model_selection import train_test_split

    if settings.test_fraction == 0:
        return frame, frame.iloc[:0], y, y[:0]
    stratify = None
    if task == "classification":
        _, counts = np.unique(y, return_counts=True)
        if counts.min() >= 2:
            stratify = y
        else:
            logger.warning("a class has only one row, so the split is not stratified")
    return train_test_split(
        frame,
        y,
        test_size=settings.test_fraction,
        stratify=stratify,
        random_state=settings.seed,
    )


def _train_on_table(
    frame, target: str, source: str, settings: TrainingSettings, progress: bool
):
    """Train a model on ``frame`` and return it with its test-split metrics.

    The metrics are None when ``settings.test_fraction`` is 0, and otherwise
    include ``n_samples``, the number of test rows.
    """
    from layerwise.model import NeuralNetwork
    from layerwise.tables import TableSchema, infer_task, target_values

    # NOTE: regression targets are not standardised, because NeuralNetwork has
    # no target scaling. Targets far from unit scale (diabetes: mean 152, standard
    # deviation 77) then train poorly with plain gradient descent.
    y = target_values(frame, target, source)
    task = infer_task(frame[target]) if settings.task == "auto" else settings.task
    train_frame, test_frame, y_train, y_test = _split_rows(frame, y, task, settings)
    schema = TableSchema.fit(train_frame, target, task)
    X_train = schema.transform(train_frame, source)
    logger.info(
        "task %s; %d training rows, %d test rows, %d inputs",
        task,
        len(y_train),
        len(y_test),
        X_train.shape[1],
    )
    model = NeuralNetwork(
        settings.hidden,
        activation=settings.activation,
        cost=settings.cost,
        task=task,
        standardize=True,
        random_state=settings.seed,
    )
    model.fit(
        X_train,
        y_train,
        epochs=settings.epochs,
        learning_rate=settings.learning_rate,
        batch_size=settings.batch_size,
        verbose=progress,
    )
    model.extra_metadata_ = {"table": schema.to_dict()}
    if len(y_test) == 0:
        return model, None
    metrics = model.evaluate(schema.transform(test_frame, source), y_test)
    metrics["n_samples"] = len(y_test)
    return model, metrics
