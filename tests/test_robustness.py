"""Messy inputs and numerical faults: each gives the right value or a clear error."""

import json
import os
import struct
import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.numpy import save as save_tensors
from sklearn.datasets import load_iris

import layerwise
from layerwise import (
    Dense,
    DivergenceError,
    ModelFileError,
    Network,
    NeuralNetwork,
    check_gradients,
)
from layerwise.activations import Sigmoid, Softmax
from layerwise.costs import BinaryCrossEntropy
from layerwise.exceptions import FeatureScaleWarning, VanishingGradientWarning


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


@pytest.fixture(scope="module")
def iris_model(iris):
    X, y = iris
    model = NeuralNetwork((6,), standardize=True, random_state=0)
    model.fit(X, y, epochs=50)
    return model


# Numerical faults ---------------------------------------------------------------


def test_sigmoid_hidden_unit_saturates_and_training_continues():
    network = Network([Dense(1, "sigmoid"), Dense(1, "identity")], "mse")
    network.build(1, np.random.default_rng(0), np.float64)
    network.layers[0].params["W"][...] = 1.0
    A = network.layers[0].forward(np.array([[1000.0, -1000.0]]))
    assert A.tolist() == [[1.0, 0.0]]
    cost = network.cost_and_gradients(np.array([[1000.0, -1000.0]]), np.ones((1, 2)))
    assert np.isfinite(cost)
    assert network.all_finite()


def test_bce_confident_wrong_logit_finite():
    cost = BinaryCrossEntropy().cost_from_logits(np.array([[40.0]]), np.array([[0.0]]))
    assert cost == pytest.approx(40.0, rel=1e-12)


def test_perfect_separation_keeps_a_finite_cost():
    X = np.array([[-1.0], [1.0]])
    y = np.array([0, 1])
    model = NeuralNetwork((), random_state=0, dtype="float64")
    history = model.fit(X, y, epochs=2000, learning_rate=50.0)
    assert np.isfinite(history["cost"]).all()
    assert history["cost"][-1] < 1e-6
    assert model.network_.all_finite()


def test_unscaled_regression_with_large_rate_raises_divergence():
    X = np.arange(10.0).reshape(-1, 1)
    y = 1000.0 * np.arange(10.0)
    model = NeuralNetwork((4,), random_state=0)
    with pytest.raises(DivergenceError, match=r"diverged at epoch (\d+)") as caught:
        model.fit(X, y, epochs=50, learning_rate=100.0)
    assert "lower the learning rate" in str(caught.value)
    assert model.network_.all_finite()


def test_features_on_different_scales_warn_and_stay_finite():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(0.05, 0.01, 100), rng.normal(1000, 50, 100)])
    y = (X[:, 0] > 0.05).astype(int)
    model = NeuralNetwork((4,), random_state=0)
    # Inputs near 1000 make the logits swing by thousands at this learning
    # rate: the model warns first, then stops with the advice to standardise.
    with pytest.warns(FeatureScaleWarning, match=r"column 1 reaches .* column 0"):
        with pytest.raises(DivergenceError, match="standardise the input"):
            model.fit(X, y, epochs=5, learning_rate=0.01)
    assert model.network_.all_finite()
    assert np.isfinite(model.predict_proba(X)).all()
    scaled = NeuralNetwork((4,), standardize=True, random_state=0)
    scaled.fit(X, y, epochs=200)
    assert scaled.score(X, y) > 0.9


def test_default_regression_output_is_identity():
    X = np.linspace(0, 1, 20).reshape(-1, 1)
    model = NeuralNetwork((3,), random_state=0)
    model.fit(X, -5.0 - X[:, 0], epochs=2)
    assert model.network_.layers[-1].activation.name == "identity"


def test_dead_relu_network_warns():
    X = np.linspace(1, 2, 20).reshape(-1, 1)
    model = NeuralNetwork(
        hidden_layers=[Dense(3, "relu")], output_activation="relu", random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", VanishingGradientWarning)
        model.fit(X, X[:, 0], epochs=1)
    for layer in model.network_.layers:
        layer.params["W"][...] = -1.0
        layer.params["B"][...] = 0.0
    model.warm_start = True
    with pytest.warns(VanishingGradientWarning, match="every gradient"):
        model.fit(X, X[:, 0], epochs=1)


def test_bias_gradient_keeps_column_shape():
    network = Network([Dense(3, "tanh"), Dense(2, "identity")], "mse")
    network.build(5, np.random.default_rng(0), np.float64)
    network.cost_and_gradients(np.ones((5, 4)), np.zeros((2, 4)))
    assert network.layers[0].dB.shape == (3, 1)
    assert network.layers[1].dB.shape == (2, 1)


def test_constant_feature_standardises_to_zero():
    X = np.column_stack([np.full(10, 7.0), np.arange(10.0)])
    model = NeuralNetwork((2,), standardize=True, random_state=0)
    model.fit(X, np.arange(10.0), epochs=1)
    assert model.input_scale_[0] == 1.0
    assert np.isfinite(model.predict(X)).all()


# Shapes and labels --------------------------------------------------------------


def test_regression_target_column_keeps_its_shape():
    X = np.linspace(0, 1, 10).reshape(-1, 1)
    model = NeuralNetwork((2,), random_state=0)
    model.fit(X, X.copy(), epochs=1)
    assert model.predict(X).shape == (10, 1)
    model.fit(X, X[:, 0], epochs=1)
    assert model.predict(X).shape == (10,)


def test_wrong_feature_count_names_both_counts(iris_model, iris):
    with pytest.raises(ValueError, match="X has 2 features, but the model was trained"):
        iris_model.predict(iris[0][:, :2])
    with pytest.raises(ValueError, match="with 4 features"):
        iris_model.predict(iris[0][:, :2])


def test_single_class_is_rejected():
    with pytest.raises(ValueError, match=r"at least two classes.*got only \[.a.\]"):
        NeuralNetwork().fit(np.ones((3, 2)), ["a", "a", "a"])


def test_one_hot_targets_with_categorical_cross_entropy(iris):
    X, y = iris
    one_hot = np.eye(3, dtype=int)[y]
    model = NeuralNetwork((6,), cost="cce", standardize=True, random_state=0)
    model.fit(X, one_hot, epochs=100)
    assert model.classes_.tolist() == [0, 1, 2]
    assert model.score(X, y) > 0.8


def test_bad_one_hot_row_names_the_row():
    Y = np.array([[1, 0, 0], [1, 1, 0], [0, 0, 1]])
    with pytest.raises(ValueError, match="row 1 has 2"):
        NeuralNetwork(cost="cce").fit(np.ones((3, 2)), Y)


def test_label_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match=r"X has 3 samples but y has shape \(2,\)"):
        NeuralNetwork().fit(np.ones((3, 2)), [0, 1])


def test_seeded_training_is_identical_across_processes(tmp_path):
    script = (
        "import numpy as np\n"
        "from sklearn.datasets import load_iris\n"
        "from layerwise import NeuralNetwork\n"
        "np.random.seed({seed})\n"
        "X, y = load_iris(return_X_y=True)\n"
        "m = NeuralNetwork((5,), standardize=True, random_state=4)\n"
        "m.fit(X, y, epochs=5, batch_size=16)\n"
        "print(m.network_.layers[0].W.tobytes().hex())\n"
    )
    outputs = [
        subprocess.run(
            [sys.executable, "-c", script.format(seed=seed)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in (1, 2)
    ]
    assert outputs[0] == outputs[1]


def test_float32_and_float64_fits_agree(iris):
    X, y = iris
    models = {}
    for dtype in ("float32", "float64"):
        model = NeuralNetwork((6,), standardize=True, random_state=0, dtype=dtype)
        model.fit(X, y, epochs=20)
        models[dtype] = model
        assert model.network_.layers[0].W.dtype == np.dtype(dtype)
        assert model.predict_proba(X).dtype == np.dtype(dtype)
    np.testing.assert_allclose(
        models["float32"].predict_proba(X),
        models["float64"].predict_proba(X),
        atol=1e-4,
    )


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_feature_names_row_and_column(value):
    X = np.ones((5, 3))
    X[3, 2] = value
    with pytest.raises(ValueError, match=r"row 3, column 2"):
        NeuralNetwork().fit(X, np.arange(5.0))


def test_non_finite_target_names_the_row():
    y = np.arange(5.0)
    y[1] = np.nan
    with pytest.raises(ValueError, match=r"y contains nan at row 1"):
        NeuralNetwork().fit(np.ones((5, 3)), y)


def test_zero_samples(iris_model):
    with pytest.raises(ValueError, match="0 samples"):
        NeuralNetwork().fit(np.empty((0, 4)), np.empty(0))
    assert iris_model.predict(np.empty((0, 4))).shape == (0,)
    assert iris_model.predict_proba(np.empty((0, 4))).shape == (0, 3)


def test_integer_input_is_converted_without_changing_the_caller(iris):
    X = (iris[0] * 10).astype(np.uint8)
    before = X.copy()
    model = NeuralNetwork((5,), standardize=True, random_state=0)
    model.fit(X, iris[1], epochs=3)
    np.testing.assert_array_equal(X, before)
    assert X.dtype == np.uint8
    assert model.predict(X).shape == (150,)


# Model files --------------------------------------------------------------------


def _metadata(path):
    from safetensors import safe_open

    with safe_open(str(path), framework="numpy") as file:
        return file.metadata(), {key: file.get_tensor(key) for key in file.keys()}


def test_wrong_format_version_is_rejected(iris_model, tmp_path):
    path = tmp_path / "model.safetensors"
    iris_model.save(path)
    metadata, tensors = _metadata(path)
    metadata["format_version"] = "99"
    path.write_bytes(save_tensors(tensors, metadata=metadata))
    with pytest.raises(ModelFileError, match="format version '99'"):
        layerwise.load(path)


def test_shape_mismatch_is_rejected(iris_model, tmp_path):
    path = tmp_path / "model.safetensors"
    iris_model.save(path)
    metadata, tensors = _metadata(path)
    tensors["layers.0.W"] = np.zeros((2, 2), np.float32)
    path.write_bytes(save_tensors(tensors, metadata=metadata))
    with pytest.raises(ModelFileError, match=r"'layers.0.W' has shape \(2, 2\)"):
        layerwise.load(path)


def test_non_layerwise_safetensors_is_rejected(tmp_path):
    path = tmp_path / "other.safetensors"
    path.write_bytes(save_tensors({"x": np.zeros(3, np.float32)}))
    with pytest.raises(ModelFileError, match="not a layerwise model"):
        layerwise.load(path)


def test_nan_weights_in_file_are_rejected(iris_model, tmp_path):
    path = tmp_path / "model.safetensors"
    iris_model.save(path)
    metadata, tensors = _metadata(path)
    tensors["layers.1.B"][0, 0] = np.nan
    path.write_bytes(save_tensors(tensors, metadata=metadata))
    with pytest.raises(ModelFileError, match="NaN or infinity"):
        layerwise.load(path)


def test_loading_never_unpickles(iris_model, tmp_path, monkeypatch):
    import pickle

    def refuse(*args, **kwargs):
        raise AssertionError("pickle was used")

    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    path = tmp_path / "model.safetensors"
    iris_model.save(path)
    assert layerwise.load(path).predict(np.zeros((1, 4))).shape == (1,)


def test_interrupted_save_keeps_previous_file(iris_model, tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    iris_model.save(path)
    original = path.read_bytes()

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(OSError, match="disk full"):
        iris_model.save(path)
    assert path.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.safetensors"]


@settings(
    max_examples=10_000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_loader_fuzz_raises_only_documented_errors(data, iris_model, tmp_path):
    path = tmp_path / "fuzz.safetensors"
    if not hasattr(test_loader_fuzz_raises_only_documented_errors, "valid"):
        iris_model.save(path)
        test_loader_fuzz_raises_only_documented_errors.valid = path.read_bytes()
    valid = test_loader_fuzz_raises_only_documented_errors.valid
    payload = bytearray(valid)
    strategy = data.draw(st.sampled_from(["flip", "truncate", "header", "random"]))
    if strategy == "flip":
        for index in data.draw(st.lists(st.integers(0, len(payload) - 1), max_size=8)):
            payload[index] = data.draw(st.integers(0, 255))
    elif strategy == "truncate":
        payload = payload[: data.draw(st.integers(0, len(payload)))]
    elif strategy == "header":
        (size,) = struct.unpack("<Q", valid[:8])
        header = json.loads(valid[8 : 8 + size])
        key = data.draw(st.sampled_from(sorted(header["__metadata__"])))
        header["__metadata__"][key] = data.draw(st.text(max_size=30))
        encoded = json.dumps(header).encode()
        encoded += b" " * ((8 - len(encoded) % 8) % 8)
        payload = struct.pack("<Q", len(encoded)) + encoded + valid[8 + size :]
    else:
        payload = data.draw(st.binary(max_size=200))
    path.write_bytes(bytes(payload))
    try:
        model = layerwise.load(path)
    except ModelFileError:
        return
    except layerwise.exceptions.InconsistentVersionWarning:
        return
    # Flipped bytes can leave finite but huge weights, whose outputs overflow;
    # predict then raises instead of returning NaN.
    try:
        assert model.predict(np.zeros((1, 4))).shape == (1,)
    except ValueError as error:
        assert "NaN or infinite" in str(error)


# Properties ---------------------------------------------------------------------

ACTIVATION_NAMES = ["identity", "sigmoid", "tanh", "leaky_relu"]


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 4), min_size=0, max_size=2),
    activations=st.lists(st.sampled_from(ACTIVATION_NAMES), min_size=2, max_size=2),
    output=st.sampled_from(["mse", "bce", "cce"]),
    seed=st.integers(0, 2**16),
)
def test_gradient_check_on_random_architectures(sizes, activations, output, seed):
    rng = np.random.default_rng(seed)
    hidden = [Dense(n, activations[i]) for i, n in enumerate(sizes)]
    n_outputs = 3
    if output == "mse":
        head, Y = Dense(n_outputs, "identity"), rng.normal(size=(5, n_outputs))
    elif output == "bce":
        head, Y = Dense(n_outputs, "sigmoid"), rng.integers(0, 2, (5, n_outputs))
    else:
        head, Y = Dense(n_outputs, "softmax"), np.eye(n_outputs)[rng.integers(0, 3, 5)]
    network = Network([*hidden, head], output)
    network.build(3, rng, np.float64)
    errors = check_gradients(network, rng.normal(size=(5, 3)), Y)
    assert max(errors.values()) < 1e-6


@settings(max_examples=25, deadline=None)
@given(split=st.integers(1, 149))
def test_predictions_do_not_depend_on_batch_split(split, iris_model, iris):
    X = iris[0]
    whole = iris_model.predict_proba(X)
    parts = np.vstack(
        [iris_model.predict_proba(X[:split]), iris_model.predict_proba(X[split:])]
    )
    np.testing.assert_allclose(parts, whole, rtol=1e-6, atol=1e-7)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), hidden=st.integers(1, 6))
def test_save_load_round_trip_is_exact(seed, hidden, tmp_path_factory, iris):
    X, y = iris
    model = NeuralNetwork((hidden,), standardize=True, random_state=seed)
    model.fit(X, y, epochs=2)
    path = tmp_path_factory.mktemp("roundtrip") / "model.safetensors"
    model.save(path)
    loaded = layerwise.load(path)
    assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert np.array_equal(loaded.predict(X), model.predict(X))


@settings(max_examples=100, deadline=None)
@given(
    values=st.lists(st.floats(-50, 50), min_size=2, max_size=6),
    shift=st.floats(-1000, 1000),
)
def test_softmax_unchanged_by_adding_a_constant(values, shift):
    Z = np.array(values).reshape(-1, 1)
    np.testing.assert_allclose(
        Softmax().forward(Z + shift), Softmax().forward(Z), rtol=1e-9, atol=1e-12
    )


def test_sigmoid_limits_are_exact():
    assert Sigmoid().forward(np.array([1000.0, -1000.0])).tolist() == [1.0, 0.0]


# Cases found by trying the package as a new user -------------------------------


def test_relu_regression_with_huge_rate_raises_divergence():
    X = np.arange(10.0).reshape(-1, 1)
    y = 1000.0 * np.arange(10.0)
    for options in ({}, {"validation_fraction": 0.2}, {"batch_size": 2}):
        model = NeuralNetwork((8,), random_state=0)
        with pytest.raises(DivergenceError, match="more than 10000 times"):
            model.fit(X, y, epochs=50, learning_rate=1.0, **options)
        assert model.network_.all_finite()


def test_warm_start_no_false_divergence(iris):
    X, y = iris
    model = NeuralNetwork((16,), standardize=True, random_state=0, warm_start=True)
    model.fit(X, y, epochs=200, optimizer="adam", learning_rate=0.05, batch_size=8)
    model.fit(X, y, epochs=20, batch_size=1, learning_rate=0.05)
    assert model.network_.all_finite()


def test_evaluate_checks_its_inputs(iris_model, iris):
    X, y = iris
    iris_model.predict(X[:7])
    with pytest.raises(ValueError, match="0 samples"):
        iris_model.evaluate(np.empty((0, 4)), np.empty(0, int))
    with pytest.raises(ValueError, match=r"X has 3 samples but y has shape \(5,\)"):
        iris_model.evaluate(X[:3], y[:5])


def test_softmax_over_one_output_is_rejected():
    with pytest.raises(ValueError, match=r"softmax' over a single output"):
        NeuralNetwork(output_activation="softmax").fit(np.ones((4, 2)), [0, 1, 0, 1])


def test_network_rejects_targets_of_the_wrong_shape():
    network = Network([Dense(4, "sigmoid"), Dense(3, "softmax")], "cce")
    network.build(2, np.random.default_rng(0), np.float64)
    network.forward(np.ones((2, 30)))
    with pytest.raises(ValueError, match=r"Y have shape \(1, 30\).*\(3, 30\)"):
        network.compute_cost((np.arange(30) % 3).reshape(1, -1).astype(float))
    with pytest.raises(ValueError, match="one-hot"):
        network.backward(np.arange(30.0) % 3)


def test_zero_features_and_complex_input_are_rejected():
    with pytest.raises(ValueError, match="0 features"):
        NeuralNetwork().fit(np.empty((20, 0)), np.arange(20.0))
    with pytest.raises(ValueError, match="real-valued"):
        NeuralNetwork().fit(np.ones((4, 2), complex), np.arange(4.0))


def test_non_numeric_learning_rate_is_a_value_error(iris):
    with pytest.raises(ValueError, match="learning_rate must be a positive"):
        NeuralNetwork().fit(*iris, epochs=1, learning_rate="abc")


def test_integer_targets_hint_at_regression():
    X = np.arange(10.0).reshape(-1, 1)
    with pytest.raises(ValueError, match="task='regression'"):
        NeuralNetwork().fit(X, 1000 * np.arange(10), validation_fraction=0.2)


def test_saved_model_follows_the_umask(iris_model, tmp_path):
    path = tmp_path / "model.safetensors"
    old = os.umask(0o022)
    try:
        iris_model.save(path)
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


def test_save_onto_a_special_file_is_refused(iris_model, tmp_path):
    target = tmp_path / "folder"
    target.mkdir()
    with pytest.raises(IsADirectoryError, match="not a regular file"):
        iris_model.save(target)


def test_save_through_a_symlink_keeps_the_link(iris_model, tmp_path):
    real = tmp_path / "real.safetensors"
    link = tmp_path / "link.safetensors"
    iris_model.save(real)
    link.symlink_to(real)
    iris_model.save(link)
    assert link.is_symlink()
    assert layerwise.load(link).predict(np.zeros((1, 4))).shape == (1,)


def test_model_file_errors_name_the_file(iris_model, tmp_path):
    path = tmp_path / "model.safetensors"
    iris_model.save(path)
    metadata, tensors = _metadata(path)
    tensors["layers.0.W"] = np.zeros((2, 2), np.float32)
    path.write_bytes(save_tensors(tensors, metadata=metadata))
    with pytest.raises(ModelFileError, match=r"model\.safetensors"):
        layerwise.load(path)


def test_huge_inputs_give_clear_errors(iris_model):
    with pytest.raises(ValueError, match="output for row 0 of X is NaN or infinite"):
        iris_model.predict(np.full((1, 4), 1e38))
    with pytest.raises(ValueError, match="overflows float32"):
        iris_model.predict(np.full((1, 4), 1e39))


def test_heavy_tailed_targets_with_single_sample_batches_train():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(500, 4))
    y = np.exp(1.5 * X[:, 0] + 0.5 * X[:, 1] + rng.normal(0, 0.3, 500))
    model = NeuralNetwork((16,), random_state=0)
    model.fit(X, y, epochs=5, batch_size=1, learning_rate=1e-4)
    assert model.score(X, y) > 0.3


def test_partial_fit_stream_divergence_is_caught():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3))
    y = X @ np.array([1.0, 2.0, 3.0])
    model = NeuralNetwork((8,), dtype="float64", random_state=0)
    with pytest.raises(DivergenceError, match="more than 10000 times"):
        for _ in range(10):
            model.partial_fit(X, y, learning_rate=0.5)
    assert model.network_.all_finite()


def test_classification_blow_up_is_caught():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    model = NeuralNetwork((64,), random_state=0)
    with pytest.raises(DivergenceError, match="more than 100 times"):
        model.fit(X, y, epochs=5, learning_rate=50.0, batch_size=32)
    assert model.network_.all_finite()
