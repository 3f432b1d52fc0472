"""A hand-worked example on a 5-4-3 network: 5 inputs, 4 sigmoid neurons, 3 outputs.

Every quantity is computed here neuron by neuron, with explicit loops over
the neuron j of layer l and the neuron k of layer l − 1 (w_jk connects k to j),
and one loop over the samples i. None of it uses matrix products, so it checks
the library's matrix code against the per-neuron sums it stands for.
"""

import math

import numpy as np
import pytest

import layerwise
from layerwise import Dense, GradientDescent

LEARNING_RATE = 0.5

# W^[1] (4 × 5): row j contains the weights w_jk from the 5 inputs into hidden neuron j.
W1 = [
    [0.10, -0.20, 0.05, 0.30, -0.10],
    [-0.30, 0.10, 0.20, -0.05, 0.15],
    [0.25, 0.05, -0.15, 0.10, 0.20],
    [-0.05, 0.30, 0.10, -0.20, 0.05],
]
B1 = [0.01, -0.02, 0.03, 0.00]
# W^[2] (3 × 4): row j contains the weights from the 4 hidden neurons into output j.
W2 = [
    [0.20, -0.10, 0.30, 0.05],
    [-0.25, 0.15, 0.10, -0.20],
    [0.05, 0.20, -0.30, 0.10],
]
B2 = [0.02, -0.01, 0.00]
# Four samples, one per row here: x_k for k = 1..5.
SAMPLES = [
    [0.5, -1.0, 0.25, 0.0, 1.5],
    [1.0, 0.5, -0.5, 2.0, -0.25],
    [-1.5, 0.75, 1.0, -0.5, 0.5],
    [0.0, -0.25, 2.0, 1.0, -1.0],
]
# Targets for the squared-error case (values in [0, 1]) and one-hot class labels.
REGRESSION_TARGETS = [
    [0.0, 1.0, 0.5],
    [1.0, 0.0, 0.25],
    [0.5, 0.5, 1.0],
    [0.25, 0.75, 0.0],
]
CLASS_TARGETS = [
    [1.0, 0.0, 0.0],
    [0.0, 1.0, 0.0],
    [0.0, 0.0, 1.0],
    [0.0, 1.0, 0.0],
]
CASES = {
    "sigmoid-mse": ("sigmoid", "mean_squared_error", REGRESSION_TARGETS),
    "softmax-cce": ("softmax", "categorical_cross_entropy", CLASS_TARGETS),
}


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


def dense_by_neuron(weights, biases, inputs):
    """Return z_j = Σ_k w_jk·x_k + b_j for each neuron j of one layer."""
    return [
        sum(weights[j][k] * inputs[k] for k in range(len(inputs))) + biases[j]
        for j in range(len(weights))
    ]


def softmax_by_neuron(z):
    largest = max(z)
    exponentials = [math.exp(value - largest) for value in z]
    total = sum(exponentials)
    return [value / total for value in exponentials]


def work_by_hand(output_activation, cost, targets):
    """Return every intermediate of one forward, backward and update, per neuron.

    Arrays are returned with one sample per column, matching the library.
    """
    n_samples, n_inputs, n_hidden, n_outputs = 4, 5, 4, 3
    Z1 = np.zeros((n_hidden, n_samples))
    A1 = np.zeros((n_hidden, n_samples))
    Z2 = np.zeros((n_outputs, n_samples))
    A2 = np.zeros((n_outputs, n_samples))
    dZ2 = np.zeros((n_outputs, n_samples))
    dZ1 = np.zeros((n_hidden, n_samples))
    total_cost = 0.0

    for i in range(n_samples):
        x = SAMPLES[i]
        y = targets[i]

        # Forward propagation, neuron by neuron.
        z1 = dense_by_neuron(W1, B1, x)
        a1 = [sigmoid(z) for z in z1]
        z2 = dense_by_neuron(W2, B2, a1)
        if output_activation == "sigmoid":
            a2 = [sigmoid(z) for z in z2]
        else:
            a2 = softmax_by_neuron(z2)

        # The per-sample cost C_i and dZ_j^[2] = ∂C_i/∂z_j^[2].
        if cost == "mean_squared_error":
            total_cost += sum((a2[j] - y[j]) ** 2 for j in range(n_outputs)) / n_outputs
            for j in range(n_outputs):
                dC_da = 2.0 / n_outputs * (a2[j] - y[j])
                dZ2[j, i] = dC_da * a2[j] * (1.0 - a2[j])
        else:
            total_cost += -sum(y[j] * math.log(a2[j]) for j in range(n_outputs))
            for j in range(n_outputs):
                dZ2[j, i] = a2[j] - y[j]

        # dA_k^[1] = Σ_j w_jk^[2]·dZ_j^[2], then dZ_k^[1] = σ'(z_k^[1])·dA_k^[1].
        for k in range(n_hidden):
            dA1_k = sum(W2[j][k] * dZ2[j, i] for j in range(n_outputs))
            dZ1[k, i] = dA1_k * a1[k] * (1.0 - a1[k])

        Z1[:, i], A1[:, i], Z2[:, i], A2[:, i] = z1, a1, z2, a2

    # Gradients: the batch mean of the per-sample gradients.
    dW2 = np.zeros((n_outputs, n_hidden))
    dB2 = np.zeros((n_outputs, 1))
    for j in range(n_outputs):
        dB2[j, 0] = sum(dZ2[j, i] for i in range(n_samples)) / n_samples
        for k in range(n_hidden):
            dW2[j, k] = sum(dZ2[j, i] * A1[k, i] for i in range(n_samples)) / n_samples
    dW1 = np.zeros((n_hidden, n_inputs))
    dB1 = np.zeros((n_hidden, 1))
    for j in range(n_hidden):
        dB1[j, 0] = sum(dZ1[j, i] for i in range(n_samples)) / n_samples
        for k in range(n_inputs):
            dW1[j, k] = (
                sum(dZ1[j, i] * SAMPLES[i][k] for i in range(n_samples)) / n_samples
            )

    # One gradient-descent step, w_jk ← w_jk − α·∂C/∂w_jk.
    new_W1 = [
        [W1[j][k] - LEARNING_RATE * dW1[j, k] for k in range(n_inputs)]
        for j in range(n_hidden)
    ]
    new_B1 = [B1[j] - LEARNING_RATE * dB1[j, 0] for j in range(n_hidden)]
    new_W2 = [
        [W2[j][k] - LEARNING_RATE * dW2[j, k] for k in range(n_hidden)]
        for j in range(n_outputs)
    ]
    new_B2 = [B2[j] - LEARNING_RATE * dB2[j, 0] for j in range(n_outputs)]

    return {
        "Z1": Z1,
        "A1": A1,
        "Z2": Z2,
        "A2": A2,
        "cost": total_cost / n_samples,
        "dZ1": dZ1,
        "dZ2": dZ2,
        "dW1": dW1,
        "dB1": dB1,
        "dW2": dW2,
        "dB2": dB2,
        "new_W1": np.array(new_W1),
        "new_B1": np.array(new_B1).reshape(-1, 1),
        "new_W2": np.array(new_W2),
        "new_B2": np.array(new_B2).reshape(-1, 1),
    }


def build_network(output_activation, cost):
    network = layerwise.Network(
        [Dense(4, "sigmoid"), Dense(3, output_activation)], cost=cost
    )
    network.build(5, np.random.default_rng(0), np.float64)
    hidden, output = network.layers
    hidden.W[...] = W1
    hidden.B[...] = np.array(B1).reshape(-1, 1)
    output.W[...] = W2
    output.B[...] = np.array(B2).reshape(-1, 1)
    return network


def test_parameter_shapes():
    network = build_network("sigmoid", "mean_squared_error")
    hidden, output = network.layers

    assert hidden.W.shape == (4, 5)
    assert hidden.B.shape == (4, 1)
    assert output.W.shape == (3, 4)
    assert output.B.shape == (3, 1)
    assert network.n_parameters == 4 * 5 + 4 + 3 * 4 + 3


def test_gradient_shapes_for_batch_of_four():
    network = build_network("sigmoid", "mean_squared_error")
    A0 = np.array(SAMPLES).T
    Y = np.array(REGRESSION_TARGETS).T
    network.cost_and_gradients(A0, Y)
    hidden, output = network.layers

    assert A0.shape == (5, 4)
    assert hidden.dW.shape == (4, 5)
    assert hidden.dB.shape == (4, 1)
    assert output.dW.shape == (3, 4)
    assert output.dB.shape == (3, 1)


@pytest.mark.parametrize("case", CASES)
def test_forward_matches_hand_computation(case):
    output_activation, cost, targets = CASES[case]
    expected = work_by_hand(output_activation, cost, targets)
    network = build_network(output_activation, cost)
    hidden, output = network.layers

    A2 = network.forward(np.array(SAMPLES).T)

    np.testing.assert_allclose(hidden.last_pre_activation, expected["Z1"], rtol=1e-13)
    np.testing.assert_allclose(hidden.last_output, expected["A1"], rtol=1e-13)
    np.testing.assert_allclose(output.last_pre_activation, expected["Z2"], rtol=1e-12)
    np.testing.assert_allclose(A2, expected["A2"], rtol=1e-13)


@pytest.mark.parametrize("case", CASES)
def test_backward_matches_hand_computation(case):
    output_activation, cost, targets = CASES[case]
    expected = work_by_hand(output_activation, cost, targets)
    network = build_network(output_activation, cost)
    hidden, output = network.layers
    A0 = np.array(SAMPLES).T
    Y = np.array(targets).T

    cost_value = network.cost_and_gradients(A0, Y)
    # dZ from the library's own pieces: the cost gradient, then g'(Z) ⊙ dA.
    if network.fused_output:
        dZ2 = network.cost.gradient_from_logits(output.last_output, Y)
    else:
        dA2 = network.cost.gradient(output.last_output, Y)
        dZ2 = output.activation.backward(
            output.last_pre_activation, output.last_output, dA2
        )
    dA1 = layerwise.propagation.previous_activation_gradient(output.W, dZ2)
    dZ1 = hidden.activation.backward(
        hidden.last_pre_activation, hidden.last_output, dA1
    )

    assert cost_value == pytest.approx(expected["cost"], rel=1e-13)
    np.testing.assert_allclose(dZ2, expected["dZ2"], rtol=1e-12, atol=1e-16)
    np.testing.assert_allclose(dZ1, expected["dZ1"], rtol=1e-11, atol=1e-16)
    np.testing.assert_allclose(output.dW, expected["dW2"], rtol=1e-12, atol=1e-16)
    np.testing.assert_allclose(output.dB, expected["dB2"], rtol=1e-12, atol=1e-16)
    np.testing.assert_allclose(hidden.dW, expected["dW1"], rtol=1e-11, atol=1e-16)
    np.testing.assert_allclose(hidden.dB, expected["dB1"], rtol=1e-11, atol=1e-16)


@pytest.mark.parametrize("case", CASES)
def test_gradient_descent_step_matches_hand_computation(case):
    output_activation, cost, targets = CASES[case]
    expected = work_by_hand(output_activation, cost, targets)
    network = build_network(output_activation, cost)
    hidden, output = network.layers
    optimizer = GradientDescent(learning_rate=LEARNING_RATE)

    network.cost_and_gradients(np.array(SAMPLES).T, np.array(targets).T)
    optimizer.step(network.parameters(), network.gradients())

    np.testing.assert_allclose(hidden.W, expected["new_W1"], rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(hidden.B, expected["new_B1"], rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(output.W, expected["new_W2"], rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(output.B, expected["new_B2"], rtol=1e-13, atol=1e-16)
    assert not np.array_equal(hidden.W, np.array(W1))
    assert not np.array_equal(output.B, np.array(B2).reshape(-1, 1))
