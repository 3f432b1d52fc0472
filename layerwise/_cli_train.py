"""Table preparation and training for ``layerwise train`` and ``layerwise demo``."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np

from layerwise._cli_common import UsageError

logger = logging.getLogger("layerwise")

OPTIMIZER_NAMES = ("sgd", "momentum", "nesterov", "adam", "rmsprop", "adagrad", "lbfgs")
SCHEDULE_NAMES = ("constant", "step", "exponential", "cosine", "invscaling", "plateau")

#: The learning rate of each optimizer when ``--learning-rate`` is not given.
#: Momentum 0.9 makes steps about ten times larger than plain SGD's, so its
#: rate is lower. L-BFGS has no learning rate.
DEFAULT_LEARNING_RATES = {
    "sgd": 0.05,
    "momentum": 0.01,
    "nesterov": 0.01,
    "adam": 0.001,
    "rmsprop": 0.001,
    "adagrad": 0.01,
}

#: Epochs to train when ``--epochs`` is not given, by model kind.
DEFAULT_EPOCHS = {"mlp": 100, "cnn": 15, "rnn": 20}


# Training ------------------------------------------------------------------


@dataclass
class TrainingSettings:
    """Options of one training run, shared by ``train`` and ``demo``."""

    hidden: tuple[int, ...] = (64, 32)
    activation: str = "relu"
    cost: str | None = None
    epochs: int = 100
    learning_rate: float | None = None
    batch_size: int = 32
    test_fraction: float = 0.2
    seed: int = 0
    task: str = "auto"
    model: str = "mlp"
    layers: list | None = None
    optimizer: str = "sgd"
    schedule: str = "constant"
    l2: float = 0.0
    l1: float = 0.0
    dropout: float = 0.0
    class_weight: str | dict[str, float] | None = None
    validation_fraction: float | None = None
    early_stopping: bool = False
    patience: int = 10
    impute: str | None = None

    @property
    def rate(self) -> float | None:
        """The learning rate to train with: the given one or the optimizer's default."""
        if self.learning_rate is not None:
            return self.learning_rate
        return DEFAULT_LEARNING_RATES.get(self.optimizer)

    @property
    def validation(self) -> float | None:
        """The validation fraction, 0.1 by default when early stopping is on."""
        if self.validation_fraction is None and self.early_stopping:
            return 0.1
        return self.validation_fraction


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
    try:
        return train_test_split(
            frame,
            y,
            test_size=settings.test_fraction,
            stratify=stratify,
            random_state=settings.seed,
        )
    except ValueError as error:
        raise UsageError(
            f"--test-fraction {settings.test_fraction} cannot split {len(y)} rows "
            f"({error}); raise --test-fraction, or pass 0 to train on every row"
        ) from None


def _train_on_table(
    frame,
    target: str,
    source: str,
    settings: TrainingSettings,
    progress: bool,
    report: str | None = None,
):
    """Train a model on ``frame`` and return it with its test-split metrics.

    The metrics are None when ``settings.test_fraction`` is 0, and otherwise
    include ``n_samples``, the number of test rows. Warnings raised while
    training, such as the one for an interrupted fit, are logged.
    """
    from layerwise.tables import TableSchema, check_target, infer_task, target_values

    y = target_values(frame, target, source)
    task = infer_task(frame[target]) if settings.task == "auto" else settings.task
    check_target(y, target, task)
    train_frame, test_frame, y_train, y_test = _split_rows(frame, y, task, settings)
    schema = TableSchema.fit(train_frame, target, task, impute=settings.impute)
    X_train = schema.transform(train_frame, source)
    logger.info(
        "task %s; %d training rows, %d test rows, %d inputs",
        task,
        len(y_train),
        len(y_test),
        X_train.shape[1],
    )
    model = _build_model(settings, task, X_train.shape[1])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(
            X_train,
            y_train,
            epochs=settings.epochs,
            learning_rate=None if settings.optimizer == "lbfgs" else settings.rate,
            batch_size=settings.batch_size,
            optimizer=_optimizer(settings),
            validation_fraction=settings.validation,
            class_weight=_class_weight(settings.class_weight, y_train, task),
            callbacks=_callbacks(settings),
            verbose=progress,
        )
    for warning in caught:
        logger.warning("%s", warning.message)
    model.extra_metadata_ = {"table": schema.to_dict()}
    X_test = schema.transform(test_frame, source) if len(y_test) else None
    if report is not None:
        _write_report(
            report, model, source, target, task, X_train, y_train, X_test, y_test
        )
    if X_test is None:
        return model, None
    metrics = model.evaluate(X_test, y_test)
    metrics["n_samples"] = len(y_test)
    return model, metrics


def _write_report(path, model, source, target, task, X_train, y_train, X_test, y_test):
    """Write the HTML report; without a test split the training rows stand in."""
    from layerwise.report import write_report

    summary = {
        "data": source,
        "target column": target,
        "task": task,
        "training rows": len(y_train),
        "test rows": 0 if X_test is None else len(y_test),
        "input features (after encoding)": X_train.shape[1],
    }
    if X_test is None:
        summary["note"] = (
            "no test split (--test-fraction 0): metrics are on training rows"
        )
        X_test, y_test = X_train, y_train
    write_report(path, model, X_train, y_train, X_test, y_test, model.history_, summary)
    logger.info("report written to %s", path)


def _build_model(settings: TrainingSettings, task: str, n_inputs: int):
    from layerwise._cli_layers import DEFAULT_LAYERS, hidden_layers_for, parse_layers
    from layerwise.model import NeuralNetwork

    layers = settings.layers
    if layers is None and settings.model != "mlp":
        layers = parse_layers(DEFAULT_LAYERS[settings.model], settings.activation)
    hidden_layers = None
    if layers is not None:
        hidden_layers = hidden_layers_for(
            settings.model, layers, n_inputs, settings.dropout
        )
    return NeuralNetwork(
        settings.hidden,
        activation=settings.activation,
        cost=settings.cost,
        task=task,
        alpha=settings.l2,
        l1=settings.l1,
        dropout=settings.dropout,
        hidden_layers=hidden_layers,
        standardize=True,
        standardize_targets=task == "regression",
        random_state=settings.seed,
    )


def _optimizer(settings: TrainingSettings):
    """Return the ``optimizer`` argument of ``fit`` for ``settings.optimizer``."""
    from layerwise.optimizers import SGD

    if settings.optimizer in ("momentum", "nesterov"):
        nesterov = settings.optimizer == "nesterov"
        return SGD(settings.rate, momentum=0.9, nesterov=nesterov)
    return settings.optimizer


def _class_weight(weights, y: np.ndarray, task: str):
    """Return ``weights`` with the class names of the command line as labels of y."""
    if weights is None:
        return None
    if task != "classification":
        raise UsageError("--class-weight applies only to classification targets")
    if weights == "balanced":
        return weights
    labels = {str(label): label for label in np.unique(y)}
    unknown = sorted(set(weights) - set(labels))
    if unknown:
        raise UsageError(
            f"--class-weight names the classes {unknown}, which are not in the "
            f"training rows; the classes are {sorted(labels)}"
        )
    return {labels[name]: weight for name, weight in weights.items()}


def _callbacks(settings: TrainingSettings) -> list:
    from layerwise.callbacks import EarlyStopping

    callbacks = []
    schedule = _schedule_callback(settings)
    if schedule is not None:
        callbacks.append(schedule)
    if settings.early_stopping:
        callbacks.append(
            EarlyStopping("val_cost", settings.patience, restore_best_weights=True)
        )
    return callbacks


def _schedule_callback(settings: TrainingSettings):
    """Return the callback of ``settings.schedule``, or None for a constant rate."""
    from layerwise import schedules

    rate, epochs = settings.rate, settings.epochs
    if settings.schedule == "constant":
        return None
    if settings.schedule == "plateau":
        monitor = "cost" if settings.validation is None else "val_cost"
        return schedules.ReduceLROnPlateau(monitor, factor=0.5, patience=5)
    if settings.schedule == "step":
        schedule = schedules.StepDecay(rate, step_size=max(1, epochs // 3), gamma=0.5)
    elif settings.schedule == "exponential":
        schedule = schedules.ExponentialDecay(rate, gamma=0.01 ** (1 / epochs))
    elif settings.schedule == "cosine":
        schedule = schedules.CosineDecay(rate, decay_epochs=epochs)
    else:
        schedule = schedules.InverseScaling(rate, power_t=0.5)
    return schedules.LearningRateScheduler(schedule)
