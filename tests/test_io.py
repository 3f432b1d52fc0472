"""Model files: save and load round trips, the safetensors layout, damaged files."""

import json
import os

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.numpy import save_file

import layerwise
from layerwise import ModelFileError, NeuralNetwork


@pytest.fixture
def data(rng):
    """Return 40 samples with features on very different scales, and text labels."""
    X = rng.standard_normal((40, 3)) * np.array([1.0, 100.0, 0.01])
    y = np.where(X[:, 0] + X[:, 1] / 100 > 0, "yes", "no")
    return X, y


@pytest.fixture
def model(data):
    X, y = data
    model = NeuralNetwork((4,), activation="tanh", standardize=True, random_state=0)
    model.fit(X, y, epochs=20, learning_rate=0.3)
    return model


def test_round_trip_predictions_identical(tmp_path, data, model):
    X, _ = data
    path = tmp_path / "model.safetensors"

    layerwise.save(model, path)
    loaded = layerwise.load(path)

    assert np.array_equal(loaded.predict(X), model.predict(X))
    assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert loaded.predict(X).dtype.kind == "U"
    np.testing.assert_array_equal(loaded.classes_, ["no", "yes"])
    np.testing.assert_array_equal(loaded.input_mean_, model.input_mean_)
    np.testing.assert_array_equal(loaded.input_scale_, model.input_scale_)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_round_trip_regression_keeps_dtype(tmp_path, rng, dtype):
    X = rng.standard_normal((30, 2))
    y = np.column_stack([X[:, 0], X[:, 0] - X[:, 1]])
    model = NeuralNetwork((5,), activation="tanh", random_state=1, dtype=dtype)
    model.fit(X, y, epochs=10)
    path = tmp_path / "regression.safetensors"

    model.save(str(path))
    loaded = layerwise.load(str(path))

    assert loaded.network_.dtype == np.dtype(dtype)
    assert loaded.predict(X).shape == (30, 2)
    assert np.array_equal(loaded.predict(X), model.predict(X))
    assert loaded.input_mean_ is None


def test_file_is_safetensors_with_metadata(tmp_path, model):
    path = tmp_path / "model.safetensors"
    layerwise.save(model, path)

    with safe_open(str(path), framework="numpy") as file:
        metadata = file.metadata()
        names = set(file.keys())
        W1 = file.get_tensor("layers.0.W")

    assert names == {
        "layers.0.W",
        "layers.0.B",
        "layers.1.W",
        "layers.1.B",
        "input.mean",
        "input.scale",
    }
    np.testing.assert_array_equal(W1, model.network_.layers[0].W)
    assert metadata["format"] == "layerwise"
    assert metadata["format_version"] == "1"
    assert metadata["library_version"] == layerwise.__version__
    assert metadata["dtype"] == "float32"
    assert metadata["n_features_in"] == "3"
    assert json.loads(metadata["feature_names"]) is None
    network = json.loads(metadata["network"])
    assert [layer["units"] for layer in network["layers"]] == [4, 1]
    assert network["cost"]["name"] == "binary_cross_entropy"
    targets = json.loads(metadata["targets"])
    assert targets["kind"] == "binary"
    assert targets["classes"] == ["no", "yes"]
    assert json.loads(metadata["estimator"])["standardize"] is True


def test_truncated_file_raises(tmp_path, model):
    path = tmp_path / "model.safetensors"
    layerwise.save(model, path)
    content = path.read_bytes()
    path.write_bytes(content[: len(content) // 2])

    with pytest.raises(ModelFileError, match="not a readable safetensors file"):
        layerwise.load(path)


@pytest.mark.parametrize(
    "content", [b"", b"garbage", b"\xff" * 64], ids=["empty", "text", "bytes"]
)
def test_garbage_file_raises(tmp_path, content):
    path = tmp_path / "garbage.safetensors"
    path.write_bytes(content)

    with pytest.raises(ModelFileError, match=r"garbage\.safetensors"):
        layerwise.load(path)


def test_foreign_safetensors_file_raises(tmp_path):
    path = tmp_path / "foreign.safetensors"
    save_file({"weight": np.zeros((2, 2), np.float32)}, str(path))

    with pytest.raises(ModelFileError, match="not a layerwise model"):
        layerwise.load(path)


def test_missing_file_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"absent\.safetensors"):
        layerwise.load(tmp_path / "absent.safetensors")


def test_interrupted_save_keeps_previous_file(tmp_path, monkeypatch, data, model):
    X, y = data
    path = tmp_path / "model.safetensors"
    layerwise.save(model, path)
    saved_predictions = model.predict_proba(X)
    model.fit(X, y, epochs=5, learning_rate=1.0)
    assert not np.array_equal(model.predict_proba(X), saved_predictions)

    def failing_replace(source, destination):
        raise OSError("simulated failure while replacing the file")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="simulated failure"):
        layerwise.save(model, path)
    monkeypatch.undo()

    assert sorted(os.listdir(tmp_path)) == ["model.safetensors"]
    loaded = layerwise.load(path)
    assert np.array_equal(loaded.predict_proba(X), saved_predictions)


def test_save_into_missing_directory_raises(tmp_path, model):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        layerwise.save(model, tmp_path / "absent" / "model.safetensors")


def test_save_unfitted_model_raises(tmp_path):
    with pytest.raises(layerwise.NotFittedError):
        layerwise.save(NeuralNetwork(), tmp_path / "model.safetensors")


def test_round_trip_keeps_feature_names(tmp_path, data):
    pandas = pytest.importorskip("pandas")
    X, y = data
    frame = pandas.DataFrame(X, columns=["height", "income", "ratio"])
    model = NeuralNetwork((3,), standardize=True, random_state=0)
    model.fit(frame, y, epochs=2)
    path = tmp_path / "model.safetensors"

    layerwise.save(model, path)
    loaded = layerwise.load(path)

    np.testing.assert_array_equal(
        loaded.feature_names_in_, ["height", "income", "ratio"]
    )
    assert np.array_equal(loaded.predict(frame), model.predict(frame))
