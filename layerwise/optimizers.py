"""Optimizers: rules that update the parameters in place from their gradients.

``SGD``, ``Adam``, ``RMSprop`` and ``Adagrad`` follow the update formulas, the
defaults and the order of operations of ``torch.optim`` in PyTorch 2.13
(without weight decay, which the cost adds as a penalty instead). Every rule
keeps its per-parameter state and scratch space in arrays allocated at the
first step, so a step allocates no new arrays.
"""

from __future__ import annotations

import abc
import math
import operator
from collections.abc import Sequence

import numpy as np

from layerwise._typing import FloatArray


def _check_learning_rate(learning_rate: float) -> float:
    if (
        isinstance(learning_rate, bool)
        or not isinstance(learning_rate, int | float | np.integer | np.floating)
        or not np.isfinite(learning_rate)
        or learning_rate <= 0
    ):
        raise ValueError(
            f"learning_rate must be a positive finite number, got {learning_rate!r}; "
            "values between 1e-4 and 1 are common"
        )
    return float(learning_rate)


def _check_range(
    value: float, name: str, low: float, high: float, high_inclusive: bool = False
) -> float:
    """Return ``value`` as a float after checking low <= value < high (or <= high)."""
    inside = low <= value <= high if high_inclusive else low <= value < high
    if isinstance(value, bool) or not np.isfinite(value) or not inside:
        closing = "]" if high_inclusive else ")"
        raise ValueError(
            f"{name} must be a number in [{low}, {high}{closing}, got {value!r}"
        )
    return float(value)


def _span(arrays: Sequence[FloatArray]) -> FloatArray | None:
    """Return a 1-D view of the buffer that ``arrays`` fill back to back, if any.

    Each array must be a C-contiguous view of the same 1-D base array, of its
    dtype, starting where the one before it ends. Otherwise returns None.
    """
    if not arrays:
        return None
    base = arrays[0].base
    if (
        not isinstance(base, np.ndarray)
        or base.ndim != 1
        or base.dtype != arrays[0].dtype
        or not base.flags.c_contiguous
    ):
        return None
    origin = base.__array_interface__["data"][0]
    start = (arrays[0].__array_interface__["data"][0] - origin) // base.itemsize
    position = start
    for array in arrays:
        if (
            array.base is not base
            or not array.flags.c_contiguous
            or array.__array_interface__["data"][0] != origin + position * base.itemsize
        ):
            return None
        position += array.size
    return base[start:position]


def _state_views(
    flat_state: dict[str, FloatArray], shapes: Sequence[tuple[int, ...]]
) -> list[dict[str, FloatArray]]:
    """Split each flat state array into one view per parameter shape."""
    states, start = [], 0
    for shape in shapes:
        stop = start + math.prod(shape)
        states.append(
            {
                name: array[start:stop].reshape(shape)
                for name, array in flat_state.items()
            }
        )
        start = stop
    return states


#: Elements per chunk of a flat update: 512 KiB of float32, so that the arrays
#: of one chunk stay in the processor's cache across the formula's passes.
_CHUNK = 2**17


def _chunks(param: FloatArray, grad: FloatArray, state: dict[str, FloatArray]):
    """Return (param, grad, state) slices of at most ``_CHUNK`` elements.

    Every rule is element-wise, so updating chunk by chunk gives the same
    numbers. For 5.8 million float32 parameters, chunks cut an Adam step from
    about 20 to 15 ms on the benchmark machine. A buffer of at most two
    chunks stays whole.
    """
    if param.size <= 2 * _CHUNK:
        return [(param, grad, state)]
    return [
        (
            param[start : start + _CHUNK],
            grad[start : start + _CHUNK],
            {name: array[start : start + _CHUNK] for name, array in state.items()},
        )
        for start in range(0, param.size, _CHUNK)
    ]


def _writeable(arrays: dict[str, FloatArray]) -> dict[str, FloatArray]:
    """Return ``arrays`` with each read-only array replaced by a copy."""
    return {
        name: array if array.flags.writeable else array.copy()
        for name, array in arrays.items()
    }


class Optimizer(abc.ABC):
    """Updates a list of parameters in place, one ``step`` per batch.

    ``learning_rate`` is read at every step, so a schedule may change it
    between steps. ``iterations`` counts the steps since the state was built.

    When the parameters lie back to back in one buffer, and so do the
    gradients (``Network`` arranges both), a step applies the rule once to the
    whole buffer instead of once per array. The state arrays are laid out the
    same way, so both paths update the same numbers.
    """

    name: str

    def __init__(self, learning_rate: float) -> None:
        self.learning_rate = _check_learning_rate(learning_rate)
        self.iterations = 0

    def step(self, params: Sequence[FloatArray], grads: Sequence[FloatArray]) -> None:
        """Apply one update to every parameter from its gradient."""
        layout = getattr(self, "_layout", None)
        if (
            layout is None
            or len(params) != len(layout[0])
            or len(grads) != len(layout[1])
            or not all(map(operator.is_, params, layout[0]))
            or not all(map(operator.is_, grads, layout[1]))
        ):
            self._prepare(params, grads)
        self.iterations += 1
        if self._flat is not None:
            for param, grad, state in self._flat:
                self._update(param, grad, state)
            return
        for param, grad, state in zip(params, grads, self._state, strict=True):
            self._update(param, grad, state)

    def _prepare(self, params, grads) -> None:
        """Fit the state to the parameters' shapes and find a flat layout."""
        if len(params) != len(grads):
            raise ValueError(
                f"got {len(params)} parameters but {len(grads)} gradients; pass "
                "one gradient per parameter"
            )
        signature = [(p.shape, p.dtype) for p in params]
        previous = getattr(self, "_signature", None)
        if previous is None or [shape for shape, _ in previous] != [
            p.shape for p in params
        ]:
            self._signature = signature
            self._flat_state, self._state = self._build_state(params)
            self.iterations = 0
        elif previous != signature:
            # Only the dtype changed (``Network.astype``): keep the moments.
            self._signature = signature
            self._flat_state, self._state = self._build_state(params, self._state)
        flat_params, flat_grads = _span(params), _span(grads)
        if self._flat_state is None or flat_params is None or flat_grads is None:
            self._flat = None
        else:
            self._flat = _chunks(flat_params, flat_grads, self._flat_state)
        self._layout = (list(params), list(grads))

    def _build_state(self, params, old_states=None):
        """Return (flat state or None, one state dict of views per parameter).

        ``old_states``, one dict per parameter, supplies the starting values,
        converted to the parameters' dtypes.
        """
        if len({p.dtype for p in params}) != 1:
            states = [self._init_state(p) for p in params]
            flat_state = None
        else:
            total = sum(p.size for p in params)
            flat_state = self._init_state(np.empty(total, params[0].dtype))
            states = _state_views(flat_state, [p.shape for p in params])
        for state, old in zip(states, old_states or (), strict=False):
            for name, array in state.items():
                array[...] = old[name]
        return flat_state, states

    def __getstate__(self) -> dict:
        # A copy must look up the layout of the parameters it is given, and
        # its per-parameter state must stay views of its own flat state.
        state = dict(self.__dict__)
        for name in ("_layout", "_flat"):
            state.pop(name, None)
        if state.get("_flat_state") is not None:
            del state["_state"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        # Loading from a memory map leaves the arrays read-only.
        if getattr(self, "_flat_state", None) is not None:
            self._flat_state = _writeable(self._flat_state)
            shapes = [shape for shape, _ in self._signature]
            self._state = _state_views(self._flat_state, shapes)
        elif getattr(self, "_state", None) is not None:
            self._state = [_writeable(state) for state in self._state]

    def reset(self) -> None:
        """Forget the per-parameter state and the step count."""
        self.iterations = 0
        for name in ("_state", "_flat_state", "_signature", "_layout", "_flat"):
            self.__dict__.pop(name, None)

    def _init_state(self, param: FloatArray) -> dict[str, FloatArray]:
        """Return the reusable arrays this rule keeps for one parameter."""
        return {"scratch": np.empty_like(param)}

    @abc.abstractmethod
    def _update(
        self, param: FloatArray, grad: FloatArray, state: dict[str, FloatArray]
    ) -> None:
        """Update ``param`` in place."""

    def get_config(self) -> dict[str, object]:
        return {"name": self.name, "learning_rate": self.learning_rate}

    def __repr__(self) -> str:
        config = self.get_config()
        del config["name"]
        arguments = ", ".join(f"{key}={value!r}" for key, value in config.items())
        return f"{type(self).__name__}({arguments})"


def gradient_descent_step(
    param: FloatArray, grad: FloatArray, learning_rate: float, scratch: FloatArray
) -> None:
    """Apply param ← param − α·grad in place, using ``scratch`` for α·grad."""
    np.multiply(grad, learning_rate, out=scratch)
    param -= scratch


class SGD(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum.

    With momentum μ = 0 the update is θ ← θ − α·g. Otherwise a buffer b keeps
    a decaying sum of gradients, b ← μ·b + (1 − τ)·g with b = g at the first
    step, and the update is θ ← θ − α·b, or θ ← θ − α·(g + μ·b) with Nesterov
    momentum.

    Parameters
    ----------
    learning_rate : float, default=1e-3
        α, the step size.
    momentum : float, default=0.0
        μ, in [0, 1).
    dampening : float, default=0.0
        τ, the fraction of each new gradient left out of the buffer after the
        first step; must be 0 with Nesterov momentum.
    nesterov : bool, default=False
        Use Nesterov momentum; requires μ > 0.

    References
    ----------
    Sutskever, Martens, Dahl and Hinton, "On the importance of initialization
    and momentum in deep learning", ICML 2013. The formula and the defaults are
    those of ``torch.optim.SGD`` in PyTorch 2.13.
    """

    name = "sgd"

    def __init__(
        self,
        learning_rate: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(learning_rate)
        self.momentum = _check_range(momentum, "momentum", 0.0, 1.0)
        self.dampening = _check_range(dampening, "dampening", 0.0, 1.0, True)
        if nesterov and (self.momentum == 0 or self.dampening != 0):
            raise ValueError(
                f"nesterov=True needs momentum > 0 and dampening == 0, got "
                f"momentum={momentum!r} and dampening={dampening!r}"
            )
        self.nesterov = bool(nesterov)

    def _init_state(self, param):
        state = {"scratch": np.empty_like(param)}
        if self.momentum != 0:
            state["momentum_buffer"] = np.zeros_like(param)
        return state

    def _update(self, param, grad, state):
        scratch = state["scratch"]
        if self.momentum == 0:
            gradient_descent_step(param, grad, self.learning_rate, scratch)
            return
        buffer = state["momentum_buffer"]
        if self.iterations == 1:
            np.copyto(buffer, grad)
        else:
            buffer *= self.momentum
            np.multiply(grad, 1.0 - self.dampening, out=scratch)
            buffer += scratch
        if self.nesterov:
            np.multiply(buffer, self.momentum, out=scratch)
            scratch += grad
            direction = scratch
        else:
            direction = buffer
        np.multiply(direction, self.learning_rate, out=scratch)
        param -= scratch

    def get_config(self):
        return {
            **super().get_config(),
            "momentum": self.momentum,
            "dampening": self.dampening,
            "nesterov": self.nesterov,
        }


class GradientDescent(SGD):
    """W ← W − α·∂C/∂W and B ← B − α·∂C/∂B, with learning rate α.

    Plain gradient descent: ``SGD`` without momentum, with the larger default
    step size that ``NeuralNetwork.fit`` uses.

    Parameters
    ----------
    learning_rate : float, default=0.1
        α, the step size.
    """

    def __init__(self, learning_rate: float = 0.1) -> None:
        super().__init__(learning_rate)

    def get_config(self):
        return {"name": self.name, "learning_rate": self.learning_rate}


class Adam(Optimizer):
    """Adam: steps scaled by running estimates of the gradient's first two moments.

    At step t, with gradient g::

        m ← β₁·m + (1 − β₁)·g
        v ← β₂·v + (1 − β₂)·g²
        θ ← θ − (α / (1 − β₁ᵗ))·m / (√v / √(1 − β₂ᵗ) + ε)

    so ε is added after the square root of the bias-corrected v, and the first
    step moves every parameter by about α·sign(g).

    Parameters
    ----------
    learning_rate : float, default=1e-3
        α, the step size.
    beta_1, beta_2 : float, default=0.9 and 0.999
        β₁ and β₂, the decay rates of the moment estimates, in [0, 1).
    epsilon : float, default=1e-8
        ε, which keeps the denominator away from zero.
    amsgrad : bool, default=False
        Divide by the running maximum of v instead of v (Reddi et al., 2018).

    References
    ----------
    Kingma and Ba, "Adam: A method for stochastic optimization", ICLR 2015.
    The formula and the defaults are those of ``torch.optim.Adam`` in PyTorch
    2.13.
    """

    name = "adam"

    def __init__(
        self,
        learning_rate: float = 1e-3,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(learning_rate)
        self.beta_1 = _check_range(beta_1, "beta_1", 0.0, 1.0)
        self.beta_2 = _check_range(beta_2, "beta_2", 0.0, 1.0)
        self.epsilon = _check_range(epsilon, "epsilon", 0.0, np.inf)
        self.amsgrad = bool(amsgrad)

    def _init_state(self, param):
        state = {
            "exp_avg": np.zeros_like(param),
            "exp_avg_sq": np.zeros_like(param),
            "scratch": np.empty_like(param),
        }
        if self.amsgrad:
            state["max_exp_avg_sq"] = np.zeros_like(param)
        return state

    def _update(self, param, grad, state):
        m, v, scratch = state["exp_avg"], state["exp_avg_sq"], state["scratch"]
        t = self.iterations

        # m moves a fraction 1 − β₁ of the way to g, as torch's lerp does.
        np.subtract(grad, m, out=scratch)
        scratch *= 1.0 - self.beta_1
        m += scratch

        v *= self.beta_2
        np.multiply(grad, grad, out=scratch)
        scratch *= 1.0 - self.beta_2
        v += scratch
        if self.amsgrad:
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]

        # α_t·m / (√v / c + ε) with c = √(1 − β₂ᵗ) equals
        # (α_t·c)·m / (√v + ε·c): one pass fewer, the same value up to rounding.
        correction = (1.0 - self.beta_2**t) ** 0.5
        step_size = self.learning_rate / (1.0 - self.beta_1**t) * correction
        np.sqrt(v, out=scratch)
        scratch += self.epsilon * correction
        np.divide(m, scratch, out=scratch)
        scratch *= step_size
        param -= scratch

    def get_config(self):
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "amsgrad": self.amsgrad,
        }


class RMSprop(Optimizer):
    """RMSprop: steps divided by a running root mean square of the gradients.

    With gradient g::

        v ← α_s·v + (1 − α_s)·g²
        d ← √v + ε,  or √(v − ḡ²) + ε when centered, with ḡ ← α_s·ḡ + (1 − α_s)·g
        θ ← θ − α·g / d,  or with momentum b ← μ·b + g / d and θ ← θ − α·b

    Parameters
    ----------
    learning_rate : float, default=1e-2
        α, the step size.
    alpha : float, default=0.99
        α_s, the decay rate of the running averages, in [0, 1).
    epsilon : float, default=1e-8
        ε, added after the square root.
    momentum : float, default=0.0
        μ, in [0, 1).
    centered : bool, default=False
        Divide by an estimate of the gradient's standard deviation instead of
        its root mean square.

    References
    ----------
    Hinton, "Neural networks for machine learning", lecture 6e, 2012. The
    formula and the defaults are those of ``torch.optim.RMSprop`` in PyTorch
    2.13.
    """

    name = "rmsprop"

    def __init__(
        self,
        learning_rate: float = 1e-2,
        alpha: float = 0.99,
        epsilon: float = 1e-8,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        super().__init__(learning_rate)
        self.alpha = _check_range(alpha, "alpha", 0.0, 1.0)
        self.epsilon = _check_range(epsilon, "epsilon", 0.0, np.inf)
        self.momentum = _check_range(momentum, "momentum", 0.0, 1.0)
        self.centered = bool(centered)

    def _init_state(self, param):
        state = {"square_avg": np.zeros_like(param), "scratch": np.empty_like(param)}
        if self.centered:
            state["grad_avg"] = np.zeros_like(param)
        if self.momentum != 0:
            state["momentum_buffer"] = np.zeros_like(param)
        return state

    def _update(self, param, grad, state):
        square_avg, scratch = state["square_avg"], state["scratch"]
        square_avg *= self.alpha
        np.multiply(grad, grad, out=scratch)
        scratch *= 1.0 - self.alpha
        square_avg += scratch

        if self.centered:
            grad_avg = state["grad_avg"]
            np.subtract(grad, grad_avg, out=scratch)
            scratch *= 1.0 - self.alpha
            grad_avg += scratch
            np.multiply(grad_avg, grad_avg, out=scratch)
            np.subtract(square_avg, scratch, out=scratch)
            np.sqrt(scratch, out=scratch)
        else:
            np.sqrt(square_avg, out=scratch)
        scratch += self.epsilon

        np.divide(grad, scratch, out=scratch)
        if self.momentum != 0:
            buffer = state["momentum_buffer"]
            buffer *= self.momentum
            buffer += scratch
            np.multiply(buffer, self.learning_rate, out=scratch)
        else:
            scratch *= self.learning_rate
        param -= scratch

    def get_config(self):
        return {
            **super().get_config(),
            "alpha": self.alpha,
            "epsilon": self.epsilon,
            "momentum": self.momentum,
            "centered": self.centered,
        }


class Adagrad(Optimizer):
    """Adagrad: steps divided by the root of the sum of all squared gradients.

    At step t, with gradient g::

        s ← s + g²
        θ ← θ − (α / (1 + (t − 1)·δ))·g / (√s + ε)

    Parameters
    ----------
    learning_rate : float, default=1e-2
        α, the step size.
    lr_decay : float, default=0.0
        δ, the decay of the step size per step.
    initial_accumulator_value : float, default=0.0
        The starting value of every entry of s.
    epsilon : float, default=1e-10
        ε, added after the square root.

    References
    ----------
    Duchi, Hazan and Singer, "Adaptive subgradient methods for online learning
    and stochastic optimization", JMLR 12, 2011. The formula and the defaults
    are those of ``torch.optim.Adagrad`` in PyTorch 2.13.
    """

    name = "adagrad"

    def __init__(
        self,
        learning_rate: float = 1e-2,
        lr_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        epsilon: float = 1e-10,
    ) -> None:
        super().__init__(learning_rate)
        self.lr_decay = _check_range(lr_decay, "lr_decay", 0.0, np.inf)
        self.initial_accumulator_value = _check_range(
            initial_accumulator_value, "initial_accumulator_value", 0.0, np.inf
        )
        self.epsilon = _check_range(epsilon, "epsilon", 0.0, np.inf)

    def _init_state(self, param):
        return {
            "sum": np.full_like(param, self.initial_accumulator_value),
            "scratch": np.empty_like(param),
        }

    def _update(self, param, grad, state):
        total, scratch = state["sum"], state["scratch"]
        np.multiply(grad, grad, out=scratch)
        total += scratch

        step_size = self.learning_rate / (1.0 + (self.iterations - 1) * self.lr_decay)
        np.sqrt(total, out=scratch)
        scratch += self.epsilon
        np.divide(grad, scratch, out=scratch)
        scratch *= step_size
        param -= scratch

    def get_config(self):
        return {
            **super().get_config(),
            "lr_decay": self.lr_decay,
            "initial_accumulator_value": self.initial_accumulator_value,
            "epsilon": self.epsilon,
        }


OPTIMIZERS: dict[str, type[Optimizer]] = {
    "adagrad": Adagrad,
    "adam": Adam,
    "rmsprop": RMSprop,
    "sgd": GradientDescent,
}


def get_optimizer(
    optimizer: str | Optimizer, learning_rate: float | None = None
) -> Optimizer:
    """Return an optimizer from a name or an instance (returned unchanged).

    A name builds the registered class with ``learning_rate``, or with the
    class's own default step size when ``learning_rate`` is None. ``"sgd"`` is
    plain gradient descent, so pass an ``SGD`` instance for momentum.
    """
    if isinstance(optimizer, Optimizer):
        return optimizer
    if isinstance(optimizer, str) and optimizer.lower() in OPTIMIZERS:
        cls = OPTIMIZERS[optimizer.lower()]
        if learning_rate is None:
            return cls()
        return cls(learning_rate=learning_rate)
    raise ValueError(
        f"unknown optimizer {optimizer!r}; expected one of {sorted(OPTIMIZERS)} "
        "or an Optimizer instance"
    )
