"""Cost functions: values, gradients, the logit forms and their finite limits."""

import numpy as np
import pytest
from scipy import special

import layerwise
from layerwise import Dense
from layerwise.activations import Sigmoid, Softmax
from layerwise.costs import (
    BinaryCrossEntropy,
    CategoricalCrossEntropy,
    MeanSquaredError,
    get_cost,
)

EPSILON = 1e-6
COSTS = [MeanSquaredError(), BinaryCrossEntropy(), CategoricalCrossEntropy()]


def numeric_gradient(cost, A, Y):
    """Return N·∂C/∂A by central differences, the library's per-sample gradient."""
    n_samples = A.shape[1]
    gradient = np.zeros_like(A)
    for index in np.ndindex(A.shape):
        step = np.zeros_like(A)
        step[index] = EPSILON
        plus = cost.cost(A + step, Y)
        minus = cost.cost(A - step, Y)
        gradient[index] = n_samples * (plus - minus) / (2 * EPSILON)
    return gradient


def probability_targets(rng, cost, shape):
    if isinstance(cost, CategoricalCrossEntropy):
        return np.eye(shape[0])[:, rng.integers(0, shape[0], shape[1])]
    return rng.uniform(0.0, 1.0, shape)


# Values ------------------------------------------------------------------------


def test_mean_squared_error_value():
    A = np.array([[1.0, 0.0], [2.0, 3.0]])
    Y = np.array([[0.0, 0.0], [0.0, 1.0]])
    # Sample 1: (1 + 4) / 2 = 2.5. Sample 2: (0 + 4) / 2 = 2. Mean: 2.25.

    assert MeanSquaredError().cost(A, Y) == pytest.approx(2.25, rel=1e-15)
    np.testing.assert_allclose(MeanSquaredError().per_sample(A, Y), [2.5, 2.0])


def test_binary_cross_entropy_value():
    A = np.array([[0.8, 0.4], [0.3, 0.9]])
    Y = np.array([[1.0, 0.0], [0.0, 1.0]])
    per_sample = [
        -np.log(0.8) - np.log(0.7),
        -np.log(0.6) - np.log(0.9),
    ]

    np.testing.assert_allclose(BinaryCrossEntropy().per_sample(A, Y), per_sample)
    assert BinaryCrossEntropy().cost(A, Y) == pytest.approx(np.mean(per_sample))


def test_categorical_cross_entropy_value():
    A = np.array([[0.7, 0.1], [0.2, 0.3], [0.1, 0.6]])
    Y = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]])

    np.testing.assert_allclose(
        CategoricalCrossEntropy().per_sample(A, Y), [-np.log(0.7), -np.log(0.6)]
    )


def test_sample_weight_gives_weighted_mean(rng):
    A = rng.uniform(0.1, 0.9, (2, 4))
    Y = rng.uniform(0.0, 1.0, (2, 4))
    weight = np.array([1.0, 0.0, 3.0, 0.5])
    cost = BinaryCrossEntropy()
    per_sample = cost.per_sample(A, Y)

    value = cost.cost(A, Y, weight)
    gradient = cost.gradient(A, Y, weight)

    assert value == pytest.approx(np.sum(weight * per_sample) / weight.sum())
    expected = cost.per_sample_gradient(A, Y) * weight * 4 / weight.sum()
    np.testing.assert_allclose(gradient, expected, rtol=1e-14)
    np.testing.assert_array_equal(gradient[:, 1], 0.0)


# Gradients ---------------------------------------------------------------------


@pytest.mark.parametrize("cost", COSTS, ids=repr)
def test_gradient_matches_finite_differences(rng, cost):
    A = rng.uniform(0.1, 0.9, (3, 5))
    Y = probability_targets(rng, cost, (3, 5))

    gradient = cost.gradient(A, Y)

    np.testing.assert_allclose(gradient, numeric_gradient(cost, A, Y), rtol=1e-6)


@pytest.mark.parametrize(
    ("cost", "activation"),
    [(BinaryCrossEntropy(), Sigmoid()), (CategoricalCrossEntropy(), Softmax())],
    ids=["bce-sigmoid", "cce-softmax"],
)
def test_logit_form_matches_probability_form(rng, cost, activation):
    Z = 2 * rng.standard_normal((3, 6))
    A = activation.forward(Z)
    Y = probability_targets(rng, cost, Z.shape)

    from_logits = cost.cost_from_logits(Z, Y)
    dZ_fused = cost.gradient_from_logits(A, Y)
    dZ_chain = activation.backward(Z, A, cost.gradient(A, Y))

    assert from_logits == pytest.approx(cost.cost(A, Y), rel=1e-12)
    np.testing.assert_allclose(dZ_fused, dZ_chain, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(dZ_fused, A - Y, rtol=1e-12, atol=1e-15)


def test_categorical_logit_gradient_soft_targets(rng):
    Z = rng.standard_normal((4, 3))
    A = Softmax().forward(Z)
    Y = rng.uniform(0.0, 1.0, (4, 3))
    per_sample = CategoricalCrossEntropy().per_sample_from_logits
    numeric = np.zeros_like(Z)
    for index in np.ndindex(Z.shape):
        step = np.zeros_like(Z)
        step[index] = EPSILON
        difference = per_sample(Z + step, Y) - per_sample(Z - step, Y)
        numeric[index] = difference[index[1]] / (2 * EPSILON)

    gradient = CategoricalCrossEntropy().gradient_from_logits(A, Y)

    np.testing.assert_allclose(gradient, numeric, rtol=1e-7, atol=1e-10)


# Limits at ±1000 ---------------------------------------------------------------


def test_binary_cross_entropy_extreme_logits():
    Z = np.array([[40.0, -1000.0, 1000.0, 1000.0, -1000.0]])
    Y = np.array([[0.0, 1.0, 1.0, 0.0, 0.0]])

    per_sample = BinaryCrossEntropy().per_sample_from_logits(Z, Y)

    assert per_sample[0] == pytest.approx(40.0, rel=1e-15)
    assert per_sample[1] == 1000.0
    assert per_sample[2] == 0.0
    assert per_sample[3] == 1000.0
    assert per_sample[4] == 0.0


def test_categorical_cross_entropy_extreme_logits():
    Z = np.array([[1000.0, 1000.0], [-1000.0, -1000.0]])
    Y = np.array([[0.0, 1.0], [1.0, 0.0]])

    per_sample = CategoricalCrossEntropy().per_sample_from_logits(Z, Y)

    assert per_sample[0] == pytest.approx(2000.0, rel=1e-15)
    assert per_sample[1] == 0.0


@pytest.mark.parametrize(
    ("cost", "wrong_terms"),
    [(BinaryCrossEntropy(), 2), (CategoricalCrossEntropy(), 1)],
    ids=["bce", "cce"],
)
def test_cross_entropy_saturated_probabilities_are_finite(cost, wrong_terms):
    # Sample 1 puts probability 0 on its true outputs, sample 2 probability 1.
    A = np.array([[0.0, 1.0], [1.0, 0.0]])
    Y = np.array([[1.0, 1.0], [0.0, 0.0]])
    # Probabilities are clipped to [ε, 1 − ε], so each wrong term costs −log ε.
    wrong_term = -np.log(np.finfo(np.float64).eps)

    value = cost.cost(A, Y)
    gradient = cost.gradient(A, Y)

    assert np.isfinite(value)
    assert value == pytest.approx(wrong_terms * wrong_term / 2, rel=1e-12)
    assert np.isfinite(gradient).all()


def test_mean_squared_error_extreme_values():
    A = np.array([[1000.0, -1000.0]])
    Y = np.zeros((1, 2))

    assert MeanSquaredError().cost(A, Y) == 1e6
    np.testing.assert_array_equal(MeanSquaredError().gradient(A, Y), [[2e3, -2e3]])


@pytest.mark.parametrize(
    ("output_activation", "cost"),
    [("sigmoid", "binary_cross_entropy"), ("softmax", "categorical_cross_entropy")],
)
def test_network_cost_finite_at_extreme_logits(output_activation, cost):
    network = layerwise.Network([Dense(2, output_activation)], cost=cost)
    network.build(1, np.random.default_rng(0), np.float64)
    network.layers[0].W[...] = [[1000.0], [-1000.0]]
    A0 = np.array([[1.0, -1.0]])
    Y = np.array([[0.0, 0.0], [1.0, 1.0]])
    # Sample 1 has Z = (1000, −1000) against the opposite target, costing 2000 in
    # both costs. Sample 2 has Z = (−1000, 1000) and matches, costing 0.
    expected = (2000.0 + 0.0) / 2

    value = network.cost_and_gradients(A0, Y)

    assert value == pytest.approx(expected, rel=1e-15)
    assert np.isfinite(network.layers[0].dW).all()
    assert np.isfinite(network.layers[0].dB).all()


def test_categorical_logits_large_offset():
    Z = np.array([[1000.0], [-1000.0], [999.0]])
    Y = np.array([[0.0], [0.0], [1.0]])
    expected = special.logsumexp(Z) - 999.0

    per_sample = CategoricalCrossEntropy().per_sample_from_logits(Z, Y)

    assert per_sample[0] == pytest.approx(expected, rel=1e-15)
    assert per_sample[0] == pytest.approx(np.log1p(np.exp(1.0)), rel=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_log_normalizer_matches_logsumexp(rng, dtype):
    Z = (rng.standard_normal((5, 7)) * [[1.0], [10.0], [100.0], [1e3], [1e4]]).astype(
        dtype
    )
    softmax = Softmax()

    softmax.forward(Z)
    normalizer = softmax.log_normalizer(Z)

    rtol = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(
        normalizer, special.logsumexp(Z, axis=0)[None], rtol=rtol
    )
    assert softmax.log_normalizer(Z.copy()) is None  # a different array


@pytest.mark.parametrize("sample_weight", [None, np.array([1.0, 0.0, 2.5, 1.0])])
def test_categorical_cost_with_reused_normalizer(rng, sample_weight):
    Z = rng.standard_normal((3, 4)) * 20
    Y = np.eye(3)[:, [0, 2, 1, 1]]
    cost = CategoricalCrossEntropy()
    softmax = Softmax()
    softmax.forward(Z)

    reused = cost.cost_from_logits(Z, Y, sample_weight, softmax.log_normalizer(Z))
    computed = cost.cost_from_logits(Z, Y, sample_weight)
    by_hand = np.average(
        -np.sum(Y * special.log_softmax(Z, axis=0), axis=0), weights=sample_weight
    )

    assert reused == pytest.approx(by_hand, rel=1e-13)
    assert computed == pytest.approx(by_hand, rel=1e-13)


def test_network_cost_ignores_a_stale_normalizer(rng):
    network = layerwise.Network([Dense(3, "softmax")], cost="cce")
    network.build(2, rng, np.float64)
    A_train, A_other = rng.standard_normal((2, 4)), rng.standard_normal((2, 5))
    Y_train = np.eye(3)[:, [0, 1, 2, 0]]
    expected = network.cost.cost_from_logits(
        network.layers[0].W @ A_train + network.layers[0].B, Y_train
    )

    network.forward(A_train, training=True)
    network.layers[0].activation.forward(A_other[:1].repeat(3, axis=0))

    assert network.compute_cost(Y_train) == pytest.approx(expected, rel=1e-14)


class _ThreeArgumentCost(CategoricalCrossEntropy):
    """A subclass written against the three-argument ``cost_from_logits``."""

    def cost_from_logits(self, Z, Y, sample_weight=None):
        return 2.0 * super().cost_from_logits(Z, Y, sample_weight)


class _SmoothedCost(CategoricalCrossEntropy):
    """Label smoothing through ``per_sample_from_logits`` alone."""

    def per_sample_from_logits(self, Z, Y, log_normalizer=None):
        smoothed = 0.9 * Y + 0.1 / Y.shape[0]
        return super().per_sample_from_logits(Z, smoothed, log_normalizer)


@pytest.mark.parametrize(
    ("cost", "factor"), [(_ThreeArgumentCost(), 2.0), (_SmoothedCost(), None)]
)
def test_network_uses_cost_subclass_overrides(rng, cost, factor):
    network = layerwise.Network([Dense(3, "softmax")], cost=cost)
    network.build(2, rng, np.float64)
    A0, Y = rng.standard_normal((2, 6)), np.eye(3)[:, [0, 1, 2, 0, 1, 2]]
    Z = network.layers[0].W @ A0 + network.layers[0].B
    log_probabilities = special.log_softmax(Z, axis=0)
    if factor is None:  # the smoothed targets count
        expected = -np.mean(np.sum((0.9 * Y + 0.1 / 3) * log_probabilities, axis=0))
    else:
        expected = -factor * np.mean(np.sum(Y * log_probabilities, axis=0))

    network.forward(A0, training=True)

    assert network.compute_cost(Y) == pytest.approx(expected, rel=1e-13)


# Lookup ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("mse", MeanSquaredError),
        ("BCE", BinaryCrossEntropy),
        ("log_loss", BinaryCrossEntropy),
        ("cross_entropy", CategoricalCrossEntropy),
        ({"name": "categorical_cross_entropy"}, CategoricalCrossEntropy),
    ],
)
def test_get_cost_names_and_aliases(name, expected):
    assert isinstance(get_cost(name), expected)


def test_get_cost_unknown_name():
    with pytest.raises(ValueError, match="unknown cost 'hinge'"):
        get_cost("hinge")
