"""Recurrent layers: gradient checks, PyTorch parity and training on sequences.

Sequences are (T, F, N) inside the network and (N, T, F) in PyTorch with
``batch_first=True``. The parity tests feed an upstream gradient G as dA, the
per-sample gradient of C = Σ (A ⊙ G) / N, and let PyTorch back-propagate C.
"""

import time

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import layerwise
from layerwise import Callback, Network, NeuralNetwork, check_gradients
from layerwise.layers import (
    LSTM,
    Dense,
    Flatten,
    Reshape,
    SimpleRNN,
    layer_from_config,
)

torch = pytest.importorskip("torch")

TIME_STEPS = 5
FEATURES = 3
UNITS = 4
N_SAMPLES = 6
PARITY_TOLERANCE = 1e-8
RECURRENT = {"SimpleRNN": (SimpleRNN, "RNN"), "LSTM": (LSTM, "LSTM")}


class DecayLearningRate(Callback):
    """Multiply the learning rate by ``factor`` after each epoch from ``start`` on."""

    def __init__(self, start, factor=0.7):
        self.start = start
        self.factor = factor

    def on_epoch_end(self, epoch, logs):
        if epoch >= self.start:
            self.model.optimizer_.learning_rate *= self.factor


# Gradient checks --------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(RECURRENT))
@pytest.mark.parametrize("return_sequences", [False, True], ids=["last", "sequence"])
def test_recurrent_network_gradients(kind, return_sequences, rng):
    layer_class = RECURRENT[kind][0]
    layers = [
        Reshape((TIME_STEPS, FEATURES)),
        layer_class(UNITS, return_sequences=True),
        layer_class(3, return_sequences=return_sequences),
    ]
    if return_sequences:
        layers.append(Flatten())
    layers.append(Dense(2, "softmax"))
    network = Network(layers, "categorical_cross_entropy")
    network.build(TIME_STEPS * FEATURES, np.random.default_rng(1), np.float64)
    X = rng.standard_normal((N_SAMPLES, TIME_STEPS * FEATURES))
    Y = np.eye(2)[rng.integers(0, 2, N_SAMPLES)]

    errors = check_gradients(network, X, Y)

    assert len(errors) == 10
    for name, error in errors.items():
        assert error < 1e-6, f"{name}: relative error {error:.2e}"


# PyTorch parity ---------------------------------------------------------------


def torch_module(kind, layer):
    """Return the PyTorch layer of the same kind, holding ``layer``'s parameters."""
    module = getattr(torch.nn, RECURRENT[kind][1])(
        FEATURES, layer.units, batch_first=True
    ).double()
    with torch.no_grad():
        module.weight_ih_l0.copy_(torch.tensor(layer.params["W_ih"]))
        module.weight_hh_l0.copy_(torch.tensor(layer.params["W_hh"]))
        module.bias_ih_l0.copy_(torch.tensor(layer.params["b_ih"][:, 0]))
        module.bias_hh_l0.copy_(torch.tensor(layer.params["b_hh"][:, 0]))
    return module


@pytest.mark.parametrize("kind", sorted(RECURRENT))
@pytest.mark.parametrize("return_sequences", [False, True], ids=["last", "sequence"])
def test_recurrent_matches_torch(kind, return_sequences, rng):
    layer = RECURRENT[kind][0](UNITS, return_sequences=return_sequences)
    out_size = layer.build((TIME_STEPS, FEATURES), rng, np.float64)
    A_prev = rng.standard_normal((TIME_STEPS, FEATURES, N_SAMPLES))
    out_shape = out_size if return_sequences else (out_size,)
    dA = rng.standard_normal((*out_shape, N_SAMPLES))
    module = torch_module(kind, layer)

    A = layer.forward(A_prev, training=True).copy()
    dA_prev = layer.backward(dA).copy()

    x = torch.tensor(A_prev.transpose(2, 0, 1), requires_grad=True)
    sequence, _ = module(x)
    y = sequence if return_sequences else sequence[:, -1]
    # y is (N, T, H) or (N, H), and A is (T, H, N) or (H, N).
    y_columns = y.permute(1, 2, 0) if return_sequences else y.T
    (y_columns * torch.tensor(dA)).sum().div(N_SAMPLES).backward()

    tolerance = {"rtol": 0, "atol": PARITY_TOLERANCE}
    np.testing.assert_allclose(A, y_columns.detach().numpy(), **tolerance)
    np.testing.assert_allclose(
        dA_prev, x.grad.numpy().transpose(1, 2, 0) * N_SAMPLES, **tolerance
    )
    for key, name in [
        ("W_ih", "weight_ih_l0"),
        ("W_hh", "weight_hh_l0"),
        ("b_ih", "bias_ih_l0"),
        ("b_hh", "bias_hh_l0"),
    ]:
        expected = getattr(module, name).grad.numpy().reshape(layer.grads[key].shape)
        np.testing.assert_allclose(layer.grads[key], expected, **tolerance)


def test_lstm_gates_follow_torch_order(rng):
    layer = LSTM(UNITS)
    layer.build((TIME_STEPS, FEATURES), rng, np.float64)

    assert layer.params["W_ih"].shape == (4 * UNITS, FEATURES)
    assert layer.params["W_hh"].shape == (4 * UNITS, UNITS)
    assert layer.params["b_ih"].shape == (4 * UNITS, 1)


# Validation and configuration -------------------------------------------------


def test_recurrent_rejects_flat_inputs(rng):
    with pytest.raises(ValueError, match=r"put Reshape\(\(time_steps, features\)\)"):
        LSTM(UNITS).build(15, rng, np.float64)


@pytest.mark.parametrize("units", [0, -3, 2.5, True])
def test_recurrent_rejects_invalid_units(units):
    with pytest.raises(ValueError, match="units must be a positive integer"):
        SimpleRNN(units)


def test_recurrent_rejects_non_boolean_return_sequences():
    with pytest.raises(ValueError, match="return_sequences must be True or False"):
        LSTM(UNITS, return_sequences="yes")


@pytest.mark.parametrize("kind", sorted(RECURRENT))
def test_recurrent_config_round_trip(kind):
    layer = RECURRENT[kind][0](7, return_sequences=True)

    rebuilt = layer_from_config(layer.get_config())

    assert type(rebuilt) is type(layer)
    assert rebuilt.get_config() == layer.get_config()


# Training ---------------------------------------------------------------------


def digits_split():
    """Return the 8×8 digits as rows of 64 values in [0, 1], split 75/25."""
    datasets = pytest.importorskip("sklearn.datasets")
    model_selection = pytest.importorskip("sklearn.model_selection")
    X, y = datasets.load_digits(return_X_y=True)
    return model_selection.train_test_split(
        X / 16.0, y, test_size=0.25, random_state=0, stratify=y
    )


@pytest.mark.parametrize("kind", sorted(RECURRENT))
def test_recurrent_reads_digits_row_by_row(kind):
    X_train, X_test, y_train, y_test = digits_split()
    # Each sample's 64 pixels become 8 time steps of one 8-pixel row.
    layers = [Reshape((8, 8)), RECURRENT[kind][0](64)]
    model = NeuralNetwork(hidden_layers=layers, random_state=0)

    start = time.perf_counter()
    with threadpool_limits(limits=1):
        model.fit(
            X_train,
            y_train,
            epochs=14,
            batch_size=32,
            optimizer="adam",
            learning_rate=0.005,
            callbacks=[DecayLearningRate(start=7)],
        )
    seconds = time.perf_counter() - start

    accuracy = model.score(X_test, y_test)
    print(f"{kind} digits test accuracy {accuracy:.4f} after {seconds:.1f} s")
    assert accuracy >= 0.95


def noisy_sine_windows(rng, window):
    """Return windows of a noisy sine and the value that follows each window."""
    t = np.arange(1200) * 0.1
    series = np.sin(t) + 0.1 * rng.standard_normal(t.size)
    starts = np.arange(series.size - window)
    X = series[starts[:, None] + np.arange(window)]
    return X, series[starts + window]


def test_lstm_predicts_next_sine_value(rng):
    X, y = noisy_sine_windows(rng, window=20)
    split = int(0.8 * len(X))
    # Each window of 20 values becomes 20 time steps of one feature.
    model = NeuralNetwork(hidden_layers=[Reshape((20, 1)), LSTM(16)], random_state=0)

    with threadpool_limits(limits=1):
        model.fit(
            X[:split],
            y[:split],
            epochs=20,
            batch_size=32,
            optimizer="adam",
            learning_rate=0.01,
            callbacks=[DecayLearningRate(start=10)],
        )

    r2 = model.score(X[split:], y[split:])
    print(f"LSTM next sine value test R² {r2:.4f}")
    assert r2 >= 0.95


def test_rnn_model_save_load_and_summary(tmp_path, rng):
    X, y = noisy_sine_windows(rng, window=10)
    layers = [Reshape((10, 1)), LSTM(5, return_sequences=True), SimpleRNN(4)]
    model = NeuralNetwork(hidden_layers=layers, random_state=0)
    model.fit(X[:100], y[:100], epochs=2, batch_size=25)
    path = tmp_path / "rnn.safetensors"

    model.save(path)
    loaded = layerwise.load(path)

    np.testing.assert_array_equal(loaded.predict(X[100:]), model.predict(X[100:]))
    summary = model.summary()
    assert "LSTM" in summary
    assert f"Total parameters: {model.network_.n_parameters}" in summary
