import io

import matplotlib
import numpy as np
import pytest
from matplotlib.collections import LineCollection
from matplotlib.colors import to_hex

from layerwise import NeuralNetwork, plotting

matplotlib.use("Agg")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def render_png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=40)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def classifier():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
    model = NeuralNetwork((4,), random_state=0)
    history = model.fit(X, y, epochs=20, validation_data=(X[:20], y[:20]))
    return model, X, y, history


@pytest.fixture(scope="module")
def multiclass():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 2))
    y = np.digitize(X[:, 0], [-0.5, 0.5])
    model = NeuralNetwork((5,), activation="tanh", random_state=0)
    model.fit(X, y, epochs=30, learning_rate=0.5)
    return model, X, y


@pytest.fixture(scope="module")
def regressor():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(50, 3))
    y = X @ [1.0, -2.0, 0.5] + 0.1 * rng.normal(size=50)
    model = NeuralNetwork((6,), standardize=True, random_state=0)
    model.fit(X, y, epochs=30, learning_rate=0.05)
    return model, X, y


def edge_collections(figure) -> dict[str, LineCollection]:
    ax = figure.axes[0]
    return {c.get_gid(): c for c in ax.collections if isinstance(c, LineCollection)}


def expected_colors(values: np.ndarray) -> list[str]:
    table = {1: plotting.POSITIVE_COLOR, -1: plotting.NEGATIVE_COLOR}
    return [table.get(int(sign), plotting.ZERO_COLOR) for sign in np.sign(values)]


def test_plot_network_edge_colors_match_signs(classifier):
    model = classifier[0]
    figure = plotting.plot_network(model)
    collections = edge_collections(figure)

    for l, layer in enumerate(model.network_.layers, start=1):
        weights = collections[f"W^[{l}]"]
        biases = collections[f"B^[{l}]"]
        weight_colors = [to_hex(c) for c in weights.get_colors()]
        bias_colors = [to_hex(c) for c in biases.get_colors()]
        assert len(weights.get_segments()) == layer.W.size
        assert weight_colors == expected_colors(layer.W.ravel())
        assert bias_colors == expected_colors(layer.B.ravel())


def test_plot_network_width_grows_with_magnitude(classifier):
    model = classifier[0]
    collections = edge_collections(plotting.plot_network(model))

    W = model.network_.layers[0].W.ravel()
    widths = np.asarray(collections["W^[1]"].get_linewidths())
    assert widths[np.argmax(np.abs(W))] == widths.max()
    assert widths[np.argmin(np.abs(W))] == widths.min()


def test_plot_network_zero_weight_is_grey(classifier):
    model = classifier[0]
    original = model.network_.layers[0].W[0, 0]
    model.network_.layers[0].W[0, 0] = 0.0
    try:
        colors = edge_collections(plotting.plot_network(model))["W^[1]"].get_colors()
    finally:
        model.network_.layers[0].W[0, 0] = original

    assert to_hex(colors[0]) == plotting.ZERO_COLOR


def test_plot_network_samples_wide_layers():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 30))
    y = rng.integers(0, 2, 20)
    model = NeuralNetwork((25,), random_state=0)
    model.fit(X, y, epochs=1)

    figure = plotting.plot_network(model, max_neurons=12)
    collections = edge_collections(figure)
    title = figure.axes[0].get_title()

    assert "Layers wider than 12 neurons are sampled" in title
    assert "layer 0 shows 12 of 30" in title
    assert "layer 1 shows 12 of 25" in title
    assert len(collections["W^[1]"].get_segments()) == 12 * 12
    assert len(collections["W^[2]"].get_segments()) == 12
    assert render_png(figure).startswith(PNG_SIGNATURE)


def test_plot_network_draws_grey_bias_neurons(classifier):
    figure = plotting.plot_network(classifier[0])
    grey = matplotlib.colors.to_rgba(plotting.BIAS_NEURON_COLOR)

    bias_neurons = [
        c for c in figure.axes[0].collections if c.get_gid() == "bias neurons"
    ]
    assert len(bias_neurons) == 1
    assert len(bias_neurons[0].get_offsets()) == len(classifier[0].network_.layers)
    assert np.allclose(bias_neurons[0].get_facecolors(), [grey])


def test_plot_network_renders_png(classifier):
    assert render_png(plotting.plot_network(classifier[0])).startswith(PNG_SIGNATURE)


def test_plot_history_renders_png(classifier):
    figure = plotting.plot_history(classifier[3])

    assert len(figure.axes) == 2
    assert render_png(figure).startswith(PNG_SIGNATURE)


def test_plot_history_accepts_mapping():
    figure = plotting.plot_history({"cost": [1.0, 0.5, 0.25]})

    assert len(figure.axes) == 1
    assert render_png(figure).startswith(PNG_SIGNATURE)


def test_plot_history_rejects_empty_history():
    with pytest.raises(ValueError, match="no epochs"):
        plotting.plot_history({})


def test_plot_decision_boundary_binary_renders_png(classifier):
    model, X, y, _ = classifier
    figure = plotting.plot_decision_boundary(model, X, y, features=(0, 2))

    assert "other features held at their mean" in figure.axes[0].get_title()
    assert render_png(figure).startswith(PNG_SIGNATURE)


def test_plot_decision_boundary_multiclass_renders_png(multiclass):
    model, X, y = multiclass
    figure = plotting.plot_decision_boundary(model, X, y, resolution=50)

    assert render_png(figure).startswith(PNG_SIGNATURE)


def test_plot_decision_boundary_regression_renders_png(regressor):
    model, X, y = regressor
    figure = plotting.plot_decision_boundary(model, X, y, resolution=50)

    assert render_png(figure).startswith(PNG_SIGNATURE)


@pytest.mark.parametrize("features", [(0, 0), (0, 3), (0,), (0.0, 1)])
def test_plot_decision_boundary_rejects_invalid_features(classifier, features):
    model, X, y, _ = classifier

    with pytest.raises(ValueError, match="features must be two different"):
        plotting.plot_decision_boundary(model, X, y, features=features)


def test_plot_confusion_matrix_renders_png(multiclass):
    model, X, y = multiclass
    figure = plotting.plot_confusion_matrix(model, X, y)

    assert render_png(figure).startswith(PNG_SIGNATURE)


def test_plot_confusion_matrix_rejects_regression(regressor):
    model, X, y = regressor

    with pytest.raises(ValueError, match="plot_predictions"):
        plotting.plot_confusion_matrix(model, X, y)


def test_plot_predictions_renders_png(regressor):
    model, X, y = regressor
    figure = plotting.plot_predictions(model, X, y)

    assert figure.axes[0].get_title().startswith("Output 1: R² = ")
    assert render_png(figure).startswith(PNG_SIGNATURE)


def test_plot_predictions_rejects_classifier(classifier):
    model, X, y, _ = classifier

    with pytest.raises(ValueError, match="plot_confusion_matrix"):
        plotting.plot_predictions(model, X, y)


def test_plot_weight_histograms_renders_png(classifier):
    figure = plotting.plot_weight_histograms(classifier[0])

    assert len(figure.axes) == 2
    assert render_png(figure).startswith(PNG_SIGNATURE)


def test_plot_activation_histograms_renders_png(classifier):
    model, X, _, _ = classifier
    figure = plotting.plot_activation_histograms(model, X)

    assert len(figure.axes) == 2
    assert "of values ≤ 0" in figure.axes[0].get_title()
    assert render_png(figure).startswith(PNG_SIGNATURE)


def test_plot_activation_histograms_keeps_model_state(classifier):
    model, X, _, _ = classifier
    before = model.forward(X[:5])

    plotting.plot_activation_histograms(model, X)

    np.testing.assert_array_equal(model.forward(X[:5]), before)


def test_plot_network_requires_fitted_model():
    with pytest.raises(AttributeError, match="not trained"):
        plotting.plot_network(NeuralNetwork())


def test_plot_network_skips_dropout_layers():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 3))
    y = rng.integers(0, 2, 12)
    model = NeuralNetwork((4,), dropout=0.5, random_state=0)
    model.fit(X, y, epochs=1)

    collections = edge_collections(plotting.plot_network(model))

    assert sorted(collections) == ["B^[1]", "B^[2]", "W^[1]", "W^[2]"]
    assert len(collections["W^[2]"].get_segments()) == 4


@pytest.mark.parametrize(
    ("kind", "output"),
    [
        ("network", "network.svg"),
        ("weights", "weights.png"),
        ("activations", "activations.png"),
        ("decision-boundary", "boundary.png"),
        ("confusion-matrix", "confusion.png"),
    ],
)
def test_cli_plot_writes_image(tmp_path, capsys, kind, output):
    from layerwise.cli import main

    model_path = str(tmp_path / "moons.safetensors")
    image = tmp_path / output
    train = ["train", "--dataset", "moons", "--output", model_path, "--epochs", "5"]
    assert main([*train, "-q"]) == 0

    status = main(
        [
            "plot",
            model_path,
            "--dataset",
            "moons",
            "--kind",
            kind,
            "--output",
            str(image),
        ]
    )

    assert status == 0
    assert f"{kind} figure saved to {image}" in capsys.readouterr().out
    if output.endswith(".png"):
        assert image.read_bytes().startswith(PNG_SIGNATURE)
    else:
        assert b"<svg" in image.read_bytes()[:500]


def test_cli_plot_rejects_unknown_format(tmp_path, capsys):
    from layerwise.cli import main

    status = main(["plot", "model.safetensors", "--output", str(tmp_path / "x.jpg")])

    assert status == 2
    assert "must end in .png or .svg" in capsys.readouterr().err


def test_regression_figures_use_target_units():
    from sklearn.datasets import load_diabetes

    from layerwise.plotting import plot_decision_boundary, plot_predictions

    X, y = load_diabetes(return_X_y=True)
    model = NeuralNetwork(
        (8,), standardize=True, standardize_targets=True, random_state=0
    )
    model.fit(X, y, epochs=30, batch_size=32, learning_rate=0.01)
    figure = plot_predictions(model, X, y)
    points = figure.axes[0].collections[0].get_offsets()
    np.testing.assert_allclose(points[:, 0], y)
    np.testing.assert_allclose(points[:, 1], model.predict(X), rtol=1e-5)
    assert points[:, 1].mean() > 100
    surface = plot_decision_boundary(model, X, y)
    low, high = surface.axes[0].collections[0].get_clim()
    assert low < 100 < high
