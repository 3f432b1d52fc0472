"""Matplotlib figures of a trained network: diagram, curves, boundaries, histograms.

Every function returns a ``matplotlib.figure.Figure`` built without pyplot, so
no window opens and no global figure state is kept. Save one with
``figure.savefig("name.png")``. Matplotlib is an optional dependency, imported
when a function is called (``pip install "layerwise[plot]"``).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np

from layerwise._validation import check_features
from layerwise.layers import Dense, Dropout

POSITIVE_COLOR = "#1f77b4"
"""Colour of edges with a positive weight or bias (matplotlib's tab:blue)."""
NEGATIVE_COLOR = "#d62728"
"""Colour of edges with a negative weight or bias (matplotlib's tab:red)."""
ZERO_COLOR = "#bbbbbb"
"""Colour of edges whose weight is exactly zero, such as biases before training."""
BIAS_NEURON_COLOR = "#999999"


def _new_figure(width: float, height: float):
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(
            "layerwise plotting needs matplotlib; install it with "
            'pip install "layerwise[plot]"'
        ) from error
    return Figure(figsize=(width, height), layout="constrained")


def _panel_grid(figure, n_panels: int, max_columns: int = 3):
    n_columns = min(n_panels, max_columns)
    n_rows = -(-n_panels // n_columns)
    axes = figure.subplots(n_rows, n_columns, squeeze=False).ravel()
    for unused in axes[n_panels:]:
        unused.set_visible(False)
    return axes[:n_panels]


def _feature_label(model, index: int) -> str:
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        return str(names[index])
    return f"x{index + 1}"


def dense_layers(model, function: str) -> list[Dense]:
    """Return the Dense layers of the model, numbered l = 1..L in the W^[l] notation.

    Dropout layers are skipped: they have no parameters and pass their input
    through at prediction time. Any other layer kind raises ValueError.
    """
    model._check_fitted()
    layers = []
    for index, layer in enumerate(model.network_.layers, start=1):
        if isinstance(layer, Dropout):
            continue
        if not isinstance(layer, Dense):
            raise ValueError(
                f"{function} supports fully connected (Dense) and Dropout layers "
                f"only, but network layer {index} is {layer!r}"
            )
        layers.append(layer)
    return layers


def _scaled_inputs(model, X: object) -> np.ndarray:
    """Return A^[0] = the scaled X, one sample per column."""
    model._check_fitted()
    X = check_features(X, model.network_.dtype, model.n_features_in_)
    return model._scale_inputs(X).T


# Network diagram -------------------------------------------------------------


def _sample_neurons(n_neurons: int, max_neurons: int) -> np.ndarray:
    """Return the indices of the neurons drawn: all, or evenly spaced ones."""
    if n_neurons <= max_neurons:
        return np.arange(n_neurons)
    return np.unique(np.linspace(0, n_neurons - 1, max_neurons).round().astype(int))


def _edge_color(value: float) -> str:
    if value > 0:
        return POSITIVE_COLOR
    if value < 0:
        return NEGATIVE_COLOR
    return ZERO_COLOR


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _layer_titles(model, layers: list[Dense]) -> list[str]:
    titles = [f"Input layer 0\n{_count(model.n_features_in_, 'neuron')}"]
    for index, layer in enumerate(layers, start=1):
        role = "Output layer" if index == len(layers) else "Hidden layer"
        neurons = _count(layer.output_size, "neuron")
        titles.append(f"{role} {index}\n{neurons}, {layer.activation.name}")
    return titles


def _output_labels(model) -> list[str]:
    encoder = model._target_encoder
    if encoder.kind == "binary":
        return [f"P({encoder.classes[1]})"]
    if encoder.kind == "multiclass":
        return [f"P({label})" for label in encoder.classes]
    return [f"ŷ{index + 1}" for index in range(encoder.n_outputs)]


def plot_network(model, max_neurons: int = 12):
    """Draw the network as columns of neurons joined by its weights.

    Each edge from neuron k of layer l − 1 to neuron j of layer l is coloured
    by the sign of W^[l][j, k]: blue positive, red negative, grey zero. Its
    width grows with the magnitude, relative to the largest magnitude drawn.
    The grey neuron on top of each non-output column is the bias neuron, of
    constant value 1, whose edges carry B^[l]. Dropout layers are left out,
    and l counts the Dense layers only.

    Parameters
    ----------
    model : NeuralNetwork
        A trained model.
    max_neurons : int, default=12
        Layers with more neurons show this many, evenly spaced, and the
        figure states how many were drawn.

    Returns
    -------
    matplotlib.figure.Figure
        The axes hold one ``LineCollection`` per layer for W^[l] and one for
        B^[l], with gid ``"W^[l]"`` and ``"B^[l]"``, whose segments run over the
        drawn neurons j (rows of W) and then k (columns).
    """
    layers = dense_layers(model, "plot_network")
    if max_neurons < 2:
        raise ValueError(f"max_neurons must be at least 2, got {max_neurons!r}")
    sizes = [model.n_features_in_] + [layer.output_size for layer in layers]
    shown = [_sample_neurons(size, max_neurons) for size in sizes]
    tallest = max(len(indices) for indices in shown) + 1
    figure = _new_figure(2.1 * len(sizes) + 1.5, max(3.5, 0.42 * tallest + 2.2))
    ax = figure.subplots()

    # Neuron i of a column sits at y = top − i, with the column centred on 0,
    # and the column's bias neuron one step above its top neuron.
    positions = [(len(indices) - 1) / 2 - np.arange(len(indices)) for indices in shown]
    bias_x = np.arange(len(layers))
    bias_y = np.array([positions[l][0] + 1 for l in bias_x])
    largest = max(max(np.abs(layer.W).max(), np.abs(layer.B).max()) for layer in layers)
    largest = largest if largest > 0 else 1.0
    for l, layer in enumerate(layers, start=1):
        _draw_edges(ax, l, layer, shown, positions, bias_y[l - 1], largest)

    for l, y in enumerate(positions):
        ax.scatter(
            np.full(len(y), l), y, s=420, c="white", edgecolors="black", zorder=3
        )
    ax.scatter(
        bias_x,
        bias_y,
        s=420,
        c=BIAS_NEURON_COLOR,
        edgecolors="black",
        zorder=3,
        gid="bias neurons",
    )
    for x, y in zip(bias_x, bias_y, strict=True):
        ax.annotate("1", (x, y), ha="center", va="center", zorder=4)
    _label_diagram(ax, model, layers, shown, positions)
    _add_diagram_legend(ax)

    sampled = [
        f"layer {l} shows {len(s)} of {size}"
        for l, (s, size) in enumerate(zip(shown, sizes, strict=True))
        if len(s) < size
    ]
    title = "Network " + "-".join(map(str, sizes))
    if sampled:
        title += f"\nLayers wider than {max_neurons} neurons are sampled: "
        title += "; ".join(sampled)
    ax.set_title(title, fontsize="medium")
    ax.set_xlim(-0.9, len(sizes) - 0.1)
    ax.set_ylim(min(p.min() for p in positions) - 1.4, bias_y.max() + 0.6)
    ax.set_axis_off()
    return figure


def _draw_edges(ax, l, layer, shown, positions, bias_y, largest) -> None:
    """Add the LineCollections of W^[l] and B^[l] for the drawn neurons."""
    from matplotlib.collections import LineCollection

    rows, columns = shown[l], shown[l - 1]
    W = layer.W[np.ix_(rows, columns)]
    B = layer.B[rows, 0]
    y_in, y_out = positions[l - 1], positions[l]
    weight_segments = [
        [(l - 1, y_in[k]), (l, y_out[j])]
        for j in range(len(rows))
        for k in range(len(columns))
    ]
    bias_segments = [[(l - 1, bias_y), (l, y_out[j])] for j in range(len(rows))]
    for segments, values, gid in (
        (weight_segments, W.ravel(), f"W^[{l}]"),
        (bias_segments, B, f"B^[{l}]"),
    ):
        edges = LineCollection(
            segments,
            colors=[_edge_color(value) for value in values],
            linewidths=0.3 + 3.2 * np.abs(values) / largest,
            alpha=0.7,
            zorder=1,
        )
        edges.set_gid(gid)
        ax.add_collection(edges)


def _add_diagram_legend(ax) -> None:
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], color=POSITIVE_COLOR, lw=2.5, label="positive weight"),
        Line2D([], [], color=NEGATIVE_COLOR, lw=2.5, label="negative weight"),
        Line2D(
            [],
            [],
            ls="",
            marker="o",
            ms=10,
            mfc=BIAS_NEURON_COLOR,
            mec="black",
            label="bias neuron (value 1)",
        ),
    ]
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.02),
        ncols=3,
        frameon=False,
        fontsize="small",
    )


def _label_diagram(ax, model, layers, shown, positions) -> None:
    sizes = [model.n_features_in_] + [layer.output_size for layer in layers]
    titles = _layer_titles(model, layers)
    bottom = min(p.min() for p in positions) - 0.6
    for l, title in enumerate(titles):
        if len(shown[l]) < sizes[l]:
            title += f"\n({len(shown[l])} of {sizes[l]} drawn)"
        ax.text(l, bottom, title, ha="center", va="top", fontsize="small")
    for k, y in zip(shown[0], positions[0], strict=True):
        ax.text(
            -0.18,
            y,
            _feature_label(model, int(k)),
            ha="right",
            va="center",
            fontsize="small",
        )
    output_labels = _output_labels(model)
    for j, y in zip(shown[-1], positions[-1], strict=True):
        ax.text(
            len(sizes) - 1 + 0.18,
            y,
            output_labels[int(j)],
            ha="left",
            va="center",
            fontsize="small",
        )


# Training curves -------------------------------------------------------------


def plot_history(history):
    """Plot the training and validation cost, and any metric, against the epoch.

    Parameters
    ----------
    history : History or mapping of str to list of float
        The per-epoch logs, as returned by ``fit`` (``"cost"``, ``"val_cost"``,
        ``"val_accuracy"``, ``"val_r2"`` and so on).

    Returns
    -------
    matplotlib.figure.Figure
        One panel for the costs and, when there are any, one for the metrics.
    """
    logs = history.history if hasattr(history, "history") else dict(history)
    if not logs or not any(len(values) for values in logs.values()):
        raise ValueError("history has no epochs to plot; train the model first")
    costs = [key for key in logs if key.endswith("cost")]
    metrics = [key for key in logs if not key.endswith("cost")]
    panels = [group for group in (costs, metrics) if group]
    figure = _new_figure(5.0 * len(panels), 3.6)
    axes = _panel_grid(figure, len(panels))
    for ax, keys in zip(axes, panels, strict=True):
        for key in keys:
            values = np.asarray(logs[key], dtype=float)
            epochs = np.arange(1, len(values) + 1)
            style = "--" if key.startswith("val_") else "-"
            ax.plot(epochs, values, style, label=_log_label(key))
        ax.set_xlabel("epoch")
        ax.set_ylabel("cost C" if keys is costs else "metric")
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    axes[0].set_title("Cost per epoch", fontsize="medium")
    if len(axes) > 1:
        axes[1].set_title("Validation metrics per epoch", fontsize="medium")
    return figure


def _log_label(key: str) -> str:
    if key.startswith("val_"):
        return f"validation {key[4:]}"
    return f"training {key}"


# Predictions -----------------------------------------------------------------


def plot_decision_boundary(
    model, X: object, y: object, features: Sequence[int] = (0, 1), resolution=200
):
    """Plot the model's prediction over two input features, with the data points.

    The other features are held at their mean over ``X``. For classification
    the regions show the predicted class. For regression the colour shows the
    predicted value of the first output.

    Parameters
    ----------
    model : NeuralNetwork
        A trained model, not multi-label.
    X : array-like of shape (n_samples, n_features)
        The points to draw, usually the training data. The grid spans their
        range along the two features.
    y : array-like of shape (n_samples,)
        Their targets, which colour the points.
    features : pair of int, default=(0, 1)
        The column indices of the two features on the x and y axes.
    resolution : int, default=200
        Grid points along each axis.

    Returns
    -------
    matplotlib.figure.Figure
    """
    model._check_fitted()
    encoder = model._target_encoder
    if encoder.kind == "multilabel":
        raise ValueError(
            "plot_decision_boundary does not support multi-label models; plot one "
            "label at a time with a single-label model"
        )
    X = check_features(X, np.float64, model.n_features_in_)
    y = np.asarray(y)
    first, second = _check_feature_pair(features, X.shape[1])

    grid_x, grid_y = (
        np.linspace(*_padded_range(X[:, column]), resolution)
        for column in (first, second)
    )
    xx, yy = np.meshgrid(grid_x, grid_y)
    grid = np.tile(X.mean(axis=0), (xx.size, 1))
    grid[:, first], grid[:, second] = xx.ravel(), yy.ravel()

    figure = _new_figure(6.0, 4.8)
    ax = figure.subplots()
    if encoder.is_classifier:
        _draw_class_regions(ax, model, grid, xx, yy, X[:, [first, second]], y)
    else:
        _draw_value_surface(ax, model, grid, xx, yy, X[:, [first, second]], y)
    ax.set_xlabel(f"{_feature_label(model, first)} (column {first})")
    ax.set_ylabel(f"{_feature_label(model, second)} (column {second})")
    title = "Decision boundary" if encoder.is_classifier else "Predicted value"
    if X.shape[1] > 2:
        title += "\nother features held at their mean"
    ax.set_title(title, fontsize="medium")
    return figure


def _check_feature_pair(features: Sequence[int], n_features: int) -> tuple[int, int]:
    pair = tuple(features)
    if (
        len(pair) != 2
        or not all(isinstance(f, int | np.integer) for f in pair)
        or pair[0] == pair[1]
        or not all(0 <= f < n_features for f in pair)
    ):
        raise ValueError(
            f"features must be two different column indices in [0, {n_features}), "
            f"got {features!r}"
        )
    return int(pair[0]), int(pair[1])


def _padded_range(values: np.ndarray) -> tuple[float, float]:
    low, high = float(values.min()), float(values.max())
    pad = 0.08 * (high - low) if high > low else 0.5
    return low - pad, high + pad


def _draw_class_regions(ax, model, grid, xx, yy, points, y) -> None:
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.lines import Line2D

    classes = model.classes_
    n_classes = len(classes)
    palette = [f"C{index % 10}" for index in range(n_classes)]
    colormap = ListedColormap(palette)
    norm = BoundaryNorm(np.arange(n_classes + 1) - 0.5, n_classes)

    probabilities = model.predict_proba(grid)
    if n_classes == 2:
        # The smooth surface P(class 1) = 0.5 gives the boundary without the
        # grid steps that contouring the class index would draw.
        surface, levels = probabilities[:, 1].reshape(xx.shape), [0.0, 0.5, 1.0]
    else:
        surface = np.argmax(probabilities, axis=1).reshape(xx.shape)
        levels = norm.boundaries
    ax.contourf(xx, yy, surface, levels=levels, colors=palette, alpha=0.25)
    inner = [level for level in levels[1:-1] if surface.min() < level < surface.max()]
    if inner:
        ax.contour(xx, yy, surface, levels=inner, colors="black", linewidths=0.8)

    Y = model._target_encoder.encode(y, np.float64)
    labels = Y[:, 0].astype(int) if n_classes == 2 else np.argmax(Y, axis=1)
    ax.scatter(
        points[:, 0],
        points[:, 1],
        c=labels,
        cmap=colormap,
        norm=norm,
        s=18,
        edgecolors="black",
        linewidths=0.4,
    )
    handles = [
        Line2D(
            [], [], ls="", marker="o", mfc=palette[index], mec="black", label=str(label)
        )
        for index, label in enumerate(classes)
    ]
    ax.legend(handles=handles, title="class", fontsize="small", loc="best")


def _predicted_values(model, X) -> np.ndarray:
    """Return regression predictions in the targets' own units, shape (n, k).

    ``model.forward`` gives the network's outputs, which are standardised when
    the model standardises its targets; ``predict`` undoes that.
    """
    predicted = np.asarray(model.predict(X), dtype=np.float64)
    return predicted.reshape(predicted.shape[0], -1)


def _draw_value_surface(ax, model, grid, xx, yy, points, y) -> None:
    predicted = _predicted_values(model, grid)[:, 0].reshape(xx.shape)
    targets = np.asarray(y, dtype=float).reshape(len(y), -1)[:, 0]
    low = min(predicted.min(), targets.min())
    high = max(predicted.max(), targets.max())
    surface = ax.contourf(
        xx, yy, predicted, levels=20, cmap="viridis", vmin=low, vmax=high, alpha=0.8
    )
    ax.scatter(
        points[:, 0],
        points[:, 1],
        c=targets,
        cmap="viridis",
        vmin=low,
        vmax=high,
        s=18,
        edgecolors="white",
        linewidths=0.5,
    )
    ax.figure.colorbar(surface, ax=ax, label="ŷ (first output)")


def plot_confusion_matrix(model, X: object, y: object, normalize: str | None = None):
    """Plot the confusion matrix of the model's predictions on (X, y).

    Parameters
    ----------
    model : NeuralNetwork
        A trained binary or multi-class classifier.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
        The true labels.
    normalize : {"true", "pred", "all"} or None, default=None
        Passed to scikit-learn's ``confusion_matrix``; ``None`` shows counts.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from sklearn.metrics import ConfusionMatrixDisplay

    model._check_fitted()
    if model._target_encoder.kind not in ("binary", "multiclass"):
        raise ValueError(
            "plot_confusion_matrix needs a binary or multi-class classifier, but "
            f"this model is {model._target_encoder.kind}; use plot_predictions for "
            "regression"
        )
    n_classes = len(model.classes_)
    size = min(3.0 + 0.45 * n_classes, 10.0)
    figure = _new_figure(size + 0.8, size)
    ax = figure.subplots()
    ConfusionMatrixDisplay.from_predictions(
        np.asarray(y),
        model.predict(X),
        labels=model.classes_,
        normalize=normalize,
        ax=ax,
        colorbar=False,
        cmap="Blues",
    )
    ax.set_title("Confusion matrix", fontsize="medium")
    return figure


def plot_predictions(model, X: object, y: object):
    """Plot predicted against true values, one panel per output, for regression.

    Parameters
    ----------
    model : NeuralNetwork
        A trained regression model.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        The true values.

    Returns
    -------
    matplotlib.figure.Figure
        Each panel shows the line ŷ = y and the R² of that output.
    """
    from sklearn.metrics import r2_score

    model._check_fitted()
    encoder = model._target_encoder
    if encoder.is_classifier:
        raise ValueError(
            "plot_predictions is for regression models; use plot_confusion_matrix "
            "for classifiers"
        )
    targets = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    predicted = _predicted_values(model, X)
    figure = _new_figure(
        4.2 * min(encoder.n_outputs, 3), 4.0 * -(-encoder.n_outputs // 3)
    )
    axes = _panel_grid(figure, encoder.n_outputs)
    for index, ax in enumerate(axes):
        true, guess = targets[:, index], predicted[:, index]
        ax.scatter(true, guess, s=14, alpha=0.7, edgecolors="none")
        low, high = min(true.min(), guess.min()), max(true.max(), guess.max())
        ax.plot([low, high], [low, high], "k--", lw=1, label="ŷ = y")
        r2 = r2_score(true, guess) if len(true) > 1 else float("nan")
        ax.set_title(f"Output {index + 1}: R² = {r2:.3f}", fontsize="medium")
        ax.set_xlabel("true y")
        ax.set_ylabel("predicted ŷ")
        ax.legend(fontsize="small", loc="upper left")
        ax.grid(alpha=0.3)
    return figure


# Distributions ---------------------------------------------------------------


def plot_weight_histograms(model, bins: int = 30):
    """Plot a histogram of the entries of W^[l] and B^[l] for each layer l.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per layer.
    """
    from matplotlib.ticker import MaxNLocator

    layers = dense_layers(model, "plot_weight_histograms")
    figure = _new_figure(3.8 * min(len(layers), 3), 3.2 * -(-len(layers) // 3))
    axes = _panel_grid(figure, len(layers))
    for l, (ax, layer) in enumerate(zip(axes, layers, strict=True), start=1):
        W, B = layer.W, layer.B
        edges = np.histogram_bin_edges(np.concatenate([W.ravel(), B.ravel()]), bins)
        ax.hist(
            [W.ravel(), B.ravel()],
            bins=edges,
            stacked=True,
            color=[POSITIVE_COLOR, "#ff7f0e"],
            label=[f"W ({W.shape[0]}×{W.shape[1]})", f"B ({B.shape[0]}×1)"],
        )
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(f"Layer {l}: $W^{{[{l}]}}$, $B^{{[{l}]}}$", fontsize="medium")
        ax.set_xlabel("value")
        ax.set_ylabel("count")
        ax.legend(fontsize="small")
    return figure


def plot_activation_histograms(model, X: object, bins: int = 30):
    """Plot a histogram of the activations A^[l] over the samples of X, per layer.

    For ReLU-family layers the title gives the share of activations that are
    exactly zero, which shows neurons that are inactive for most inputs.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per layer.
    """
    A = _scaled_inputs(model, X)
    # Forward on a copy, so the model's cached activations stay as they were.
    network = copy.deepcopy(model.network_)
    activations = []
    for layer in network.layers:
        A = layer.forward(A).copy()
        activations.append(A)
    figure = _new_figure(
        3.8 * min(len(activations), 3), 3.2 * -(-len(activations) // 3)
    )
    axes = _panel_grid(figure, len(activations))
    for l, (ax, layer, A) in enumerate(
        zip(axes, network.layers, activations, strict=True), start=1
    ):
        ax.hist(A.ravel(), bins=bins, color="#2ca02c", alpha=0.8)
        activation = getattr(layer, "activation", None)
        name = activation.name if activation is not None else type(layer).__name__
        title = f"Layer {l}: $A^{{[{l}]}}$ = {name}($Z^{{[{l}]}}$)"
        if name in ("relu", "leaky_relu"):
            title += f"\n{np.mean(A <= 0):.0%} of values ≤ 0"
        ax.set_title(title, fontsize="medium")
        ax.set_xlabel("activation value")
        ax.set_ylabel("count")
    return figure
