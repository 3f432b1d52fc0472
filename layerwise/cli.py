"""The ``layerwise`` command line: demo, train, evaluate, predict, export, trace, plot.

Each subcommand has an ``_add_<name>_parser`` function that defines its options
and a ``_run_<name>`` handler that takes the parsed arguments and returns the
exit status. ``_SUBCOMMANDS`` lists the parser functions in help order, so a
new subcommand needs one pair of functions and one entry there. The pairs live
in ``_cli_training_commands`` (demo, train) and ``_cli_model_commands`` (the
commands that read a saved model), with shared option types and data input in
``_cli_common``, table preparation and training in ``_cli_train``, and the
``--layers`` grammar in ``_cli_layers``.

Exit status: 0 on success, 1 when training diverges, 2 for user errors
(missing files or columns, invalid option values, unreadable model files),
which print one ``layerwise: error: ...`` line to standard error.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from layerwise._cli_common import UsageError, _Parser, logger
from layerwise._cli_model_commands import (
    PLOT_KINDS,
    _add_evaluate_parser,
    _add_export_parser,
    _add_plot_parser,
    _add_predict_parser,
    _add_trace_parser,
)
from layerwise._cli_training_commands import (
    DEMO_OUTPUT,
    DEMO_SETTINGS,
    _add_demo_parser,
    _add_train_parser,
)
from layerwise.exceptions import DivergenceError

__all__ = [
    "DEMO_OUTPUT",
    "DEMO_SETTINGS",
    "PLOT_KINDS",
    "UsageError",
    "build_parser",
    "main",
]


_SUBCOMMANDS = (
    _add_demo_parser,
    _add_train_parser,
    _add_evaluate_parser,
    _add_predict_parser,
    _add_export_parser,
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
