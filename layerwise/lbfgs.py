"""Full-batch training with SciPy's L-BFGS-B on the flattened parameters."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
from scipy import optimize

from layerwise._typing import FloatArray
from layerwise.exceptions import ConvergenceWarning
from layerwise.network import Network

L2Penalty = Callable[[Sequence[FloatArray], Sequence[FloatArray]], float]


class LBFGSResult(NamedTuple):
    """The outcome of ``minimize_lbfgs``."""

    n_iter: int
    """Iterations L-BFGS-B ran (SciPy's ``nit``)."""
    cost: float
    """The cost, penalty included, at the parameters written back."""


def _weight_penalty(network: Network, strength: float, n_samples: float) -> L2Penalty:
    """Build a penalty function for (λ / 2N)·Σ‖W^[l]‖² over the penalized arrays."""
    penalized = {
        id(value)
        for layer in network.layers
        for key, value in layer.params.items()
        if key in getattr(layer, "penalized", ())
    }
    scale = strength / n_samples

    def penalty(params, grads):
        total = 0.0
        for param, grad in zip(params, grads, strict=True):
            if id(param) in penalized:
                total += 0.5 * scale * float(np.vdot(param, param))
                grad += scale * param
        return total

    return penalty


def _check_positive_int(value: int, name: str) -> int:
    if isinstance(value, bool) or int(value) != value or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def minimize_lbfgs(
    network: Network,
    A0: FloatArray,
    Y: FloatArray,
    sample_weight: FloatArray | None = None,
    max_iter: int = 200,
    max_fun: int = 15000,
    tol: float = 1e-4,
    gtol: float | None = None,
    l2_penalty: float | L2Penalty | None = None,
) -> LBFGSResult:
    """Minimise the full-batch cost over every parameter with L-BFGS-B.

    The parameters are flattened into one float64 vector for
    ``scipy.optimize.minimize(method="L-BFGS-B", jac=True)``. Each evaluation
    copies the vector into the network, runs ``cost_and_gradients`` on the
    whole batch and returns the cost and the flattened gradient. The optimum is
    written back into the network's arrays (cast to their dtype).

    Parameters
    ----------
    network : Network
        A built network; its parameters are the starting point.
    A0 : ndarray of shape (n_inputs, N)
        Inputs, one sample per column.
    Y : ndarray of shape (n_outputs, N)
        Targets, one sample per column.
    sample_weight : ndarray of shape (N,), default=None
        Weight of each sample in the cost.
    max_iter : int, default=200
        The maximum number of L-BFGS-B iterations (SciPy's ``maxiter``).
    max_fun : int, default=15000
        The maximum number of cost evaluations (SciPy's ``maxfun``).
    tol : float, default=1e-4
        SciPy's ``tol``, which for L-BFGS-B sets both ``ftol``, the relative
        reduction of the cost, and ``gtol``, the largest projected gradient
        entry, below which the search stops. With 0 only the limits stop it.
    gtol : float, default=None
        When given, only the projected-gradient test uses this value and
        ``tol`` is ignored; SciPy's own ``ftol`` applies. scikit-learn's
        ``MLPClassifier(solver="lbfgs")`` stops this way, with gtol = its tol.
    l2_penalty : float or callable, default=None
        A float λ adds (λ / 2N)·Σ‖W^[l]‖² over the weight matrices (the arrays a
        layer lists in ``penalized``), with N the number of samples or, when
        ``sample_weight`` is given, its sum. This is the form of ``alpha`` in
        scikit-learn's ``MLPClassifier``. A
        callable ``penalty(params, grads)`` must add its gradient to ``grads``
        in place and return its value.

    Returns
    -------
    LBFGSResult
        ``(n_iter, cost)``: the iterations run and the final cost, penalty
        included.

    Warns
    -----
    ConvergenceWarning
        When L-BFGS-B stops at ``max_iter`` or ``max_fun`` before converging.

    References
    ----------
    Byrd, Lu, Nocedal and Zhu, "A limited memory algorithm for bound
    constrained optimization", SIAM J. Sci. Comput. 16(5), 1995.
    """
    max_iter = _check_positive_int(max_iter, "max_iter")
    max_fun = _check_positive_int(max_fun, "max_fun")
    if isinstance(tol, bool) or not 0 <= tol < np.inf:
        raise ValueError(f"tol must be a finite number >= 0, got {tol!r}")
    if l2_penalty is not None and not callable(l2_penalty):
        n_samples = A0.shape[1] if sample_weight is None else np.sum(sample_weight)
        l2_penalty = _weight_penalty(network, float(l2_penalty), float(n_samples))

    params = network.parameters()
    grads = network.gradients()
    sizes = [value.size for value in params]
    offsets = np.cumsum([0, *sizes])

    def unflatten_into(vector: np.ndarray) -> None:
        for value, start, stop in zip(params, offsets[:-1], offsets[1:], strict=True):
            np.copyto(value, vector[start:stop].reshape(value.shape), casting="unsafe")

    best = {"cost": np.inf, "vector": None}

    def cost_and_gradient(vector: np.ndarray) -> tuple[float, np.ndarray]:
        unflatten_into(vector)
        cost = float(network.cost_and_gradients(A0, Y, sample_weight))
        if l2_penalty is not None:
            cost += l2_penalty(params, grads)
        if cost < best["cost"]:
            best["cost"], best["vector"] = cost, vector.copy()
        # SciPy 1.17 keeps a reference to the returned gradient, so every call
        # returns a new array.
        gradient = np.concatenate([grad.ravel() for grad in grads], dtype=np.float64)
        return cost, gradient

    start = np.concatenate([value.ravel() for value in params], dtype=np.float64)
    options = {"maxiter": max_iter, "maxfun": max_fun}
    if gtol is not None:
        options["gtol"] = gtol
    try:
        result = optimize.minimize(
            cost_and_gradient,
            start,
            method="L-BFGS-B",
            jac=True,
            tol=tol if gtol is None else None,
            options=options,
        )
    except KeyboardInterrupt:
        # Ctrl-C can arrive inside an evaluation, when the network contains a
        # trial point. Write back the best point evaluated so far, and let the
        # caller report the interruption.
        unflatten_into(start if best["vector"] is None else best["vector"])
        raise
    unflatten_into(result.x)
    if result.status == 1:
        warnings.warn(
            f"L-BFGS-B stopped after {result.nit} iterations and {result.nfev} cost "
            f"evaluations (max_iter={max_iter}, max_fun={max_fun}) without "
            "converging; raise max_iter or max_fun",
            ConvergenceWarning,
            stacklevel=2,
        )
    return LBFGSResult(int(result.nit), float(result.fun))
