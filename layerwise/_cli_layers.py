"""Layer stacks of ``layerwise train --model`` and the grammar of ``--layers``.

A spec is a comma-separated list of items, each a layer kind and its
colon-separated arguments, for example ``conv:16:3,pool:2,flatten,dense:64``.
The output layer is not part of the spec: the model adds it to match the
targets.
"""

from __future__ import annotations

import argparse
import math

MODEL_KINDS = ("mlp", "cnn", "rnn")

#: The layers of ``--model cnn`` and ``--model rnn`` when ``--layers`` is not given.
DEFAULT_LAYERS = {"cnn": "conv:16:3,pool:2,flatten,dense:64", "rnn": "lstm:32"}

LAYERS_HELP = (
    "hidden layers as comma-separated items: dense:UNITS[:ACTIVATION], "
    "conv:FILTERS:KERNEL[:ACTIVATION] (stride 1, zero padding of KERNEL//2, so "
    "odd kernels keep the image size), pool:SIZE (max pooling), avgpool:SIZE, "
    "flatten, dropout:RATE, lstm:UNITS[:seq], rnn:UNITS[:seq] (seq returns every "
    "time step, for stacking recurrent layers), reshape:D1xD2[xD3]. ACTIVATION "
    "defaults to relu for conv and to --activation for dense. With --model cnn "
    "the inputs are first reshaped to one-channel square images (1, side, side) "
    "and with --model rnn to side time steps of side features, unless the spec "
    "starts with reshape. Defaults: "
    + "; ".join(f"{kind} {spec}" for kind, spec in DEFAULT_LAYERS.items())
)


def parse_layers(spec: str, dense_activation: str = "relu") -> list:
    """Return the unbuilt layers that ``spec`` describes.

    Raises
    ------
    ValueError
        If an item has an unknown kind, the wrong number of arguments, or an
        argument the layer rejects.
    """
    items = [item.strip() for item in spec.split(",")]
    if not spec.strip() or not all(items):
        raise ValueError(f"layer spec {spec!r} has an empty item")
    return [_parse_item(item, dense_activation) for item in items]


def layers_option(text: str) -> str:
    """Check the ``--layers`` option and return it unchanged.

    The layers are built later, once ``--activation`` is known.
    """
    try:
        parse_layers(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def _parse_item(item: str, dense_activation: str):
    from layerwise import layers

    kind, *arguments = item.split(":")
    builders = {
        "avgpool": (1, 1, lambda a: layers.AveragePool2D(_integer(a[0], item))),
        "conv": (2, 3, lambda a: _conv(a, item)),
        "dense": (1, 2, lambda a: _dense(a, item, dense_activation)),
        "dropout": (1, 1, lambda a: layers.Dropout(_number(a[0], item))),
        "flatten": (0, 0, lambda a: layers.Flatten()),
        "lstm": (1, 2, lambda a: _recurrent(layers.LSTM, a, item)),
        "pool": (1, 1, lambda a: layers.MaxPool2D(_integer(a[0], item))),
        "reshape": (1, 1, lambda a: layers.Reshape(_shape(a[0], item))),
        "rnn": (1, 2, lambda a: _recurrent(layers.SimpleRNN, a, item)),
    }
    if kind not in builders:
        raise ValueError(
            f"unknown layer {kind!r} in {item!r}; expected one of {sorted(builders)}"
        )
    fewest, most, build = builders[kind]
    if not fewest <= len(arguments) <= most:
        raise ValueError(
            f"layer item {item!r} has {len(arguments)} argument(s), but {kind} "
            f"takes {fewest} to {most}"
        )
    try:
        return build(arguments)
    except (TypeError, ValueError) as error:
        raise ValueError(f"invalid layer item {item!r}: {error}") from None


def _integer(text: str, item: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"expected an integer in {item!r}, got {text!r}") from None


def _number(text: str, item: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"expected a number in {item!r}, got {text!r}") from None


def _shape(text: str, item: str) -> tuple[int, ...]:
    return tuple(_integer(part, item) for part in text.split("x"))


def _dense(arguments: list[str], item: str, default_activation: str):
    from layerwise.layers import Dense

    activation = arguments[1] if len(arguments) > 1 else default_activation
    return Dense(_integer(arguments[0], item), activation)


def _conv(arguments: list[str], item: str):
    from layerwise.layers import Conv2D

    kernel = _integer(arguments[1], item)
    activation = arguments[2] if len(arguments) > 2 else "relu"
    filters = _integer(arguments[0], item)
    return Conv2D(filters, kernel, padding=kernel // 2, activation=activation)


def _recurrent(layer_class, arguments: list[str], item: str):
    if len(arguments) > 1 and arguments[1] != "seq":
        raise ValueError(f"expected 'seq' as the second argument, got {arguments[1]!r}")
    return layer_class(
        _integer(arguments[0], item), return_sequences=len(arguments) > 1
    )


def hidden_layers_for(kind: str, layers: list, n_inputs: int, dropout: float) -> list:
    """Return ``layers`` with the input reshape of ``kind`` and dropout added.

    A Dropout of rate ``dropout`` follows every Dense layer when ``dropout`` is
    above 0. ``cnn`` and ``rnn`` read each row of ``n_inputs`` values as a
    square image, so ``n_inputs`` must be a perfect square.

    Raises
    ------
    ValueError
        If the inputs of ``cnn`` or ``rnn`` do not form a square.
    """
    from layerwise.layers import Dense, Dropout, Reshape

    stack = []
    for layer in layers:
        stack.append(layer)
        if dropout > 0 and isinstance(layer, Dense):
            stack.append(Dropout(dropout))
    if kind == "mlp" or (stack and isinstance(stack[0], Reshape)):
        return stack
    side = math.isqrt(n_inputs)
    if side * side != n_inputs:
        raise ValueError(
            f"--model {kind} reads each row as a square image, but the table has "
            f"{n_inputs} encoded inputs, which is not a square number; start "
            "--layers with reshape:D1xD2 or use --model mlp"
        )
    shape = (1, side, side) if kind == "cnn" else (side, side)
    return [Reshape(shape), *stack]
