"""A self-contained HTML report of a trained model: data, network, curves, metrics.

Figures are embedded as base64 PNG ``data:`` URIs and the style sheet is
inline, so the file opens offline and can be sent on its own.
"""

from __future__ import annotations

import base64
import html
import io
import os
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

from layerwise import plotting
from layerwise.io import write_atomically
from layerwise.layers import Dense, Dropout

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px;
       padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; }
pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; }
table { border-collapse: collapse; margin: 0.5em 0; }
td, th { border: 1px solid #ccc; padding: 0.3em 0.8em; text-align: left; }
img { max-width: 100%; height: auto; }
"""


def _figure_to_img(figure, alt: str) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{encoded}">'


def _table(rows: Mapping[str, object]) -> str:
    cells = "".join(
        f"<tr><th>{html.escape(str(key))}</th><td>{html.escape(_format(value))}</td>"
        "</tr>"
        for key, value in rows.items()
    )
    return f"<table>{cells}</table>"


def _format(value: object) -> str:
    if isinstance(value, float | np.floating):
        return f"{value:.4g}"
    return str(value)


def _default_data_summary(model, y_train, X_test) -> dict[str, object]:
    encoder = model._target_encoder
    summary: dict[str, object] = {
        "training samples": len(y_train),
        "test samples": len(X_test),
        "features": model.n_features_in_,
        "task": encoder.kind,
    }
    if encoder.classes is not None:
        labels, counts = np.unique(np.asarray(y_train), return_counts=True)
        summary["training samples per class"] = ", ".join(
            f"{label}: {count}" for label, count in zip(labels, counts, strict=True)
        )
    return summary


def _data_section(model, y_train, X_test, data_summary) -> str:
    if data_summary is None:
        data_summary = _default_data_summary(model, y_train, X_test)
    if isinstance(data_summary, str):
        return f"<pre>{html.escape(data_summary)}</pre>"
    return _table(data_summary)


def _figure_sections(model, X_train, y_train, X_test, y_test, history) -> list[str]:
    """Return one ``<h2>`` section with an embedded PNG for each figure that applies."""
    encoder = model._target_encoder
    figures: list[tuple[str, Callable[[], object]]] = []
    if history is not None and getattr(history, "history", history):
        figures.append(("Training curves", lambda: plotting.plot_history(history)))
    fully_connected = all(
        isinstance(layer, Dense | Dropout) for layer in model.network_.layers
    )
    if fully_connected:
        figures.append(("Network diagram", lambda: plotting.plot_network(model)))
    if encoder.kind in ("binary", "multiclass"):
        figures.append(
            (
                "Confusion matrix on the test data",
                lambda: plotting.plot_confusion_matrix(model, X_test, y_test),
            )
        )
    elif encoder.kind == "regression":
        figures.append(
            (
                "Predictions on the test data",
                lambda: plotting.plot_predictions(model, X_test, y_test),
            )
        )
    if model.n_features_in_ == 2 and encoder.kind != "multilabel":
        figures.append(
            (
                "Decision boundary with the training data",
                lambda: plotting.plot_decision_boundary(model, X_train, y_train),
            )
        )
    if fully_connected:
        figures.append(("Weights", lambda: plotting.plot_weight_histograms(model)))
    return [
        f"<h2>{html.escape(title)}</h2>\n{_figure_to_img(draw(), title)}"
        for title, draw in figures
    ]


def render_report(
    model,
    X_train: object,
    y_train: object,
    X_test: object,
    y_test: object,
    history=None,
    data_summary: str | Mapping[str, object] | None = None,
    title: str = "layerwise model report",
) -> str:
    """Return the report of ``write_report`` as an HTML string."""
    model._check_fitted()
    train_metrics = model.evaluate(X_train, y_train)
    test_metrics = model.evaluate(X_test, y_test)
    metric_rows = {
        name: f"{_format(test_metrics[name])} (training: "
        f"{_format(train_metrics[name])})"
        for name in test_metrics
    }
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        "<h2>Data</h2>",
        _data_section(model, y_train, X_test, data_summary),
        "<h2>Network</h2>",
        f"<pre>{html.escape(model.summary())}</pre>",
        "<h2>Test metrics</h2>",
        _table(metric_rows),
        *_figure_sections(model, X_train, y_train, X_test, y_test, history),
        "</body></html>",
    ]
    return "\n".join(parts)


def write_report(
    path: str | os.PathLike,
    model,
    X_train: object,
    y_train: object,
    X_test: object,
    y_test: object,
    history=None,
    data_summary: str | Mapping[str, object] | None = None,
    title: str = "layerwise model report",
) -> None:
    """Write one self-contained HTML file describing a trained model, atomically.

    The report contains the data summary, the network summary, the test
    metrics beside the training metrics, the training curves and the network
    diagram. It adds a confusion matrix for classification or a
    predicted-against-true plot for regression, a decision boundary when there
    are two features, and the weight histograms. The diagram and the
    histograms are left out when a layer is not fully connected.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.html`` file to write. Its directory must exist.
    model : NeuralNetwork
        A trained model.
    X_train, y_train : array-like
        The training data.
    X_test, y_test : array-like
        The held-out data on which the metrics are reported.
    history : History or mapping, default=None
        The per-epoch logs from ``fit``; ``None`` leaves out the curves.
    data_summary : str or mapping, default=None
        Text shown as preformatted text, or a mapping shown as a two-column
        table. ``None`` lists the sample and feature counts, the task and,
        for classification, the training samples per class.
    title : str, default="layerwise model report"
        The page title and heading.
    """
    directory = Path(path).parent
    if not directory.is_dir():
        # Checked before the figures are drawn, which takes seconds.
        raise FileNotFoundError(
            f"cannot write the report to {str(path)!r}: directory "
            f"{str(directory)!r} does not exist; create it first"
        )
    document = render_report(
        model, X_train, y_train, X_test, y_test, history, data_summary, title
    )
    write_atomically(path, document.encode("utf-8"))
