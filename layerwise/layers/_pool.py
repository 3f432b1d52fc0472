"""Two-dimensional max and average pooling."""

from __future__ import annotations

import numpy as np

from layerwise._typing import FloatArray
from layerwise.layers._base import Layer
from layerwise.layers._conv import check_image_shape, check_pair, output_length


class _Pool2D(Layer):
    """Shared shape logic of the pooling layers, which have no parameters."""

    kind: str

    def __init__(
        self,
        pool_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
    ) -> None:
        super().__init__()
        self.pool_size = check_pair(pool_size, "pool_size", 1)
        self.stride = (
            self.pool_size if stride is None else check_pair(stride, "stride", 1)
        )

    @property
    def output_size(self) -> tuple[int, int, int]:
        return self._output_shape

    def build(self, input_size, rng, dtype):
        channels, height, width = check_image_shape(input_size, self.kind)
        out_height = output_length(height, self.pool_size[0], self.stride[0], 0)
        out_width = output_length(width, self.pool_size[1], self.stride[1], 0)
        if out_height < 1 or out_width < 1:
            raise ValueError(
                f"pool_size {self.pool_size} is larger than the inputs of height "
                f"and width {(height, width)}; use a smaller pool_size"
            )
        self.input_size = (channels, height, width)
        self._output_shape = (channels, out_height, out_width)
        self.workspace.clear()
        return self._output_shape

    def _window_slices(self) -> list[tuple[int, int, tuple[slice, slice]]]:
        """Return (i, j, (rows, columns)) for each offset (i, j) inside a window.

        Input[:, rows, columns] contains the value at offset (i, j) of every window,
        laid out like the output.
        """
        _, out_height, out_width = self._output_shape
        sh, sw = self.stride
        result = []
        for i in range(self.pool_size[0]):
            rows = slice(i, i + sh * (out_height - 1) + 1, sh)
            for j in range(self.pool_size[1]):
                columns = slice(j, j + sw * (out_width - 1) + 1, sw)
                result.append((i, j, (rows, columns)))
        return result

    def _zero_input_gradient(self, dA: FloatArray) -> FloatArray:
        shape = (*self.input_size, dA.shape[-1])
        dA_prev = self.workspace.get("dA_prev", shape, dA.dtype)
        dA_prev.fill(0)
        return dA_prev

    def get_config(self):
        return {
            "type": self.kind,
            "pool_size": list(self.pool_size),
            "stride": list(self.stride),
        }

    def __repr__(self) -> str:
        return f"{self.kind}(pool_size={self.pool_size}, stride={self.stride})"


class MaxPool2D(_Pool2D):
    """Keep the largest value of each pool_size window, channel by channel.

    The gradient of each window goes to the position of its maximum. When
    several positions tie, the first in row-major order receives it, as in
    ``torch.nn.MaxPool2d`` on the CPU. Overlapping windows (stride smaller than
    pool_size) add their gradients where they share a position.

    Parameters
    ----------
    pool_size : int or (int, int)
        The window height and width.
    stride : int or (int, int), default=None
        The step between windows; ``None`` uses ``pool_size``, so windows do not
        overlap.

    Notes
    -----
    Input shape (channels, height, width, N), output shape (channels, H_out,
    W_out, N) with H_out = floor((height − pool height) / stride) + 1, so rows
    and columns that no window reaches are dropped, as in PyTorch without
    ``ceil_mode``. The layer has no parameters.
    """

    kind = "MaxPool2D"

    # Both passes loop over the pool_size offsets inside a window and work on
    # whole output-shaped slices, so NumPy never reduces over a short trailing
    # axis of pool height · pool width values, which is several times slower.

    def forward(self, A_prev, training=False):
        shape = (*self._output_shape, A_prev.shape[-1])
        A = self.workspace.get("A", shape, A_prev.dtype)
        slices = self._window_slices()
        np.copyto(A, A_prev[(slice(None), *slices[0][2])])
        for _, _, (rows, columns) in slices[1:]:
            np.maximum(A, A_prev[:, rows, columns], out=A)
        self._cache = (A_prev, A)
        return A

    def backward(self, dA, need_input_gradient=True):
        if not need_input_gradient:
            return None
        A_prev, A = self._forward_cache()
        dA_prev = self._zero_input_gradient(dA)
        # Offsets are visited in row-major order, and a window's gradient goes
        # to the first offset whose value equals its maximum.
        unassigned = self.workspace.get("unassigned", dA.shape, np.dtype(bool))
        unassigned.fill(True)
        winner = self.workspace.get("winner", dA.shape, np.dtype(bool))
        share = self.workspace.get("share", dA.shape, dA.dtype)
        for _, _, (rows, columns) in self._window_slices():
            np.equal(A_prev[:, rows, columns], A, out=winner)
            winner &= unassigned
            unassigned ^= winner
            np.multiply(winner, dA, out=share)
            dA_prev[:, rows, columns] += share
        return dA_prev


class AveragePool2D(_Pool2D):
    """Replace each pool_size window by the mean of its values, channel by channel.

    Parameters
    ----------
    pool_size : int or (int, int)
        The window height and width.
    stride : int or (int, int), default=None
        The step between windows; ``None`` uses ``pool_size``.

    Notes
    -----
    Input shape (channels, height, width, N), output shape (channels, H_out,
    W_out, N), computed as ``MaxPool2D`` computes it. Every window lies inside
    the input, so each mean divides by pool height · pool width, as
    ``torch.nn.AvgPool2d`` does without padding. The layer has no parameters.
    """

    kind = "AveragePool2D"

    def forward(self, A_prev, training=False):
        shape = (*self._output_shape, A_prev.shape[-1])
        A = self.workspace.get("A", shape, A_prev.dtype)
        A.fill(0)
        for _, _, (rows, columns) in self._window_slices():
            A += A_prev[:, rows, columns]
        A *= 1.0 / (self.pool_size[0] * self.pool_size[1])
        return A

    def backward(self, dA, need_input_gradient=True):
        if not need_input_gradient:
            return None
        dA_prev = self._zero_input_gradient(dA)
        share = self.workspace.get("share", dA.shape, dA.dtype)
        np.multiply(dA, 1.0 / (self.pool_size[0] * self.pool_size[1]), out=share)
        for _, _, (rows, columns) in self._window_slices():
            dA_prev[:, rows, columns] += share
        return dA_prev
