"""The ``layerwise demo`` and ``layerwise train`` subcommands."""

from __future__ import annotations

import argparse

from layerwise._cli_common import (
    UsageError,
    _add_data_options,
    _format_metrics,
    _fraction,
    _hidden_sizes,
    _positive_float,
    _positive_int,
    _read_data,
)
from layerwise._cli_train import TrainingSettings, _train_on_table
from layerwise.activations import ACTIVATIONS
from layerwise.costs import COSTS
from layerwise.datasets import TARGET_COLUMNS, load_dataset

DEMO_OUTPUT = "layerwise-demo.safetensors"


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
