"""The two-dimensional convolution layer, computed as one matrix product."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from layerwise._typing import FloatArray
from layerwise.activations import Activation, get_activation
from layerwise.initializers import (
    canonical_initializer_name,
    default_initializer,
    get_initializer,
)
from layerwise.layers._base import Layer
from layerwise.layers._reshape import check_shape


def check_pair(value: object, name: str, minimum: int) -> tuple[int, int]:
    """Return an int or a pair of ints as a pair, each at least ``minimum``."""
    pair = (value, value) if isinstance(value, int | np.integer) else value
    if (
        isinstance(value, bool)
        or not isinstance(pair, tuple | list)
        or len(pair) != 2
        or any(
            isinstance(v, bool) or not isinstance(v, int | np.integer) or v < minimum
            for v in pair
        )
    ):
        raise ValueError(
            f"{name} must be an int or a pair of ints, each at least {minimum}, "
            f"got {value!r}"
        )
    return int(pair[0]), int(pair[1])


def check_image_shape(input_size: object, layer: str) -> tuple[int, int, int]:
    """Return ``input_size`` as (channels, height, width), or raise ValueError."""
    if isinstance(input_size, int | np.integer) or len(input_size) != 3:
        raise ValueError(
            f"{layer} needs inputs of shape (channels, height, width) per sample, "
            f"got size {input_size!r}; put Reshape((channels, height, width)) "
            "before it"
        )
    return check_shape(input_size, "input_size")


def output_length(size: int, window: int, stride: int, padding: int) -> int:
    """Return floor((size + 2·padding − window) / stride) + 1 window positions."""
    return (size + 2 * padding - window) // stride + 1


class Conv2D(Layer):
    """A 2-D convolution: Z[f] = Σ_c W[f, c] ⋆ A_prev[c] + B[f], A = g(Z).

    Like ``torch.nn.Conv2d`` this is a cross-correlation: the kernel is not
    flipped. Each forward pass copies every kernel-sized window of the padded
    input into the columns of one matrix (im2col) and multiplies it by the
    weights reshaped to (filters, channels·kh·kw), so BLAS does the work.

    Parameters
    ----------
    filters : int
        The number of output channels F.
    kernel_size : int or (int, int)
        The kernel height kh and width kw.
    stride : int or (int, int), default=1
        The step between neighbouring windows, vertically and horizontally.
    padding : int or (int, int), default=0
        The number of zero rows added above and below the input, and of zero
        columns added to its left and right.
    activation : str or Activation, default="identity"
        The activation g, applied element-wise.
    initializer : str, default=None
        How to draw W, as in ``Dense``, with fan_in = channels·kh·kw and
        fan_out = filters. ``None`` picks He uniform for ReLU and leaky ReLU
        and Glorot uniform otherwise. B starts at zero.

    Attributes
    ----------
    W : ndarray of shape (filters, channels, kh, kw)
        The kernels, in the layout of ``torch.nn.Conv2d.weight``.
    B : ndarray of shape (filters, 1)
        One bias per output channel.

    Notes
    -----
    Input shape (channels, height, width, N), output shape (filters, H_out,
    W_out, N) with H_out = floor((height + 2·padding − kh) / stride) + 1 and
    W_out likewise. The im2col matrix contains channels·kh·kw·H_out·W_out·N
    values, so its memory grows with the batch size.
    """

    penalized = ("W",)

    def __init__(
        self,
        filters: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        activation: str | Activation = "identity",
        initializer: str | None = None,
    ) -> None:
        super().__init__()
        if (
            isinstance(filters, bool)
            or not isinstance(filters, int | np.integer)
            or filters < 1
        ):
            raise ValueError(f"filters must be a positive integer, got {filters!r}")
        self.filters = int(filters)
        self.kernel_size = check_pair(kernel_size, "kernel_size", 1)
        self.stride = check_pair(stride, "stride", 1)
        self.padding = check_pair(padding, "padding", 0)
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
    def output_size(self) -> tuple[int, int, int]:
        return self._output_shape

    def build(self, input_size, rng, dtype):
        channels, height, width = check_image_shape(input_size, "Conv2D")
        kh, kw = self.kernel_size
        out_height = output_length(height, kh, self.stride[0], self.padding[0])
        out_width = output_length(width, kw, self.stride[1], self.padding[1])
        if out_height < 1 or out_width < 1:
            raise ValueError(
                f"kernel_size {self.kernel_size} does not fit inputs of height and "
                f"width {(height, width)} with padding {self.padding}; use a "
                "smaller kernel or more padding"
            )
        draw = get_initializer(self.initializer)
        fan_in = channels * kh * kw
        self.input_size = (channels, height, width)
        self._output_shape = (self.filters, out_height, out_width)
        self.params = {
            "W": draw(rng, (self.filters, fan_in), dtype).reshape(
                self.filters, channels, kh, kw
            ),
            "B": np.zeros((self.filters, 1), dtype=dtype),
        }
        self.grads = {key: np.zeros_like(value) for key, value in self.params.items()}
        self.workspace.clear()
        return self._output_shape

    # Forward propagation -----------------------------------------------------

    def _pad(self, A_prev: FloatArray) -> FloatArray:
        """Return A_prev with zero padding around each image, in a workspace buffer."""
        ph, pw = self.padding
        if ph == 0 and pw == 0:
            return A_prev
        channels, height, width, n_samples = A_prev.shape
        shape = (channels, height + 2 * ph, width + 2 * pw, n_samples)
        padded = self.workspace.get("padded", shape, A_prev.dtype)
        padded.fill(0)
        padded[:, ph : ph + height, pw : pw + width] = A_prev
        return padded

    def _columns(self, A_prev: FloatArray) -> FloatArray:
        """Copy every window into columns of shape (C, kh, kw, H_out, W_out, N)."""
        channels = self.input_size[0]
        kh, kw = self.kernel_size
        sh, sw = self.stride
        _, out_height, out_width = self._output_shape
        windows = sliding_window_view(self._pad(A_prev), (kh, kw), axis=(1, 2))
        # windows[c, y, x, n, i, j] is the padded input at row y + i, column x + j.
        windows = windows[:, ::sh, ::sw].transpose(0, 4, 5, 1, 2, 3)
        shape = (channels, kh, kw, out_height, out_width, A_prev.shape[-1])
        columns = self.workspace.get("columns", shape, A_prev.dtype)
        np.copyto(columns, windows)
        return columns

    def forward(self, A_prev, training=False):
        n_samples = A_prev.shape[-1]
        columns = self._columns(A_prev)
        shape = (*self._output_shape, n_samples)
        dtype = self.W.dtype
        Z = self.workspace.get("Z", shape, dtype)
        Z_matrix = Z.reshape(self.filters, -1)
        np.matmul(
            self.W.reshape(self.filters, -1),
            columns.reshape(-1, Z_matrix.shape[1]),
            out=Z_matrix,
        )
        Z_matrix += self.B
        A = self.activation.forward(Z, out=self.workspace.get("A", shape, dtype))
        self._cache = (columns, Z, A)
        return A

    # Backward propagation ----------------------------------------------------

    def backward(self, dA, need_input_gradient=True):
        columns, Z, A = self._forward_cache()
        n_samples = Z.shape[-1]
        dZ = self.activation.backward(
            Z, A, dA, out=self.workspace.get("dZ", Z.shape, Z.dtype)
        )
        dZ_matrix = dZ.reshape(self.filters, -1)
        columns_matrix = columns.reshape(-1, dZ_matrix.shape[1])
        dW = self.grads["W"].reshape(self.filters, -1)
        np.matmul(dZ_matrix, columns_matrix.T, out=dW)
        dW *= 1.0 / n_samples
        np.sum(dZ_matrix, axis=1, keepdims=True, out=self.grads["B"])
        self.grads["B"] *= 1.0 / n_samples
        if not need_input_gradient:
            return None
        d_columns = self.workspace.get("d_columns", columns.shape, Z.dtype)
        np.matmul(
            self.W.reshape(self.filters, -1).T,
            dZ_matrix,
            out=d_columns.reshape(columns_matrix.shape),
        )
        return self._fold_columns(d_columns)

    def _fold_columns(self, d_columns: FloatArray) -> FloatArray:
        """Add each window's gradient onto the input positions it covers (col2im)."""
        channels, height, width = self.input_size
        kh, kw = self.kernel_size
        sh, sw = self.stride
        ph, pw = self.padding
        _, out_height, out_width = self._output_shape
        n_samples = d_columns.shape[-1]
        padded_shape = (channels, height + 2 * ph, width + 2 * pw, n_samples)
        d_padded = self.workspace.get("d_padded", padded_shape, d_columns.dtype)
        d_padded.fill(0)
        for i in range(kh):
            rows = slice(i, i + sh * (out_height - 1) + 1, sh)
            for j in range(kw):
                cols = slice(j, j + sw * (out_width - 1) + 1, sw)
                d_padded[:, rows, cols] += d_columns[:, i, j]
        if ph == 0 and pw == 0:
            return d_padded
        shape = (channels, height, width, n_samples)
        dA_prev = self.workspace.get("dA_prev", shape, d_columns.dtype)
        np.copyto(dA_prev, d_padded[:, ph : ph + height, pw : pw + width])
        return dA_prev

    # Configuration -----------------------------------------------------------

    def get_config(self):
        return {
            "type": "Conv2D",
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": list(self.padding),
            "activation": self.activation.get_config(),
            "initializer": self.initializer,
        }

    def __repr__(self) -> str:
        return (
            f"Conv2D({self.filters}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}, "
            f"activation={self.activation.name!r})"
        )
