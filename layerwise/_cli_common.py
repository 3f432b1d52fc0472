"""Shared parts of the ``layerwise`` command line: errors, option types, data input."""

from __future__ import annotations

import argparse
import logging

import numpy as np

from layerwise.datasets import DATASET_NAMES, load_dataset

logger = logging.getLogger("layerwise")


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


def _nonnegative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(
            f"expected an integer of 0 or more, got {text!r}"
        )
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


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value >= 0 or not np.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def _open_fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(
            f"expected a number in (0, 1), such as 0.1, got {text!r}"
        )
    return value


def _class_weights(text: str) -> str | dict[str, float]:
    """Parse ``balanced`` or ``CLASS=WEIGHT,...`` into a name or a dict."""
    if text == "balanced":
        return text
    weights = {}
    for item in text.split(","):
        name, _, weight = item.rpartition("=")
        try:
            value = float(weight)
        except ValueError:
            value = float("nan")
        if not name or not value > 0 or not np.isfinite(value):
            raise argparse.ArgumentTypeError(
                f"expected 'balanced' or CLASS=WEIGHT pairs with positive weights, "
                f"such as 'a=2,b=1', got {text!r}"
            )
        weights[name] = value
    return weights


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
