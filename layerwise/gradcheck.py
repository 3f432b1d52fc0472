"""Gradient checking: backpropagation against central finite differences."""

from __future__ import annotations

import copy

import numpy as np

from layerwise.network import Network


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """Return ‖a − n‖ / (‖a‖ + ‖n‖), or 0 when both are zero."""
    denominator = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    if denominator == 0:
        return 0.0
    return float(np.linalg.norm(analytic - numeric) / denominator)


def numeric_gradients(
    network: Network, A0: np.ndarray, Y: np.ndarray, epsilon: float = 1e-6
) -> dict[str, np.ndarray]:
    """Return ∂C/∂θ for every parameter as (C(θ + ε) − C(θ − ε)) / 2ε."""
    result = {}
    for name, value, _ in network.named_parameters():
        gradient = np.empty_like(value)
        for index in np.ndindex(value.shape):
            original = value[index]
            value[index] = original + epsilon
            network.forward(A0)
            plus = network.compute_cost(Y, include_penalty=True)
            value[index] = original - epsilon
            network.forward(A0)
            minus = network.compute_cost(Y, include_penalty=True)
            value[index] = original
            gradient[index] = (plus - minus) / (2 * epsilon)
        result[name] = gradient
    return result


def check_gradients(model, X, y, epsilon: float = 1e-6) -> dict[str, float]:
    """Compare backpropagated gradients with central finite differences in float64.

    Parameters
    ----------
    model : NeuralNetwork or Network
        A trained ``NeuralNetwork``, or a built ``Network`` (then ``X`` and ``y``
        are the encoded arrays with one sample per row).
    X : array-like of shape (n_samples, n_features)
    y : array-like
        Targets in the model's own form (labels for a ``NeuralNetwork``).
    epsilon : float, default=1e-6
        The finite-difference step.

    Returns
    -------
    dict of str to float
        For each parameter array (``"layers.0.W"`` is W^[1]), the relative error
        ‖backprop − numeric‖ / (‖backprop‖ + ‖numeric‖). Values below 1e-6
        indicate correct gradients. The model itself is not changed, and
        dropout layers pass their inputs through during the check.
    """
    if isinstance(model, Network):
        network = copy.deepcopy(model)
        A0 = np.asarray(X, dtype=np.float64).T
        Y = np.asarray(y, dtype=np.float64).T
    else:
        model._check_fitted()
        network = copy.deepcopy(model.network_)
        X = np.asarray(X, dtype=np.float64)
        if getattr(model, "input_mean_", None) is not None:
            X = (X - model.input_mean_) / model.input_scale_
        A0 = X.T
        Y = model._target_encoder.encode(y, np.float64).T
    network.astype(np.float64)
    A0 = np.ascontiguousarray(A0)
    Y = np.ascontiguousarray(Y)
    # Both passes run in prediction mode, so dropout is off in each: a random
    # mask would make the finite differences measure another function.
    network.forward(A0, training=False)
    network.backward(Y)
    analytic = {name: grad.copy() for name, _, grad in network.named_parameters()}
    numeric = numeric_gradients(network, A0, Y, epsilon)
    return {name: relative_error(analytic[name], numeric[name]) for name in analytic}
