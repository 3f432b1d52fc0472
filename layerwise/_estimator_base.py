"""The shared machinery of the scikit-learn estimators in ``layerwise.estimators``.

It contains the training rules that ``MLPClassifier`` and ``MLPRegressor`` share:
parameter validation, the network build with MLP's initial weights, the
stochastic and L-BFGS solvers, early stopping and the fitted attributes.
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from scipy import sparse
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    is_classifier,
)
from sklearn.exceptions import ConvergenceWarning as SklearnConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from layerwise import exceptions
from layerwise.activations import Activation
from layerwise.callbacks import Callback
from layerwise.costs import Cost
from layerwise.layers import Dense, Dropout, Layer, layer_from_config
from layerwise.network import Network
from layerwise.optimizers import Adam, Optimizer
from layerwise.training import (
    DivergenceGuard,
    TrainingData,
    release_batch_arrays,
    train,
)

# sklearn's stochastic solvers divide the learning rate by this factor when
# learning_rate="adaptive" and the loss stops improving, down to _MIN_ADAPTIVE_RATE.
_ADAPTIVE_DIVISOR = 5.0
_MIN_ADAPTIVE_RATE = 1e-6
_MAX_AUTO_BATCH_SIZE = 200
_SKLEARN_ACTIVATION_NAMES = {"sigmoid": "logistic"}
# MLPClassifier draws weights from U(±√(6 / (fan_in + fan_out))), Glorot uniform,
# except with activation="logistic", where its bound is √(2 / (fan_in + fan_out)).
_DEFAULT_INITIALIZER = "glorot_uniform"


class ConvergenceWarning(exceptions.ConvergenceWarning, SklearnConvergenceWarning):
    """Warned when an estimator stops at ``max_iter`` (or ``max_fun``) unconverged.

    It subclasses both ``layerwise.ConvergenceWarning`` and
    ``sklearn.exceptions.ConvergenceWarning``, so a warnings filter written for
    either one, including one written for scikit-learn's ``MLPClassifier``,
    also applies to these estimators.
    """


class HalfSquaredError(Cost):
    """C_i = (1 / 2M)·Σ_j (ŷ_j − y_j)² over the M outputs, so ∂C_i/∂ŷ = (ŷ − y) / M.

    The mean of C_i over the samples is scikit-learn's ``squared_error`` loss of
    ``MLPRegressor``, which makes ``loss_curve_`` comparable with it.

    NOTE: for M > 1 outputs scikit-learn 1.9 back-propagates ŷ − y without the
    1/M factor, so its multi-output gradient is M times the gradient of the loss
    it reports; this cost keeps the value and the gradient consistent.
    """

    name = "half_squared_error"
    divergence_factor = 1e4

    def per_sample(self, A, Y):
        residual = A - Y
        return 0.5 * np.mean(residual * residual, axis=0)

    def per_sample_gradient(self, A, Y, out=None):
        out = np.subtract(A, Y, out=out)
        out *= 1.0 / A.shape[0]
        return out


class _EpochBookkeeping(Callback):
    """Forwards each epoch's logs to the estimator's stopping rule."""

    def __init__(self, estimator: _BaseNeuralNetwork, n_samples: int) -> None:
        self.estimator = estimator
        self.n_samples = n_samples

    def on_epoch_end(self, epoch, logs):
        self.estimator._end_epoch(logs, self.n_samples)


class _BaseNeuralNetwork(BaseEstimator):
    """Training and prediction shared by the classifier and the regressor."""

    _parameter_constraints: ClassVar[dict] = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions({"identity", "logistic", "tanh", "relu"})],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
        "output_activation": [str, Activation, None],
        "cost": [str, Cost, None],
        "initializer": [str, None],
        "dtype": [StrOptions({"float32", "float64"}), None],
        "callbacks": [list, tuple, None],
        "hidden_layers": [list, tuple, None],
    }

    # Settings ----------------------------------------------------------------

    def _hidden_sizes(self) -> list[int]:
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, Integral):
            sizes = [sizes]
        sizes = list(sizes)
        for size in sizes:
            if isinstance(size, bool) or not isinstance(size, Integral) or size < 1:
                raise ValueError(
                    "hidden_layer_sizes must contain positive integers, got "
                    f"{self.hidden_layer_sizes!r}; pass for example (100,) or (64, 32)"
                )
        return [int(size) for size in sizes]

    def _dropout_rates(self, n_hidden: int) -> list[float]:
        if isinstance(self.dropout, Real):
            rates = [float(self.dropout)] * n_hidden
        else:
            rates = [float(rate) for rate in self.dropout]
        if len(rates) != n_hidden:
            raise ValueError(
                f"dropout={self.dropout!r} lists {len(rates)} rates but "
                f"hidden_layer_sizes has {n_hidden} layers; give one rate per hidden "
                "layer or a single number"
            )
        for rate in rates:
            if not 0 <= rate < 1:
                raise ValueError(
                    f"dropout rates must be in [0, 1), got {self.dropout!r}"
                )
        if self.solver == "lbfgs" and any(rates):
            raise ValueError(
                f"dropout={self.dropout!r} needs a stochastic solver, because "
                "L-BFGS line searches need a deterministic cost; use solver='adam' "
                "or solver='sgd', or set dropout=0"
            )
        return rates

    def _batch_size(self, n_samples: int) -> int:
        if self.batch_size == "auto":
            return min(_MAX_AUTO_BATCH_SIZE, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(
                f"batch_size={self.batch_size} is larger than the {n_samples} "
                f"training samples; using batch_size={n_samples}",
                UserWarning,
                stacklevel=6,
            )
        return min(self.batch_size, n_samples)

    def _make_optimizer(self):
        if self.solver == "adam":
            return Adam(self.learning_rate_init, self.beta_1, self.beta_2, self.epsilon)
        nesterov = self.nesterovs_momentum and self.momentum > 0
        return _VelocitySGD(self.learning_rate_init, self.momentum, nesterov)

    # Fitting -----------------------------------------------------------------

    def _validate_features(self, X, reset: bool):
        X = validate_data(
            self, X, reset=reset, accept_sparse="csr", dtype=self.network_.dtype
        )
        return _dense(X)

    def _requested_dtype(self, first_pass: bool):
        """Return the dtype for validate_data: fixed, the network's, or X's own."""
        if not first_pass:
            return self.network_.dtype
        if self.dtype is not None:
            return np.dtype(self.dtype)
        # Like MLP: float32 input stays float32 and anything else becomes float64.
        return [np.float64, np.float32]

    def _fit(self, X, y, sample_weight, incremental, classes=None, validation=None):
        first_pass = not hasattr(self, "network_") or not (
            self.warm_start or incremental
        )
        X, y = validate_data(
            self,
            X,
            y,
            reset=first_pass,
            accept_sparse="csr",
            dtype=self._requested_dtype(first_pass),
            multi_output=True,
            y_numeric=not is_classifier(self),
        )
        X = _dense(X)
        self._dtype = X.dtype
        y = self._check_targets(y)
        if first_pass:
            self._start_targets(y, classes)
        elif classes is not None:
            self._check_classes(classes)
        Y = self._encode(y)
        weight = self._sample_weight(X, y, sample_weight, incremental)
        # One RandomState per fit call, drawn from in MLP's order: initial
        # weights, the early-stopping split, then each epoch's shuffle.
        self._random_state = check_random_state(self.random_state)
        if first_pass:
            self._initialize(X.shape[1], Y.shape[1])
        else:
            self._check_n_outputs(Y, "y")

        if self.solver == "lbfgs":
            self._fit_lbfgs(X, Y, weight)
        else:
            self._fit_stochastic(X, y, Y, weight, incremental, validation)
        return self

    def _check_n_outputs(self, Y, name: str) -> None:
        if Y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"{name} encodes to {Y.shape[1]} output columns, but the network "
                f"has {self.n_outputs_}; pass targets shaped like those of the "
                "first fit, or set warm_start=False"
            )

    def _check_stochastic_solver(self) -> bool:
        if self.solver == "lbfgs":
            raise AttributeError(
                "partial_fit needs a stochastic solver, but solver='lbfgs'; use "
                "solver='adam' or solver='sgd'"
            )
        return True

    def _sample_weight(self, X, y, sample_weight, incremental):
        if sample_weight is None:
            return None
        return _check_sample_weight(sample_weight, X, dtype=X.dtype)

    def _draw_mlp_initial_parameters(self) -> None:
        """Redraw W and B the way scikit-learn's MLP initialises them.

        Both come from U(−a, a) with a = √(k / (fan_in + fan_out)), k = 2 for a
        logistic hidden activation and 6 otherwise, so equal hyperparameters
        start from equally spread weights. Unlike ``NeuralNetwork``, biases are
        not zero.
        """
        factor = 2.0 if self.activation == "logistic" else 6.0
        for layer in self.network_.layers:
            if not isinstance(layer, Dense):
                continue
            fan_out, fan_in = layer.W.shape
            bound = np.sqrt(factor / (fan_in + fan_out))
            # scikit-learn draws Wᵀ of shape (fan_in, fan_out), then B.
            coef = self._random_state.uniform(-bound, bound, (fan_in, fan_out))
            layer.params["W"][...] = coef.T
            layer.params["B"][...] = self._random_state.uniform(
                -bound, bound, (fan_out, 1)
            )

    def _hidden_layer_stack(self, initializer: str) -> list:
        """Return fresh hidden layers: copies of ``hidden_layers``, or Dense ones."""
        if self.hidden_layers is not None:
            layers = []
            for layer in self.hidden_layers:
                if not isinstance(layer, Layer):
                    raise ValueError(
                        f"hidden_layers must contain layerwise layers, got {layer!r}; "
                        "pass for example [Dense(64, 'relu')]"
                    )
                layers.append(layer_from_config(layer.get_config()))
            return layers
        sizes = self._hidden_sizes()
        rates = self._dropout_rates(len(sizes))
        layers = []
        for size, rate in zip(sizes, rates, strict=True):
            layers.append(Dense(size, self.activation, initializer))
            if rate > 0:
                layers.append(Dropout(rate))
        return layers

    def _initialize(self, n_features: int, n_outputs: int) -> None:
        """Build the network and reset the fitted attributes, as a first fit does."""
        self._rng = _generator_for(self.random_state)
        output_activation, cost = self._output_activation_and_cost()
        initializer = self.initializer or _DEFAULT_INITIALIZER
        layers = self._hidden_layer_stack(initializer)
        layers.append(Dense(n_outputs, output_activation, initializer))
        self.network_ = Network(layers, cost, alpha=self.alpha)
        self.network_.build(n_features, self._rng, self._dtype)
        if self.initializer is None:
            self._draw_mlp_initial_parameters()

        output_name = self.network_.layers[-1].activation.name
        self.out_activation_ = _SKLEARN_ACTIVATION_NAMES.get(output_name, output_name)
        # Input, output and every hidden layer with parameters, as MLP counts.
        self.n_layers_ = sum(1 for layer in self.network_.layers if layer.params) + 1
        self.n_outputs_ = n_outputs
        self.n_iter_ = 0
        self.t_ = 0
        self._optimizer = None
        if self.solver != "lbfgs":
            self.loss_curve_ = []
            self._no_improvement_count = 0
            self.best_loss_ = None if self.early_stopping else np.inf
            self.validation_scores_ = [] if self.early_stopping else None
            self.best_validation_score_ = -np.inf if self.early_stopping else None
            self.validation_loss_curve_ = [] if self.early_stopping else None

    def _fit_lbfgs(self, X, Y, weight) -> None:
        from layerwise.lbfgs import minimize_lbfgs

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = minimize_lbfgs(
                self.network_,
                X.T,
                Y.T,
                weight,
                max_iter=self.max_iter,
                max_fun=self.max_fun,
                gtol=self.tol,
            )
        for record in caught:
            category = record.category
            if issubclass(category, exceptions.ConvergenceWarning):
                category = ConvergenceWarning
            warnings.warn(str(record.message), category, stacklevel=4)
        release_batch_arrays(self.network_)
        self.n_iter_ = result.n_iter
        self.loss_ = result.cost

    def _fit_stochastic(self, X, y, Y, weight, incremental, validation) -> None:
        if self.early_stopping and incremental:
            raise ValueError(
                "partial_fit does not support early_stopping=True; set "
                "early_stopping=False or call fit"
            )
        X, Y, weight, validate = self._split_validation(X, y, Y, weight, validation)
        if not incremental or self._optimizer is None:
            self._optimizer = self._make_optimizer()
        self._best_parameters = None
        self._converged = False
        self.n_iter_ = 0
        self.stop_training = False
        epochs = 1 if incremental else self.max_iter
        callbacks = [_EpochBookkeeping(self, X.shape[0]), *(self.callbacks or ())]
        for callback in callbacks:
            callback.set_model(self)

        data = TrainingData(X, Y, weight)
        # partial_fit calls share one divergence reference, so that a stream
        # of one-epoch calls is checked against the first call's costs.
        if not incremental or getattr(self, "_guard", None) is None:
            self._guard = DivergenceGuard.for_data(self.network_, data)
        completed = train(
            self.network_,
            data,
            self._optimizer,
            epochs=epochs,
            batch_size=self._batch_size(X.shape[0]),
            shuffle=self.shuffle,
            rng=_MLPShuffler(self._random_state, X.shape[0]),
            callbacks=callbacks,
            validate=validate,
            owner=self,
            guard=self._guard,
        )
        if self.early_stopping and self._best_parameters is not None:
            for saved, value in zip(
                self._best_parameters, self.network_.parameters(), strict=True
            ):
                np.copyto(value, saved)
        if not incremental and not self._converged and completed == self.max_iter:
            warnings.warn(
                f"{type(self).__name__} stopped at max_iter={self.max_iter} epochs "
                "before the loss settled; increase max_iter or learning_rate_init",
                ConvergenceWarning,
                stacklevel=5,
            )

    def _split_validation(self, X, y, Y, weight, validation):
        """Return the training arrays and the per-epoch validation function."""
        if validation is not None:
            X_val, y_val = validation
            X_val = self._validate_features(X_val, reset=False)
            y_val = self._check_targets(np.asarray(y_val))
            weight_val = None
        elif self.early_stopping:
            X, X_val, y, y_val, Y, _, weight, weight_val = self._holdout(
                X, y, Y, weight
            )
        else:
            return X, Y, weight, None
        if self.validation_scores_ is None:
            self.validation_scores_ = []
            self.validation_loss_curve_ = []
            self.best_validation_score_ = -np.inf
        Y_val = self._encode(y_val)
        self._check_n_outputs(Y_val, "y_val")

        def validate() -> dict[str, float]:
            A = self.network_.forward(X_val.T).T
            logs = {"val_cost": self.network_.compute_cost(Y_val.T, weight_val)}
            logs["val_score"] = self._score_outputs(A, y_val, weight_val)
            return logs

        return X, Y, weight, validate

    def _holdout(self, X, y, Y, weight):
        """Split off ``validation_fraction`` of the samples, as sklearn's MLP does.

        Like MLP, the split is stratified only when the network has a single
        output (binary classification): MLP counts one-hot outputs, so it does
        not stratify multi-class targets.
        """
        single_label = isinstance(self, ClassifierMixin) and self.n_outputs_ == 1
        if weight is None:
            weight = np.ones(X.shape[0], dtype=X.dtype)
            weighted = False
        else:
            weighted = True
        parts = train_test_split(
            X,
            y,
            Y,
            weight,
            random_state=self._random_state,
            test_size=self.validation_fraction,
            stratify=y if single_label else None,
        )
        if parts[1].shape[0] < 2:
            raise ValueError(
                f"validation_fraction={self.validation_fraction} of {X.shape[0]} "
                f"samples leaves {parts[1].shape[0]} validation sample; at least 2 "
                "are needed, so increase validation_fraction or the number of samples"
            )
        if not weighted:
            parts[6] = parts[7] = None
        return parts

    def _end_epoch(self, logs: dict[str, float], n_samples: int) -> None:
        """Record one epoch and apply sklearn's stopping rule and learning rate."""
        self.n_iter_ += 1
        self.t_ += n_samples
        self.loss_ = float(logs["cost"])
        self.loss_curve_.append(self.loss_)
        if "val_cost" in logs:
            self.validation_loss_curve_.append(float(logs["val_cost"]))
            self.validation_scores_.append(float(logs["val_score"]))
            if not self.early_stopping:
                best = max(self.best_validation_score_, self.validation_scores_[-1])
                self.best_validation_score_ = best
        if self.verbose:
            print(f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}")
        self._update_no_improvement_count()
        if self.solver == "sgd" and self.learning_rate == "invscaling":
            rate = self.learning_rate_init / (self.t_ + 1) ** self.power_t
            self._optimizer.learning_rate = rate
        if self._no_improvement_count > self.n_iter_no_change:
            self._on_plateau()

    def _update_no_improvement_count(self) -> None:
        if self.early_stopping:
            score = self.validation_scores_[-1]
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best_parameters = [p.copy() for p in self.network_.parameters()]
            return
        if self.best_loss_ is None:  # the previous fit used early stopping
            self.best_loss_ = np.inf
        if self.loss_ > self.best_loss_ - self.tol:
            self._no_improvement_count += 1
        else:
            self._no_improvement_count = 0
        self.best_loss_ = min(self.best_loss_, self.loss_)

    def _on_plateau(self) -> None:
        """Divide an adaptive learning rate by 5, or stop training."""
        optimizer = self._optimizer
        adaptive = self.solver == "sgd" and self.learning_rate == "adaptive"
        if adaptive and optimizer.learning_rate > _MIN_ADAPTIVE_RATE:
            optimizer.learning_rate /= _ADAPTIVE_DIVISOR
            self._no_improvement_count = 0
            if self.verbose:
                print(f"Setting learning rate to {optimizer.learning_rate:f}")
            return
        self._converged = True
        self.stop_training = True
        if self.verbose:
            watched = "validation score" if self.early_stopping else "training loss"
            print(
                f"The {watched} did not improve by more than tol={self.tol} for "
                f"{self.n_iter_no_change} consecutive epochs; stopping."
            )

    @property
    def stop_training(self) -> bool:
        """Whether training ends after the current epoch; callbacks may set it."""
        return getattr(self, "_stop_training", False)

    @stop_training.setter
    def stop_training(self, value: bool) -> None:
        # Stored privately, because sklearn's contract lets fit add only
        # attributes that start or end with an underscore.
        self._stop_training = bool(value)

    # Prediction ------------------------------------------------------------

    def _forward(self, X) -> np.ndarray:
        """Return the output activations A^[L] as rows, shape (n_samples, n_L)."""
        check_is_fitted(self)
        X = self._validate_features(X, reset=False)
        return self.network_.forward(X.T).T.copy()

    # sklearn's (n_in, n_out) parameter layout --------------------------------

    @property
    def coefs_(self) -> list[np.ndarray]:
        """Weights per layer in sklearn's (n_in, n_out) layout: views of W^[l]ᵀ."""
        return [layer.W.T for layer in self._dense_layers()]

    @coefs_.setter
    def coefs_(self, values) -> None:
        _assign(values, [layer.W.T for layer in self._dense_layers()], "coefs_")

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """Biases per layer, shape (n_out,): views of B^[l] flattened."""
        return [layer.B[:, 0] for layer in self._dense_layers()]

    @intercepts_.setter
    def intercepts_(self, values) -> None:
        targets = [layer.B[:, 0] for layer in self._dense_layers()]
        _assign(values, targets, "intercepts_")

    def _dense_layers(self) -> list[Dense]:
        try:
            network = self.network_
        except AttributeError:
            raise AttributeError(
                f"this {type(self).__name__} has no parameters yet; call fit first"
            ) from None
        return [layer for layer in network.layers if isinstance(layer, Dense)]

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        network = state.get("network_")
        if network is not None:
            _make_writeable(network)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _set_parameters(estimator: BaseEstimator, arguments: dict) -> None:
    """Store each ``__init__`` argument unchanged, as sklearn's contract requires."""
    for name, value in arguments.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)


def _make_writeable(network: Network) -> None:
    """Copy read-only parameter arrays, as unpickling from a memory map leaves them.

    Training and prediction write into the parameters, the gradients and each
    layer's reusable buffers, which are dropped here and reallocated on use.
    """
    for layer in network.layers:
        for arrays in (layer.params, layer.grads):
            for key, value in arrays.items():
                if not value.flags.writeable:
                    arrays[key] = value.copy()
        layer.workspace.clear()


def _dense(X):
    """Return X as a dense array; sparse input is converted in full."""
    return X.toarray() if sparse.issparse(X) else X


def _assign(values, targets: list[np.ndarray], name: str) -> None:
    values = list(values)
    if len(values) != len(targets):
        raise ValueError(
            f"{name} needs {len(targets)} arrays, one per layer, got {len(values)}"
        )
    for index, (value, target) in enumerate(zip(values, targets, strict=True)):
        value = np.asarray(value)
        if value.shape != target.shape:
            raise ValueError(
                f"{name}[{index}] must have shape {target.shape}, got {value.shape}"
            )
        target[...] = value


class _VelocitySGD(Optimizer):
    """SGD with momentum in scikit-learn's velocity form.

    v ← μ·v − α·g, then θ ← θ + v (Nesterov: θ ← θ + μ·v − α·g). PyTorch's
    form (b ← μ·b + g, θ ← θ − α·b) takes the same steps only while α is
    constant, so the estimators use this one, as their learning-rate
    schedules change α between epochs.
    """

    name = "sgd"

    def __init__(self, learning_rate: float, momentum: float, nesterov: bool) -> None:
        super().__init__(learning_rate)
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    def _init_state(self, param):
        return {"velocity": np.zeros_like(param), "scratch": np.empty_like(param)}

    def _update(self, param, grad, state):
        velocity, scratch = state["velocity"], state["scratch"]
        velocity *= self.momentum
        np.multiply(grad, self.learning_rate, out=scratch)
        velocity -= scratch
        if self.nesterov:
            np.multiply(velocity, self.momentum, out=scratch)
            param += scratch
            np.multiply(grad, self.learning_rate, out=scratch)
            param -= scratch
        else:
            param += velocity


def _generator_for(random_state) -> np.random.Generator:
    """Return the Generator for dropout masks, seeded from ``random_state``."""
    if random_state is None or isinstance(random_state, int | np.integer):
        return np.random.default_rng(random_state)
    state = check_random_state(random_state)
    return np.random.default_rng(state.randint(np.iinfo(np.int32).max))


class _MLPShuffler:
    """Batch orders drawn the way scikit-learn's MLP draws them.

    MLP shuffles its index array in place with its RandomState once per
    epoch, so each epoch's order is the previous order permuted again.
    ``training.iter_minibatches`` calls ``permutation`` once per epoch.
    """

    def __init__(self, state: np.random.RandomState, n_samples: int) -> None:
        self.state = state
        self.order = np.arange(n_samples)

    def permutation(self, n_samples: int) -> np.ndarray:
        if len(self.order) != n_samples:
            self.order = np.arange(n_samples)
        indices = np.arange(n_samples)
        self.state.shuffle(indices)
        self.order = self.order[indices]
        return self.order
