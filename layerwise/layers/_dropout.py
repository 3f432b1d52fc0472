"""Inverted dropout."""

from __future__ import annotations

import numpy as np

from layerwise.layers._base import Layer


class Dropout(Layer):
    """Zero each input with probability ``rate`` while training, scaling the rest.

    Kept inputs are multiplied by 1 / (1 − rate), so the expected activation is
    unchanged and prediction needs no rescaling. Outside training the layer
    passes its input through. The mask is drawn from the generator that
    ``build`` receives, which is the model's own.

    Parameters
    ----------
    rate : float
        The probability of dropping each input, in [0, 1).

    Notes
    -----
    Input and output shape (n_{l−1}, N); the layer has no parameters.
    """

    _batch_attributes = ("_cache", "_mask")
    _mask: np.ndarray | None = None

    def __init__(self, rate: float) -> None:
        super().__init__()
        if isinstance(rate, bool) or not 0 <= rate < 1:
            raise ValueError(f"dropout rate must be in [0, 1), got {rate!r}")
        self.rate = float(rate)

    @property
    def output_size(self) -> int:
        return self.input_size

    def build(self, input_size, rng, dtype):
        self.input_size = input_size
        self.rng = rng
        self.dtype = np.dtype(dtype)
        self.workspace.clear()
        return self.input_size

    def forward(self, A_prev, training=False):
        self._cache = ()  # marks a forward pass; the mask is the cached array
        if not training or self.rate == 0:
            self._mask = None
            return A_prev
        mask = self.workspace.get("mask", A_prev.shape, self.dtype)
        self.rng.random(out=mask, dtype=self.dtype)
        # Uniform draws u become the mask (u ≥ rate) / (1 − rate) in place.
        mask -= self.rate
        np.ceil(mask, out=mask)
        np.clip(mask, 0, 1, out=mask)
        mask *= 1.0 / (1.0 - self.rate)
        self._mask = mask
        A = self.workspace.get("A", A_prev.shape, self.dtype)
        return np.multiply(A_prev, mask, out=A)

    def backward(self, dA, need_input_gradient=True):
        self._forward_cache()  # raises once training has released the batch
        if not need_input_gradient:
            return None
        if self._mask is None:
            return dA
        out = self.workspace.get("dA_prev", dA.shape, dA.dtype)
        return np.multiply(dA, self._mask, out=out)

    def astype(self, dtype):
        self.dtype = np.dtype(dtype)
        self.workspace.clear()

    def get_config(self):
        return {"type": "Dropout", "rate": self.rate}

    def __repr__(self) -> str:
        return f"Dropout({self.rate})"
