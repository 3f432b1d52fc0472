"""Weight initialisers: bounds and standard deviations on large draws, seeding."""

import numpy as np
import pytest

import layerwise
from layerwise import Dense
from layerwise.initializers import (
    INITIALIZERS,
    default_initializer,
    get_initializer,
)

# W has shape (fan_out, fan_in). Unequal fans tell Glorot and He apart.
FAN_OUT, FAN_IN = 300, 500
SHAPE = (FAN_OUT, FAN_IN)
GLOROT_LIMIT = np.sqrt(6.0 / (FAN_IN + FAN_OUT))
HE_LIMIT = np.sqrt(6.0 / FAN_IN)
# (limit of the uniform draw or None, expected standard deviation)
EXPECTED = {
    "glorot_uniform": (GLOROT_LIMIT, GLOROT_LIMIT / np.sqrt(3.0)),
    "glorot_normal": (None, np.sqrt(2.0 / (FAN_IN + FAN_OUT))),
    "he_uniform": (HE_LIMIT, HE_LIMIT / np.sqrt(3.0)),
    "he_normal": (None, np.sqrt(2.0 / FAN_IN)),
    "small_random": (None, 0.01),
}


def test_every_initializer_is_covered():
    assert set(EXPECTED) == set(INITIALIZERS)


@pytest.mark.parametrize("name", EXPECTED)
def test_standard_deviation_and_mean(name):
    _, std = EXPECTED[name]
    W = get_initializer(name)(np.random.default_rng(1), SHAPE, np.float64)

    assert W.shape == SHAPE
    # Over 150 000 draws the standard error of the sample std is below 0.2 % of σ
    # and that of the mean is 0.26 % of σ, so both bounds are over five errors wide.
    assert W.std() == pytest.approx(std, rel=0.01)
    assert abs(W.mean()) < 0.015 * std


@pytest.mark.parametrize("name", ["glorot_uniform", "he_uniform"])
def test_uniform_bounds(name):
    limit, _ = EXPECTED[name]
    W = get_initializer(name)(np.random.default_rng(2), SHAPE, np.float64)

    assert W.max() < limit
    assert W.min() >= -limit
    assert W.max() > 0.999 * limit
    assert W.min() < -0.999 * limit


@pytest.mark.parametrize("name", EXPECTED)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_respected(name, dtype):
    W = get_initializer(name)(np.random.default_rng(3), (4, 5), np.dtype(dtype))

    assert W.dtype == dtype


@pytest.mark.parametrize("name", EXPECTED)
def test_same_seed_same_draw(name):
    draw = get_initializer(name)

    first = draw(np.random.default_rng(7), (6, 4), np.float64)
    second = draw(np.random.default_rng(7), (6, 4), np.float64)
    other = draw(np.random.default_rng(8), (6, 4), np.float64)

    assert np.array_equal(first, second)
    assert not np.array_equal(first, other)


def test_default_initializer_by_activation():
    assert default_initializer("relu") == "he_uniform"
    assert default_initializer("leaky_relu") == "he_uniform"
    assert default_initializer("tanh") == "glorot_uniform"
    assert default_initializer("sigmoid") == "glorot_uniform"
    assert Dense(3, "relu").initializer == "he_uniform"
    assert Dense(3, "softmax").initializer == "glorot_uniform"


def test_aliases_and_unknown_name():
    assert get_initializer("xavier_uniform") is INITIALIZERS["glorot_uniform"]
    assert get_initializer("Kaiming_Normal") is INITIALIZERS["he_normal"]
    with pytest.raises(ValueError, match="unknown initializer 'orthogonal'"):
        get_initializer("orthogonal")
    with pytest.raises(ValueError, match="unknown initializer 'orthogonal'"):
        Dense(3, initializer="orthogonal")


def test_dense_biases_start_at_zero(rng):
    layer = Dense(7, "relu", initializer="he_normal")

    layer.build(5, rng, np.dtype(np.float64))

    assert layer.W.shape == (7, 5)
    assert layer.B.shape == (7, 1)
    np.testing.assert_array_equal(layer.B, 0.0)
    assert np.abs(layer.W).max() > 0


def test_dense_build_uses_named_initializer():
    layer = Dense(FAN_OUT, "tanh", initializer="he_uniform")

    layer.build(FAN_IN, np.random.default_rng(4), np.dtype(np.float64))

    assert np.abs(layer.W).max() > GLOROT_LIMIT
    assert np.abs(layer.W).max() < HE_LIMIT


def test_model_same_seed_same_initial_weights(rng):
    X = rng.standard_normal((12, 3))
    y = np.arange(12) % 2

    models = [layerwise.NeuralNetwork((4,), random_state=11) for _ in range(2)]
    for model in models:
        model.fit(X, y, epochs=1)
    different = layerwise.NeuralNetwork((4,), random_state=12)
    different.fit(X, y, epochs=1)

    first, second = (model.network_.parameters() for model in models)
    for a, b in zip(first, second, strict=True):
        assert np.array_equal(a, b)
    assert not np.array_equal(
        models[0].network_.layers[0].W, different.network_.layers[0].W
    )


def test_global_random_state_untouched(rng):
    X = rng.standard_normal((40, 3))
    y = (X[:, 0] > 0).astype(int)
    np.random.seed(123)
    state = np.random.get_state()

    model = layerwise.NeuralNetwork((5,), random_state=0)
    model.fit(X, y, epochs=3, batch_size=8)
    model.predict(X)
    network = layerwise.Network([Dense(3, "relu"), Dense(1)], cost="mse")
    network.build(3, np.random.default_rng(0), np.float64)
    unseeded = layerwise.NeuralNetwork((5,))
    unseeded.fit(X, y, epochs=1, batch_size=8)
    after = np.random.get_state()

    assert after[0] == state[0]
    np.testing.assert_array_equal(after[1], state[1])
    assert after[2:] == state[2:]
