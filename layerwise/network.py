"""A stack of layers with a cost: the network of forward and backward propagation."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from layerwise._typing import FloatArray
from layerwise.costs import CategoricalCrossEntropy, Cost, get_cost
from layerwise.layers import Dense, Layer, layer_from_config
from layerwise.optimizers import _span


class Network:
    """Layers 1..L applied in order to A^[0], and the cost C of A^[L].

    Parameters
    ----------
    layers : sequence of Layer
        The layers, input side first. The input layer 0 is the data itself and
        is not listed.
    cost : str or Cost
        The cost of the output A^[L] against the targets Y.
    alpha : float, default=0.0
        L2 penalty strength: the training objective adds
        alpha / (2·S)·Σ_l ‖W^[l]‖², where S is the batch's sum of sample weights
        (N without weights). Biases are not penalised.
    l1 : float, default=0.0
        L1 penalty strength: the objective adds l1 / S·Σ_l Σ|W^[l]|.

    Notes
    -----
    Every array here has one sample per column: A^[0] has shape
    (n_features, N) and Y has shape (n_outputs, N). When the output layer is a
    ``Dense`` layer whose activation is the one the cost pairs with (sigmoid
    with binary cross-entropy, softmax with categorical cross-entropy), the
    cost and dZ^[L] are computed from Z^[L] directly.
    """

    def __init__(
        self,
        layers: Sequence[Layer],
        cost: str | Cost,
        alpha: float = 0.0,
        l1: float = 0.0,
    ) -> None:
        if len(layers) == 0:
            raise ValueError("a network needs at least one layer, got an empty list")
        self.layers = list(layers)
        self.cost = get_cost(cost)
        self.alpha = _check_penalty(alpha, "alpha")
        self.l1 = _check_penalty(l1, "l1")

    # Construction ------------------------------------------------------------

    def build(self, n_inputs: int, rng: np.random.Generator, dtype: np.dtype) -> None:
        """Draw every layer's initial parameters for ``n_inputs`` input features."""
        size = n_inputs
        for layer in self.layers:
            size = layer.build(size, rng, np.dtype(dtype))
        self._pack()

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
        for layer in self.layers:
            for value in layer.params.values():
                return value.dtype
        raise ValueError("the network has no parameters, so it has no dtype")

    def astype(self, dtype: np.dtype) -> None:
        """Convert every parameter to ``dtype`` in place."""
        for layer in self.layers:
            layer.astype(np.dtype(dtype))
        self._pack()

    def __copy__(self) -> Network:
        # A shallow copy shares the layers and must leave them as they are.
        duplicate = object.__new__(type(self))
        duplicate.__dict__.update(self.__dict__)
        return duplicate

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        # A deep copy or an unpickled network gives every array its own memory
        # (read-only after loading from a memory map), so the buffers are
        # rebuilt. ``__copy__`` keeps shallow copies away from here.
        if _span(self.parameters()) is None or _span(self.gradients()) is None:
            self._pack()

    def _pack(self) -> None:
        """Put the parameters back to back in one buffer, and the gradients in another.

        Each layer's dicts keep views of the two buffers, so the optimizer can
        update every parameter with one pass per formula step (see
        ``Optimizer.step``).
        """
        for attribute in ("params", "grads"):
            entries = [
                (getattr(layer, attribute), key, value)
                for layer in self.layers
                for key, value in getattr(layer, attribute).items()
            ]
            if not entries or len({value.dtype for _, _, value in entries}) != 1:
                continue
            buffer = np.empty(
                sum(value.size for _, _, value in entries), entries[0][2].dtype
            )
            start = 0
            for arrays, key, value in entries:
                view = buffer[start : start + value.size].reshape(value.shape)
                view[...] = value
                arrays[key] = view
                start += value.size

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
        """Return whether every parameter is finite."""
        return all(np.isfinite(value).all() for value in self.parameters())

    # Propagation -------------------------------------------------------------

    def forward(self, A0: FloatArray, training: bool = False) -> FloatArray:
        """Return A^[L] for inputs A^[0] of shape (n_inputs, N).

        With ``training=True`` the result is a buffer that the next training
        call overwrites; copy it to keep it.
        """
        A = A0
        for layer in self.layers:
            A = layer.forward(A, training=training)
        return A

    def compute_cost(
        self,
        Y: FloatArray,
        sample_weight: FloatArray | None = None,
        include_penalty: bool = False,
    ) -> float:
        """Return C for the most recent ``forward`` call against targets Y.

        With ``include_penalty`` the L2 and L1 penalties are added, giving the
        objective that training minimises.
        """
        output = self.layers[-1]
        _check_targets(Y, output.last_output)
        if self.fused_output:
            Z = output.last_pre_activation
            normalizer = getattr(output.activation, "log_normalizer", None)
            if (
                normalizer is not None
                and type(self.cost).cost_from_logits
                is CategoricalCrossEntropy.cost_from_logits
            ):
                # The softmax of the forward pass computed log Σ e^Z already.
                cost = self.cost.cost_from_logits(Z, Y, sample_weight, normalizer(Z))
            else:
                cost = self.cost.cost_from_logits(Z, Y, sample_weight)
        else:
            cost = self.cost.cost(output.last_output, Y, sample_weight)
        if include_penalty and (self.alpha or self.l1):
            cost += self._penalty(_weight_total(Y, sample_weight))
        return cost

    def _penalized_weights(self) -> Iterator[tuple[Layer, str]]:
        for layer in self.layers:
            for key in getattr(layer, "penalized", ()):
                yield layer, key

    def _penalty(self, weight_total: float) -> float:
        total = 0.0
        for layer, key in self._penalized_weights():
            W = layer.params[key]
            if self.alpha:
                total += self.alpha / (2 * weight_total) * float(np.vdot(W, W))
            if self.l1:
                total += self.l1 / weight_total * float(np.abs(W).sum())
        return total

    def _add_penalty_gradients(self, weight_total: float) -> None:
        """Add alpha·W / S and l1·sign(W) / S to each penalised weight gradient."""
        for layer, key in self._penalized_weights():
            W, dW = layer.params[key], layer.grads[key]
            scratch = layer.workspace.get("penalty", W.shape, W.dtype)
            if self.alpha:
                np.multiply(W, self.alpha / weight_total, out=scratch)
                dW += scratch
            if self.l1:
                np.sign(W, out=scratch)
                scratch *= self.l1 / weight_total
                dW += scratch

    def backward(self, Y: FloatArray, sample_weight: FloatArray | None = None) -> None:
        """Fill every layer's ``grads`` with ∂C/∂W^[l] and ∂C/∂B^[l], l = L..1.

        Uses the activations cached by the most recent ``forward`` call.
        """
        output = self.layers[-1]
        A_L = output.last_output
        _check_targets(Y, A_L)
        buffer = output.workspace.get("dA", A_L.shape, A_L.dtype)
        # dA_prev is needed only while some earlier layer has parameters, so
        # the first trainable layer skips it (a Reshape before it has none).
        first_trainable = next(
            (i for i, layer in enumerate(self.layers) if layer.params), 0
        )
        last = len(self.layers) - 1
        if self.fused_output:
            dZ = self.cost.gradient_from_logits(A_L, Y, sample_weight, out=buffer)
            dA = output.backward_from_pre_activation(dZ, last > first_trainable)
        else:
            dA = self.cost.gradient(A_L, Y, sample_weight, out=buffer)
            dA = output.backward(dA, last > first_trainable)
        for index in range(last - 1, first_trainable - 1, -1):
            dA = self.layers[index].backward(
                dA, need_input_gradient=index > first_trainable
            )
        if self.alpha or self.l1:
            self._add_penalty_gradients(_weight_total(Y, sample_weight))

    def cost_and_gradients(
        self, A0: FloatArray, Y: FloatArray, sample_weight: FloatArray | None = None
    ) -> float:
        """Run forward and backward propagation on one batch; return the objective.

        The objective is C plus the L2 and L1 penalties.
        """
        self.forward(A0, training=True)
        cost = self.compute_cost(Y, sample_weight, include_penalty=True)
        self.backward(Y, sample_weight)
        return cost

    # Serialisation -----------------------------------------------------------

    def get_config(self) -> dict[str, object]:
        return {
            "layers": [layer.get_config() for layer in self.layers],
            "cost": self.cost.get_config(),
            "alpha": self.alpha,
            "l1": self.l1,
        }

    @classmethod
    def from_config(cls, config: dict) -> Network:
        """Rebuild an unbuilt network from ``get_config`` output."""
        layers = [layer_from_config(layer) for layer in config["layers"]]
        return cls(
            layers,
            get_cost(config["cost"]),
            alpha=config.get("alpha", 0.0),
            l1=config.get("l1", 0.0),
        )

    def __repr__(self) -> str:
        inner = ", ".join(repr(layer) for layer in self.layers)
        return f"Network([{inner}], cost={self.cost.name!r})"


def _check_targets(Y: FloatArray, A: FloatArray) -> None:
    if Y.shape != A.shape:
        raise ValueError(
            f"targets Y have shape {Y.shape} but the output A^[L] has shape "
            f"{A.shape}; pass one column per sample and one row per output neuron "
            "(one-hot rows for categorical cross-entropy)"
        )


def _weight_total(Y: FloatArray, sample_weight: FloatArray | None) -> float:
    """Return S, the sum of the sample weights, or N when there are none."""
    return float(Y.shape[1] if sample_weight is None else np.sum(sample_weight))


def _check_penalty(value: float, name: str) -> float:
    if isinstance(value, bool) or not np.isfinite(value) or value < 0:
        raise ValueError(
            f"{name} must be a non-negative finite number, got {value!r}; "
            "0 disables the penalty"
        )
    return float(value)
