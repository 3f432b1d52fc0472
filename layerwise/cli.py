"""The ``layerwise`` command line: demo, train, evaluate, predict, trace and plot.

Each subcommand has an ``_add_<name>_parser`` function that defines its options
and a ``_run_<name>`` handler that takes the parsed arguments and returns the
exit status. ``_SUBCOMMANDS`` lists the parser functions in help order, so a
new subcommand needs one pair of functions and one entry there.

Exit status: 0 on success, 1 when training diverges, 2 for user errors
(missing files or columns, invalid option values, unreadable model files),
which print one ``layerwise: error: ...`` line to standard error.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from layerwise.activations import ACTIVATIONS
from layerwise.costs import COSTS
from layerwise.datasets import DATASET_NAMES, TARGET_COLUMNS, load_dataset
from layerwise.exceptions import DivergenceError

logger = logging.getLogger("layerwise")

DEMO_OUTPUT = "layerwise-demo.safetensors"


class UsageError(Exception):
    """Raised by the argument parser instead of printing usage and exiting."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise UsageError(f"{message} (see '{self.prog} --help')")


# Option types --------------------------------------------------------------


def _hidden_sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated positive integers such as 64,32, got {text!r}"
        )
    return sizes


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or not np.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(
            f"expected a number in [0, 1), such as 0.2, got {text!r}"
        )
    return value


# Shared options and steps --------------------------------------------------


def _add_data_options(parser: argparse.ArgumentParser, target_help: str | None) -> None:
    """Add DATA, --dataset, --sep and, unless ``target_help`` is None, --target."""
    parser.add_argument(
        "data",
        nargs="?",
        metavar="DATA",
        help="table to read: .csv, .tsv or .parquet (or any text table with --sep)",
    )
    parser.add_argument(
        "--dataset",
        choices=DATASET_NAMES,
        help="use a built-in data set instead of a DATA file",
    )
    if target_help is not None:
        parser.add_argument("--target", metavar="COLUMN", help=target_help)
    parser.add_argument(
        "--sep",
        metavar="CHAR",
        help="column separator of DATA; default: from the extension "
        "(',' for .csv, tab for .tsv)",
    )


def _read_data(args: argparse.Namespace):
    """Return (frame, source) from the DATA argument or ``--dataset``."""
    from layerwise.tables import read_table

    if args.data is not None and args.dataset is not None:
        raise UsageError("give a DATA file or --dataset NAME, not both")
    if args.data is None and args.dataset is None:
        raise UsageError("missing input: give a DATA file or --dataset NAME")
    if args.dataset is not None:
        return load_dataset(args.dataset, random_state=0), f"data set {args.dataset!r}"
    frame = read_table(args.data, sep=args.sep)
    logger.info("read %d rows and %d columns from %s", *frame.shape, args.data)
    return frame, repr(args.data)


def _load_model(path: str):
    from layerwise.io import load

    model = load(path)
    logger.info("loaded %s", path)
    return model


def _schema_of(model, path: str):
    """Return the model's table schema, or a numeric one built from its column names."""
    from layerwise.tables import TableSchema

    stored = getattr(model, "extra_metadata_", {}).get("table")
    if stored is not None:
        return TableSchema.from_dict(stored)
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        raise UsageError(
            f"model {path!r} stores neither a table schema nor feature names, so "
            "its input columns are unknown; train it with 'layerwise train' or fit "
            "it on a pandas DataFrame"
        )
    task = "classification" if model.is_classifier else "regression"
    return TableSchema([str(name) for name in names], {}, "", task)


def _format_metrics(metrics: dict[str, float]) -> str:
    order = ("accuracy", "r2", "mse", "cost")
    return ", ".join(f"{key} {metrics[key]:.4f}" for key in order if key in metrics)


def _write_text(path: str, text: str) -> None:
    from layerwise.io import write_atomically

    write_atomically(path, text.encode("utf-8"))


# Training ------------------------------------------------------------------


@dataclass
class TrainingSettings:
    """Options of one training run, shared by ``train`` and ``demo``."""

    hidden: tuple[int, ...] = (64, 32)
    activation: str = "relu"
    cost: str | None = None
    epochs: int = 100
    learning_rate: float = 0.05
    batch_size: int = 32
    test_fraction: float = 0.2
    seed: int = 0
    task: str = "auto"


def _split_rows(frame, y, task: str, settings: TrainingSettings):
    """Return (train_frame, test_frame, y_train, y_test), stratified by class."""
    from sklearn.model_selection import train_test_split

    if settings.test_fraction == 0:
        return frame, frame.iloc[:0], y, y[:0]
    stratify = None
    if task == "classification":
        _, counts = np.unique(y, return_counts=True)
        if counts.min() >= 2:
            stratify = y
        else:
            logger.warning("a class has only one row, so the split is not stratified")
    return train_test_split(
        frame,
        y,
        test_size=settings.test_fraction,
        stratify=stratify,
        random_state=settings.seed,
    )


def _train_on_table(
    frame, target: str, source: str, settings: TrainingSettings, progress: bool
):
    """Train a model on ``frame`` and return it with its test-split metrics.

    The metrics are None when ``settings.test_fraction`` is 0, and otherwise
    include ``n_samples``, the number of test rows.
    """
    from layerwise.model import NeuralNetwork
    from layerwise.tables import TableSchema, infer_task, target_values

    # NOTE: regression targets are not standardised, because NeuralNetwork has
    # no target scaling. Targets far from unit scale (diabetes: mean 152, standard
    # deviation 77) then train poorly with plain gradient descent.
    y = target_values(frame, target, source)
    task = infer_task(frame[target]) if settings.task == "auto" else settings.task
    train_frame, test_frame, y_train, y_test = _split_rows(frame, y, task, settings)
    schema = TableSchema.fit(train_frame, target, task)
    X_train = schema.transform(train_frame, source)
    logger.info(
        "task %s; %d training rows, %d test rows, %d inputs",
        task,
        len(y_train),
        len(y_test),
        X_train.shape[1],
    )
    model = NeuralNetwork(
        settings.hidden,
        activation=settings.activation,
        cost=settings.cost,
        task=task,
        standardize=True,
        random_state=settings.seed,
    )
    model.fit(
        X_train,
        y_train,
        epochs=settings.epochs,
        learning_rate=settings.learning_rate,
        batch_size=settings.batch_size,
        verbose=progress,
    )
    model.extra_metadata_ = {"table": schema.to_dict()}
    if len(y_test) == 0:
        return model, None
    metrics = model.evaluate(schema.transform(test_frame, source), y_test)
    metrics["n_samples"] = len(y_test)
    return model, metrics


# demo ----------------------------------------------------------------------

DEMO_SETTINGS = TrainingSettings(
    hidden=(128,), epochs=60, learning_rate=0.1, batch_size=32, seed=0
)


def _add_demo_parser(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "demo",
        parents=[common],
        help="train on the bundled handwritten digits and save the model",
        description=f"Train a 64-{DEMO_SETTINGS.hidden[0]}-10 network on "
        "scikit-learn's bundled 1,797 8x8 handwritten digits, print the accuracy "
        f"on a stratified {DEMO_SETTINGS.test_fraction:.0%} test split, and save "
        "the model.",
    )
    parser.add_argument(
        "--output",
        default=DEMO_OUTPUT,
        metavar="MODEL",
        help=f"where to save the model (default: {DEMO_OUTPUT})",
    )
    parser.set_defaults(handler=_run_demo)


def _run_demo(args: argparse.Namespace) -> int:
    frame = load_dataset("digits")
    target = TARGET_COLUMNS["digits"]
    print(
        f"Training a 64-{DEMO_SETTINGS.hidden[0]}-10 network on 80% of "
        f"{len(frame):,} handwritten digits for {DEMO_SETTINGS.epochs} epochs"
    )
    model, metrics = _train_on_table(
        frame, target, "data set 'digits'", DEMO_SETTINGS, not args.quiet
    )
    print(
        f"test accuracy: {metrics['accuracy']:.4f} on "
        f"{metrics['n_samples']} held-out digits"
    )
    model.save(args.output)
    print(f"model saved to {args.output}")
    return 0


# train ---------------------------------------------------------------------


def _add_train_parser(subparsers, common: argparse.ArgumentParser) -> None:
    defaults = TrainingSettings()
    parser = subparsers.add_parser(
        "train",
        parents=[common],
        help="train a model on a table and save it",
        description="Train on every column but the target. Numeric columns are "
        "standardised and text columns one-hot encoded, with the statistics and "
        "categories of the training split stored in the model file.",
    )
    _add_data_options(
        parser,
        "column to predict (default with --dataset: that data set's target)",
    )
    parser.add_argument(
        "--output", required=True, metavar="MODEL", help="where to save the model"
    )
    parser.add_argument(
        "--hidden",
        type=_hidden_sizes,
        default=defaults.hidden,
        metavar="SIZES",
        help="neurons per hidden layer, comma-separated (default: 64,32)",
    )
    parser.add_argument(
        "--activation",
        choices=sorted(ACTIVATIONS),
        default=defaults.activation,
        help="activation of the hidden layers (default: relu)",
    )
    parser.add_argument(
        "--cost",
        choices=sorted(COSTS),
        help="cost function (default: cross-entropy for classification, "
        "mean squared error for regression)",
    )
    parser.add_argument(
        "--epochs",
        type=_positive_int,
        default=defaults.epochs,
        metavar="N",
        help=f"passes over the training rows (default: {defaults.epochs})",
    )
    parser.add_argument(
        "--learning-rate",
        type=_positive_float,
        default=defaults.learning_rate,
        metavar="ALPHA",
        help=f"gradient descent step size α (default: {defaults.learning_rate})",
    )
    parser.add_argument(
        "--batch-size",
        type=_positive_int,
        default=defaults.batch_size,
        metavar="N",
        help=f"rows per gradient step (default: {defaults.batch_size})",
    )
    parser.add_argument(
        "--test-fraction",
        type=_fraction,
        default=defaults.test_fraction,
        metavar="FRACTION",
        help="fraction of rows held out for test metrics, stratified by class; "
        f"0 trains on all rows (default: {defaults.test_fraction})",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=defaults.seed,
        metavar="INT",
        help="seed of the split, the initial weights and the batch order "
        f"(default: {defaults.seed})",
    )
    parser.add_argument(
        "--task",
        choices=("auto", "classification", "regression"),
        default="auto",
        help="auto: classification for text, boolean, or integer targets with at "
        "most 20 distinct values, regression otherwise (default: auto)",
    )
    parser.set_defaults(handler=_run_train)


def _run_train(args: argparse.Namespace) -> int:
    frame, source = _read_data(args)
    target = args.target
    if target is None:
        if args.dataset is None:
            raise UsageError("--target COLUMN is required when reading a DATA file")
        target = TARGET_COLUMNS[args.dataset]
    settings = TrainingSettings(
        hidden=args.hidden,
        activation=args.activation,
        cost=args.cost,
        epochs=args.epochs,
        learning_rate=args.learning_rate,
        batch_size=args.batch_size,
        test_fraction=args.test_fraction,
        seed=args.seed,
        task=args.task,
    )
    model, metrics = _train_on_table(frame, target, source, settings, not args.quiet)
    if metrics is not None:
        n_test = metrics["n_samples"]
        print(f"test split ({n_test} rows): {_format_metrics(metrics)}")
    model.save(args.output)
    print(f"model saved to {args.output}")
    return 0


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
        "the target's original values (class labels or numbers).",
    )
    parser.add_argument("model", metavar="MODEL", help="model file to predict with")
    _add_data_options(parser, target_help=None)
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
    frame, source = _read_data(args)
    predictions = model.predict(schema.transform(frame, source))
    text = pd.DataFrame({"prediction": predictions}).to_csv(index=False)
    if args.output is None:
        sys.stdout.write(text)
    else:
        _write_text(args.output, text)
        print(f"{len(predictions)} predictions saved to {args.output}")
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


# Entry point ---------------------------------------------------------------

_SUBCOMMANDS = (
    _add_demo_parser,
    _add_train_parser,
    _add_evaluate_parser,
    _add_predict_parser,
    _add_trace_parser,
    _add_plot_parser,
)


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of the ``layerwise`` command and its subcommands."""
    common = _Parser(add_help=False)
    verbosity = common.add_mutually_exclusive_group()
    verbosity.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log progress details; -vv also shows tracebacks of errors",
    )
    verbosity.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="log errors only and hide the progress bar",
    )
    parser = _Parser(
        prog="layerwise",
        description="Train and use fully connected neural networks on tables.",
    )
    subparsers = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=_Parser
    )
    for add_parser in _SUBCOMMANDS:
        add_parser(subparsers, common)
    return parser


def _configure_logging(args: argparse.Namespace) -> logging.Handler:
    """Send layerwise log records to standard error; the caller removes the handler."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("layerwise: %(levelname)s: %(message)s"))
    logger.addHandler(handler)
    if args.quiet:
        logger.setLevel(logging.ERROR)
    elif args.verbose == 0:
        logger.setLevel(logging.WARNING)
    elif args.verbose == 1:
        logger.setLevel(logging.INFO)
    else:
        logger.setLevel(logging.DEBUG)
    return handler


def _report_error(error: BaseException) -> None:
    message = " ".join(str(error).split())
    print(f"layerwise: error: {message}", file=sys.stderr)
    logger.debug("traceback of the error above", exc_info=error)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``layerwise`` command with ``argv`` (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status: 0 on success, 1 if training diverged, 2 for user
        errors, 130 when interrupted.
    """
    from layerwise.exceptions import ModelFileError

    try:
        args = build_parser().parse_args(argv)
    except UsageError as error:
        _report_error(error)
        return 2
    except SystemExit as exit_request:  # --help
        return exit_request.code if isinstance(exit_request.code, int) else 0
    handler = _configure_logging(args)
    try:
        return args.handler(args)
    except (UsageError, ModelFileError, ValueError, OSError) as error:
        _report_error(error)
        return 2
    except DivergenceError as error:
        _report_error(error)
        return 1
    except KeyboardInterrupt:
        print("layerwise: interrupted", file=sys.stderr)
        return 130
    finally:
        logger.removeHandler(handler)
