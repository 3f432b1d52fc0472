"""Layer kinds. Every layer takes and returns arrays with the samples last."""

from layerwise.layers._base import Layer, Workspace
from layerwise.layers._conv import Conv2D
from layerwise.layers._dense import Dense
from layerwise.layers._dropout import Dropout
from layerwise.layers._pool import AveragePool2D, MaxPool2D
from layerwise.layers._recurrent import LSTM, SimpleRNN
from layerwise.layers._reshape import Flatten, Reshape

LAYERS: dict[str, type[Layer]] = {
    "AveragePool2D": AveragePool2D,
    "Conv2D": Conv2D,
    "Dense": Dense,
    "Dropout": Dropout,
    "Flatten": Flatten,
    "LSTM": LSTM,
    "MaxPool2D": MaxPool2D,
    "Reshape": Reshape,
    "SimpleRNN": SimpleRNN,
}


def layer_from_config(config: dict) -> Layer:
    """Rebuild an unbuilt layer from ``Layer.get_config`` output."""
    config = dict(config)
    kind = config.pop("type", None)
    if kind not in LAYERS:
        raise ValueError(
            f"unknown layer type {kind!r}; expected one of {sorted(LAYERS)}"
        )
    return LAYERS[kind](**config)


__all__ = [
    "LAYERS",
    "LSTM",
    "AveragePool2D",
    "Conv2D",
    "Dense",
    "Dropout",
    "Flatten",
    "Layer",
    "MaxPool2D",
    "Reshape",
    "SimpleRNN",
    "Workspace",
    "layer_from_config",
]
