"""The layer protocol shared by every layer kind."""

from __future__ import annotations

import abc

import numpy as np

from layerwise._typing import FloatArray


class Workspace:
    """Reusable arrays keyed by name, reallocated only when the shape changes.

    A training loop uses at most two batch sizes per epoch (the full batch and
    the remainder), so each name keeps one array per shape for the two most
    recent shapes.
    """

    def __init__(self) -> None:
        self._arrays: dict[tuple[str, tuple[int, ...]], FloatArray] = {}

    def get(self, name: str, shape: tuple[int, ...], dtype: np.dtype) -> FloatArray:
        """Return an uninitialised array of ``shape`` reserved for ``name``."""
        key = (name, shape)
        array = self._arrays.get(key)
        if array is None or array.dtype != dtype:
            stale = [k for k in self._arrays if k[0] == name and k[1] != shape]
            if len(stale) >= 2:
                del self._arrays[stale[0]]
            array = np.empty(shape, dtype=dtype)
            self._arrays[key] = array
        return array

    def clear(self) -> None:
        """Drop every array."""
        self._arrays.clear()

    def __getstate__(self) -> dict:
        # Scratch arrays hold nothing worth keeping, so copies and pickles
        # start empty (and writable, even when loaded from a memory map).
        return {"_arrays": {}}


class Layer(abc.ABC):
    """One layer of a network: parameters, forward and backward propagation.

    A layer is built once its input size is known. ``params`` and ``grads`` are
    dicts with the same keys, so an optimizer can pair them. Inputs and outputs
    hold one sample per column, matching Z^[l] = W^[l]·A^[l−1] + B^[l]. A size
    is an int for a vector per sample, or a shape tuple such as (channels,
    height, width) for an array per sample. The samples are then the last axis,
    so a batch has shape size + (N,).
    """

    #: Attributes that hold one batch's arrays between forward and backward.
    _batch_attributes: tuple[str, ...] = ("_cache",)
    _cache: tuple | None = None

    def __init__(self) -> None:
        self.params: dict[str, FloatArray] = {}
        self.grads: dict[str, FloatArray] = {}
        self.input_size: int | tuple[int, ...] | None = None
        self.workspace = Workspace()

    @property
    def built(self) -> bool:
        """Whether the parameters exist."""
        return self.input_size is not None

    @abc.abstractmethod
    def build(
        self,
        input_size: int | tuple[int, ...],
        rng: np.random.Generator,
        dtype: np.dtype,
    ) -> int | tuple[int, ...]:
        """Create the parameters for ``input_size`` inputs; return the output size."""

    @abc.abstractmethod
    def forward(self, A_prev: FloatArray, training: bool = False) -> FloatArray:
        """Return this layer's output for the inputs ``A_prev`` (one sample a column).

        The returned array is a reusable buffer that the next call overwrites.
        """

    @abc.abstractmethod
    def backward(self, dA: FloatArray, need_input_gradient: bool = True) -> FloatArray:
        """Store the parameter gradients in ``grads`` and return dA_prev.

        ``dA`` is ∂C_i/∂A per sample (one column each) for the inputs of the
        most recent ``forward`` call. Returns ``None`` when
        ``need_input_gradient`` is false.
        """

    @property
    @abc.abstractmethod
    def output_size(self) -> int | tuple[int, ...]:
        """Return the number of neurons n_l, or the shape of one sample's output."""

    @abc.abstractmethod
    def get_config(self) -> dict[str, object]:
        """Return the JSON-serialisable arguments that rebuild this layer."""

    def _forward_cache(self) -> tuple:
        """Return what the most recent ``forward`` call kept for ``backward``."""
        if self._cache is None:
            raise RuntimeError(
                f"{type(self).__name__} has no forward pass to use; call forward "
                "first (training drops the last batch's arrays when it ends)"
            )
        return self._cache

    def release_batch_arrays(self) -> None:
        """Drop the last batch's arrays; the next ``forward`` call makes new ones."""
        self.workspace.clear()
        for name in self._batch_attributes:
            if name in self.__dict__:  # leaves a subclass's properties alone
                self.__dict__[name] = None
        activation = getattr(self, "activation", None)
        if activation is not None:
            activation.release_batch_arrays()

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        for name in self._batch_attributes:
            state.pop(name, None)  # one batch's arrays, not part of the model
        return state

    def astype(self, dtype: np.dtype) -> None:
        """Convert the parameters to ``dtype`` in place."""
        for key, value in self.params.items():
            self.params[key] = value.astype(dtype)
        self.grads = {key: np.zeros_like(value) for key, value in self.params.items()}
        self.workspace.clear()

    @property
    def n_parameters(self) -> int:
        """The number of trainable scalars."""
        return sum(value.size for value in self.params.values())
