"""The matrix formulas of forward and backward propagation for one layer.

Notation: layer l has n_l neurons, W^[l] has shape (n_l, n_{l−1}), B^[l] has
shape (n_l, 1), and activations hold one sample per column, so A^[l−1] has
shape (n_{l−1}, N) for a batch of N samples.

Forward:   Z^[l] = W^[l]·A^[l−1] + B^[l],   A^[l] = g(Z^[l])
Backward:  dZ^[l] = g'(Z^[l]) ⊙ dA^[l]
           dW^[l] = dZ^[l]·A^[l−1]ᵀ / N
           dB^[l] = (row sums of dZ^[l]) / N
           dA^[l−1] = W^[l]ᵀ·dZ^[l]

Here dX stands for ∂C/∂X, except that dZ and dA carry the per-sample
gradients of C_i (no 1/N): the average over the batch is taken once, in dW
and dB. Each function writes into ``out`` when it is given, so a training
loop can reuse its buffers.
"""

from __future__ import annotations

import numpy as np

from layerwise._typing import FloatArray


def pre_activation(
    W: FloatArray, A_prev: FloatArray, B: FloatArray, out: FloatArray | None = None
) -> FloatArray:
    """Return Z = W·A_prev + B, with B broadcast over the N columns."""
    Z = np.matmul(W, A_prev, out=out)
    Z += B
    return Z


def weight_gradient(
    dZ: FloatArray, A_prev: FloatArray, out: FloatArray | None = None
) -> FloatArray:
    """Return dW = dZ·A_prevᵀ / N, the batch mean of the per-sample outer products."""
    n_samples = dZ.shape[1]
    dW = np.matmul(dZ, A_prev.T, out=out)
    dW *= 1.0 / n_samples
    return dW


def bias_gradient(dZ: FloatArray, out: FloatArray | None = None) -> FloatArray:
    """Return dB = (Σ over columns of dZ) / N, with shape (n_l, 1)."""
    n_samples = dZ.shape[1]
    # np.add.reduce is np.sum without its Python-level dispatch, which
    # dominates for the small arrays of a mini-batch.
    dB = np.add.reduce(dZ, axis=1, keepdims=True, out=out)
    dB *= 1.0 / n_samples
    return dB


def previous_activation_gradient(
    W: FloatArray, dZ: FloatArray, out: FloatArray | None = None
) -> FloatArray:
    """Return dA_prev = Wᵀ·dZ, the per-sample gradient passed to layer l − 1."""
    return np.matmul(W.T, dZ, out=out)
