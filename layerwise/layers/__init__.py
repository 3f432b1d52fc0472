"""Layer kinds. Each layer takes and returns one sample per column."""

from layerwise.layers._base import Layer, Workspace
from layerwise.layers._dense import Dense
from layerwise.layers._dropout import Dropout

LAYERS: dict[str, type[Layer]] = {"Dense": Dense, "Dropout": Dropout}


def layer_from_config(config: dict) -> Layer:
    """Rebuild an unbuilt layer from ``Layer.get_config`` output."""
    config = dict(config)
    kind = config.pop("type", None)
    if kind not in LAYERS:
        raise ValueError(
            f"unknown layer type {kind!r}; expected one of {sorted(LAYERS)}"
        )
    return LAYERS[kind](**config)


__all__ = ["LAYERS", "Dense", "Dropout", "Layer", "Workspace", "layer_from_config"]
