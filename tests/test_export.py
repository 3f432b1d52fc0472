"""ONNX export: onnxruntime must reproduce predict and predict_proba.

Each model trains for a few epochs only, enough to move the weights away from
their initial values. The tests compare outputs, not accuracy.
"""

import json
import sys

import numpy as np
import pytest
from sklearn import datasets
from sklearn.model_selection import train_test_split

from layerwise import NeuralNetwork, NotFittedError
from layerwise.export import LAYER_EMITTERS, MIN_OPSET, export_onnx
from layerwise.layers import (
    LSTM,
    AveragePool2D,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    Layer,
    MaxPool2D,
    Reshape,
    SimpleRNN,
)

onnx = pytest.importorskip("onnx")
onnxruntime = pytest.importorskip("onnxruntime")

# Float32 outputs of layerwise and onnxruntime differ by rounding only, because
# the two order the sums in matrix products differently and implement exp and
# tanh differently.
TOLERANCE = 1e-5


def run_onnx(path, X):
    """Return {output name: array} from onnxruntime for the float32 inputs X."""
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # errors only, so that no log line reaches pytest
    session = onnxruntime.InferenceSession(
        str(path), options, providers=["CPUExecutionProvider"]
    )
    names = [output.name for output in session.get_outputs()]
    values = session.run(names, {"X": np.asarray(X, dtype=np.float32)})
    return dict(zip(names, values, strict=True))


def export_and_run(model, X, tmp_path, **kwargs):
    path = tmp_path / "model.onnx"
    export_onnx(model, path, **kwargs)
    onnx.checker.check_model(str(path), full_check=True)
    assert_every_initializer_used(onnx.load(path).graph)
    return run_onnx(path, X)


def assert_every_initializer_used(graph):
    # onnxruntime drops unused initializers with a warning in its log.
    used = {name for node in graph.node for name in node.input}
    unused = [t.name for t in graph.initializer if t.name not in used]
    assert unused == []


def assert_matches_model(model, X, outputs):
    """Check ONNX outputs against predict_proba and predict, return the max |diff|."""
    expected_labels = model.predict(X)
    if model.is_classifier:
        expected = model.predict_proba(X)
        actual = outputs["probabilities"]
        assert set(outputs) == {"probabilities", "label"}
        np.testing.assert_array_equal(outputs["label"], expected_labels)
        assert outputs["label"].shape == expected_labels.shape
    else:
        expected = expected_labels
        actual = outputs["prediction"]
        assert set(outputs) == {"prediction"}
    assert actual.dtype == np.float32
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=TOLERANCE, atol=TOLERANCE)
    return float(np.max(np.abs(actual - expected)))


def noisy_sine(n_samples=300, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-np.pi, np.pi, size=(n_samples, 1))
    y = np.sin(x[:, 0]) + rng.normal(0, 0.1, size=n_samples)
    return x, y


def breast_cancer_text_labels():
    X, y = datasets.load_breast_cancer(return_X_y=True)
    return X, np.where(y == 0, "malignant", "benign")


def iris_species():
    data = datasets.load_iris()
    return data.data, data.target_names[data.target]


def standardized_diabetes():
    # The progression scores (25 to 346) are standardised so that a few epochs
    # of gradient descent stay finite.
    X, y = datasets.load_diabetes(return_X_y=True)
    return X, (y - y.mean()) / y.std()


DATASETS = {
    "digits": lambda: datasets.load_digits(return_X_y=True),
    "iris": iris_species,
    "wine": lambda: datasets.load_wine(return_X_y=True),
    "breast_cancer": breast_cancer_text_labels,
    "diabetes": standardized_diabetes,
    "moons": lambda: datasets.make_moons(300, noise=0.2, random_state=0),
    "circles": lambda: datasets.make_circles(
        300, noise=0.1, factor=0.5, random_state=0
    ),
    "sine": noisy_sine,
}

# One model per data set, so that together they cover every hidden activation,
# scaled and unscaled inputs, dropout, and text and integer labels.
MODELS = {
    "digits": {"hidden_layer_sizes": (32,), "standardize": True},
    "iris": {"hidden_layer_sizes": (8,), "activation": "tanh", "dropout": 0.2},
    "wine": {
        "hidden_layer_sizes": (8,),
        "activation": "leaky_relu",
        "standardize": True,
    },
    "breast_cancer": {"activation": "sigmoid", "standardize": True},
    "diabetes": {"hidden_layer_sizes": (16,), "activation": "identity"},
    "moons": {"hidden_layer_sizes": (16, 8), "dropout": (0.1, 0.0)},
    "circles": {"hidden_layer_sizes": (12, 12), "activation": "tanh"},
    "sine": {"hidden_layer_sizes": (16,), "activation": "sigmoid"},
}


def train_on(name, epochs=10, **overrides):
    """Train a model on data set ``name`` and return it with its test inputs."""
    X, y = DATASETS[name]()
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=0.25, random_state=0)
    model = NeuralNetwork(**{**MODELS[name], "random_state": 0, **overrides})
    model.fit(X_train, y_train, epochs=epochs, learning_rate=0.1)
    return model, X_test


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_export_matches_model_on_dataset(name, tmp_path):
    model, X_test = train_on(name)

    outputs = export_and_run(model, X_test, tmp_path)

    assert_matches_model(model, X_test, outputs)


@pytest.mark.parametrize(
    "activation", ["relu", "leaky_relu", "tanh", "sigmoid", "identity"]
)
@pytest.mark.parametrize("standardize", [True, False])
def test_export_matches_every_hidden_activation(activation, standardize, tmp_path):
    model, X_test = train_on(
        "circles",
        hidden_layer_sizes=(8, 8),
        activation=activation,
        dropout=0.1,
        standardize=standardize,
    )

    outputs = export_and_run(model, X_test, tmp_path)

    assert_matches_model(model, X_test, outputs)


def test_export_leaky_relu_slope(tmp_path):
    from layerwise.activations import LeakyReLU

    model, X_test = train_on(
        "moons", activation=LeakyReLU(negative_slope=0.3), dropout=0.0
    )

    outputs = export_and_run(model, X_test, tmp_path)

    assert_matches_model(model, X_test, outputs)
    graph = onnx.load(tmp_path / "model.onnx").graph
    slopes = [
        attribute.f
        for node in graph.node
        if node.op_type == "LeakyRelu"
        for attribute in node.attribute
    ]
    assert slopes == pytest.approx([0.3, 0.3])


def test_export_regression_two_targets(tmp_path):
    X, y = noisy_sine()
    Y = np.column_stack([y, np.cos(X[:, 0])])
    model = NeuralNetwork((16,), activation="tanh", random_state=0)
    model.fit(X, Y, epochs=10)

    outputs = export_and_run(model, X, tmp_path)

    assert outputs["prediction"].shape == (len(X), 2)
    assert_matches_model(model, X, outputs)


def test_export_multilabel(tmp_path):
    X, Y = datasets.make_multilabel_classification(
        200, n_features=10, n_classes=4, random_state=0
    )
    model = NeuralNetwork((16,), standardize=True, random_state=0)
    model.fit(X, Y, epochs=10)

    outputs = export_and_run(model, X, tmp_path)

    assert outputs["label"].dtype == np.int64
    assert outputs["label"].shape == Y.shape
    np.testing.assert_array_equal(outputs["label"], model.predict(X))
    np.testing.assert_allclose(
        outputs["probabilities"], model.predict_proba(X), rtol=0, atol=TOLERANCE
    )


def test_export_integer_labels_are_int64(tmp_path):
    model, X_test = train_on("digits")

    outputs = export_and_run(model, X_test, tmp_path)

    assert outputs["label"].dtype == np.int64
    assert outputs["probabilities"].shape == (len(X_test), 10)


def test_export_text_labels_are_strings(tmp_path):
    model, X_test = train_on("breast_cancer")

    outputs = export_and_run(model, X_test, tmp_path)

    assert set(outputs["label"]) <= {"benign", "malignant"}
    assert outputs["probabilities"].shape == (len(X_test), 2)


@pytest.mark.parametrize("labels", [[0.0, 2.5], [False, True]])
def test_export_float_and_bool_labels(labels, tmp_path):
    X, y = datasets.make_moons(100, noise=0.2, random_state=0)
    y = np.asarray(labels)[y]
    model = NeuralNetwork((8,), task="classification", random_state=0)
    model.fit(X, y, epochs=10)

    outputs = export_and_run(model, X, tmp_path)

    assert outputs["label"].dtype == model.classes_.dtype
    assert_matches_model(model, X, outputs)


def test_export_float64_model_within_float32_rounding(tmp_path):
    model, X_test = train_on("iris", dtype="float64", standardize=True)

    outputs = export_and_run(model, X_test, tmp_path)

    assert outputs["probabilities"].dtype == np.float32
    np.testing.assert_allclose(
        outputs["probabilities"], model.predict_proba(X_test), rtol=0, atol=1e-5
    )


def test_export_single_sample(tmp_path):
    model, X_test = train_on("sine")

    outputs = export_and_run(model, X_test[:1], tmp_path)

    assert outputs["prediction"].shape == (1,)
    assert_matches_model(model, X_test[:1], outputs)


def test_export_metadata(tmp_path):
    from layerwise import __version__

    model, _ = train_on("breast_cancer")
    path = tmp_path / "model.onnx"

    export_onnx(model, path)

    onnx_model = onnx.load(path)
    props = {prop.key: prop.value for prop in onnx_model.metadata_props}
    assert props["layerwise_version"] == __version__
    assert json.loads(props["classes"]) == ["benign", "malignant"]
    assert props["task"] == "binary"
    assert props["n_features_in"] == "30"
    assert onnx_model.producer_name == "layerwise"
    assert onnx_model.opset_import[0].version == 17


def test_export_dropout_adds_no_node(tmp_path):
    model, _ = train_on("moons")

    export_onnx(model, tmp_path / "model.onnx")

    op_types = [node.op_type for node in onnx.load(tmp_path / "model.onnx").graph.node]
    assert op_types.count("Gemm") == 3
    assert "Dropout" not in op_types


@pytest.mark.parametrize("opset", [MIN_OPSET, 21])
def test_export_opset(opset, tmp_path):
    model, X_test = train_on("iris")

    outputs = export_and_run(model, X_test, tmp_path, opset=opset)

    assert onnx.load(tmp_path / "model.onnx").opset_import[0].version == opset
    assert_matches_model(model, X_test, outputs)


@pytest.mark.parametrize("opset", [12, 10_000, 17.0, True])
def test_export_rejects_invalid_opset(opset, tmp_path):
    model, _ = train_on("iris", epochs=1)

    with pytest.raises(ValueError, match="opset must be an integer from 13"):
        export_onnx(model, tmp_path / "model.onnx", opset=opset)


class Conv1D(Layer):
    """A stand-in for a layer kind that has no ONNX emitter."""

    def build(self, input_size, rng, dtype):
        return input_size

    def forward(self, A_prev, training=False):
        return A_prev

    def backward(self, dA, need_input_gradient=True):
        return dA

    @property
    def output_size(self):
        return self.input_size

    def get_config(self):
        return {"type": "Conv1D"}


def test_export_unknown_layer_raises(tmp_path):
    model, _ = train_on("iris", epochs=1)
    model.network_.layers.insert(1, Conv1D())
    path = tmp_path / "model.onnx"

    with pytest.raises(NotImplementedError, match=r"'Conv1D' \(layers\[1\]\)") as info:
        export_onnx(model, path)

    for kind in LAYER_EMITTERS:
        assert repr(kind) in str(info.value)
    assert not path.exists()


def test_export_unfitted_model_raises(tmp_path):
    with pytest.raises(NotFittedError):
        export_onnx(NeuralNetwork(), tmp_path / "model.onnx")


def test_export_without_onnx_names_extra(tmp_path, monkeypatch):
    model, _ = train_on("iris", epochs=1)
    monkeypatch.setitem(sys.modules, "onnx", None)

    with pytest.raises(ImportError, match=r"pip install layerwise\[onnx\]"):
        export_onnx(model, tmp_path / "model.onnx")


def test_export_replaces_existing_file(tmp_path):
    model, X_test = train_on("iris")
    path = tmp_path / "model.onnx"
    path.write_bytes(b"old contents")

    export_onnx(model, path)

    assert_matches_model(model, X_test, run_onnx(path, X_test))
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"]


# Convolutional and recurrent networks ----------------------------------------


def digits_rows_split():
    """Return the 8×8 digits as rows of 64 values in [0, 1], split 75/25."""
    X, y = datasets.load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, test_size=0.25, random_state=0, stratify=y)


def train_layers_on_digits(layers, epochs=2):
    X_train, X_test, y_train, _ = digits_rows_split()
    model = NeuralNetwork(hidden_layers=layers, random_state=0)
    model.fit(
        X_train,
        y_train,
        epochs=epochs,
        batch_size=32,
        optimizer="adam",
        learning_rate=0.005,
    )
    return model, X_test


def exported_op_types(tmp_path):
    return [node.op_type for node in onnx.load(tmp_path / "model.onnx").graph.node]


# Each case covers stride, padding, rectangular windows and overlapping pools.
CONV_NETWORKS = {
    "conv-maxpool": lambda: [
        Reshape((1, 8, 8)),
        Conv2D(4, 3, padding=1, activation="relu"),
        MaxPool2D(2),
        Flatten(),
        Dense(16, "relu"),
        Dropout(0.2),
    ],
    "strided-avgpool": lambda: [
        Reshape((1, 8, 8)),
        Conv2D(3, (3, 2), stride=(2, 1), padding=(1, 0), activation="tanh"),
        AveragePool2D((2, 3), stride=(1, 2)),
        Conv2D(4, 2, activation="sigmoid"),
        MaxPool2D(2, stride=1),
        Flatten(),
    ],
}


@pytest.mark.parametrize("case", sorted(CONV_NETWORKS))
def test_export_cnn_on_digits(case, tmp_path):
    model, X_test = train_layers_on_digits(CONV_NETWORKS[case]())

    outputs = export_and_run(model, X_test, tmp_path)

    error = assert_matches_model(model, X_test, outputs)
    assert error < TOLERANCE
    assert "Conv" in exported_op_types(tmp_path)


@pytest.mark.parametrize(
    ("layer_class", "op_type"), [(SimpleRNN, "RNN"), (LSTM, "LSTM")]
)
def test_export_recurrent_last_state(layer_class, op_type, tmp_path):
    # Each sample's 64 pixels become 8 time steps of one 8-pixel row.
    model, X_test = train_layers_on_digits([Reshape((8, 8)), layer_class(16)])

    outputs = export_and_run(model, X_test, tmp_path)

    assert_matches_model(model, X_test, outputs)
    assert exported_op_types(tmp_path).count(op_type) == 1


def test_export_stacked_recurrent_sequences(tmp_path):
    layers = [
        Reshape((8, 8)),
        LSTM(8, return_sequences=True),
        SimpleRNN(6, return_sequences=True),
        LSTM(5),
    ]
    model, X_test = train_layers_on_digits(layers)

    outputs = export_and_run(model, X_test, tmp_path)

    assert_matches_model(model, X_test, outputs)
    op_types = exported_op_types(tmp_path)
    assert op_types.count("LSTM") == 2
    assert op_types.count("RNN") == 1


def test_export_recurrent_sequence_then_flatten(tmp_path):
    layers = [Reshape((8, 8)), SimpleRNN(5, return_sequences=True), Flatten()]
    model, X_test = train_layers_on_digits(layers)

    outputs = export_and_run(model, X_test, tmp_path)

    assert_matches_model(model, X_test, outputs)


def test_export_lstm_single_sample(tmp_path):
    model, X_test = train_layers_on_digits([Reshape((8, 8)), LSTM(4)], epochs=1)

    outputs = export_and_run(model, X_test[:1], tmp_path)

    assert outputs["probabilities"].shape == (1, 10)
    assert_matches_model(model, X_test[:1], outputs)
