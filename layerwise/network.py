"""A stack of layers with a cost: the network of forward and backward propagation."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from layerwise._typing import FloatArray
from layerwise.costs import Cost, get_cost
from layerwise.layers import Dense, Layer, layer_from_config


class Network:
    """Layers 1..L applied in order to A^[0], and the cost C of A^[L].

    Parameters
    ----------
    layers : sequence of Layer
        The layers, input side first. The input layer 0 is the data itself and
        is not listed.
    cost : str or Cost
        The cost of the output A^[L] against the targets Y.

    Notes
    -----
    Every array here holds one sample per column: A^[0] has shape
    (n_features, N) and Y has shape (n_outputs, N). When the output layer is a
    ``Dense`` layer whose activation is the one the cost pairs with (sigmoid
    with binary cross-entropy, softmax with categorical cross-entropy), the
    cost and dZ^[L] are computed from Z^[L] directly.
    """

    def __init__(self, layers: Sequence[Layer], cost: str | Cost) -> None:
        if len(layers) == 0:
            raise ValueError("a network needs at least one layer, got an empty list")
        self.layers = list(layers)
        self.cost = get_cost(cost)

    # Construction ------------------------------------------------------------

    def build(self, n_inputs: int, rng: np.random.Generator, dtype: np.dtype) -> None:
        """Draw every layer's initial parameters for ``n_inputs`` input features."""
        size = n_inputs
        for layer in self.layers:
            size = layer.build(size, rng, np.dtype(dtype))

    @property
    def built(self) -> bool:
        return all(layer.built for layer in self.layers)

    @property
    def n_inputs(self) -> int:
        return self.layers[0].input_size

    @property
    def n_outputs(self) -> int:
        return self.layers[-1].output_size

    @property
    def dtype(self) -> np.dtype:
        return next(iter(self.layers[0].params.values())).dtype

    def astype(self, dtype: np.dtype) -> None:
        """Convert every parameter to ``dtype`` in place."""
        for layer in self.layers:
            layer.astype(np.dtype(dtype))

    @property
    def fused_output(self) -> bool:
        """Whether the cost is computed from the output pre-activation Z^[L]."""
        output = self.layers[-1]
        return (
            isinstance(output, Dense)
            and self.cost.fused_activation is not None
            and output.activation.name == self.cost.fused_activation
        )

    # Parameters --------------------------------------------------------------

    def named_parameters(self) -> Iterator[tuple[str, FloatArray, FloatArray]]:
        """Yield ``(name, parameter, gradient)`` with names like ``"layers.0.W"``."""
        for index, layer in enumerate(self.layers):
            for key, value in layer.params.items():
                yield f"layers.{index}.{key}", value, layer.grads[key]

    def parameters(self) -> list[FloatArray]:
        return [value for _, value, _ in self.named_parameters()]

    def gradients(self) -> list[FloatArray]:
        return [grad for _, _, grad in self.named_parameters()]

    @property
    def n_parameters(self) -> int:
        return sum(layer.n_parameters for layer in self.layers)

    def all_finite(self) -> bool:
        """Whether every parameter is finite."""
        return all(np.isfinite(value).all() for value in self.parameters())

    # Propagation -------------------------------------------------------------

    def forward(self, A0: FloatArray, training: bool = False) -> FloatArray:
        """Return A^[L] for inputs A^[0] of shape (n_inputs, N).

        The result is a buffer that the next call overwrites; copy it to keep it.
        """
        A = A0
        for layer in self.layers:
            A = layer.forward(A, training=training)
        return A

    def compute_cost(
        self, Y: FloatArray, sample_weight: FloatArray | None = None
    ) -> float:
        """Return C for the most recent ``forward`` call against targets Y."""
        output = self.layers[-1]
        if self.fused_output:
            return self.cost.cost_from_logits(
                output.last_pre_activation, Y, sample_weight
            )
        return self.cost.cost(output.last_output, Y, sample_weight)

    def backward(self, Y: FloatArray, sample_weight: FloatArray | None = None) -> None:
        """Fill every layer's ``grads`` with ∂C/∂W^[l] and ∂C/∂B^[l], l = L..1.

        Uses the activations cached by the most recent ``forward`` call.
        """
        output = self.layers[-1]
        A_L = output.last_output
        buffer = output.workspace.get("dA", A_L.shape, A_L.dtype)
        if self.fused_output:
            dZ = self.cost.gradient_from_logits(A_L, Y, sample_weight, out=buffer)
            dA = output.backward_from_pre_activation(dZ, len(self.layers) > 1)
        else:
            dA = self.cost.gradient(A_L, Y, sample_weight, out=buffer)
            dA = output.backward(dA, len(self.layers) > 1)
        for index in range(len(self.layers) - 2, -1, -1):
            dA = self.layers[index].backward(dA, need_input_gradient=index > 0)

    def cost_and_gradients(
        self, A0: FloatArray, Y: FloatArray, sample_weight: FloatArray | None = None
    ) -> float:
        """Run forward and backward propagation on one batch and return C."""
        self.forward(A0, training=True)
        cost = self.compute_cost(Y, sample_weight)
        self.backward(Y, sample_weight)
        return cost

    # Serialisation -----------------------------------------------------------

    def get_config(self) -> dict[str, object]:
        return {
            "layers": [layer.get_config() for layer in self.layers],
            "cost": self.cost.get_config(),
        }

    @classmethod
    def from_config(cls, config: dict) -> Network:
        """Rebuild an unbuilt network from ``get_config`` output."""
        layers = [layer_from_config(layer) for layer in config["layers"]]
        return cls(layers, get_cost(config["cost"]))

    def __repr__(self) -> str:
        inner = ", ".join(repr(layer) for layer in self.layers)
        return f"Network([{inner}], cost={self.cost.name!r})"
