"""NeuralNetwork: a fully connected network trained on (n_samples, n_features) data."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np

from layerwise import propagation
from layerwise._targets import TargetEncoder, fit_target_encoder
from layerwise._typing import FloatArray
from layerwise._validation import (
    check_features,
    check_sample_weight,
    feature_names_of,
    warn_if_unscaled,
)
from layerwise.activations import Activation, get_activation
from layerwise.callbacks import Callback, History, ProgressBar
from layerwise.costs import Cost, get_cost
from layerwise.exceptions import DivergenceError, NotFittedError
from layerwise.layers import Dense, Dropout, Layer, layer_from_config
from layerwise.network import Network
from layerwise.optimizers import Optimizer, _check_learning_rate, get_optimizer
from layerwise.training import (
    ConvergenceMonitor,
    DivergenceGuard,
    TrainingData,
    release_batch_arrays,
    train,
)

_OUTPUT_DEFAULTS = {
    "binary": ("sigmoid", "binary_cross_entropy"),
    "multilabel": ("sigmoid", "binary_cross_entropy"),
    "multiclass": ("softmax", "categorical_cross_entropy"),
    "regression": ("identity", "mean_squared_error"),
}


def default_hidden_size(n_inputs: int, n_outputs: int) -> int:
    """Return round(2/3·n_inputs + n_outputs), kept below 2·n_inputs and at least 1."""
    size = round(2 * n_inputs / 3 + n_outputs)
    return max(1, min(size, 2 * n_inputs - 1))


class NeuralNetwork:
    """A fully connected feed-forward network for classification or regression.

    Layer l computes Z^[l] = W^[l]·A^[l−1] + B^[l] and A^[l] = g(Z^[l]), with
    W^[l] of shape (n_l, n_{l−1}) and one sample per column. The public
    methods take X of shape (n_samples, n_features) and transpose internally.

    Parameters
    ----------
    hidden_layer_sizes : sequence of int, default=None
        n_l for each hidden layer. ``None`` gives one hidden layer of
        round(2/3·n_features + n_outputs) neurons, kept below 2·n_features.
        An empty tuple gives a network with no hidden layer.
    activation : str, Activation or sequence of them, default="relu"
        g for the hidden layers: one for all, or one per hidden layer.
    output_activation : str or Activation, default=None
        g for the output layer. ``None`` picks sigmoid for binary and
        multi-label targets, softmax for multi-class and identity for regression.
    cost : str or Cost, default=None
        ``None`` picks binary cross-entropy, categorical cross-entropy or mean
        squared error to match the targets.
    initializer : str, default=None
        Weight initialiser for every layer; ``None`` picks He uniform for
        ReLU-family layers and Glorot uniform otherwise.
    task : {"auto", "classification", "regression"}, default="auto"
        ``"auto"`` treats floating-point targets as regression and integer,
        boolean or text targets as class labels, unless ``cost`` decides.
    alpha : float, default=0.0
        L2 penalty: training minimises C + alpha / (2·S)·Σ_l ‖W^[l]‖², where S
        is the batch's sum of sample weights (N without weights). Biases are
        not penalised.
    l1 : float, default=0.0
        L1 penalty: adds l1 / S·Σ_l Σ|W^[l]|.
    dropout : float or sequence of float, default=0.0
        Inverted-dropout rate after each hidden layer (one for all, or one per
        hidden layer), active only while training.
    tol : float or None, default=None
        Stop when the training cost has not improved by at least ``tol`` for
        ``n_iter_no_change`` epochs in a row, and warn with
        ``ConvergenceWarning`` when ``epochs`` runs out first. ``None`` trains
        for exactly ``epochs`` epochs and never warns.
    n_iter_no_change : int, default=10
        The patience of the ``tol`` check.
    hidden_layers : sequence of Layer, default=None
        Layers to use between the input and the output layer instead of those
        that ``hidden_layer_sizes``, ``activation`` and ``dropout`` describe.
        Each ``fit`` builds fresh copies from their configs; the output layer
        is added to match the targets.
    standardize : bool, default=False
        Scale each input feature to zero mean and unit variance with statistics
        from the training data, stored in the model. Constant features become 0.
    standardize_targets : bool, default=False
        For regression, train on targets scaled to zero mean and unit variance
        and scale predictions back. Costs in the history are then in the
        scaled units; ``evaluate`` reports ``mse`` and ``r2`` in the original
        units.
    warm_start : bool, default=False
        Continue from the current weights when ``fit`` is called again.
    random_state : int or None, default=None
        Seed of the model's own ``numpy.random.Generator``, which draws the
        initial weights and the batch order.
    dtype : {"float32", "float64"}, default="float32"
        The floating-point type of the parameters and computations.

    Attributes
    ----------
    network_ : Network
        The trained layers; ``network_.layers[l - 1].W`` is W^[l].
    classes_ : ndarray or None
        The class labels, for classification.
    history_ : History
        Cost per epoch (``"cost"``) and validation metrics when validation data
        is given.
    n_features_in_ : int
        The number of input features.
    feature_names_in_ : ndarray of str
        Input column names, when X was a DataFrame with string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from layerwise import NeuralNetwork
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    >>> y = np.array([0, 1, 1, 0])
    >>> model = NeuralNetwork((8,), activation="tanh", random_state=0)
    >>> history = model.fit(X, y, epochs=2000, learning_rate=0.5)
    >>> model.predict(X).tolist()
    [0, 1, 1, 0]
    """

    def __init__(
        self,
        hidden_layer_sizes: Sequence[int] | None = None,
        activation: str | Activation | Sequence[str | Activation] = "relu",
        output_activation: str | Activation | None = None,
        cost: str | Cost | None = None,
        initializer: str | None = None,
        task: str = "auto",
        alpha: float = 0.0,
        l1: float = 0.0,
        dropout: float | Sequence[float] = 0.0,
        tol: float | None = None,
        n_iter_no_change: int = 10,
        hidden_layers: Sequence[Layer] | None = None,
        standardize: bool = False,
        standardize_targets: bool = False,
        warm_start: bool = False,
        random_state: int | None = None,
        dtype: str = "float32",
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.output_activation = output_activation
        self.cost = cost
        self.initializer = initializer
        self.task = task
        self.alpha = alpha
        self.l1 = l1
        self.dropout = dropout
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.hidden_layers = hidden_layers
        self.standardize = standardize
        self.standardize_targets = standardize_targets
        self.warm_start = warm_start
        self.random_state = random_state
        self.dtype = dtype

    # Building ----------------------------------------------------------------

    def _check_dtype(self) -> np.dtype:
        if str(self.dtype) not in ("float32", "float64"):
            raise ValueError(
                f"dtype must be 'float32' or 'float64', got {self.dtype!r}"
            )
        return np.dtype(self.dtype)

    def _hidden_sizes(self, n_inputs: int, n_outputs: int) -> list[int]:
        if self.hidden_layer_sizes is None:
            return [default_hidden_size(n_inputs, n_outputs)]
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, int | np.integer):
            sizes = [sizes]
        sizes = list(sizes)
        for size in sizes:
            if (
                isinstance(size, bool)
                or not isinstance(size, int | np.integer)
                or size < 1
            ):
                raise ValueError(
                    f"hidden_layer_sizes must contain positive integers, got "
                    f"{self.hidden_layer_sizes!r}; pass for example (64, 32)"
                )
        return [int(size) for size in sizes]

    def _hidden_activations(self, n_hidden: int) -> list[Activation]:
        activation = self.activation
        if isinstance(activation, str | Activation | dict):
            return [get_activation(activation) for _ in range(n_hidden)]
        activations = [get_activation(a) for a in activation]
        if len(activations) != n_hidden:
            raise ValueError(
                f"activation lists {len(activations)} functions but there are "
                f"{n_hidden} hidden layers; give one per hidden layer or a single name"
            )
        return activations

    def _build_network(self, encoder: TargetEncoder, n_inputs: int) -> Network:
        default_output, default_cost = _OUTPUT_DEFAULTS[encoder.kind]
        output_activation = get_activation(self.output_activation or default_output)
        if output_activation.name == "softmax" and encoder.n_outputs == 1:
            raise ValueError(
                "output_activation='softmax' over a single output is constant 1 "
                "and cannot learn; binary targets use one sigmoid output, so leave "
                "output_activation=None or pass 'sigmoid'"
            )
        output = Dense(encoder.n_outputs, output_activation, self.initializer)
        cost = self.cost or default_cost
        if self.hidden_layers is not None:
            hidden = [
                layer_from_config(layer.get_config()) for layer in self.hidden_layers
            ]
            return Network([*hidden, output], cost, self.alpha, self.l1)
        sizes = self._hidden_sizes(n_inputs, encoder.n_outputs)
        activations = self._hidden_activations(len(sizes))
        rates = self._dropout_rates(len(sizes))
        layers = []
        for size, activation, rate in zip(sizes, activations, rates, strict=True):
            layers.append(Dense(size, activation, self.initializer))
            if rate > 0:
                layers.append(Dropout(rate))
        layers.append(output)
        return Network(layers, cost, self.alpha, self.l1)

    def _dropout_rates(self, n_hidden: int) -> list[float]:
        if isinstance(self.dropout, int | float | np.number):
            return [float(self.dropout)] * n_hidden
        rates = [float(rate) for rate in self.dropout]
        if len(rates) != n_hidden:
            raise ValueError(
                f"dropout lists {len(rates)} rates but there are {n_hidden} hidden "
                "layers; give one rate per hidden layer or a single number"
            )
        return rates

    # Training ----------------------------------------------------------------

    def fit(
        self,
        X: object,
        y: object,
        *,
        epochs: int = 200,
        learning_rate: float | None = None,
        batch_size: int | None = None,
        shuffle: bool = True,
        optimizer: str | Optimizer = "sgd",
        validation_data: tuple[object, object] | None = None,
        validation_fraction: float | None = None,
        sample_weight: object = None,
        class_weight: dict | str | None = None,
        callbacks: Sequence[Callback] = (),
        verbose: bool = False,
    ) -> History:
        """Train by backpropagation and gradient descent, and return the history.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels of any type, a 0/1 multi-label matrix, or real targets.
        epochs : int, default=200
            The maximum number of passes over the training data.
        learning_rate : float or None, default=None
            α in W ← W − α·∂C/∂W. ``None`` uses the optimizer's default: 0.1
            for ``"sgd"``, 1e-3 for ``"adam"``, 1e-2 for ``"rmsprop"`` and
            ``"adagrad"``, or an ``Optimizer`` instance's own rate. A number
            replaces the rate of a given instance.
        batch_size : int or None, default=None
            Samples per gradient step; ``None`` uses every sample (full batch).
        shuffle : bool, default=True
            Reshuffle the samples before each epoch of mini-batches.
        optimizer : str or Optimizer, default="sgd"
            The update rule: ``"sgd"`` (plain gradient descent), ``"adam"``,
            ``"rmsprop"``, ``"adagrad"``, an ``Optimizer`` instance, or
            ``"lbfgs"``, which minimises the full-batch cost with SciPy's
            L-BFGS-B for at most ``epochs`` iterations and ignores
            ``learning_rate``, ``batch_size`` and ``callbacks``. An instance
            is reset when the fit starts from new weights; with ``warm_start``
            it keeps its state (moments and step count). A rate that a
            callback changed stays changed on the instance.
        validation_data : tuple (X_val, y_val), default=None
            Data on which ``val_cost`` and ``val_accuracy`` (or ``val_r2`` and
            ``val_mse``) are recorded after every epoch.
        validation_fraction : float, default=None
            Hold out this fraction of (X, y) as validation data instead, drawn
            with the model's seed and stratified by class for classification.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample: the cost becomes the weighted
            mean Σ w_i·C_i / Σ w_i.
        class_weight : dict or "balanced", default=None
            Weight of each class, multiplied into ``sample_weight``.
            ``"balanced"`` uses n_samples / (n_classes · count of the class).
        callbacks : sequence of Callback, default=()
            Hooks run at the start, after each epoch and at the end.
        verbose : bool, default=False
            Show a progress bar over epochs.

        Returns
        -------
        History
            The per-epoch logs, also stored as ``history_``.

        Raises
        ------
        DivergenceError
            If the cost or a weight becomes NaN or infinite, or a batch cost
            grows far beyond the cost of predicting zero (see
            ``training.DivergenceGuard``). The model keeps the weights of the
            last finite epoch.
        """
        epochs = _check_positive_int(epochs, "epochs")
        dtype = self._check_dtype()
        if learning_rate is not None:
            learning_rate = _check_learning_rate(learning_rate)
        warm = self.warm_start and hasattr(self, "network_")
        X, y = self._check_inputs(X, y, dtype, warm)
        if not warm:
            self._start(X, y, dtype)
        weight = self._sample_weight(y, sample_weight, class_weight, X.shape[0], dtype)
        X, y, weight, validation = self._split_validation(
            X, y, weight, validation_data, validation_fraction
        )
        if not warm:
            self._fit_input_scaling(X)
            if not self.standardize:
                warn_if_unscaled(X, getattr(self, "feature_names_in_", None))
        data = TrainingData(
            self._scale_inputs(X), self._target_encoder.encode(y, dtype), weight
        )
        if isinstance(optimizer, str) and optimizer.lower() == "lbfgs":
            return self._train_lbfgs(data, epochs, validation)
        batch_size = self._check_batch_size(batch_size, data.n_samples)
        self._set_optimizer(optimizer, learning_rate, fresh=not warm)
        return self._train(
            data, epochs, batch_size, shuffle, validation, callbacks, verbose
        )

    def partial_fit(
        self,
        X: object,
        y: object,
        classes: object = None,
        *,
        learning_rate: float | None = None,
        batch_size: int | None = None,
        sample_weight: object = None,
    ) -> NeuralNetwork:
        """Train for one epoch on (X, y), continuing from the current weights.

        Parameters
        ----------
        X, y : array-like
            One chunk of training data.
        classes : array-like, default=None
            Every class label, required on the first call for single-label
            classification; later chunks may hold any subset of them.
        learning_rate, batch_size, sample_weight
            As in ``fit``.

        Returns
        -------
        NeuralNetwork
            The model itself.
        """
        dtype = self._check_dtype()
        if learning_rate is not None:
            learning_rate = _check_learning_rate(learning_rate)
        first = not hasattr(self, "network_")
        X, y = self._check_inputs(X, y, dtype, warm=not first)
        if first:
            self._start(X, y, dtype, classes)
            self._fit_input_scaling(X)
        weight = self._sample_weight(y, sample_weight, None, X.shape[0], dtype)
        data = TrainingData(
            self._scale_inputs(X), self._target_encoder.encode(y, dtype), weight
        )
        # A new or loaded model has no optimizer yet and starts with plain SGD.
        batch_size = self._check_batch_size(batch_size, data.n_samples)
        self._set_optimizer(self.optimizer_ or "sgd", learning_rate)
        # One guard for the whole stream of calls, so that growth across
        # one-epoch calls counts as divergence too.
        if first or getattr(self, "_guard", None) is None:
            self._guard = DivergenceGuard.for_data(self.network_, data)
        self._train(data, 1, batch_size, True, None, (), False, self._guard)
        return self

    def _check_inputs(self, X, y, dtype, warm):
        names = feature_names_of(X)
        X = check_features(
            X, dtype, self.n_features_in_ if warm else None, feature_names=names
        )
        y = np.asarray(y)
        if y.ndim == 0 or y.shape[0] != X.shape[0]:
            raise ValueError(
                f"X has {X.shape[0]} samples but y has shape {y.shape}; the first "
                "dimensions must match"
            )
        if not warm and names is not None:
            self.feature_names_in_ = names
        return X, y

    def _start(self, X, y, dtype, classes=None) -> None:
        """Fit the target encoding and the input scaling, and build the network."""
        cost_name = None if self.cost is None else get_cost(self.cost).name
        self._target_encoder = fit_target_encoder(
            y, self.task, cost_name, classes, self.standardize_targets
        )
        self.n_features_in_ = X.shape[1]
        self.input_mean_ = self.input_scale_ = None
        self._rng = np.random.default_rng(self.random_state)
        self.network_ = self._build_network(self._target_encoder, X.shape[1])
        self.network_.build(X.shape[1], self._rng, dtype)
        self.optimizer_ = None

    def _sample_weight(self, y, sample_weight, class_weight, n_samples, dtype):
        weight = None
        if sample_weight is not None:
            weight = check_sample_weight(sample_weight, n_samples, dtype)
        if class_weight is not None:
            if not self._target_encoder.is_classifier:
                raise ValueError("class_weight applies only to classification")
            from sklearn.utils.class_weight import compute_sample_weight

            per_class = compute_sample_weight(class_weight, y).astype(dtype)
            weight = per_class if weight is None else weight * per_class
        return weight

    def _split_validation(self, X, y, weight, validation_data, fraction):
        if fraction is None:
            return X, y, weight, validation_data
        if validation_data is not None:
            raise ValueError(
                "pass either validation_data or validation_fraction, not both"
            )
        if not 0 < fraction < 1:
            raise ValueError(f"validation_fraction must be in (0, 1), got {fraction!r}")
        from sklearn.model_selection import train_test_split

        stratify = y if self._target_encoder.kind in ("binary", "multiclass") else None
        seed = int(self._rng.integers(2**31))
        indices = np.arange(X.shape[0])
        try:
            train_index, val_index = train_test_split(
                indices, test_size=fraction, random_state=seed, stratify=stratify
            )
        except ValueError as error:
            hint = ""
            if stratify is not None and np.asarray(y).dtype.kind in "iu":
                hint = (
                    "; if y holds numeric values rather than class labels, pass "
                    "task='regression'"
                )
            raise ValueError(
                f"validation_fraction={fraction} cannot be split from "
                f"{X.shape[0]} samples ({error}); increase validation_fraction or "
                f"pass validation_data{hint}"
            ) from None
        weight = None if weight is None else weight[train_index]
        validation = (X[val_index], y[val_index])
        return X[train_index], y[train_index], weight, validation

    def _set_optimizer(self, optimizer, learning_rate, fresh: bool = False) -> None:
        if isinstance(optimizer, Optimizer):
            if fresh:
                # New weights start with new moments and a step count of 0.
                optimizer.reset()
            if learning_rate is not None:
                optimizer.learning_rate = learning_rate
            self.optimizer_ = optimizer
        elif self.optimizer_ is None or self.optimizer_.name != optimizer:
            self.optimizer_ = get_optimizer(optimizer, learning_rate)
        elif learning_rate is not None:
            self.optimizer_.learning_rate = learning_rate

    def _train(
        self,
        data,
        epochs,
        batch_size,
        shuffle,
        validation,
        callbacks,
        verbose,
        guard=None,
    ):
        history = History()
        convergence = ConvergenceMonitor(self.tol, self.n_iter_no_change)
        all_callbacks = [history, convergence, *callbacks]
        if verbose:
            all_callbacks.append(ProgressBar())
        for callback in all_callbacks:
            callback.set_model(self)
        self.stop_training = False
        self.interrupted_ = False
        self.epochs_planned_ = epochs
        self.history_ = history
        self.n_epochs_ = train(
            self.network_,
            data,
            self.optimizer_,
            epochs=epochs,
            batch_size=batch_size,
            shuffle=shuffle,
            rng=self._rng,
            callbacks=all_callbacks,
            validate=self._validation_logger(validation, data.X.dtype),
            owner=self,
            guard=guard,
        )
        convergence.warn_if_not_converged(self.n_epochs_, epochs)
        return history

    def _train_lbfgs(self, data, max_iter, validation):
        """Minimise the full-batch objective with L-BFGS-B for up to ``max_iter`` steps.

        The history contains one entry: the final cost and validation metrics.
        The search stops when the largest projected gradient entry falls below
        ``self.tol`` (1e-4 when that is None), as scikit-learn's L-BFGS solver
        does. Reaching ``max_iter`` first warns with ``ConvergenceWarning``.
        """
        from layerwise.lbfgs import LBFGSResult, minimize_lbfgs

        self.interrupted_ = False
        try:
            result = minimize_lbfgs(
                self.network_,
                data.X.T,
                data.Y.T,
                sample_weight=data.sample_weight,
                max_iter=max_iter,
                gtol=1e-4 if self.tol is None else self.tol,
            )
        except KeyboardInterrupt:
            # minimize_lbfgs has written back the best parameters it evaluated.
            self.interrupted_ = True
            warnings.warn(
                "L-BFGS-B interrupted; the model keeps the best parameters "
                "evaluated so far",
                UserWarning,
                stacklevel=3,
            )
            self.network_.forward(data.X.T)
            cost = self.network_.compute_cost(data.Y.T, data.sample_weight, True)
            result = LBFGSResult(0, cost)
        history = History()
        logs = {"cost": result.cost}
        validate = self._validation_logger(validation, data.X.dtype)
        if validate is not None:
            logs.update(validate())
        history.on_epoch_end(result.n_iter, logs)
        release_batch_arrays(self.network_)
        self.optimizer_ = None
        self.n_epochs_ = result.n_iter
        self.history_ = history
        if not self.network_.all_finite():
            raise DivergenceError(
                "L-BFGS produced NaN or infinite weights; standardise the inputs",
                epoch=result.n_iter,
            )
        return history

    def _fit_input_scaling(self, X: FloatArray) -> None:
        if not self.standardize:
            self.input_mean_ = self.input_scale_ = None
            return
        from sklearn.preprocessing import StandardScaler

        scaler = StandardScaler().fit(X)
        self.input_mean_ = scaler.mean_.astype(X.dtype)
        self.input_scale_ = scaler.scale_.astype(X.dtype)

    def _scale_inputs(self, X: FloatArray) -> FloatArray:
        if getattr(self, "input_mean_", None) is None:
            return X
        return (X - self.input_mean_) / self.input_scale_

    @staticmethod
    def _check_batch_size(batch_size: int | None, n_samples: int) -> int:
        if batch_size is None:
            return n_samples
        batch_size = _check_positive_int(batch_size, "batch_size")
        return min(batch_size, n_samples)

    def _validation_logger(self, validation_data, dtype):
        if validation_data is None:
            return None
        try:
            X_val, y_val = validation_data
        except (TypeError, ValueError):
            length = len(validation_data) if hasattr(validation_data, "__len__") else 1
            raise ValueError(
                "validation_data must be a pair (X_val, y_val), got a "
                f"{type(validation_data).__name__} of {length} items"
            ) from None
        X_val = self._scale_inputs(check_features(X_val, dtype, self.n_features_in_))
        Y_val = self._target_encoder.encode(y_val, dtype)
        y_val = np.asarray(y_val)

        def validate() -> dict[str, float]:
            A = self.network_.forward(X_val.T)
            logs = {"val_cost": self.network_.compute_cost(Y_val.T)}
            logs.update(
                {f"val_{k}": v for k, v in self._metrics(A.T, y_val, Y_val).items()}
            )
            return logs

        return validate

    # Prediction --------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "network_"):
            raise NotFittedError(
                "this NeuralNetwork is not trained yet; call fit(X, y) first or "
                "load a saved model with layerwise.load(path)"
            )

    def forward(self, X: object) -> FloatArray:
        """Return the output activations A^[L] as rows, shape (n_samples, n_L)."""
        return self._output_columns(X).T.copy()

    def _output_columns(self, X: object, logits: bool = False) -> FloatArray:
        """Return A^[L] with one column per row of X.

        With ``logits`` it returns Z^[L] of a ``Dense`` output layer instead,
        or None where Z^[L] is not a clear-cut class decision (see
        ``_clear_argmax``).
        """
        self._check_fitted()
        network = self.network_
        X = check_features(X, network.dtype, self.n_features_in_, allow_empty=True)
        X = self._scale_inputs(X)
        if X.shape[0] == 0:
            return np.empty((network.n_outputs, 0), network.dtype)
        with np.errstate(over="ignore", invalid="ignore"):
            if logits:
                *hidden, output = network.layers
                A = X.T
                for layer in hidden:
                    A = layer.forward(A)
                Z = propagation.pre_activation(output.W, A, output.B)
                return Z if _clear_argmax(Z) else None
            A = network.forward(X.T)
        if not np.isfinite(A).all():
            row = int(np.argmax(~np.isfinite(A).all(axis=0)))
            raise ValueError(
                f"the network's output for row {row} of X is NaN or infinite; its "
                f"largest input magnitude is {float(np.abs(X[row]).max()):.3g}, "
                "which overflows the computation. Scale the inputs as in training"
            )
        return A

    def predict(self, X: object) -> np.ndarray:
        """Return predicted labels (classification) or values (regression)."""
        self._check_fitted()
        encoder = self._target_encoder
        if encoder.kind != "multiclass":
            return encoder.decode(self.forward(X))
        output = self.network_.layers[-1]
        if isinstance(output, Dense) and output.activation.name == "softmax":
            # Softmax keeps the largest Z^[L] the largest probability, so a
            # clear-cut Z^[L] decides the class without the softmax.
            Z = self._output_columns(X, logits=True)
            if Z is not None:
                return encoder.classes[Z.argmax(axis=0)]
        # The argmax over each column of A^[L] is the one ``decode`` takes
        # over each row of A^[L]ᵀ, without the transposed copy.
        return encoder.classes[self._output_columns(X).argmax(axis=0)]

    def predict_proba(self, X: object) -> FloatArray:
        """Return class probabilities, one column per class in ``classes_`` order."""
        self._check_fitted()
        if not self._target_encoder.is_classifier:
            raise AttributeError(
                "predict_proba is only available for classification; this model "
                "was trained for regression"
            )
        return self._target_encoder.probabilities(self.forward(X))

    @property
    def classes_(self) -> np.ndarray | None:
        self._check_fitted()
        return self._target_encoder.classes

    @property
    def is_classifier(self) -> bool:
        self._check_fitted()
        return self._target_encoder.is_classifier

    def _metrics(self, A: FloatArray, y: np.ndarray, Y: FloatArray) -> dict[str, float]:
        from sklearn import metrics

        predictions = self._target_encoder.decode(A)
        if self._target_encoder.is_classifier:
            return {"accuracy": float(metrics.accuracy_score(y, predictions))}
        y_true = np.asarray(y, dtype=np.float64)
        result = {"mse": float(metrics.mean_squared_error(y_true, predictions))}
        if len(y_true) > 1:
            result["r2"] = float(metrics.r2_score(y_true, predictions))
        return result

    def evaluate(self, X: object, y: object) -> dict[str, float]:
        """Return the cost and the metrics on (X, y).

        Returns
        -------
        dict
            ``cost`` and ``accuracy`` for classification; ``cost``, ``mse`` and
            ``r2`` for regression.
        """
        A = self.forward(X)
        y = np.asarray(y)
        if A.shape[0] == 0:
            raise ValueError("X has 0 samples; evaluation needs at least one")
        if y.ndim == 0 or y.shape[0] != A.shape[0]:
            raise ValueError(
                f"X has {A.shape[0]} samples but y has shape {y.shape}; the first "
                "dimensions must match"
            )
        Y = self._target_encoder.encode(y, self.network_.dtype)
        result = {"cost": self.network_.compute_cost(Y.T)}
        result.update(self._metrics(A, y, Y))
        return result

    def score(self, X: object, y: object) -> float:
        """Return accuracy for classification and R² for regression."""
        metrics = self.evaluate(X, y)
        return metrics["accuracy"] if "accuracy" in metrics else metrics["r2"]

    # Persistence and display -------------------------------------------------

    def save(self, path: str) -> None:
        """Write the model to one ``.safetensors`` file, atomically."""
        from layerwise.io import save

        save(self, path)

    def to_onnx(self, path: str, *, opset: int = 17) -> None:
        """Write the model as an ONNX graph; see ``layerwise.export.export_onnx``."""
        from layerwise.export import export_onnx

        export_onnx(self, path, opset=opset)

    def trace(self, x: object, y: object, learning_rate: float = 0.1):
        """Return forward and backward propagation for one sample, step by step.

        See ``layerwise.trace.trace``; the model's weights do not change.
        """
        from layerwise.trace import trace

        return trace(self, x, y, learning_rate=learning_rate)

    def plot_network(self, max_neurons: int = 12):
        """Return a matplotlib Figure of the network, edges coloured by weight sign."""
        from layerwise.plotting import plot_network

        return plot_network(self, max_neurons=max_neurons)

    def plot_history(self):
        """Return a matplotlib Figure of the cost and metrics per epoch."""
        from layerwise.plotting import plot_history

        self._check_fitted()
        return plot_history(self.history_)

    def summary(self) -> str:
        """Return a table of the layers: W^[l] and B^[l] shapes, parameter counts."""
        from layerwise.display import summary

        return summary(self)

    def __repr__(self) -> str:
        return (
            f"NeuralNetwork(hidden_layer_sizes={self.hidden_layer_sizes!r}, "
            f"activation={self.activation!r}, random_state={self.random_state!r})"
        )


def _check_positive_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


#: How far below its column's maximum every other logit must lie for
#: ``_clear_argmax``. Softmax probabilities then differ by a factor of at least
#: e^(−1e-4) ≈ 0.9999, which float32 rounding (about 1.2e-7) cannot close.
_LOGIT_MARGIN = 1e-4


def _clear_argmax(Z: FloatArray) -> bool:
    """Return whether each column of Z has one finite maximum, all else below it.

    "Below" means by more than ``_LOGIT_MARGIN``. Then the argmax of Z equals
    the argmax of softmax(Z) as computed in floating point, ties included.
    A NaN or infinite maximum fails the test, so the caller falls back to the
    softmax path and its error for non-finite outputs.
    """
    if Z.shape[1] == 1:
        # One row, as in online prediction: sorting a handful of Python floats
        # takes less time than the NumPy calls below.
        values = Z.ravel().tolist()
        if any(map(math.isnan, values)):
            return False
        ordered = sorted(values)
        return math.isfinite(ordered[-1]) and (
            len(ordered) == 1 or ordered[-1] - ordered[-2] > _LOGIT_MARGIN
        )
    threshold = np.maximum.reduce(Z, axis=0) - _LOGIT_MARGIN
    n_columns = Z.shape[1]
    # With every threshold finite, each column counts its maximum at least.
    return bool(
        np.count_nonzero(np.isfinite(threshold)) == n_columns
        and np.count_nonzero(Z >= threshold) == n_columns
    )
