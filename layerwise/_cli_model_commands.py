"""Subcommands that use a saved model: evaluate, predict, trace and plot."""

from __future__ import annotations

import argparse
import json
import sys

from layerwise._cli_common import (
    UsageError,
    _add_data_options,
    _format_metrics,
    _load_model,
    _positive_float,
    _read_data,
    _schema_of,
    _write_text,
)

# evaluate ------------------------------------------------------------------


def _add_evaluate_parser(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        parents=[common],
        help="print a saved model's metrics on a table",
        description="Print accuracy (classification) or R² and mean squared "
        "error (regression), and the cost, of MODEL on every row of DATA.",
    )
    parser.add_argument("model", metavar="MODEL", help="model file to evaluate")
    _add_data_options(
        parser, "column with the true targets (default: the one used in training)"
    )
    parser.add_argument(
        "--json", action="store_true", help="print the metrics as one JSON object"
    )
    parser.set_defaults(handler=_run_evaluate)


def _run_evaluate(args: argparse.Namespace) -> int:
    from layerwise.tables import target_values

    model = _load_model(args.model)
    schema = _schema_of(model, args.model)
    frame, source = _read_data(args)
    target = args.target or schema.target_column
    if not target:
        raise UsageError("--target COLUMN is required for this model")
    X = schema.transform(frame, source)
    metrics = model.evaluate(X, target_values(frame, target, source))
    metrics["n_samples"] = len(frame)
    if args.json:
        print(json.dumps(metrics))
    else:
        print(f"{len(frame)} rows: {_format_metrics(metrics)}")
    return 0


# predict -------------------------------------------------------------------


def _add_predict_parser(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "predict",
        parents=[common],
        help="write a saved model's predictions for a table as CSV",
        description="Write one 'prediction' column, one row per row of DATA, in "
        "the target's original values (class labels or numbers), or with --proba "
        "one probability column per class.",
    )
    parser.add_argument("model", metavar="MODEL", help="model file to predict with")
    _add_data_options(parser, target_help=None)
    parser.add_argument(
        "--proba",
        action="store_true",
        help="write the predicted probability of each class, in [0, 1], in one "
        "column per class named by the class label (classification models only)",
    )
    parser.add_argument(
        "--output",
        metavar="FILE",
        help="CSV file to write (default: standard output)",
    )
    parser.set_defaults(handler=_run_predict)


def _run_predict(args: argparse.Namespace) -> int:
    import pandas as pd

    model = _load_model(args.model)
    schema = _schema_of(model, args.model)
    if args.proba and not model.is_classifier:
        raise UsageError(
            f"--proba needs a classification model, but {args.model!r} predicts "
            "numbers (regression); leave out --proba"
        )
    frame, source = _read_data(args)
    X = schema.transform(frame, source)
    if args.proba:
        columns = [str(label) for label in model.classes_]
        table = pd.DataFrame(model.predict_proba(X), columns=columns)
    else:
        table = pd.DataFrame({"prediction": model.predict(X)})
    predictions = table.to_numpy()
    text = table.to_csv(index=False)
    if args.output is None:
        sys.stdout.write(text)
    else:
        _write_text(args.output, text)
        print(f"{len(predictions)} predictions saved to {args.output}")
    return 0


# export --------------------------------------------------------------------


def _add_export_parser(subparsers, common: argparse.ArgumentParser) -> None:
    from layerwise.export import DEFAULT_OPSET, MIN_OPSET

    parser = subparsers.add_parser(
        "export",
        parents=[common],
        help="write a saved model as an ONNX graph",
        description="Write MODEL as an ONNX graph for onnxruntime and other "
        "runtimes. The graph's input X is the encoded feature matrix (float32, "
        "one row per sample, numeric columns and one-hot blocks in the order the "
        "model was trained on), not the raw table. Every layer kind is supported.",
    )
    parser.add_argument("model", metavar="MODEL", help="model file to export")
    parser.add_argument(
        "--format",
        choices=("onnx",),
        default="onnx",
        help="file format to write (default: onnx)",
    )
    parser.add_argument(
        "--output", required=True, metavar="FILE", help="file to write, e.g. model.onnx"
    )
    parser.add_argument(
        "--opset",
        type=int,
        default=DEFAULT_OPSET,
        metavar="N",
        help=f"ONNX operator set version, from {MIN_OPSET} to the newest that the "
        f"installed onnx package knows (default: {DEFAULT_OPSET})",
    )
    parser.set_defaults(handler=_run_export)


def _run_export(args: argparse.Namespace) -> int:
    from layerwise.export import export_onnx

    model = _load_model(args.model)
    try:
        export_onnx(model, args.output, opset=args.opset)
    except ImportError as error:
        raise UsageError(str(error)) from None
    except NotImplementedError as error:
        raise UsageError(f"cannot export {args.model!r} to ONNX: {error}") from None
    print(f"ONNX model saved to {args.output}")
    return 0


# trace ---------------------------------------------------------------------


def _add_trace_parser(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "trace",
        parents=[common],
        help="print forward and backward propagation of one row, step by step",
        description="Print every Z^[l] and A^[l], the cost, every gradient and "
        "W^[l], B^[l] after one gradient-descent step, for row N of DATA. The "
        "model file is not changed.",
    )
    parser.add_argument("model", metavar="MODEL", help="model file to trace")
    _add_data_options(
        parser, "column with the true targets (default: the one used in training)"
    )
    parser.add_argument(
        "--row",
        type=int,
        required=True,
        metavar="N",
        help="row of DATA to trace, counting from 0",
    )
    parser.add_argument(
        "--learning-rate",
        type=_positive_float,
        default=0.1,
        metavar="ALPHA",
        help="learning rate α of the gradient-descent step (default: 0.1)",
    )
    parser.set_defaults(handler=_run_trace)


def _run_trace(args: argparse.Namespace) -> int:
    from layerwise.tables import target_values
    from layerwise.trace import trace

    model = _load_model(args.model)
    schema = _schema_of(model, args.model)
    frame, source = _read_data(args)
    if not 0 <= args.row < len(frame):
        raise UsageError(
            f"--row {args.row} is out of range: {source} has rows 0 to {len(frame) - 1}"
        )
    target = args.target or schema.target_column
    if not target:
        raise UsageError("--target COLUMN is required for this model")
    row = frame.iloc[[args.row]]
    X = schema.transform(row, source)
    y = target_values(row, target, source)
    print(trace(model, X[0], y[0], learning_rate=args.learning_rate))
    return 0


# plot ----------------------------------------------------------------------

PLOT_KINDS = (
    "network",
    "weights",
    "activations",
    "decision-boundary",
    "confusion-matrix",
    "predictions",
)
"""Figures of ``layerwise plot``. All but network and weights read DATA."""


def _add_plot_parser(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "plot",
        parents=[common],
        help="draw a figure of a saved model as PNG or SVG",
        description="Draw one figure of MODEL. The network diagram and the "
        "weight histograms need only the model. Activation histograms, the "
        "decision boundary, the confusion matrix and predicted-against-true "
        "values also read DATA or --dataset.",
    )
    parser.add_argument("model", metavar="MODEL", help="model file to draw")
    _add_data_options(
        parser, "column with the true targets (default: the one used in training)"
    )
    parser.add_argument(
        "--kind",
        choices=PLOT_KINDS,
        default="network",
        help="figure to draw (default: network)",
    )
    parser.add_argument(
        "--output",
        metavar="FILE",
        required=True,
        help="image file to write; its extension, .png or .svg, sets the format",
    )
    parser.add_argument(
        "--features",
        type=int,
        nargs=2,
        default=(0, 1),
        metavar=("I", "J"),
        help="input columns on the axes of the decision boundary, counting the "
        "encoded features from 0 (default: 0 1)",
    )
    parser.set_defaults(handler=_run_plot)


def _run_plot(args: argparse.Namespace) -> int:
    import io
    from pathlib import Path

    from layerwise import plotting
    from layerwise.io import write_atomically

    image_format = Path(args.output).suffix.lower().lstrip(".")
    if image_format not in ("png", "svg"):
        raise UsageError(
            f"--output {args.output!r} must end in .png or .svg, which sets the "
            "image format"
        )
    model = _load_model(args.model)
    if args.kind == "network":
        figure = plotting.plot_network(model)
    elif args.kind == "weights":
        figure = plotting.plot_weight_histograms(model)
    else:
        figure = _plot_with_data(args, model)
    buffer = io.BytesIO()
    figure.savefig(buffer, format=image_format, dpi=100)
    write_atomically(args.output, buffer.getvalue())
    print(f"{args.kind} figure saved to {args.output}")
    return 0


def _plot_with_data(args: argparse.Namespace, model):
    from layerwise import plotting
    from layerwise.tables import target_values

    schema = _schema_of(model, args.model)
    frame, source = _read_data(args)
    X = schema.transform(frame, source)
    if args.kind == "activations":
        return plotting.plot_activation_histograms(model, X)
    target = args.target or schema.target_column
    if not target:
        raise UsageError("--target COLUMN is required for this model")
    y = target_values(frame, target, source)
    if args.kind == "decision-boundary":
        return plotting.plot_decision_boundary(model, X, y, features=args.features)
    if args.kind == "confusion-matrix":
        return plotting.plot_confusion_matrix(model, X, y)
    return plotting.plot_predictions(model, X, y)
