import math

import numpy as np
import pytest

from layerwise import NeuralNetwork
from layerwise.trace import Trace, trace


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


@pytest.fixture
def regression_model() -> NeuralNetwork:
    """A 2-2-1 network (sigmoid hidden layer, identity output, MSE) set by hand."""
    X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0.0, 1.0, 0.5])
    model = NeuralNetwork((2,), activation="sigmoid", random_state=0, dtype="float64")
    model.fit(X, y, epochs=1)
    hidden, output = model.network_.layers
    hidden.W[...] = [[0.1, -0.2], [0.3, 0.4]]
    hidden.B[...] = [[0.05], [-0.1]]
    output.W[...] = [[0.7, -0.6]]
    output.B[...] = [[0.2]]
    return model


def test_trace_matches_hand_worked_pass(regression_model):
    result = trace(regression_model, [1.0, 2.0], 0.5, learning_rate=0.1)

    # Forward: Z^[1] = W^[1]·x + B^[1], A^[1] = σ(Z^[1]), Z^[2] = W^[2]·A^[1] + B^[2].
    z1 = [0.1 * 1.0 - 0.2 * 2.0 + 0.05, 0.3 * 1.0 + 0.4 * 2.0 - 0.1]
    a1 = [sigmoid(z1[0]), sigmoid(z1[1])]
    z2 = 0.7 * a1[0] - 0.6 * a1[1] + 0.2
    a2 = z2
    cost = (a2 - 0.5) ** 2

    # Backward: MSE with one output gives ∂C/∂A^[2] = 2·(ŷ − y), identity g' = 1.
    dz2 = 2.0 * (a2 - 0.5)
    dw2 = [dz2 * a1[0], dz2 * a1[1]]
    da1 = [0.7 * dz2, -0.6 * dz2]
    dz1 = [da1[0] * a1[0] * (1 - a1[0]), da1[1] * a1[1] * (1 - a1[1])]
    dw1 = [[dz1[0] * 1.0, dz1[0] * 2.0], [dz1[1] * 1.0, dz1[1] * 2.0]]

    hidden, output = result.layers
    tolerance = {"rtol": 1e-12, "atol": 1e-12}
    np.testing.assert_allclose(result.A0, [[1.0], [2.0]], **tolerance)
    np.testing.assert_allclose(result.Y, [[0.5]], **tolerance)
    np.testing.assert_allclose(hidden.Z, [[z1[0]], [z1[1]]], **tolerance)
    np.testing.assert_allclose(hidden.A, [[a1[0]], [a1[1]]], **tolerance)
    np.testing.assert_allclose(output.Z, [[z2]], **tolerance)
    np.testing.assert_allclose(output.A, [[a2]], **tolerance)
    assert result.cost == pytest.approx(cost, rel=1e-12)

    np.testing.assert_allclose(output.dA, [[dz2]], **tolerance)
    np.testing.assert_allclose(output.dZ, [[dz2]], **tolerance)
    np.testing.assert_allclose(output.dW, [dw2], **tolerance)
    np.testing.assert_allclose(output.dB, [[dz2]], **tolerance)
    np.testing.assert_allclose(hidden.dA, [[da1[0]], [da1[1]]], **tolerance)
    np.testing.assert_allclose(hidden.dZ, [[dz1[0]], [dz1[1]]], **tolerance)
    np.testing.assert_allclose(hidden.dW, dw1, **tolerance)
    np.testing.assert_allclose(hidden.dB, [[dz1[0]], [dz1[1]]], **tolerance)

    expected_w1 = [
        [0.1 - 0.1 * dw1[0][0], -0.2 - 0.1 * dw1[0][1]],
        [0.3 - 0.1 * dw1[1][0], 0.4 - 0.1 * dw1[1][1]],
    ]
    expected_b1 = [[0.05 - 0.1 * dz1[0]], [-0.1 - 0.1 * dz1[1]]]
    expected_w2 = [[0.7 - 0.1 * dw2[0], -0.6 - 0.1 * dw2[1]]]
    expected_b2 = [[0.2 - 0.1 * dz2]]
    np.testing.assert_allclose(hidden.W_updated, expected_w1, **tolerance)
    np.testing.assert_allclose(hidden.B_updated, expected_b1, **tolerance)
    np.testing.assert_allclose(output.W_updated, expected_w2, **tolerance)
    np.testing.assert_allclose(output.B_updated, expected_b2, **tolerance)


def test_trace_leaves_model_unchanged(regression_model):
    before = [p.copy() for p in regression_model.network_.parameters()]
    prediction = regression_model.predict([[1.0, 2.0]])

    trace(regression_model, [1.0, 2.0], 0.5, learning_rate=0.5)

    for old, new in zip(before, regression_model.network_.parameters(), strict=True):
        np.testing.assert_array_equal(old, new)
    np.testing.assert_array_equal(regression_model.predict([[1.0, 2.0]]), prediction)


def test_trace_records_parameters_before_update(regression_model):
    result = trace(regression_model, [1.0, 2.0], 0.5)

    np.testing.assert_array_equal(result.layers[0].W, [[0.1, -0.2], [0.3, 0.4]])
    np.testing.assert_array_equal(result.layers[1].B, [[0.2]])
    assert result.learning_rate == 0.1
    assert not result.fused_output


def test_trace_softmax_output_uses_a_minus_y():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 3))
    y = np.array(["a", "b", "c"] * 4)
    model = NeuralNetwork((4,), random_state=0, dtype="float64")
    model.fit(X, y, epochs=2)

    result = trace(model, X[0], "b")

    A_L = result.output
    np.testing.assert_allclose(result.Y, [[0.0], [1.0], [0.0]])
    np.testing.assert_allclose(result.layers[-1].dZ, A_L - result.Y, atol=1e-12)
    assert result.cost == pytest.approx(-math.log(A_L[1, 0]), rel=1e-10)
    assert result.fused_output
    np.testing.assert_allclose(model.forward(X[:1]).T, A_L, atol=1e-12)


def test_trace_applies_input_standardization():
    X = np.array([[0.0, 10.0], [2.0, 30.0], [4.0, 20.0]])
    y = np.array([0, 1, 1])
    model = NeuralNetwork((2,), standardize=True, random_state=0, dtype="float64")
    model.fit(X, y, epochs=1)

    result = trace(model, X[1], 1)

    expected = (X[1] - X.mean(axis=0)) / X.std(axis=0)
    np.testing.assert_allclose(result.A0[:, 0], expected, atol=1e-12)
    assert result.input_scaled
    assert "A^[0] = (x − mean) / scale" in str(result)


def test_trace_text_names_every_step(regression_model):
    text = str(trace(regression_model, np.array([[1.0, 2.0]]), 0.5))

    assert text.startswith("Trace of one sample through a 2-2-1 network")
    for expected in [
        "Z^[1] = W^[1]·A^[0] + B^[1]    [2×1]",
        "A^[1] = sigmoid(Z^[1])",
        "C = mean_squared_error(A^[2], Y) = ",
        "∂C/∂Z^[1] = sigmoid'(Z^[1]) ⊙ ∂C/∂A^[1]",
        "∂C/∂W^[2] = ∂C/∂Z^[2]·A^[1]ᵀ    [1×2]",
        "W^[1] ← W^[1] − α·∂C/∂W^[1]    [2×2]",
    ]:
        assert expected in text


def test_trace_returns_dataclass(regression_model):
    result = trace(regression_model, [1.0, 2.0], 0.5)

    assert isinstance(result, Trace)
    assert [layer.index for layer in result.layers] == [1, 2]
    assert [layer.W.shape for layer in result.layers] == [(2, 2), (1, 2)]


def test_trace_rejects_several_samples(regression_model):
    with pytest.raises(ValueError, match="one sample"):
        trace(regression_model, [[1.0, 2.0], [3.0, 4.0]], 0.5)


def test_trace_rejects_several_targets(regression_model):
    with pytest.raises(ValueError, match="single target"):
        trace(regression_model, [1.0, 2.0], [0.5, 0.1])


def test_trace_rejects_invalid_learning_rate(regression_model):
    with pytest.raises(ValueError, match="learning_rate"):
        trace(regression_model, [1.0, 2.0], 0.5, learning_rate=-1.0)


def test_trace_adds_weight_penalties(regression_model):
    plain = trace(regression_model, [1.0, 2.0], 0.5)
    regression_model.network_.alpha = 0.5
    regression_model.network_.l1 = 0.25
    try:
        result = trace(regression_model, [1.0, 2.0], 0.5)
    finally:
        regression_model.network_.alpha = 0.0
        regression_model.network_.l1 = 0.0

    W1 = np.array([[0.1, -0.2], [0.3, 0.4]])
    W2 = np.array([[0.7, -0.6]])
    # One sample of weight 1: alpha/2·Σ‖W‖² + l1·Σ|W| over both layers.
    penalty = 0.5 / 2 * (np.sum(W1**2) + np.sum(W2**2)) + 0.25 * (
        np.sum(np.abs(W1)) + np.sum(np.abs(W2))
    )
    expected_dw1 = plain.layers[0].dW + 0.5 * W1 + 0.25 * np.sign(W1)
    assert result.cost == pytest.approx(plain.cost, rel=1e-12)
    assert result.penalty == pytest.approx(penalty, rel=1e-12)
    np.testing.assert_allclose(result.layers[0].dW, expected_dw1, rtol=1e-12)
    np.testing.assert_allclose(result.layers[0].dB, plain.layers[0].dB, rtol=1e-12)
    assert "∂C/∂Z^[1]·A^[0]ᵀ + alpha·W^[1] + l1·sign(W^[1])" in str(result)
    assert "objective = C + penalty" in str(result)


def test_trace_skips_dropout_layers():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 3))
    y = rng.integers(0, 2, 12)
    model = NeuralNetwork((4,), dropout=0.5, random_state=0, dtype="float64")
    model.fit(X, y, epochs=2)

    result = trace(model, X[0], y[0])

    assert [layer.index for layer in result.layers] == [1, 2]
    assert result.layers[1].W.shape == (1, 4)
    np.testing.assert_allclose(model.forward(X[:1]).T, result.output, atol=1e-12)


def test_cli_trace_prints_one_row(tmp_path, capsys):
    from layerwise.cli import main

    model_path = str(tmp_path / "iris.safetensors")
    train = ["train", "--dataset", "iris", "--output", model_path, "--hidden", "4"]
    assert main([*train, "--epochs", "5", "-q"]) == 0
    capsys.readouterr()

    status = main(["trace", model_path, "--dataset", "iris", "--row", "3"])
    output = capsys.readouterr().out

    assert status == 0
    assert output.startswith("Trace of one sample through a ")
    assert "∂C/∂Z^[2] = A^[2] − Y" in output


def test_cli_trace_rejects_row_out_of_range(tmp_path, capsys):
    from layerwise.cli import main

    model_path = str(tmp_path / "iris.safetensors")
    train = ["train", "--dataset", "iris", "--output", model_path, "--hidden", "4"]
    assert main([*train, "--epochs", "5", "-q"]) == 0

    status = main(["trace", model_path, "--dataset", "iris", "--row", "150"])

    assert status == 2
    assert "--row 150 is out of range" in capsys.readouterr().err
