"""Activation functions: values, derivatives against finite differences, limits."""

import numpy as np
import pytest

from layerwise.activations import (
    Identity,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    get_activation,
)

EPSILON = 1e-6
ELEMENTWISE = [Identity(), Sigmoid(), Tanh(), ReLU(), LeakyReLU(0.1)]


def away_from_zero(rng, shape):
    """Draw values with |z| in [0.1, 3], so that no rectifier kink lies within ε."""
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.1, 3.0, shape)


@pytest.mark.parametrize("activation", ELEMENTWISE, ids=repr)
def test_backward_matches_finite_differences(rng, activation):
    Z = away_from_zero(rng, (4, 6))
    dA = rng.standard_normal((4, 6))
    derivative = (activation.forward(Z + EPSILON) - activation.forward(Z - EPSILON)) / (
        2 * EPSILON
    )

    dZ = activation.backward(Z, activation.forward(Z), dA)

    np.testing.assert_allclose(dZ, derivative * dA, rtol=1e-7, atol=1e-9)


def test_softmax_jacobian_vector_product(rng):
    Z = rng.standard_normal((5, 3))
    dA = rng.standard_normal((5, 3))
    softmax = Softmax()
    A = softmax.forward(Z)
    expected = np.zeros_like(Z)
    for column in range(Z.shape[1]):
        # Column k of the Jacobian is ∂A/∂z_k, by central differences.
        jacobian = np.zeros((5, 5))
        for k in range(5):
            step = np.zeros((5, 1))
            step[k] = EPSILON
            plus = softmax.forward(Z[:, [column]] + step)
            minus = softmax.forward(Z[:, [column]] - step)
            jacobian[:, k] = ((plus - minus) / (2 * EPSILON))[:, 0]
        expected[:, column] = jacobian.T @ dA[:, column]

    dZ = softmax.backward(Z, A, dA)

    np.testing.assert_allclose(dZ, expected, rtol=1e-7, atol=1e-9)


def test_softmax_jacobian_closed_form(rng):
    z = rng.standard_normal((4, 1))
    softmax = Softmax()
    s = softmax.forward(z)
    jacobian = np.diagflat(s) - s @ s.T
    columns = [softmax.backward(z, s, unit) for unit in np.eye(4)[:, :, None]]

    np.testing.assert_allclose(np.hstack(columns), jacobian, rtol=1e-12, atol=1e-15)


def test_known_values():
    Z = np.array([[-2.0, 0.0, 3.0]])

    np.testing.assert_array_equal(Identity().forward(Z), Z)
    np.testing.assert_allclose(Sigmoid().forward(Z), 1 / (1 + np.exp(-Z)), rtol=1e-15)
    assert Sigmoid().forward(np.zeros((1, 1)))[0, 0] == 0.5
    np.testing.assert_allclose(Tanh().forward(Z), np.tanh(Z), rtol=1e-15)
    np.testing.assert_array_equal(ReLU().forward(Z), [[0.0, 0.0, 3.0]])
    np.testing.assert_array_equal(LeakyReLU(0.1).forward(Z), [[-0.2, 0.0, 3.0]])


def test_rectifier_derivative_at_zero():
    Z = np.zeros((1, 1))
    dA = np.ones((1, 1))

    assert ReLU().backward(Z, ReLU().forward(Z), dA)[0, 0] == 0.0
    assert LeakyReLU(0.1).backward(Z, Z, dA)[0, 0] == pytest.approx(0.1)


def test_softmax_columns_are_distributions(rng):
    Z = 5 * rng.standard_normal((6, 8))

    A = Softmax().forward(Z)

    np.testing.assert_allclose(A.sum(axis=0), 1.0, rtol=1e-14)
    assert (A > 0).all()
    np.testing.assert_allclose(Softmax().forward(Z + 100.0), A, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_saturates_exactly(dtype):
    Z = np.array([[-1000.0, 1000.0]], dtype=dtype)

    A = Sigmoid().forward(Z)
    dZ = Sigmoid().backward(Z, A, np.ones_like(Z))

    assert A[0, 0] == 0.0
    assert A[0, 1] == 1.0
    assert A.dtype == dtype
    np.testing.assert_array_equal(dZ, [[0.0, 0.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_extreme_logits(dtype):
    Z = np.array([[1000.0, -1000.0], [-1000.0, 1000.0], [0.0, 0.0]], dtype=dtype)

    A = Softmax().forward(Z)
    dZ = Softmax().backward(Z, A, np.ones_like(Z))

    np.testing.assert_array_equal(A, [[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    assert A.dtype == dtype
    assert np.isfinite(dZ).all()


def test_tanh_and_rectifiers_extreme_inputs():
    Z = np.array([[-1000.0, 1000.0]])

    np.testing.assert_array_equal(Tanh().forward(Z), [[-1.0, 1.0]])
    np.testing.assert_array_equal(ReLU().forward(Z), [[0.0, 1000.0]])
    np.testing.assert_allclose(LeakyReLU(0.01).forward(Z), [[-10.0, 1000.0]])


@pytest.mark.parametrize("activation", [*ELEMENTWISE, Softmax()], ids=repr)
def test_forward_and_backward_write_into_out(rng, activation):
    Z = away_from_zero(rng, (3, 4))
    dA = rng.standard_normal((3, 4))
    A_out = np.empty_like(Z)
    dZ_out = np.empty_like(Z)

    A = activation.forward(Z, out=A_out)
    dZ = activation.backward(Z, A, dA, out=dZ_out)

    assert A is A_out
    assert dZ is dZ_out
    np.testing.assert_array_equal(A, activation.forward(Z))
    np.testing.assert_array_equal(dZ, activation.backward(Z, A, dA))


def test_get_activation_names_and_aliases():
    assert isinstance(get_activation("relu"), ReLU)
    assert isinstance(get_activation("logistic"), Sigmoid)
    assert isinstance(get_activation("Linear"), Identity)
    leaky = get_activation({"name": "leaky_relu", "negative_slope": 0.2})
    assert leaky == LeakyReLU(0.2)
    assert get_activation(leaky.get_config()) == leaky


def test_get_activation_unknown_name():
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        get_activation("swish")


@pytest.mark.parametrize("slope", [-0.1, 1.0])
def test_leaky_relu_invalid_slope(slope):
    with pytest.raises(ValueError, match=f"negative_slope must be in .*{slope}"):
        LeakyReLU(slope)
