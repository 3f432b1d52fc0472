"""Forward and backward propagation of one sample, step by step, with every value.

The notation is that of ``layerwise.propagation``: layer l has W^[l] of shape
(n_l, n_{l−1}) and B^[l] of shape (n_l, 1), and

    Z^[l] = W^[l]·A^[l−1] + B^[l],   A^[l] = g(Z^[l]),
    ∂C/∂Z^[l] = g'(Z^[l]) ⊙ ∂C/∂A^[l],
    ∂C/∂W^[l] = ∂C/∂Z^[l]·A^[l−1]ᵀ,   ∂C/∂B^[l] = ∂C/∂Z^[l],
    ∂C/∂A^[l−1] = W^[l]ᵀ·∂C/∂Z^[l],
    W^[l] ← W^[l] − α·∂C/∂W^[l],   B^[l] ← B^[l] − α·∂C/∂B^[l].

With a single sample N = 1, so the batch means in dW and dB change nothing.
When the network has an L2 penalty ``alpha`` or an L1 penalty ``l1``, the
objective is C + alpha/2·Σ‖W^[l]‖² + l1·Σ|W^[l]| and ∂/∂W^[l] gains
alpha·W^[l] + l1·sign(W^[l]), as in training with one sample of weight 1.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from layerwise import propagation
from layerwise._typing import FloatArray
from layerwise._validation import check_features
from layerwise.layers import Dense, Dropout
from layerwise.optimizers import GradientDescent

_PRINT_OPTIONS = {"precision": 4, "suppress": True, "linewidth": 84}


@dataclass(frozen=True)
class LayerTrace:
    """The values of layer l for one sample, as (n_l, 1) columns and matrices.

    Attributes
    ----------
    index : int
        l, counting the first hidden layer as 1.
    activation : str
        The name of g.
    W, B : ndarray of shape (n_l, n_{l−1}) and (n_l, 1)
        The parameters before the update.
    Z, A : ndarray of shape (n_l, 1)
        The pre-activation and the activation.
    dA, dZ : ndarray of shape (n_l, 1)
        ∂C/∂A^[l] and ∂C/∂Z^[l].
    dW, dB : ndarray of shape (n_l, n_{l−1}) and (n_l, 1)
        ∂C/∂W^[l] and ∂C/∂B^[l].
    W_updated, B_updated : ndarray
        W^[l] and B^[l] after one gradient-descent step.
    """

    index: int
    activation: str
    W: FloatArray
    B: FloatArray
    Z: FloatArray
    A: FloatArray
    dA: FloatArray
    dZ: FloatArray
    dW: FloatArray
    dB: FloatArray
    W_updated: FloatArray
    B_updated: FloatArray


@dataclass(frozen=True)
class Trace:
    """One sample's forward pass, cost, backward pass and gradient-descent step.

    Attributes
    ----------
    A0 : ndarray of shape (n_0, 1)
        The input column A^[0], after the model's input scaling.
    Y : ndarray of shape (n_L, 1)
        The target as the output layer encodes it (one-hot, 0/1 or values).
    cost_name : str
        The cost function C.
    cost : float
        C for this sample, without the penalties.
    penalty : float
        The L2 and L1 penalty terms added to C in the objective, 0 without them.
    alpha, l1 : float
        The network's L2 and L1 penalty strengths.
    learning_rate : float
        α of the gradient-descent step.
    input_scaled : bool
        Whether A^[0] is the standardised x, (x − mean) / scale, rather than x.
    fused_output : bool
        Whether ∂C/∂Z^[L] was computed directly as A^[L] − Y, which the network
        does when the output activation is the one the cost pairs with
        (sigmoid with binary cross-entropy, softmax with categorical
        cross-entropy).
    layers : tuple of LayerTrace
        Layers 1 to L.
    """

    A0: FloatArray
    Y: FloatArray
    cost_name: str
    cost: float
    penalty: float
    alpha: float
    l1: float
    learning_rate: float
    input_scaled: bool
    fused_output: bool
    layers: tuple[LayerTrace, ...]

    @property
    def output(self) -> FloatArray:
        """A^[L], the network's output for this sample."""
        return self.layers[-1].A

    def __str__(self) -> str:
        with np.printoptions(**_PRINT_OPTIONS):
            return "\n".join(_format_trace(self))


def trace(model, x: object, y: object, learning_rate: float = 0.1) -> Trace:
    """Run forward and backward propagation for one sample and record every step.

    The model's weights are not changed: the computation runs on a copy of
    ``model.network_``, and the updated W^[l], B^[l] are those of the copy.
    Dropout layers drop nothing here, as at prediction time, so they are left
    out and l counts the Dense layers only.

    Parameters
    ----------
    model : NeuralNetwork
        A trained model.
    x : array-like of shape (n_features,) or (1, n_features)
        One sample, before the model's input scaling.
    y : label, float or array-like of shape (n_outputs,)
        The sample's target, in the same form as the ``y`` given to ``fit``.
    learning_rate : float, default=0.1
        α of the gradient-descent step.

    Returns
    -------
    Trace
        Every Z^[l], A^[l], the cost, every gradient and the updated parameters.
        ``print`` it for a step-by-step account.
    """
    model._check_fitted()
    optimizer = GradientDescent(learning_rate)
    network = copy.deepcopy(model.network_)
    _keep_dense_layers(network)
    dtype = network.dtype

    A0 = _input_column(model, x, dtype)
    Y = model._target_encoder.encode(_target_row(model, y), dtype).T
    layers, cost, objective = _propagate(network, A0, Y, optimizer)
    return Trace(
        A0=A0,
        Y=Y,
        cost_name=network.cost.name,
        cost=cost,
        penalty=objective - cost,
        alpha=float(getattr(network, "alpha", 0.0)),
        l1=float(getattr(network, "l1", 0.0)),
        learning_rate=optimizer.learning_rate,
        input_scaled=getattr(model, "input_mean_", None) is not None,
        fused_output=network.fused_output,
        layers=layers,
    )


def _keep_dense_layers(network) -> None:
    """Drop the Dropout layers of ``network``, which pass A through at prediction.

    Raises ValueError for any layer kind other than Dense and Dropout.
    """
    for index, layer in enumerate(network.layers, start=1):
        if not isinstance(layer, Dense | Dropout):
            raise ValueError(
                f"trace supports fully connected (Dense) and Dropout layers only, "
                f"but network layer {index} is {layer!r}"
            )
    network.layers = [layer for layer in network.layers if isinstance(layer, Dense)]


def _propagate(
    network, A0, Y, optimizer
) -> tuple[tuple[LayerTrace, ...], float, float]:
    """Run forward, backward and one update on ``network`` and record each step.

    Returns the layer traces, the cost C and the objective C + penalty.
    """
    network.forward(A0, training=False)
    forward_values = [
        (layer.W.copy(), layer.B.copy(), layer.last_pre_activation.copy())
        for layer in network.layers
    ]
    activations = [layer.last_output.copy() for layer in network.layers]
    cost = network.compute_cost(Y)
    objective = network.compute_cost(Y, include_penalty=True)
    network.backward(Y)

    # For one sample ∂C/∂Z^[l] equals ∂C/∂B^[l], because dB sums dZ over N = 1.
    dZs = [layer.dB.copy() for layer in network.layers]
    dAs = _activation_gradients(network, activations[-1], Y, dZs)
    gradients = [(layer.dW.copy(), layer.dB.copy()) for layer in network.layers]
    optimizer.step(network.parameters(), network.gradients())

    layers = []
    for index, layer in enumerate(network.layers):
        W, B, Z = forward_values[index]
        dW, dB = gradients[index]
        layers.append(
            LayerTrace(
                index=index + 1,
                activation=layer.activation.name,
                W=W,
                B=B,
                Z=Z,
                A=activations[index],
                dA=dAs[index],
                dZ=dZs[index],
                dW=dW,
                dB=dB,
                W_updated=layer.W.copy(),
                B_updated=layer.B.copy(),
            )
        )
    return tuple(layers), float(cost), float(objective)


def _input_column(model, x: object, dtype: np.dtype) -> FloatArray:
    row = np.asarray(x)
    if row.ndim == 1:
        row = row.reshape(1, -1)
    if row.ndim != 2 or row.shape[0] != 1:
        raise ValueError(
            f"x must be one sample of shape (n_features,) or (1, n_features), got "
            f"shape {row.shape}; pass X[i] for row i"
        )
    row = check_features(row, dtype, model.n_features_in_)
    return model._scale_inputs(row).T.copy()


def _target_row(model, y: object) -> np.ndarray:
    """Return ``y`` as a batch of one target, shaped as ``fit`` received targets."""
    target = np.asarray(y)
    encoder = model._target_encoder
    if encoder.kind == "multilabel" or encoder.target_ndim == 2:
        return target.reshape(1, -1)
    if target.size != 1:
        raise ValueError(
            f"y must be a single target for one sample, got shape {target.shape}"
        )
    return target.reshape(1)


def _activation_gradients(network, A_L, Y, dZs) -> list[FloatArray]:
    """Return ∂C/∂A^[l] for l = 1..L from the cost and W^[l+1]ᵀ·∂C/∂Z^[l+1]."""
    # The network skips ∂C/∂A^[L] when it forms ∂C/∂Z^[L] from the logits, so
    # the cost's own gradient is evaluated here in both cases.
    dAs = [network.cost.gradient(A_L, Y)]
    for index in range(len(network.layers) - 1, 0, -1):
        W_next = network.layers[index].W
        dAs.append(propagation.previous_activation_gradient(W_next, dZs[index]))
    return dAs[::-1]


def _shape(array: np.ndarray) -> str:
    return "×".join(str(size) for size in array.shape)


def _format_value(
    name: str, formula: str, array: np.ndarray, relation: str = "="
) -> list[str]:
    header = f"  {name} {relation} {formula}" if formula else f"  {name}"
    # Adding 0.0 turns −0.0 (from products such as −0·x) into 0.0 for printing.
    array = array + 0.0
    if array.ndim == 2 and array.shape[1] == 1:
        return [f"{header}    [{_shape(array)}]", f"    {array[:, 0]}ᵀ"]
    lines = [f"{header}    [{_shape(array)}]"]
    lines.extend(f"    {line}" for line in np.array2string(array).splitlines())
    return lines


def _format_trace(result: Trace) -> list[str]:
    sizes = [result.A0.shape[0]] + [layer.A.shape[0] for layer in result.layers]
    lines = [
        f"Trace of one sample through a {'-'.join(map(str, sizes))} network "
        f"(cost {result.cost_name}, α = {result.learning_rate:g})",
        "",
        "Forward propagation",
    ]
    input_formula = "(x − mean) / scale" if result.input_scaled else "x"
    lines.extend(_format_value("A^[0]", input_formula, result.A0))
    for layer in result.layers:
        lines.extend(_format_forward(layer))
    lines += ["", "Cost", *_format_value("Y", "encoded target", result.Y)]
    output = f"A^[{len(result.layers)}]"
    lines.append(f"  C = {result.cost_name}({output}, Y) = {result.cost:.6g}")
    if result.alpha or result.l1:
        lines.append(
            f"  penalty = alpha/2·Σ‖W‖² + l1·Σ|W| = {result.penalty:.6g}"
            f"  (alpha = {result.alpha:g}, l1 = {result.l1:g})"
        )
        lines.append(f"  objective = C + penalty = {result.cost + result.penalty:.6g}")
    lines += ["", "Backward propagation"]
    for layer in reversed(result.layers):
        fused = result.fused_output and layer is result.layers[-1]
        lines.extend(_format_backward(layer, fused, _penalty_terms(result, layer)))
    lines += ["", f"Gradient-descent step with α = {result.learning_rate:g}"]
    for layer in result.layers:
        lines.extend(_format_update(layer))
    return lines


def _format_forward(layer: LayerTrace) -> list[str]:
    l, prev = layer.index, layer.index - 1
    return [
        f" Layer {l} ({layer.activation})",
        *_format_value(f"W^[{l}]", "", layer.W),
        *_format_value(f"B^[{l}]", "", layer.B),
        *_format_value(f"Z^[{l}]", f"W^[{l}]·A^[{prev}] + B^[{l}]", layer.Z),
        *_format_value(f"A^[{l}]", f"{layer.activation}(Z^[{l}])", layer.A),
    ]


def _penalty_terms(result: Trace, layer: LayerTrace) -> str:
    l = layer.index
    terms = ""
    if result.alpha:
        terms += f" + alpha·W^[{l}]"
    if result.l1:
        terms += f" + l1·sign(W^[{l}])"
    return terms


def _format_backward(layer: LayerTrace, fused: bool, penalty: str) -> list[str]:
    l, prev = layer.index, layer.index - 1
    if fused:
        dZ_formula = f"A^[{l}] − Y"
    else:
        dZ_formula = f"{layer.activation}'(Z^[{l}]) ⊙ ∂C/∂A^[{l}]"
    return [
        f" Layer {l}",
        *_format_value(f"∂C/∂A^[{l}]", "", layer.dA),
        *_format_value(f"∂C/∂Z^[{l}]", dZ_formula, layer.dZ),
        *_format_value(f"∂C/∂W^[{l}]", f"∂C/∂Z^[{l}]·A^[{prev}]ᵀ{penalty}", layer.dW),
        *_format_value(f"∂C/∂B^[{l}]", f"∂C/∂Z^[{l}]", layer.dB),
    ]


def _format_update(layer: LayerTrace) -> list[str]:
    l = layer.index
    return [
        f" Layer {l}",
        *_format_value(f"W^[{l}]", f"W^[{l}] − α·∂C/∂W^[{l}]", layer.W_updated, "←"),
        *_format_value(f"B^[{l}]", f"B^[{l}] − α·∂C/∂B^[{l}]", layer.B_updated, "←"),
    ]
