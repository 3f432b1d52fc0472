"""Recurrent layers trained by backpropagation through time: SimpleRNN and LSTM.

Both read sequences of shape (T, F, N): T time steps of F features for each of
N samples, time first and samples last. The parameters follow the layout of
``torch.nn.RNN`` and ``torch.nn.LSTM`` (one layer, unidirectional), so that
``W_ih`` is ``weight_ih_l0``, ``W_hh`` is ``weight_hh_l0``, and ``b_ih`` and
``b_hh`` are ``bias_ih_l0`` and ``bias_hh_l0`` reshaped to one column. The
initial hidden and cell states are zero.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from layerwise._typing import FloatArray
from layerwise.layers._base import Layer
from layerwise.layers._reshape import check_shape


def _check_units(units: object) -> int:
    if isinstance(units, bool) or not isinstance(units, int | np.integer) or units < 1:
        raise ValueError(f"units must be a positive integer, got {units!r}")
    return int(units)


def _check_sequence_shape(input_size: object, layer: str) -> tuple[int, int]:
    if isinstance(input_size, int | np.integer) or len(input_size) != 2:
        raise ValueError(
            f"{layer} needs inputs of shape (time steps, features) per sample, got "
            f"size {input_size!r}; put Reshape((time_steps, features)) before it"
        )
    return check_shape(input_size, "input_size")


class _Recurrent(Layer):
    """Shared construction, parameters and output handling of the recurrent layers.

    ``gates`` is the number of stacked weight blocks: 1 for SimpleRNN and 4 for
    LSTM. Every parameter starts from U(−1/√units, 1/√units), PyTorch's
    initialisation.
    """

    kind: str
    gates: int
    penalized = ("W_ih", "W_hh")

    def __init__(self, units: int, return_sequences: bool = False) -> None:
        super().__init__()
        self.units = _check_units(units)
        if not isinstance(return_sequences, bool | np.bool_):
            raise ValueError(
                f"return_sequences must be True or False, got {return_sequences!r}"
            )
        self.return_sequences = bool(return_sequences)

    @property
    def output_size(self) -> int | tuple[int, int]:
        if self.return_sequences:
            return (self.input_size[0], self.units)
        return self.units

    def build(self, input_size, rng, dtype):
        time_steps, features = _check_sequence_shape(input_size, self.kind)
        self.input_size = (time_steps, features)
        rows = self.gates * self.units
        limit = 1.0 / np.sqrt(self.units)
        shapes = {
            "W_ih": (rows, features),
            "W_hh": (rows, self.units),
            "b_ih": (rows, 1),
            "b_hh": (rows, 1),
        }
        self.params = {
            key: rng.uniform(-limit, limit, shape).astype(dtype)
            for key, shape in shapes.items()
        }
        self.grads = {key: np.zeros_like(value) for key, value in self.params.items()}
        self.workspace.clear()
        return self.output_size

    def _input_projection(self, X: FloatArray) -> FloatArray:
        """Return W_ih·x_t + b_ih + b_hh for every step t, shape (T, rows, N)."""
        shape = (X.shape[0], self.gates * self.units, X.shape[-1])
        projection = self.workspace.get("projection", shape, self.params["W_ih"].dtype)
        np.matmul(self.params["W_ih"], X, out=projection)
        projection += self.params["b_ih"]
        projection += self.params["b_hh"]
        return projection

    def _output(self, H: FloatArray) -> FloatArray:
        """Return h_1..h_T, or h_T alone, from states H = (h_0, …, h_T)."""
        return H[1:] if self.return_sequences else H[-1]

    def _hidden_gradient_at(self, dA: FloatArray, t: int) -> FloatArray | None:
        """Return ∂C_i/∂h_t received from the layer above, or None when zero."""
        if self.return_sequences:
            return dA[t]
        return dA if t == self.input_size[0] - 1 else None

    def _parameter_gradients(
        self, dZ: FloatArray, X: FloatArray, H: FloatArray, need_input_gradient: bool
    ) -> FloatArray | None:
        """Fill ``grads`` from dZ, the pre-activation gradients of every step.

        dZ, X and H[:-1] have shape (T, rows, N). Each weight gradient sums the
        outer products over the steps and averages them over the N samples,
        with one matrix product over the (T, N) axes.
        """
        n_samples = X.shape[-1]
        scale = 1.0 / n_samples
        grads = self.grads
        grads["W_ih"][...] = np.tensordot(dZ, X, axes=([0, 2], [0, 2]))
        grads["W_ih"] *= scale
        grads["W_hh"][...] = np.tensordot(dZ, H[:-1], axes=([0, 2], [0, 2]))
        grads["W_hh"] *= scale
        np.sum(dZ, axis=(0, 2), out=grads["b_ih"][:, 0])
        grads["b_ih"] *= scale
        grads["b_hh"][...] = grads["b_ih"]
        if not need_input_gradient:
            return None
        dX = self.workspace.get("dA_prev", X.shape, X.dtype)
        return np.matmul(self.params["W_ih"].T, dZ, out=dX)

    def get_config(self):
        return {
            "type": self.kind,
            "units": self.units,
            "return_sequences": self.return_sequences,
        }

    def __repr__(self) -> str:
        return f"{self.kind}({self.units}, return_sequences={self.return_sequences})"


class SimpleRNN(_Recurrent):
    """An Elman recurrent layer: h_t = tanh(W_ih·x_t + b_ih + W_hh·h_{t−1} + b_hh).

    Parameters
    ----------
    units : int
        The size H of the hidden state.
    return_sequences : bool, default=False
        Output every hidden state h_1..h_T, shape (T, H, N), instead of only
        the last one, shape (H, N).

    Attributes
    ----------
    W_ih : ndarray of shape (H, F)
    W_hh : ndarray of shape (H, H)
    b_ih, b_hh : ndarray of shape (H, 1)
        The parameters of ``torch.nn.RNN(F, H)`` (biases as columns).

    Notes
    -----
    Input shape (T, F, N). The output is a view of the stored hidden states,
    which the next forward call overwrites.
    """

    kind = "SimpleRNN"
    gates = 1

    def forward(self, A_prev, training=False):
        time_steps, n_samples = A_prev.shape[0], A_prev.shape[-1]
        W_hh = self.params["W_hh"]
        Z = self._input_projection(A_prev)
        H = self.workspace.get("H", (time_steps + 1, self.units, n_samples), Z.dtype)
        H[0] = 0
        recurrent = self.workspace.get("recurrent", H.shape[1:], Z.dtype)
        for t in range(time_steps):
            np.matmul(W_hh, H[t], out=recurrent)
            Z[t] += recurrent
            np.tanh(Z[t], out=H[t + 1])
        self._cache = (A_prev, H)
        return self._output(H)

    def backward(self, dA, need_input_gradient=True):
        X, H = self._forward_cache()
        W_hh = self.params["W_hh"]
        time_steps = X.shape[0]
        dZ = self.workspace.get("dZ", (time_steps, *H.shape[1:]), H.dtype)
        dH = self.workspace.get("dH", H.shape[1:], H.dtype)
        dH.fill(0)
        for t in range(time_steps - 1, -1, -1):
            received = self._hidden_gradient_at(dA, t)
            if received is not None:
                dH += received
            # dz_t = (1 − h_t²) ⊙ dh_t, and dh_{t−1} = W_hhᵀ·dz_t.
            np.multiply(H[t + 1], H[t + 1], out=dZ[t])
            np.subtract(1.0, dZ[t], out=dZ[t])
            dZ[t] *= dH
            np.matmul(W_hh.T, dZ[t], out=dH)
        return self._parameter_gradients(dZ, X, H, need_input_gradient)


class LSTM(_Recurrent):
    """A long short-term memory layer with PyTorch's gates and parameter layout.

    For each step t, with [·] the rows of one gate block:

        i = σ(Z[i]),  f = σ(Z[f]),  g = tanh(Z[g]),  o = σ(Z[o]),
        where Z = W_ih·x_t + b_ih + W_hh·h_{t−1} + b_hh,
        c_t = f ⊙ c_{t−1} + i ⊙ g,   h_t = o ⊙ tanh(c_t).

    The row blocks of W_ih, W_hh, b_ih and b_hh are stacked in the order
    input, forget, cell, output (i, f, g, o), as in ``torch.nn.LSTM``.

    Parameters
    ----------
    units : int
        The size H of the hidden and cell states.
    return_sequences : bool, default=False
        Output every hidden state h_1..h_T, shape (T, H, N), instead of only
        the last one, shape (H, N).

    Attributes
    ----------
    W_ih : ndarray of shape (4·H, F)
    W_hh : ndarray of shape (4·H, H)
    b_ih, b_hh : ndarray of shape (4·H, 1)
        The parameters of ``torch.nn.LSTM(F, H)`` (biases as columns).

    Notes
    -----
    Input shape (T, F, N). The output is a view of the stored hidden states,
    which the next forward call overwrites.
    """

    kind = "LSTM"
    gates = 4

    def _split(self, array: FloatArray) -> tuple[FloatArray, ...]:
        """Return the i, f, g and o row blocks of an array of 4·units rows."""
        units = self.units
        return tuple(array[k * units : (k + 1) * units] for k in range(4))

    def forward(self, A_prev, training=False):
        time_steps, n_samples = A_prev.shape[0], A_prev.shape[-1]
        W_hh = self.params["W_hh"]
        gates = self._input_projection(A_prev)
        state_shape = (time_steps + 1, self.units, n_samples)
        H = self.workspace.get("H", state_shape, gates.dtype)
        C = self.workspace.get("C", state_shape, gates.dtype)
        tanh_C = self.workspace.get(
            "tanh_C", (time_steps, *state_shape[1:]), gates.dtype
        )
        scratch = self.workspace.get("scratch", state_shape[1:], gates.dtype)
        recurrent = self.workspace.get("recurrent", gates.shape[1:], gates.dtype)
        H[0] = 0
        C[0] = 0
        for t in range(time_steps):
            np.matmul(W_hh, H[t], out=recurrent)
            gates[t] += recurrent
            # The pre-activations in gates[t] are replaced by the gate values.
            i, f, g, o = self._split(gates[t])
            expit(i, out=i)
            expit(f, out=f)
            np.tanh(g, out=g)
            expit(o, out=o)
            np.multiply(f, C[t], out=C[t + 1])
            np.multiply(i, g, out=scratch)
            C[t + 1] += scratch
            np.tanh(C[t + 1], out=tanh_C[t])
            np.multiply(o, tanh_C[t], out=H[t + 1])
        self._cache = (A_prev, gates, C, tanh_C, H)
        return self._output(H)

    def backward(self, dA, need_input_gradient=True):
        X, gates, C, tanh_C, H = self._forward_cache()
        W_hh = self.params["W_hh"]
        time_steps = X.shape[0]
        dZ = self.workspace.get("dZ", gates.shape, gates.dtype)
        state_shape = H.shape[1:]
        dH = self.workspace.get("dH", state_shape, H.dtype)
        dC = self.workspace.get("dC", state_shape, H.dtype)
        scratch = self.workspace.get("scratch", state_shape, H.dtype)
        dH.fill(0)
        dC.fill(0)
        for t in range(time_steps - 1, -1, -1):
            received = self._hidden_gradient_at(dA, t)
            if received is not None:
                dH += received
            self._step_backward(gates[t], C[t], tanh_C[t], dH, dC, dZ[t], scratch)
            # dh_{t−1} = W_hhᵀ·dZ_t, and dC already contains dc_{t−1}.
            np.matmul(W_hh.T, dZ[t], out=dH)
        return self._parameter_gradients(dZ, X, H, need_input_gradient)

    def _step_backward(self, gates, C_prev, tanh_C, dH, dC, dZ, scratch) -> None:
        """Write step t's pre-activation gradients into dZ and turn dC into dc_{t−1}.

        ``gates`` contains the gate values i, f, g, o of step t, ``C_prev`` is
        c_{t−1}, ``tanh_C`` is tanh(c_t), ``dH`` is ∂C_i/∂h_t and ``dC`` is the
        gradient that reaches c_t from step t + 1.
        """
        i, f, g, o = self._split(gates)
        di, df, dg, do = self._split(dZ)

        # dc_t = dC + dh_t ⊙ o ⊙ (1 − tanh²(c_t)), and do = dh_t ⊙ tanh(c_t).
        np.multiply(dH, tanh_C, out=do)
        np.multiply(tanh_C, tanh_C, out=scratch)
        np.subtract(1.0, scratch, out=scratch)
        scratch *= o
        scratch *= dH
        dC += scratch

        np.multiply(dC, g, out=di)
        np.multiply(dC, i, out=dg)
        np.multiply(dC, C_prev, out=df)

        # Turn gate gradients into pre-activation gradients: σ' = σ(1 − σ).
        for gradient, value in ((di, i), (df, f), (do, o)):
            np.subtract(1.0, value, out=scratch)
            scratch *= value
            gradient *= scratch
        np.multiply(g, g, out=scratch)
        np.subtract(1.0, scratch, out=scratch)
        dg *= scratch

        dC *= f
