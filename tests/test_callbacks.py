"""Built-in callbacks, driven through NeuralNetwork.fit."""

import csv
import math
from types import SimpleNamespace

import numpy as np
import pytest

import layerwise
from layerwise import NeuralNetwork
from layerwise.callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    History,
    ModelCheckpoint,
    TerminateOnNaN,
)


class ParameterRecorder(Callback):
    """Keeps a copy of every parameter at the end of each epoch."""

    def on_train_begin(self, logs=None):
        self.snapshots = {}

    def on_epoch_end(self, epoch, logs):
        self.snapshots[epoch] = [p.copy() for p in self.model.network_.parameters()]


@pytest.fixture
def classification_data():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    return X, y


def make_model():
    return NeuralNetwork((4,), activation="tanh", dtype="float64", random_state=0)


def fit(model, data, callbacks, epochs=30, validation_data=None):
    X, y = data
    return model.fit(
        X,
        y,
        epochs=epochs,
        learning_rate=0.5,
        validation_data=validation_data,
        callbacks=callbacks,
    )


def flipped(data):
    """Validation data whose labels are the opposite of the training labels.

    Training makes its cost rise, so the best validation epoch comes early.
    """
    X, y = data
    return X, 1 - y


def assert_parameters_equal(model, expected):
    for value, reference in zip(model.network_.parameters(), expected, strict=True):
        np.testing.assert_array_equal(value, reference)


def test_early_stopping_restores_best_epoch(classification_data):
    stopper = EarlyStopping(patience=3)
    recorder = ParameterRecorder()
    model = make_model()

    history = fit(
        model,
        classification_data,
        [stopper, recorder],
        validation_data=flipped(classification_data),
    )

    val_costs = history["val_cost"]
    assert stopper.best_epoch == int(np.argmin(val_costs)) + 1
    assert stopper.best == min(val_costs)
    assert model.n_epochs_ == stopper.best_epoch + 3
    assert stopper.stopped_epoch == model.n_epochs_
    assert model.n_epochs_ < 30
    assert_parameters_equal(model, recorder.snapshots[stopper.best_epoch])
    last = recorder.snapshots[model.n_epochs_]
    assert not np.array_equal(model.network_.parameters()[0], last[0])


def test_early_stopping_without_restore_keeps_last(classification_data):
    stopper = EarlyStopping(patience=2, restore_best_weights=False)
    recorder = ParameterRecorder()
    model = make_model()

    fit(
        model,
        classification_data,
        [stopper, recorder],
        validation_data=flipped(classification_data),
    )

    assert stopper.stopped_epoch == model.n_epochs_
    assert_parameters_equal(model, recorder.snapshots[model.n_epochs_])


def test_early_stopping_runs_all_epochs_while_improving(classification_data):
    stopper = EarlyStopping(monitor="cost", patience=2)
    model = make_model()

    history = fit(model, classification_data, [stopper], epochs=10)

    assert model.n_epochs_ == 10
    assert stopper.stopped_epoch == 0
    assert stopper.best_epoch == int(np.argmin(history["cost"])) + 1


def test_early_stopping_maximises_accuracy(classification_data):
    stopper = EarlyStopping(monitor="val_accuracy", patience=100)
    model = make_model()

    history = fit(
        model, classification_data, [stopper], validation_data=classification_data
    )

    accuracies = history["val_accuracy"]
    assert stopper.best == max(accuracies)
    assert stopper.best_epoch == int(np.argmax(accuracies)) + 1


def test_early_stopping_min_delta_ignores_small_gains(classification_data):
    stopper = EarlyStopping(monitor="cost", patience=2, min_delta=1e6)
    model = make_model()

    fit(model, classification_data, [stopper])

    assert stopper.best_epoch == 1
    assert model.n_epochs_ == 3


def test_early_stopping_needs_validation_data(classification_data):
    model = make_model()

    with pytest.raises(ValueError, match="pass validation_data to fit"):
        fit(model, classification_data, [EarlyStopping()])


def test_checkpoint_writes_best_epoch(classification_data, tmp_path):
    path = tmp_path / "best.safetensors"
    checkpoint = ModelCheckpoint(path)
    recorder = ParameterRecorder()
    model = make_model()

    history = fit(
        model,
        classification_data,
        [checkpoint, recorder],
        epochs=8,
        validation_data=flipped(classification_data),
    )

    best_epoch = int(np.argmin(history["val_cost"])) + 1
    assert checkpoint.best_epoch == best_epoch
    assert best_epoch < 8
    loaded = layerwise.load(path)
    assert_parameters_equal(loaded, recorder.snapshots[best_epoch])


def test_checkpoint_loaded_model_predicts_like_original(classification_data, tmp_path):
    path = tmp_path / "model.safetensors"
    model = make_model()

    fit(model, classification_data, [ModelCheckpoint(path, monitor="cost")], epochs=5)

    X, _ = classification_data
    loaded = layerwise.load(path)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_allclose(
        loaded.predict_proba(X), model.predict_proba(X), rtol=0, atol=0
    )


def test_checkpoint_every_epoch_formats_path(classification_data, tmp_path):
    checkpoint = ModelCheckpoint(
        tmp_path / "epoch-{epoch:02d}.safetensors", save_best_only=False
    )
    model = make_model()

    fit(model, classification_data, [checkpoint], epochs=3)

    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [f"epoch-0{e}.safetensors" for e in (1, 2, 3)]
    assert len(checkpoint.saved_paths) == 3


def test_csv_logger_writes_row_per_epoch(classification_data, tmp_path):
    path = tmp_path / "log.csv"
    model = make_model()

    history = fit(
        model,
        classification_data,
        [CSVLogger(path)],
        epochs=4,
        validation_data=classification_data,
    )

    with open(path, newline="") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 4
    assert list(rows[0]) == ["epoch", "cost", "val_cost", "val_accuracy"]
    assert [int(row["epoch"]) for row in rows] == [1, 2, 3, 4]
    assert [float(row["cost"]) for row in rows] == history["cost"]
    assert [float(row["val_cost"]) for row in rows] == history["val_cost"]


def test_csv_logger_appends_without_second_header(classification_data, tmp_path):
    path = tmp_path / "log.csv"
    model = NeuralNetwork((4,), dtype="float64", warm_start=True, random_state=0)

    fit(model, classification_data, [CSVLogger(path)], epochs=2)
    fit(model, classification_data, [CSVLogger(path, append=True)], epochs=3)

    lines = path.read_text().splitlines()
    assert lines[0] == "epoch,cost"
    assert len(lines) == 6


def test_csv_logger_with_separator(classification_data, tmp_path):
    path = tmp_path / "log.tsv"
    model = make_model()

    fit(model, classification_data, [CSVLogger(path, separator="\t")], epochs=2)

    assert path.read_text().splitlines()[0] == "epoch\tcost"


@pytest.fixture
def regression_data():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(30, 2)).astype(np.float32)
    y = (X @ np.array([1.0, -1.0], np.float32)).astype(np.float32)
    return X, y


def test_terminate_on_nan_stops_on_infinite_validation_cost(regression_data):
    X, y = regression_data
    terminate = TerminateOnNaN()
    model = NeuralNetwork((), random_state=0)

    # Inputs of 1e25 make the float32 squared error overflow to infinity.
    with np.errstate(over="ignore", invalid="ignore"):
        history = model.fit(
            X,
            y,
            epochs=10,
            learning_rate=0.1,
            validation_data=(np.full_like(X, 1e25), y),
            callbacks=[terminate],
        )

    assert terminate.stopped_epoch == 1
    assert model.n_epochs_ == 1
    assert math.isinf(history["val_cost"][0])
    assert model.network_.all_finite()


def test_terminate_on_nan_continues_when_finite(regression_data):
    X, y = regression_data
    terminate = TerminateOnNaN()
    model = NeuralNetwork((), random_state=0)

    model.fit(X, y, epochs=5, learning_rate=0.1, callbacks=[terminate])

    assert terminate.stopped_epoch == 0
    assert model.n_epochs_ == 5


def test_terminate_on_nan_stops_on_divergence_hook():
    terminate = TerminateOnNaN()
    terminate.set_model(SimpleNamespace(stop_training=False))

    terminate.on_divergence(4, {"cost": math.nan})

    assert terminate.model.stop_training is True
    assert terminate.stopped_epoch == 4


def test_terminate_on_nan_stops_diverging_training(regression_data):
    X, y = regression_data
    terminate = TerminateOnNaN()
    model = NeuralNetwork((), random_state=0)

    with np.errstate(over="ignore", invalid="ignore"):
        model.fit(X * 1e3, y, epochs=50, learning_rate=10.0, callbacks=[terminate])

    assert terminate.stopped_epoch > 1
    assert model.n_epochs_ == terminate.stopped_epoch - 1
    assert model.network_.all_finite()


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: EarlyStopping(patience=-1), "patience must be an integer >= 0"),
        (lambda: EarlyStopping(min_delta=-0.1), "min_delta must be a number >= 0"),
        (lambda: EarlyStopping(mode="smallest"), "mode must be 'auto', 'min' or"),
        (lambda: ModelCheckpoint("m.safetensors", mode="up"), "mode must be"),
    ],
)
def test_invalid_callback_arguments_raise(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_history_still_records(classification_data):
    model = make_model()

    history = fit(model, classification_data, [], epochs=3)

    assert isinstance(history, History)
    assert history.epoch == [1, 2, 3]
    assert len(history["cost"]) == 3
