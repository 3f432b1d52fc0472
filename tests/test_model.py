"""NeuralNetwork end to end: learning, target encodings, dtypes, seeding, errors."""

import gc
import weakref

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from layerwise import NeuralNetwork, NotFittedError
from layerwise.model import _clear_argmax, default_hidden_size

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0, 1, 1, 0])


@pytest.fixture
def blobs(rng):
    """Return 60 samples in three separated clusters and their labels 0, 1, 2."""
    centres = np.array([[2.0, 0.0], [-2.0, 2.0], [0.0, -2.5]])
    labels = np.repeat([0, 1, 2], 20)
    X = centres[labels] + 0.5 * rng.standard_normal((60, 2))
    return X, labels


# Learning ----------------------------------------------------------------------


def test_xor_is_learned():
    model = NeuralNetwork((8,), activation="tanh", random_state=0)

    history = model.fit(XOR_X, XOR_Y, epochs=2000, learning_rate=0.5)

    np.testing.assert_array_equal(model.predict(XOR_X), XOR_Y)
    assert history["cost"][-1] < 0.1
    assert history["cost"][-1] < history["cost"][0]


@pytest.mark.slow
def test_digits_reach_accuracy():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y
    )
    model = NeuralNetwork((32,), activation="tanh", standardize=True, random_state=0)

    model.fit(X_train, y_train, epochs=20, batch_size=32, learning_rate=0.1)

    assert model.score(X_test, y_test) > 0.93
    np.testing.assert_array_equal(model.classes_, np.arange(10))


@pytest.mark.parametrize("output_activation", ["softmax", "sigmoid", "tanh"])
def test_predict_is_argmax_of_probabilities(blobs, rng, output_activation):
    X, labels = blobs
    model = NeuralNetwork(
        (6,), activation="tanh", output_activation=output_activation, random_state=0
    )
    model.fit(X, np.array([3, 5, 9])[labels], epochs=50, learning_rate=0.5)
    # Rows far outside the training range saturate the output activation, so
    # that several classes share the largest probability.
    X_new = np.vstack([X, 40.0 * rng.standard_normal((30, 2)), X[:10] * 0.01])

    expected = model.classes_[np.argmax(model.predict_proba(X_new), axis=1)]

    np.testing.assert_array_equal(model.predict(X_new), expected)


@pytest.mark.parametrize(
    ("Z", "clear"),
    [
        ([[2.0, -1.0], [1.0, 0.0], [-np.inf, 3.0]], True),
        ([[2.0, -1.0], [2.0 - 1e-6, 0.0], [0.0, 3.0]], False),  # a near tie
        ([[1.0, 0.0], [1.0, 5.0], [0.0, 0.0]], False),  # an exact tie
        ([[np.nan, 0.0], [0.0, 1.0], [0.0, 1.0]], False),  # NaN next to a tie
        ([[np.inf, 0.0], [0.0, 1.0], [0.0, 0.0]], False),
        ([[-np.inf, 0.0], [-np.inf, 1.0], [-np.inf, 0.0]], False),
    ],
)
def test_clear_argmax(Z, clear):
    Z = np.array(Z, dtype=np.float32)
    with np.errstate(invalid="ignore"):
        assert _clear_argmax(Z) is clear
        # Single columns take a separate path.
        assert all(_clear_argmax(Z[:, [i]]) for i in range(2)) is clear


def _model_with_output_weights(blobs, W_output, B_output):
    """Return a fitted 2-4-3 ReLU classifier with the output layer set by hand."""
    X, labels = blobs
    model = NeuralNetwork((4,), activation="relu", random_state=0)
    model.fit(X, labels, epochs=5)
    model.network_.layers[-1].W[...] = W_output
    model.network_.layers[-1].B[:, 0] = B_output
    return model


def test_predict_breaks_near_ties_as_probabilities_do(blobs):
    # Logits 0, 1e-8 and 0 give equal probabilities after rounding.
    model = _model_with_output_weights(blobs, 0.0, [0.0, 1e-8, 0.0])
    X = blobs[0][:2]

    probabilities = model.predict_proba(X)

    np.testing.assert_array_equal(probabilities, probabilities[:, :1].repeat(3, axis=1))
    np.testing.assert_array_equal(model.predict(X), [0, 0])


def test_predict_infinite_logits_like_probabilities(blobs):
    W_output = np.zeros((3, 4))
    W_output[:, 0] = [-2.0, 0.5, 0.1]
    model = _model_with_output_weights(blobs, W_output, 0.0)
    hidden = model.network_.layers[0]
    hidden.W[...] = 0.0
    hidden.W[0] = 1.0
    hidden.B[...] = 0.0
    # The first hidden unit reaches 3e38, so Z^[L] = [−inf, 1.5e38, 3e37].
    X = np.full((1, 2), 1.5e38)

    np.testing.assert_array_equal(model.predict_proba(X), [[0.0, 1.0, 0.0]])
    np.testing.assert_array_equal(model.predict(X), [1])

    model.network_.layers[-1].W[1, 0] = 2.0  # Z^[L] = [−inf, +inf, 3e37]
    with pytest.raises(ValueError, match="NaN or infinite"):
        model.predict_proba(X)
    with pytest.raises(ValueError, match="NaN or infinite"):
        model.predict(X)


@pytest.mark.filterwarnings("ignore::layerwise.ConvergenceWarning")
@pytest.mark.parametrize("optimizer", ["adam", "lbfgs"])
def test_trained_model_is_freed_without_the_garbage_collector(blobs, optimizer):
    X, labels = blobs
    gc.disable()
    try:
        model = NeuralNetwork((4,), random_state=0)
        model.fit(X, labels, epochs=3, optimizer=optimizer, validation_data=(X, labels))
        reference = weakref.ref(model)
        del model
        assert reference() is None  # no reference cycle keeps it alive
    finally:
        gc.enable()


# Target encodings --------------------------------------------------------------


def test_text_labels_decode_to_text(rng):
    X = rng.standard_normal((40, 2))
    y = np.where(X[:, 0] + X[:, 1] > 0, "spam", "ham")
    model = NeuralNetwork((4,), activation="tanh", random_state=0)

    model.fit(X, y, epochs=300, learning_rate=0.5)
    predictions = model.predict(X)

    assert predictions.dtype.kind == "U"
    assert set(predictions) <= {"ham", "spam"}
    np.testing.assert_array_equal(model.classes_, ["ham", "spam"])
    assert np.mean(predictions == y) > 0.9
    assert model.predict_proba(X).shape == (40, 2)


def test_integer_labels_not_starting_at_zero(blobs):
    X, labels = blobs
    y = np.array([3, 5, 9])[labels]
    model = NeuralNetwork((6,), activation="tanh", random_state=0)

    model.fit(X, y, epochs=200, learning_rate=0.5)
    predictions = model.predict(X)

    np.testing.assert_array_equal(model.classes_, [3, 5, 9])
    assert set(predictions) <= {3, 5, 9}
    assert np.mean(predictions == y) > 0.95
    np.testing.assert_allclose(model.predict_proba(X).sum(axis=1), 1.0, rtol=1e-5)


def test_regression_vector_targets_give_vector(rng):
    X = rng.uniform(-1, 1, (50, 3))
    y = X @ np.array([0.5, -1.0, 2.0]) + 0.3
    model = NeuralNetwork((8,), activation="tanh", random_state=0)

    model.fit(X, y, epochs=300, learning_rate=0.1)
    predictions = model.predict(X)

    assert predictions.shape == (50,)
    assert not model.is_classifier
    assert model.score(X, y) > 0.9


def test_regression_matrix_targets_give_matrix(rng):
    X = rng.uniform(-1, 1, (50, 3))
    y = np.column_stack([X[:, 0] - X[:, 1], 0.5 * X[:, 2]])
    model = NeuralNetwork((8,), activation="tanh", random_state=0)

    model.fit(X, y, epochs=300, learning_rate=0.1)
    predictions = model.predict(X)

    assert predictions.shape == (50, 2)
    assert model.network_.n_outputs == 2
    assert np.mean((predictions - y) ** 2) < 0.05


# Architecture and dtype --------------------------------------------------------


@pytest.mark.parametrize(
    ("n_inputs", "n_outputs", "expected"),
    [
        (6, 3, 7),  # round(4 + 3) = 7, below 2·6
        (9, 1, 7),  # round(6 + 1) = 7
        (64, 10, 53),  # round(42.67 + 10) = 53
        (2, 10, 3),  # round(11.33) = 11, capped at 2·2 − 1
        (1, 1, 1),  # round(1.67) = 2, capped at 2·1 − 1
    ],
)
def test_default_hidden_size_rule(n_inputs, n_outputs, expected):
    assert default_hidden_size(n_inputs, n_outputs) == expected


def test_default_hidden_layer_built(blobs):
    X, labels = blobs
    X = np.hstack([X, X, X])  # 6 features, 3 classes: round(4 + 3) = 7 neurons

    model = NeuralNetwork(random_state=0)
    model.fit(X, labels, epochs=1)
    hidden = model.network_.layers[0]

    assert hidden.W.shape == (7, 6)
    assert model.network_.layers[-1].W.shape == (3, 7)


def test_float32_by_default(blobs):
    X, labels = blobs
    model = NeuralNetwork((4,), random_state=0)

    model.fit(X, labels, epochs=2)

    for value in model.network_.parameters():
        assert value.dtype == np.float32
    assert model.predict_proba(X).dtype == np.float32


def test_float64_on_request(blobs):
    X, labels = blobs
    model = NeuralNetwork((4,), random_state=0, dtype="float64")

    model.fit(X, labels, epochs=2)

    for value in model.network_.parameters():
        assert value.dtype == np.float64
    assert model.predict_proba(X).dtype == np.float64


def test_seeded_training_is_bit_identical(blobs):
    X, labels = blobs
    runs = []
    for _ in range(2):
        model = NeuralNetwork((5,), random_state=42)
        history = model.fit(X, labels, epochs=5, batch_size=16, shuffle=True)
        runs.append((model, history))

    (first, first_history), (second, second_history) = runs
    for a, b in zip(
        first.network_.parameters(), second.network_.parameters(), strict=True
    ):
        assert np.array_equal(a, b)
    assert first_history["cost"] == second_history["cost"]
    assert np.array_equal(first.predict_proba(X), second.predict_proba(X))


def test_validation_data_adds_metrics(blobs):
    X, labels = blobs
    model = NeuralNetwork((5,), activation="tanh", random_state=0)

    history = model.fit(
        X[:45], labels[:45], epochs=4, validation_data=(X[45:], labels[45:])
    )

    assert len(history["cost"]) == 4
    assert len(history["val_cost"]) == 4
    assert len(history["val_accuracy"]) == 4
    assert all(0.0 <= value <= 1.0 for value in history["val_accuracy"])
    assert history["val_accuracy"][-1] == model.score(X[45:], labels[45:])


# Errors ------------------------------------------------------------------------


def test_predict_proba_before_fit_raises():
    model = NeuralNetwork()

    with pytest.raises(NotFittedError, match="not trained yet"):
        model.predict_proba(XOR_X)
    with pytest.raises(NotFittedError, match="not trained yet"):
        model.forward(XOR_X)
    assert issubclass(NotFittedError, ValueError)


def test_predict_before_fit_raises():
    model = NeuralNetwork()

    with pytest.raises(NotFittedError, match="not trained yet"):
        model.predict(XOR_X)


@pytest.mark.parametrize(
    ("fit_arguments", "message"),
    [
        ({"epochs": 0}, "epochs must be a positive integer, got 0"),
        ({"learning_rate": -1.0}, "learning_rate must be .*got -1.0"),
        ({"learning_rate": float("nan")}, "learning_rate must be .*got nan"),
        ({"batch_size": 0}, "batch_size must be a positive integer, got 0"),
    ],
)
def test_invalid_fit_argument(fit_arguments, message):
    with pytest.raises(ValueError, match=message):
        NeuralNetwork((3,)).fit(XOR_X, XOR_Y, **fit_arguments)


@pytest.mark.parametrize(
    ("model_arguments", "message"),
    [
        ({"hidden_layer_sizes": (4, 0)}, r"hidden_layer_sizes .*got \(4, 0\)"),
        ({"activation": "swish"}, "unknown activation 'swish'"),
        ({"cost": "hinge"}, "unknown cost 'hinge'"),
        ({"task": "ranking"}, "task must be one of .*got 'ranking'"),
        ({"dtype": "float16"}, "dtype must be .*got 'float16'"),
        ({"initializer": "orthogonal"}, "unknown initializer 'orthogonal'"),
    ],
)
def test_invalid_model_argument(model_arguments, message):
    with pytest.raises(ValueError, match=message):
        NeuralNetwork(**model_arguments).fit(XOR_X, XOR_Y, epochs=1)


def test_invalid_data_shapes():
    model = NeuralNetwork((3,))

    with pytest.raises(ValueError, match=r"got shape \(4,\)"):
        model.fit(XOR_X[:, 0], XOR_Y)
    with pytest.raises(ValueError, match=r"X has 4 samples but y has shape \(3,\)"):
        model.fit(XOR_X, XOR_Y[:3])


def test_nan_input_named():
    X = XOR_X.copy()
    X[2, 1] = np.nan

    with pytest.raises(ValueError, match=r"X contains .*nan.* at row 2, column 1"):
        NeuralNetwork((3,)).fit(X, XOR_Y)


def test_wrong_feature_count_at_predict():
    model = NeuralNetwork((3,), random_state=0)
    model.fit(XOR_X, XOR_Y, epochs=1)

    with pytest.raises(ValueError, match=r"X has 3 features.*trained with 2"):
        model.predict(np.zeros((1, 3)))


def test_invalid_validation_data_named():
    with pytest.raises(ValueError, match=r"validation_data must be a pair.*got"):
        NeuralNetwork((3,)).fit(XOR_X, XOR_Y, validation_data=(XOR_X,))
