"""The ``layerwise demo`` and ``layerwise train`` subcommands."""

from __future__ import annotations

import argparse
from pathlib import Path

from layerwise._cli_common import (
    UsageError,
    _add_data_options,
    _class_weights,
    _format_metrics,
    _fraction,
    _hidden_sizes,
    _non_negative_float,
    _nonnegative_int,
    _open_fraction,
    _positive_float,
    _positive_int,
    _read_data,
)
from layerwise._cli_layers import LAYERS_HELP, MODEL_KINDS, layers_option, parse_layers
from layerwise._cli_train import (
    DEFAULT_EPOCHS,
    DEFAULT_LEARNING_RATES,
    OPTIMIZER_NAMES,
    SCHEDULE_NAMES,
    TrainingSettings,
    _train_on_table,
)
from layerwise.activations import ACTIVATIONS
from layerwise.costs import COSTS
from layerwise.datasets import TARGET_COLUMNS, load_dataset
from layerwise.tables import IMPUTE_STRATEGIES

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
    if getattr(model, "interrupted_", False):
        # The conventional status of a program stopped by SIGINT (128 + 2).
        return 130
    return 0


# train ---------------------------------------------------------------------


def _add_train_parser(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "train",
        parents=[common],
        help="train a model on a table and save it",
        description="Train on every column but the target. Numeric columns are "
        "standardised and text columns one-hot encoded, with the statistics and "
        "categories of the training split stored in the model file. Regression "
        "targets are standardised too, and predictions are scaled back. Ctrl-C "
        "stops training and saves the model as it was after the last completed "
        "epoch.",
    )
    _add_data_options(
        parser,
        "column to predict (default with --dataset: that data set's target)",
    )
    parser.add_argument(
        "--output", required=True, metavar="MODEL", help="where to save the model"
    )
    parser.add_argument(
        "--report",
        metavar="FILE.html",
        help="also write one self-contained HTML report: data summary, network "
        "summary, training curves, network diagram and test metrics",
    )
    _add_network_options(parser)
    _add_optimization_options(parser)
    _add_regularization_options(parser)
    _add_split_options(parser)
    parser.set_defaults(handler=_run_train)


def _add_network_options(parser: argparse.ArgumentParser) -> None:
    defaults = TrainingSettings()
    parser.add_argument(
        "--model",
        choices=MODEL_KINDS,
        default="mlp",
        help="mlp: fully connected layers; cnn: convolutions over each row read "
        "as a square one-channel image; rnn: an LSTM reading one image row per "
        "time step (default: mlp)",
    )
    parser.add_argument(
        "--hidden",
        type=_hidden_sizes,
        metavar="SIZES",
        help="neurons per hidden layer of --model mlp, comma-separated "
        f"(default: {','.join(map(str, defaults.hidden))})",
    )
    parser.add_argument(
        "--layers", type=layers_option, metavar="SPEC", help=LAYERS_HELP
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
        "--task",
        choices=("auto", "classification", "regression"),
        default="auto",
        help="auto: classification for text, boolean, or integer targets with at "
        "most 20 distinct values, regression otherwise (default: auto)",
    )


def _add_optimization_options(parser: argparse.ArgumentParser) -> None:
    defaults = TrainingSettings()
    rates = ", ".join(f"{name} {rate}" for name, rate in DEFAULT_LEARNING_RATES.items())
    epochs = ", ".join(f"{kind} {count}" for kind, count in DEFAULT_EPOCHS.items())
    parser.add_argument(
        "--epochs",
        type=_positive_int,
        metavar="N",
        help=f"passes over the training rows, or L-BFGS iterations (default: {epochs})",
    )
    parser.add_argument(
        "--optimizer",
        choices=OPTIMIZER_NAMES,
        help="update rule: sgd (plain gradient descent), momentum and nesterov "
        "(SGD with momentum 0.9), adam, rmsprop, adagrad, or lbfgs (full-batch "
        "L-BFGS-B, which ignores --learning-rate, --batch-size and --schedule) "
        "(default: adam for cnn and rnn, sgd for mlp)",
    )
    parser.add_argument(
        "--learning-rate",
        type=_positive_float,
        metavar="ALPHA",
        help=f"initial gradient descent step size α (default by optimizer: {rates})",
    )
    parser.add_argument(
        "--schedule",
        choices=SCHEDULE_NAMES,
        default="constant",
        help="learning rate over the epochs: constant; step (halved every third "
        "of the epochs); exponential (multiplied by the same factor each epoch, "
        "reaching 1%% of α at the end); cosine (half a cosine from α to 0); "
        "invscaling (α/√epoch); plateau (halved after 5 epochs without a lower "
        "val_cost, or cost without validation) (default: constant)",
    )
    parser.add_argument(
        "--batch-size",
        type=_positive_int,
        default=defaults.batch_size,
        metavar="N",
        help=f"rows per gradient step (default: {defaults.batch_size})",
    )


def _add_regularization_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--l2",
        type=_non_negative_float,
        default=0.0,
        metavar="ALPHA",
        help="L2 penalty: adds l2/(2·batch rows)·Σ‖W‖² to the cost (default: 0)",
    )
    parser.add_argument(
        "--l1",
        type=_non_negative_float,
        default=0.0,
        metavar="LAMBDA",
        help="L1 penalty: adds l1/(batch rows)·Σ|W| to the cost (default: 0)",
    )
    parser.add_argument(
        "--dropout",
        type=_fraction,
        default=0.0,
        metavar="RATE",
        help="fraction of neurons dropped after each hidden dense layer while "
        "training, in [0, 1) (default: 0)",
    )
    parser.add_argument(
        "--class-weight",
        type=_class_weights,
        metavar="WEIGHTS",
        help="weight of each class in the cost: 'balanced' (rows / (classes · "
        "rows of the class)) or CLASS=WEIGHT pairs such as 'a=2,b=1', where "
        "unlisted classes weigh 1 (default: all classes weigh 1)",
    )
    parser.add_argument(
        "--impute",
        choices=IMPUTE_STRATEGIES,
        help="fill missing feature values with the training split's mean, "
        "median or most frequent value of the column; text columns always use "
        "the most frequent category (default: reject missing values)",
    )


def _add_split_options(parser: argparse.ArgumentParser) -> None:
    defaults = TrainingSettings()
    parser.add_argument(
        "--test-fraction",
        type=_fraction,
        default=defaults.test_fraction,
        metavar="FRACTION",
        help="fraction of rows held out for test metrics, stratified by class; "
        f"0 trains on all rows (default: {defaults.test_fraction})",
    )
    parser.add_argument(
        "--validation-fraction",
        type=_open_fraction,
        metavar="FRACTION",
        help="fraction of the training rows held out to record val_cost after "
        "each epoch, in (0, 1) (default: none, or 0.1 with --early-stopping)",
    )
    parser.add_argument(
        "--early-stopping",
        action="store_true",
        help="stop when val_cost has not decreased for --patience epochs and keep "
        "the weights of the epoch with the lowest val_cost",
    )
    parser.add_argument(
        "--patience",
        type=_positive_int,
        default=defaults.patience,
        metavar="EPOCHS",
        help=f"epochs without improvement before early stopping "
        f"(default: {defaults.patience})",
    )
    parser.add_argument(
        "--seed",
        type=_nonnegative_int,
        default=defaults.seed,
        metavar="INT",
        help="seed of the split, the initial weights and the batch order "
        f"(default: {defaults.seed})",
    )


def _run_train(args: argparse.Namespace) -> int:
    _check_output_path(args.output)
    if args.report is not None:
        _check_output_path(args.report, "--report")
    settings = _training_settings(args)
    frame, source = _read_data(args)
    target = args.target
    if target is None:
        if args.dataset is None:
            raise UsageError("--target COLUMN is required when reading a DATA file")
        target = TARGET_COLUMNS[args.dataset]
    model, metrics = _train_on_table(
        frame, target, source, settings, not args.quiet, args.report
    )
    if metrics is not None:
        n_test = metrics["n_samples"]
        print(f"test split ({n_test} rows): {_format_metrics(metrics)}")
    model.save(args.output)
    print(f"model saved to {args.output}")
    if getattr(model, "interrupted_", False):
        # The conventional status of a program stopped by SIGINT (128 + 2).
        return 130
    return 0


def _check_output_path(output: str, option: str = "--output") -> None:
    """Raise UsageError before training when a result could not be written."""
    path = Path(output)
    if path.is_dir():
        raise UsageError(f"{option} {output!r} is a directory; give a file name")
    if not (path.parent if str(path.parent) else Path(".")).is_dir():
        raise UsageError(
            f"{option} {output!r}: directory {str(path.parent)!r} does not exist"
        )


def _training_settings(args: argparse.Namespace) -> TrainingSettings:
    """Return the settings of ``args``, raising UsageError on conflicting options."""
    if args.hidden is not None and (args.model != "mlp" or args.layers is not None):
        raise UsageError(
            "--hidden sets the layers of --model mlp only; describe other layers "
            "with --layers"
        )
    optimizer = args.optimizer or ("sgd" if args.model == "mlp" else "adam")
    if optimizer == "lbfgs" and (args.schedule != "constant" or args.early_stopping):
        raise UsageError(
            "--optimizer lbfgs runs without callbacks, so it cannot use --schedule "
            "or --early-stopping; choose another optimizer"
        )
    layers = None
    if args.layers is not None:
        layers = parse_layers(args.layers, args.activation)
    return TrainingSettings(
        hidden=args.hidden or TrainingSettings.hidden,
        activation=args.activation,
        cost=args.cost,
        epochs=args.epochs or DEFAULT_EPOCHS[args.model],
        learning_rate=args.learning_rate,
        batch_size=args.batch_size,
        test_fraction=args.test_fraction,
        seed=args.seed,
        task=args.task,
        model=args.model,
        layers=layers,
        optimizer=optimizer,
        schedule=args.schedule,
        l2=args.l2,
        l1=args.l1,
        dropout=args.dropout,
        class_weight=args.class_weight,
        validation_fraction=args.validation_fraction,
        early_stopping=args.early_stopping,
        patience=args.patience,
        impute=args.impute,
    )
