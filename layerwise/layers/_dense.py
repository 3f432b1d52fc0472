"""The fully connected layer."""

from __future__ import annotations

import numpy as np

from layerwise import propagation
from layerwise._typing import FloatArray
from layerwise.activations import Activation, get_activation
from layerwise.initializers import (
    canonical_initializer_name,
    default_initializer,
    get_initializer,
)
from layerwise.layers._base import Layer


class Dense(Layer):
    """A fully connected layer: Z = W·A_prev + B, A = g(Z).

    Parameters
    ----------
    units : int
        n_l, the number of neurons in this layer.
    activation : str or Activation, default="identity"
        The activation g, by name (see ``layerwise.activations``) or instance.
    initializer : str, default=None
        How to draw W: ``"small_random"``, ``"glorot_uniform"``,
        ``"glorot_normal"``, ``"he_uniform"`` or ``"he_normal"``. ``None``
        picks He uniform for ReLU and leaky ReLU and Glorot uniform otherwise.
        B always starts at zero.

    Attributes
    ----------
    W : ndarray of shape (units, input_size)
        The weights W^[l]; ``W[j, k]`` connects input k to neuron j.
    B : ndarray of shape (units, 1)
        The biases B^[l].
    dW, dB : ndarray
        ∂C/∂W and ∂C/∂B from the most recent ``backward`` call.

    Notes
    -----
    Input shape (input_size, N), output shape (units, N): one sample per column.
    """

    penalized = ("W",)

    def __init__(
        self,
        units: int,
        activation: str | Activation = "identity",
        initializer: str | None = None,
    ) -> None:
        super().__init__()
        if (
            isinstance(units, bool)
            or not isinstance(units, int | np.integer)
            or units < 1
        ):
            raise ValueError(f"units must be a positive integer, got {units!r}")
        self.units = int(units)
        self.activation = get_activation(activation)
        if initializer is None:
            initializer = default_initializer(self.activation.name)
        self.initializer = canonical_initializer_name(initializer)

    @property
    def W(self) -> FloatArray:
        return self.params["W"]

    @property
    def B(self) -> FloatArray:
        return self.params["B"]

    @property
    def dW(self) -> FloatArray:
        return self.grads["W"]

    @property
    def dB(self) -> FloatArray:
        return self.grads["B"]

    @property
    def output_size(self) -> int:
        return self.units

    def build(self, input_size, rng, dtype):
        if not isinstance(input_size, int | np.integer) or input_size < 1:
            raise ValueError(
                f"Dense needs a positive number of inputs, got {input_size!r}; put "
                "a Flatten layer before it when the previous layer outputs a shape"
            )
        draw = get_initializer(self.initializer)
        self.input_size = int(input_size)
        self.params = {
            "W": draw(rng, (self.units, self.input_size), dtype),
            "B": np.zeros((self.units, 1), dtype=dtype),
        }
        self.grads = {key: np.zeros_like(value) for key, value in self.params.items()}
        self.workspace.clear()
        return self.units

    def forward(self, A_prev, training=False):
        W, B = self.params["W"], self.params["B"]
        if training:
            shape = (self.units, A_prev.shape[1])
            Z = self.workspace.get("Z", shape, W.dtype)
            A = self.workspace.get("A", shape, W.dtype)
        else:
            # Prediction allocates fresh arrays: batches vary in size, and a
            # caller may keep the result.
            Z = A = None
        Z = propagation.pre_activation(W, A_prev, B, out=Z)
        A = self.activation.forward(Z, out=A)
        self._cache = (A_prev, Z, A)
        return A

    @property
    def last_pre_activation(self) -> FloatArray:
        """Z from the most recent ``forward`` call."""
        return self._forward_cache()[1]

    @property
    def last_output(self) -> FloatArray:
        """A from the most recent ``forward`` call."""
        return self._forward_cache()[2]

    def backward(self, dA, need_input_gradient=True):
        _, Z, A = self._forward_cache()
        dZ = self.activation.backward(
            Z, A, dA, out=self.workspace.get("dZ", Z.shape, Z.dtype)
        )
        return self.backward_from_pre_activation(dZ, need_input_gradient)

    def backward_from_pre_activation(
        self, dZ: FloatArray, need_input_gradient: bool = True
    ) -> FloatArray | None:
        """Form dW and dB from dZ = ∂C_i/∂Z and return dA_prev = Wᵀ·dZ."""
        A_prev = self._forward_cache()[0]
        propagation.weight_gradient(dZ, A_prev, out=self.grads["W"])
        propagation.bias_gradient(dZ, out=self.grads["B"])
        if not need_input_gradient:
            return None
        shape = (self.input_size, dZ.shape[1])
        out = self.workspace.get("dA_prev", shape, dZ.dtype)
        return propagation.previous_activation_gradient(self.W, dZ, out=out)

    def get_config(self):
        return {
            "type": "Dense",
            "units": self.units,
            "activation": self.activation.get_config(),
            "initializer": self.initializer,
        }

    def __repr__(self) -> str:
        return f"Dense({self.units}, activation={self.activation.name!r})"
