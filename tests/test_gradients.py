"""Backpropagation against central finite differences, for every activation and cost.

Two independent checks run on each network: ``layerwise.check_gradients``,
and a finite-difference loop over a plain NumPy re-implementation of the
forward pass and the costs written below, which shares no code with the
library.
"""

import itertools

import numpy as np
import pytest

import layerwise
from layerwise import Dense
from layerwise.activations import Sigmoid

N_INPUTS = 4
LAYER_SIZES = (5, 4, 3)
N_SAMPLES = 7
EPSILON = 1e-6
TOLERANCE = 1e-6
LEAKY_SLOPE = 0.01

OUTPUT_ACTIVATIONS = ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "softmax"]
HIDDEN_ACTIVATIONS = ["identity", "sigmoid", "tanh", "relu", "leaky_relu"]
COSTS = ["mean_squared_error", "binary_cross_entropy", "categorical_cross_entropy"]
# Ordered pairs of distinct hidden activations, one per output case. The 18 cases
# use 18 of the 20 pairs, and every hidden activation appears in both positions.
HIDDEN_PAIRS = list(itertools.permutations(HIDDEN_ACTIVATIONS, 2))
PAIRS = [
    (output, cost, HIDDEN_PAIRS[index % len(HIDDEN_PAIRS)])
    for index, (output, cost) in enumerate(itertools.product(OUTPUT_ACTIVATIONS, COSTS))
]


# A reference implementation, one sample per column -------------------------------


def reference_activation(name, Z):
    if name == "identity":
        return Z
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-Z))
    if name == "tanh":
        return np.tanh(Z)
    if name == "relu":
        return np.where(Z > 0, Z, 0.0)
    if name == "leaky_relu":
        return np.where(Z > 0, Z, LEAKY_SLOPE * Z)
    if name == "softmax":
        exponentials = np.exp(Z - Z.max(axis=0))
        return exponentials / exponentials.sum(axis=0)
    raise AssertionError(f"no reference for activation {name!r}")


def reference_cost(name, A, Y):
    """Return C as defined in the library docs, from the output activations A."""
    n_outputs, n_samples = A.shape
    if name == "mean_squared_error":
        return np.sum((A - Y) ** 2) / (n_outputs * n_samples)
    if name == "binary_cross_entropy":
        return -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / n_samples
    if name == "categorical_cross_entropy":
        return -np.sum(Y * np.log(A)) / n_samples
    raise AssertionError(f"no reference for cost {name!r}")


def reference_forward(parameters, activations, A0):
    """Return the pre-activations and activations of every layer."""
    A = A0
    pre_activations, outputs = [], []
    for (W, B), name in zip(parameters, activations, strict=True):
        Z = W @ A + B
        A = reference_activation(name, Z)
        pre_activations.append(Z)
        outputs.append(A)
    return pre_activations, outputs


def reference_numeric_gradients(parameters, activations, cost, A0, Y):
    """Return (∂C/∂W, ∂C/∂B) per layer by central differences on the reference."""

    def objective():
        _, outputs = reference_forward(parameters, activations, A0)
        return reference_cost(cost, outputs[-1], Y)

    gradients = []
    for W, B in parameters:
        layer_gradients = []
        for array in (W, B):
            numeric = np.zeros_like(array)
            for index in np.ndindex(array.shape):
                original = array[index]
                array[index] = original + EPSILON
                plus = objective()
                array[index] = original - EPSILON
                minus = objective()
                array[index] = original
                numeric[index] = (plus - minus) / (2 * EPSILON)
            layer_gradients.append(numeric)
        gradients.append(tuple(layer_gradients))
    return gradients


def relative_error(analytic, numeric):
    return np.linalg.norm(analytic - numeric) / (
        np.linalg.norm(analytic) + np.linalg.norm(numeric)
    )


# Test networks and data -----------------------------------------------------------


def make_targets(rng, output_activation, cost, n_outputs):
    """Draw targets in the domain of ``cost``, one sample per column."""
    if cost == "categorical_cross_entropy":
        labels = rng.integers(0, n_outputs, N_SAMPLES)
        return np.eye(n_outputs)[:, labels]
    if cost == "binary_cross_entropy" and output_activation == "sigmoid":
        return rng.integers(0, 2, (n_outputs, N_SAMPLES)).astype(np.float64)
    if cost == "binary_cross_entropy":
        return rng.uniform(0.1, 0.9, (n_outputs, N_SAMPLES))
    return rng.standard_normal((n_outputs, N_SAMPLES))


def make_network(rng, hidden, output_activation, cost):
    """Build a three-layer float64 network whose outputs lie in the cost's domain."""
    sizes = LAYER_SIZES
    layers = [Dense(size, name) for size, name in zip(sizes[:-1], hidden, strict=True)]
    layers.append(Dense(sizes[-1], output_activation))
    network = layerwise.Network(layers, cost=cost)
    network.build(N_INPUTS, rng, np.float64)
    for layer in network.layers:
        layer.B[...] = rng.uniform(-0.5, 0.5, layer.B.shape)

    # Cross-entropy takes log A (and log(1 − A)), so outputs that are not already
    # probabilities are kept near 0.5 with small weights and a bias of 0.5.
    is_probability = output_activation in ("sigmoid", "softmax")
    if cost != "mean_squared_error" and not is_probability:
        network.layers[-1].W[...] *= 0.1
        network.layers[-1].B[...] = 0.5
    return network


def make_inputs(rng):
    """Draw inputs with |x| in [0.5, 1.5], one sample per column."""
    signs = rng.choice([-1.0, 1.0], (N_INPUTS, N_SAMPLES))
    return signs * rng.uniform(0.5, 1.5, (N_INPUTS, N_SAMPLES))


def assert_away_from_kinks(network, A0):
    """Fail when a rectifier's input is close enough to 0 for ε to cross the kink."""
    pre_activations, _ = reference_forward(
        [(layer.W, layer.B) for layer in network.layers],
        [layer.activation.name for layer in network.layers],
        A0,
    )
    for Z, layer in zip(pre_activations, network.layers, strict=True):
        if layer.activation.name in ("relu", "leaky_relu"):
            assert np.abs(Z).min() > 1e-4, f"a {layer!r} input lies on its kink"


def run_both_checks(network, A0, Y):
    """Return the max relative errors of check_gradients and of the reference loop."""
    activations = [layer.activation.name for layer in network.layers]
    parameters = [(layer.W.copy(), layer.B.copy()) for layer in network.layers]
    library_cost = network.cost_and_gradients(A0, Y)
    analytic = [(layer.dW.copy(), layer.dB.copy()) for layer in network.layers]

    _, outputs = reference_forward(parameters, activations, A0)
    expected_cost = reference_cost(network.cost.name, outputs[-1], Y)
    assert library_cost == pytest.approx(expected_cost, rel=1e-12)

    library_errors = layerwise.check_gradients(network, A0.T, Y.T, epsilon=EPSILON)
    reference = reference_numeric_gradients(
        parameters, activations, network.cost.name, A0, Y
    )
    reference_errors = []
    for analytic_pair, numeric_pair in zip(analytic, reference, strict=True):
        for gradient, numeric in zip(analytic_pair, numeric_pair, strict=True):
            reference_errors.append(relative_error(gradient, numeric))
    return max(library_errors.values()), max(reference_errors)


# Tests ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("output_activation", "cost", "hidden"),
    PAIRS,
    ids=[f"{output}-{cost}" for output, cost, _ in PAIRS],
)
def test_gradients_every_output_and_cost(rng, output_activation, cost, hidden):
    network = make_network(rng, hidden, output_activation, cost)
    A0 = make_inputs(rng)
    Y = make_targets(rng, output_activation, cost, LAYER_SIZES[-1])
    assert_away_from_kinks(network, A0)
    outputs = network.forward(A0)
    if cost != "mean_squared_error":
        assert outputs.min() > 0.01, "outputs must lie in (0, 1) for cross-entropy"
        assert outputs.max() < 0.99, "outputs must lie in (0, 1) for cross-entropy"

    library_error, reference_error = run_both_checks(network, A0, Y)

    assert library_error < TOLERANCE
    assert reference_error < TOLERANCE


@pytest.mark.parametrize("hidden_activation", HIDDEN_ACTIVATIONS)
def test_gradients_every_hidden_activation(rng, hidden_activation):
    hidden = (hidden_activation, hidden_activation)
    network = make_network(rng, hidden, "identity", "mean_squared_error")
    A0 = make_inputs(rng)
    Y = make_targets(rng, "identity", "mean_squared_error", LAYER_SIZES[-1])
    assert_away_from_kinks(network, A0)

    library_error, reference_error = run_both_checks(network, A0, Y)

    assert library_error < TOLERANCE
    assert reference_error < TOLERANCE


def test_gradients_softmax_hidden_layer(rng):
    network = make_network(rng, ("tanh", "softmax"), "sigmoid", "binary_cross_entropy")
    A0 = make_inputs(rng)
    Y = make_targets(rng, "sigmoid", "binary_cross_entropy", LAYER_SIZES[-1])

    library_error, reference_error = run_both_checks(network, A0, Y)

    assert library_error < TOLERANCE
    assert reference_error < TOLERANCE


def test_check_gradients_detects_wrong_derivative(rng, monkeypatch):
    network = make_network(rng, ("sigmoid", "tanh"), "identity", "mean_squared_error")
    A0 = make_inputs(rng)
    Y = make_targets(rng, "identity", "mean_squared_error", LAYER_SIZES[-1])

    def backward_without_derivative(self, Z, A, dA, out=None):
        # σ'(Z) dropped: a typical backpropagation mistake the check must catch.
        return dA.copy()

    monkeypatch.setattr(Sigmoid, "backward", backward_without_derivative)
    errors = layerwise.check_gradients(network, A0.T, Y.T)

    assert errors["layers.0.W"] > 1e-2
    assert errors["layers.0.B"] > 1e-2
    assert errors["layers.2.W"] < TOLERANCE


def test_check_gradients_on_trained_model(rng):
    X = rng.standard_normal((20, 3))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    model = layerwise.NeuralNetwork((5,), activation="tanh", random_state=0)
    model.fit(X, y, epochs=5)
    before = [value.copy() for value in model.network_.parameters()]

    errors = layerwise.check_gradients(model, X, y)

    assert set(errors) == {"layers.0.W", "layers.0.B", "layers.1.W", "layers.1.B"}
    assert max(errors.values()) < TOLERANCE
    for saved, value in zip(before, model.network_.parameters(), strict=True):
        assert np.array_equal(saved, value)
        assert value.dtype == np.float32


def test_check_gradients_with_dropout_layers():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(12, 5))
    y = rng.integers(0, 3, 12)
    model = layerwise.NeuralNetwork(
        (6,), dropout=0.3, activation="tanh", random_state=0, dtype="float64"
    )
    model.fit(X, y, epochs=2, learning_rate=0.01)
    errors = layerwise.check_gradients(model, X, y)
    assert max(errors.values()) < 1e-6
