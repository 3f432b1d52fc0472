"""Parity with PyTorch autograd in float64: same costs, gradients and trained weights.

PyTorch computes each cost with its own functions. Mean squared error is
``mse_loss`` averaged over every element (over the M outputs, then over the
samples). Binary cross-entropy sums over the outputs and averages over the
samples. Categorical cross-entropy is ``cross_entropy`` with probability
targets, the sample mean of −Σ y·log softmax.
"""

import numpy as np
import pytest

import layerwise
from layerwise import Callback, Dense, GradientDescent

torch = pytest.importorskip("torch")
functional = torch.nn.functional

N_INPUTS = 4
N_OUTPUTS = 3
N_SAMPLES = 10
HIDDEN = (("tanh", 6), ("leaky_relu", 5))
LEAKY_SLOPE = 0.01
LEARNING_RATE = 0.5
STEPS = 10
CASES = [
    ("identity", "mean_squared_error"),
    ("sigmoid", "mean_squared_error"),
    ("sigmoid", "binary_cross_entropy"),
    ("softmax", "binary_cross_entropy"),
    ("softmax", "categorical_cross_entropy"),
    ("sigmoid", "categorical_cross_entropy"),
]
CASE_IDS = [f"{activation}-{cost}" for activation, cost in CASES]


def torch_activation(name, Z):
    if name == "identity":
        return Z
    if name == "sigmoid":
        return torch.sigmoid(Z)
    if name == "tanh":
        return torch.tanh(Z)
    if name == "leaky_relu":
        return functional.leaky_relu(Z, negative_slope=LEAKY_SLOPE)
    if name == "softmax":
        return torch.softmax(Z, dim=0)
    raise AssertionError(f"no PyTorch activation for {name!r}")


def torch_cost(cost, output_activation, Z, A, Y):
    """Return the cost from PyTorch functions, with samples as columns of Z, A, Y."""
    n_samples = Y.shape[1]
    if cost == "mean_squared_error":
        return functional.mse_loss(A, Y, reduction="mean")
    if cost == "binary_cross_entropy" and output_activation == "sigmoid":
        total = functional.binary_cross_entropy_with_logits(Z, Y, reduction="sum")
        return total / n_samples
    if cost == "binary_cross_entropy":
        return functional.binary_cross_entropy(A, Y, reduction="sum") / n_samples
    if cost == "categorical_cross_entropy" and output_activation == "softmax":
        return functional.cross_entropy(Z.T, Y.T, reduction="mean")
    if cost == "categorical_cross_entropy":
        return -(Y * torch.log(A)).sum() / n_samples
    raise AssertionError(f"no PyTorch cost for {cost!r}")


def torch_cost_and_gradients(parameters, activations, cost, A0, Y):
    """Return the cost and (∂C/∂W, ∂C/∂B) per layer from PyTorch autograd."""
    tensors = [
        (torch.tensor(W, requires_grad=True), torch.tensor(B, requires_grad=True))
        for W, B in parameters
    ]
    A = torch.tensor(A0)
    for (W, B), name in zip(tensors, activations, strict=True):
        Z = W @ A + B
        A = torch_activation(name, Z)
    value = torch_cost(cost, activations[-1], Z, A, torch.tensor(Y))
    value.backward()
    gradients = [(W.grad.numpy(), B.grad.numpy()) for W, B in tensors]
    return value.item(), gradients


def make_network(rng, output_activation, cost):
    layers = [Dense(size, name) for name, size in HIDDEN]
    layers.append(Dense(N_OUTPUTS, output_activation))
    network = layerwise.Network(layers, cost=cost)
    network.build(N_INPUTS, rng, np.float64)
    for layer in network.layers:
        layer.B[...] = rng.uniform(-0.5, 0.5, layer.B.shape)
    return network


def make_data(rng, cost):
    """Return inputs and targets valid for ``cost``, one sample per column."""
    A0 = rng.standard_normal((N_INPUTS, N_SAMPLES))
    if cost == "categorical_cross_entropy":
        Y = np.eye(N_OUTPUTS)[:, rng.integers(0, N_OUTPUTS, N_SAMPLES)]
    elif cost == "binary_cross_entropy":
        Y = rng.integers(0, 2, (N_OUTPUTS, N_SAMPLES)).astype(np.float64)
    else:
        Y = rng.standard_normal((N_OUTPUTS, N_SAMPLES))
    return A0, Y


def copy_parameters(network):
    return [(layer.W.copy(), layer.B.copy()) for layer in network.layers]


@pytest.mark.parametrize(("output_activation", "cost"), CASES, ids=CASE_IDS)
def test_cost_and_gradients_match_torch(rng, output_activation, cost):
    network = make_network(rng, output_activation, cost)
    A0, Y = make_data(rng, cost)
    activations = [layer.activation.name for layer in network.layers]

    expected_cost, expected_gradients = torch_cost_and_gradients(
        copy_parameters(network), activations, cost, A0, Y
    )
    library_cost = network.cost_and_gradients(A0, Y)

    assert library_cost == pytest.approx(expected_cost, rel=1e-10, abs=1e-12)
    for layer, (dW, dB) in zip(network.layers, expected_gradients, strict=True):
        np.testing.assert_allclose(layer.dW, dW, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(layer.dB, dB, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("output_activation", "cost"), CASES, ids=CASE_IDS)
def test_gradient_descent_matches_torch(rng, output_activation, cost):
    network = make_network(rng, output_activation, cost)
    A0, Y = make_data(rng, cost)
    activations = [layer.activation.name for layer in network.layers]
    optimizer = GradientDescent(learning_rate=LEARNING_RATE)
    initial = copy_parameters(network)

    expected = copy_parameters(network)
    expected_costs = []
    for _ in range(STEPS):
        value, gradients = torch_cost_and_gradients(expected, activations, cost, A0, Y)
        expected_costs.append(value)
        expected = [
            (W - LEARNING_RATE * dW, B - LEARNING_RATE * dB)
            for (W, B), (dW, dB) in zip(expected, gradients, strict=True)
        ]

    library_costs = []
    for _ in range(STEPS):
        library_costs.append(network.cost_and_gradients(A0, Y))
        optimizer.step(network.parameters(), network.gradients())

    np.testing.assert_allclose(library_costs, expected_costs, rtol=1e-10, atol=1e-12)
    assert library_costs[-1] < library_costs[0]
    for layer, (W, B), (W0, _) in zip(network.layers, expected, initial, strict=True):
        np.testing.assert_allclose(layer.W, W, rtol=0, atol=1e-8)
        np.testing.assert_allclose(layer.B, B, rtol=0, atol=1e-8)
        assert np.abs(layer.W - W0).max() > 1e-3


class InitialWeights(Callback):
    """Copies the model's weights when training begins, before the first step."""

    def on_train_begin(self, logs=None):
        self.parameters = [
            (layer.W.copy(), layer.B.copy()) for layer in self.model.network_.layers
        ]


def test_minibatch_training_matches_torch(rng):
    n_samples, batch_size, epochs, learning_rate = 30, 8, 3, 0.2
    X = rng.standard_normal((n_samples, N_INPUTS))
    labels = rng.integers(0, N_OUTPUTS, n_samples)
    model = layerwise.NeuralNetwork(
        (6,), activation="tanh", dtype="float64", random_state=5
    )
    initial = InitialWeights()

    history = model.fit(
        X,
        labels,
        epochs=epochs,
        learning_rate=learning_rate,
        batch_size=batch_size,
        shuffle=False,
        callbacks=[initial],
    )

    # The same schedule in PyTorch takes batches of 8, 8, 8 and 6 rows in order.
    # An epoch's cost is the size-weighted mean of the batch costs before each step.
    activations = ["tanh", "softmax"]
    Y = np.eye(N_OUTPUTS)[:, labels]
    expected = initial.parameters
    expected_history = []
    for _ in range(epochs):
        total = 0.0
        for start in range(0, n_samples, batch_size):
            columns = slice(start, start + batch_size)
            A0, Y_batch = X.T[:, columns], Y[:, columns]
            value, gradients = torch_cost_and_gradients(
                expected, activations, "categorical_cross_entropy", A0, Y_batch
            )
            total += value * A0.shape[1]
            expected = [
                (W - learning_rate * dW, B - learning_rate * dB)
                for (W, B), (dW, dB) in zip(expected, gradients, strict=True)
            ]
        expected_history.append(total / n_samples)

    np.testing.assert_allclose(history["cost"], expected_history, rtol=1e-10)
    for layer, (W, B) in zip(model.network_.layers, expected, strict=True):
        np.testing.assert_allclose(layer.W, W, rtol=0, atol=1e-8)
        np.testing.assert_allclose(layer.B, B, rtol=0, atol=1e-8)


OPTIMIZER_PAIRS = {
    "momentum": (
        lambda: layerwise.SGD(0.1, momentum=0.9),
        lambda params: torch.optim.SGD(params, lr=0.1, momentum=0.9),
    ),
    "nesterov": (
        lambda: layerwise.SGD(0.1, momentum=0.9, nesterov=True),
        lambda params: torch.optim.SGD(params, lr=0.1, momentum=0.9, nesterov=True),
    ),
    "adam": (
        lambda: layerwise.Adam(0.01),
        lambda params: torch.optim.Adam(params, lr=0.01),
    ),
    "rmsprop": (
        lambda: layerwise.RMSprop(0.01),
        lambda params: torch.optim.RMSprop(params, lr=0.01),
    ),
    "adagrad": (
        lambda: layerwise.Adagrad(0.1),
        lambda params: torch.optim.Adagrad(params, lr=0.1),
    ),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZER_PAIRS))
def test_optimizer_on_network_matches_torch_for_20_steps(name):
    make_ours, make_theirs = OPTIMIZER_PAIRS[name]
    rng = np.random.default_rng(5)
    network = layerwise.Network(
        [Dense(6, "tanh"), Dense(3, "softmax")], "categorical_cross_entropy"
    )
    network.build(4, rng, np.float64)
    X = rng.normal(size=(4, 16))
    Y = np.eye(3)[rng.integers(0, 3, 16)].T
    weights = [
        torch.tensor(value, dtype=torch.float64, requires_grad=True)
        for value in network.parameters()
    ]
    W1, B1, W2, B2 = weights
    X_t, labels = torch.tensor(X), torch.tensor(np.argmax(Y, axis=0))
    ours, theirs = make_ours(), make_theirs(weights)
    for _ in range(20):
        network.cost_and_gradients(X, Y)
        ours.step(network.parameters(), network.gradients())
        theirs.zero_grad()
        logits = W2 @ torch.tanh(W1 @ X_t + B1) + B2
        functional.cross_entropy(logits.T, labels).backward()
        theirs.step()
    for value, weight in zip(network.parameters(), weights, strict=True):
        np.testing.assert_allclose(value, weight.detach().numpy(), rtol=0, atol=1e-8)
