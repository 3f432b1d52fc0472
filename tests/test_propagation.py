"""The four matrix formulas of one layer, against per-element sums."""

import numpy as np
import pytest

from layerwise import propagation

N_OUT, N_IN, N_SAMPLES = 4, 3, 6


@pytest.fixture
def layer_arrays(rng):
    W = rng.standard_normal((N_OUT, N_IN))
    B = rng.standard_normal((N_OUT, 1))
    A_prev = rng.standard_normal((N_IN, N_SAMPLES))
    dZ = rng.standard_normal((N_OUT, N_SAMPLES))
    return W, B, A_prev, dZ


def test_pre_activation_matches_neuron_sums(layer_arrays):
    W, B, A_prev, _ = layer_arrays
    expected = np.zeros((N_OUT, N_SAMPLES))
    for j in range(N_OUT):
        for i in range(N_SAMPLES):
            expected[j, i] = sum(W[j, k] * A_prev[k, i] for k in range(N_IN)) + B[j, 0]

    Z = propagation.pre_activation(W, A_prev, B)

    assert Z.shape == (N_OUT, N_SAMPLES)
    np.testing.assert_allclose(Z, expected, rtol=1e-13, atol=1e-15)


def test_weight_gradient_is_batch_mean(layer_arrays):
    _, _, A_prev, dZ = layer_arrays
    expected = np.zeros((N_OUT, N_IN))
    for j in range(N_OUT):
        for k in range(N_IN):
            expected[j, k] = sum(dZ[j, i] * A_prev[k, i] for i in range(N_SAMPLES))
    expected /= N_SAMPLES

    dW = propagation.weight_gradient(dZ, A_prev)

    assert dW.shape == (N_OUT, N_IN)
    np.testing.assert_allclose(dW, expected, rtol=1e-13, atol=1e-15)


def test_bias_gradient_keeps_column_shape(layer_arrays):
    _, _, _, dZ = layer_arrays
    expected = np.array([[sum(dZ[j]) / N_SAMPLES] for j in range(N_OUT)])

    dB = propagation.bias_gradient(dZ)

    assert dB.shape == (N_OUT, 1)
    np.testing.assert_allclose(dB, expected, rtol=1e-13, atol=1e-15)


def test_previous_activation_gradient_sums_over_neurons(layer_arrays):
    W, _, _, dZ = layer_arrays
    expected = np.zeros((N_IN, N_SAMPLES))
    for k in range(N_IN):
        for i in range(N_SAMPLES):
            expected[k, i] = sum(W[j, k] * dZ[j, i] for j in range(N_OUT))

    dA_prev = propagation.previous_activation_gradient(W, dZ)

    assert dA_prev.shape == (N_IN, N_SAMPLES)
    np.testing.assert_allclose(dA_prev, expected, rtol=1e-13, atol=1e-15)


def test_single_sample_gradient_is_outer_product(layer_arrays):
    _, _, A_prev, dZ = layer_arrays
    a, dz = A_prev[:, :1], dZ[:, :1]

    np.testing.assert_allclose(propagation.weight_gradient(dz, a), dz @ a.T)
    np.testing.assert_allclose(propagation.bias_gradient(dz), dz)


def test_functions_write_into_out(layer_arrays):
    W, B, A_prev, dZ = layer_arrays
    Z_out = np.empty((N_OUT, N_SAMPLES))
    dW_out = np.empty((N_OUT, N_IN))
    dB_out = np.empty((N_OUT, 1))
    dA_out = np.empty((N_IN, N_SAMPLES))

    Z = propagation.pre_activation(W, A_prev, B, out=Z_out)
    dW = propagation.weight_gradient(dZ, A_prev, out=dW_out)
    dB = propagation.bias_gradient(dZ, out=dB_out)
    dA_prev = propagation.previous_activation_gradient(W, dZ, out=dA_out)

    assert Z is Z_out
    assert dW is dW_out
    assert dB is dB_out
    assert dA_prev is dA_out
    np.testing.assert_allclose(Z, W @ A_prev + B)
    np.testing.assert_allclose(dW, dZ @ A_prev.T / N_SAMPLES)
    np.testing.assert_allclose(dB, dZ.mean(axis=1, keepdims=True))
    np.testing.assert_allclose(dA_prev, W.T @ dZ)


def test_float32_stays_float32(layer_arrays):
    W, B, A_prev, dZ = (array.astype(np.float32) for array in layer_arrays)

    assert propagation.pre_activation(W, A_prev, B).dtype == np.float32
    assert propagation.weight_gradient(dZ, A_prev).dtype == np.float32
    assert propagation.bias_gradient(dZ).dtype == np.float32
    assert propagation.previous_activation_gradient(W, dZ).dtype == np.float32
