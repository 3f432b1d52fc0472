"""Layers that change the shape of each sample: Reshape and Flatten."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from layerwise.layers._base import Layer


def check_shape(shape: object, name: str) -> tuple[int, ...]:
    """Return ``shape`` as a tuple of positive ints, or raise ValueError naming it."""
    if isinstance(shape, int | np.integer) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, Sequence) or len(shape) == 0:
        raise ValueError(
            f"{name} must be a positive int or a non-empty tuple of them, got {shape!r}"
        )
    for size in shape:
        if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 1:
            raise ValueError(
                f"{name} must contain positive integers, got {shape!r}; "
                "pass for example (1, 8, 8)"
            )
    return tuple(int(size) for size in shape)


def size_of(shape: int | tuple[int, ...]) -> int:
    """Return the number of values in one sample of size ``shape``."""
    return int(shape) if isinstance(shape, int | np.integer) else math.prod(shape)


class Reshape(Layer):
    """Give each sample the shape ``shape``: (prod(shape), N) becomes shape + (N,).

    The samples stay on the last axis, and the values of one sample are read in
    C (row-major) order. So a row of 64 pixel values becomes an image of shape
    (1, 8, 8), and a row of T·F values becomes a sequence of shape (T, F) with
    time first.

    Parameters
    ----------
    shape : tuple of int
        The shape of one sample after the layer, for example (channels, height,
        width) before ``Conv2D`` or (time steps, features) before ``LSTM``.

    Notes
    -----
    Input shape size + (N,) for any size with prod(shape) values, output shape
    shape + (N,). The output is a view of the input when NumPy can form one
    (always for a single input axis) and a copy otherwise. The layer has no
    parameters.
    """

    def __init__(self, shape: Sequence[int]) -> None:
        super().__init__()
        self.shape = check_shape(shape, "shape")

    @property
    def output_size(self) -> tuple[int, ...]:
        return self.shape

    def build(self, input_size, rng, dtype):
        if size_of(input_size) != math.prod(self.shape):
            raise ValueError(
                f"cannot reshape inputs of size {input_size!r} "
                f"({size_of(input_size)} values per sample) to {self.shape!r} "
                f"({math.prod(self.shape)} values); pick a shape with the same "
                "number of values"
            )
        self.input_size = input_size
        return self.shape

    def forward(self, A_prev, training=False):
        return A_prev.reshape((*self.shape, A_prev.shape[-1]))

    def backward(self, dA, need_input_gradient=True):
        if not need_input_gradient:
            return None
        return dA.reshape((*_as_tuple(self.input_size), dA.shape[-1]))

    def get_config(self):
        return {"type": "Reshape", "shape": list(self.shape)}

    def __repr__(self) -> str:
        return f"Reshape({self.shape!r})"


class Flatten(Layer):
    """Turn each sample into a vector: shape + (N,) becomes (prod(shape), N).

    The values are read in C (row-major) order, the order in which
    ``torch.flatten`` reads an (N, C, H, W) tensor's sample. This is the inverse
    of ``Reshape(shape)``.

    Notes
    -----
    Input shape size + (N,), output shape (prod(size), N). The output is a view
    of the input when NumPy can form one and a copy otherwise. The layer has no
    parameters.
    """

    @property
    def output_size(self) -> int:
        return size_of(self.input_size)

    def build(self, input_size, rng, dtype):
        self.input_size = (
            int(input_size)
            if isinstance(input_size, int | np.integer)
            else check_shape(input_size, "input_size")
        )
        return self.output_size

    def forward(self, A_prev, training=False):
        return A_prev.reshape((self.output_size, A_prev.shape[-1]))

    def backward(self, dA, need_input_gradient=True):
        if not need_input_gradient:
            return None
        return dA.reshape((*_as_tuple(self.input_size), dA.shape[-1]))

    def get_config(self):
        return {"type": "Flatten"}

    def __repr__(self) -> str:
        return "Flatten()"


def _as_tuple(size: int | tuple[int, ...]) -> tuple[int, ...]:
    return (int(size),) if isinstance(size, int | np.integer) else tuple(size)
