"""scikit-learn estimators: ``NeuralNetworkClassifier`` and ``NeuralNetworkRegressor``.

Both take the parameter names and defaults of ``MLPClassifier`` and
``MLPRegressor`` from scikit-learn 1.9, so that replacing the class name is the
only change a user makes. They follow the same training rules: the same loss,
L2 penalty, mini-batch size, stopping rule on ``tol`` and ``n_iter_no_change``,
learning-rate schedules and early stopping on a held-out validation score.
Underneath, a layerwise ``Network`` is trained by ``layerwise.training.train``
(``"sgd"`` and ``"adam"``) or by ``layerwise.lbfgs.minimize_lbfgs``
(``"lbfgs"``).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from sklearn.base import (
    ClassifierMixin,
    RegressorMixin,
    _fit_context,
)
from sklearn.metrics import accuracy_score, r2_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import (
    column_or_1d,
)

# sklearn's stochastic solvers divide the learning rate by this factor when
# learning_rate="adaptive" and the loss stops improving, down to _MIN_ADAPTIVE_RATE.
from layerwise._estimator_base import (
    ConvergenceWarning,
    HalfSquaredError,
    _BaseNeuralNetwork,
    _set_parameters,
)
from layerwise.activations import Activation

__all__ = ["ConvergenceWarning", "NeuralNetworkClassifier", "NeuralNetworkRegressor"]


class NeuralNetworkClassifier(ClassifierMixin, _BaseNeuralNetwork):
    """A fully connected network classifier with ``MLPClassifier``'s interface.

    The parameters from ``hidden_layer_sizes`` to ``max_fun`` have the names,
    defaults and meaning of scikit-learn 1.9's ``MLPClassifier``; the ones
    after them are layerwise additions.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int or int, default=(100,)
        n_l for each hidden layer.
    activation : {"identity", "logistic", "tanh", "relu"}, default="relu"
        g for every hidden layer.
    solver : {"lbfgs", "sgd", "adam"}, default="adam"
        ``"sgd"`` is mini-batch gradient descent with (Nesterov) momentum,
        ``"adam"`` is Adam and ``"lbfgs"`` is full-batch L-BFGS-B.
    alpha : float, default=0.0001
        L2 penalty: the loss adds alpha / (2·S)·Σ_l ‖W^[l]‖², where S is the
        batch's sum of sample weights.
    batch_size : int or "auto", default="auto"
        Samples per step of the stochastic solvers; "auto" is
        min(200, n_samples).
    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        The step-size schedule of ``solver="sgd"``: fixed; η / (t + 1)^power_t
        after each epoch, with t the samples seen; or divided by 5 whenever the
        stopping rule would stop training, until it is at most 1e-6.
    learning_rate_init : float, default=0.001
        The initial step size of ``"sgd"`` and ``"adam"``.
    power_t : float, default=0.5
        The exponent of ``learning_rate="invscaling"``.
    max_iter : int, default=200
        The maximum number of epochs (``"sgd"``, ``"adam"``) or L-BFGS
        iterations.
    shuffle : bool, default=True
        Reshuffle the samples before each epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the batch order, dropout and the
        validation split.
    tol : float, default=1e-4
        Training stops when the loss (or, with ``early_stopping``, the
        validation score) has not improved by ``tol`` for more than
        ``n_iter_no_change`` consecutive epochs. For ``"lbfgs"`` it is SciPy's
        tolerance.
    verbose : bool, default=False
        Print the loss after each epoch.
    warm_start : bool, default=False
        Continue from the current weights when ``fit`` is called again.
    momentum : float, default=0.9
        The momentum of ``solver="sgd"``, in [0, 1).
    nesterovs_momentum : bool, default=True
        Use Nesterov momentum with ``solver="sgd"``.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified),
        stop when its accuracy stops improving, and keep the weights of the
        best epoch.
    validation_fraction : float, default=0.1
        The held-out fraction for ``early_stopping``.
    beta_1, beta_2, epsilon : float, default=0.9, 0.999 and 1e-8
        Adam's decay rates and ε.
    n_iter_no_change : int, default=10
        The patience of the ``tol`` rule, in epochs.
    max_fun : int, default=15000
        The maximum number of cost evaluations of ``"lbfgs"``.
    dropout : float or sequence of float, default=0.0
        Inverted-dropout rate after each hidden layer (one for all, or one per
        layer), only while training with ``"sgd"`` or ``"adam"``.
    class_weight : dict, "balanced" or None, default=None
        Weight of each class, multiplied into ``sample_weight``.
    output_activation : str, Activation or None, default=None
        g for the output layer. None picks sigmoid (``"logistic"``) for binary
        and multi-label targets and softmax for multi-class targets.
    cost : str, Cost or None, default=None
        The loss, by layerwise name or instance. None picks binary
        cross-entropy after a sigmoid output and categorical cross-entropy after
        softmax, which are ``MLPClassifier``'s log-loss.
    initializer : str or None, default=None
        The weight initializer of every layer (see ``layerwise.initializers``).
        None draws weights and biases as ``MLPClassifier`` does, from
        U(−a, a) with a = √(k / (fan_in + fan_out)), k = 2 for "logistic" and
        6 otherwise. A named initializer draws the weights and starts the
        biases at zero.
    dtype : {"float64", "float32"} or None, default=None
        The floating-point type of the parameters and computations. None
        follows the training input as ``MLPClassifier`` does: float32 stays
        float32 and everything else becomes float64. float32 halves memory and
        is usually faster.
    callbacks : list of Callback or None, default=None
        layerwise callbacks run after each epoch of ``"sgd"`` and ``"adam"``;
        their ``model`` is this estimator.
    hidden_layers : list of Layer or None, default=None
        layerwise layers to use between the input and the output layer
        instead of ``hidden_layer_sizes``, ``activation`` and ``dropout``, for
        example ``[Reshape((1, 8, 8)), Conv2D(8, 3, activation="relu"),
        MaxPool2D(2), Flatten()]``. Each first fit builds fresh copies.
        ``coefs_`` and ``intercepts_`` then list the fully connected layers
        only.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels; the column indices for multi-label targets.
    coefs_ : list of ndarray of shape (n_{l−1}, n_l)
        W^[l]ᵀ for each layer, as views: writing into them changes the network.
    intercepts_ : list of ndarray of shape (n_l,)
        B^[l] for each layer, flattened views.
    network_ : Network
        The trained layers, W^[l] of shape (n_l, n_{l−1}).
    loss_ : float
        The loss of the last epoch (or of the L-BFGS optimum), penalty included.
    loss_curve_ : list of float
        The loss after each epoch (not set by ``"lbfgs"``).
    best_loss_ : float or None
        The lowest training loss, or None with ``early_stopping``.
    validation_scores_ : list of float or None
        The validation accuracy after each epoch, when there is validation data.
    best_validation_score_ : float or None
        The best of ``validation_scores_``.
    validation_loss_curve_ : list of float or None
        The validation loss after each epoch, without the penalty, when there
        is validation data.
    n_iter_ : int
        Epochs (or L-BFGS iterations) run by the last ``fit`` call.
    t_ : int
        Training samples seen by the stochastic solver since the first fit.
    n_features_in_ : int
        The number of input features.
    feature_names_in_ : ndarray of str
        Input column names, when X had string column names.
    n_layers_ : int
        The number of layers, input and output layers included.
    n_outputs_ : int
        n_L, the number of output neurons.
    out_activation_ : str
        The output activation in sklearn's names: "logistic" or "softmax".

    Notes
    -----
    Sparse input is converted to a dense array. The ``"lbfgs"`` solver stops
    on SciPy's ``gtol`` set to ``tol``, as ``MLPClassifier`` does.

    Differences from ``MLPClassifier`` that remain: the log-loss is computed
    from the logits, so on saturated outputs (unscaled inputs, say) the
    reported loss is exact where MLP clips probabilities at machine epsilon,
    and ``loss_curve_`` and the ``tol`` rule can differ there. Adam adds
    epsilon as PyTorch does.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from layerwise import NeuralNetworkClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> model = NeuralNetworkClassifier((16,), solver="lbfgs", random_state=0)
    >>> model.fit(X, y).score(X, y) > 0.9
    True
    """

    _parameter_constraints: ClassVar[dict] = {
        **_BaseNeuralNetwork._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
        class_weight=None,
        output_activation=None,
        cost=None,
        initializer=None,
        dtype=None,
        callbacks=None,
        hidden_layers=None,
    ):
        _set_parameters(self, locals())

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, *, validation_data=None):
        """Train on (X, y) and return the estimator.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Training inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a 0/1 indicator matrix for multi-label targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample in the loss.
        validation_data : tuple (X_val, y_val), default=None
            Data scored after each epoch into ``validation_scores_`` and
            ``validation_loss_curve_``; with ``early_stopping`` it replaces the
            ``validation_fraction`` split.

        Returns
        -------
        NeuralNetworkClassifier
            The fitted estimator.
        """
        return self._fit(
            X, y, sample_weight, incremental=False, validation=validation_data
        )

    @available_if(lambda self: self._check_stochastic_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Train for one epoch on (X, y), continuing from the current weights.

        Parameters
        ----------
        X, y, sample_weight
            One chunk of training data, as in ``fit``.
        classes : array-like of shape (n_classes,), default=None
            Every class label. Required on the first call, because a chunk may
            lack some classes.

        Returns
        -------
        NeuralNetworkClassifier
            The estimator.
        """
        if not hasattr(self, "classes_") and classes is None:
            if type_of_target(y) != "multilabel-indicator":
                raise ValueError(
                    "classes must be passed on the first call to partial_fit, for "
                    "example partial_fit(X, y, classes=np.unique(y_all))"
                )
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _check_targets(self, y):
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        return y

    def _start_targets(self, y, classes) -> None:
        self._label_binarizer = LabelBinarizer()
        if classes is not None and y.ndim == 1:
            self._label_binarizer.fit(np.asarray(classes))
        else:
            self._label_binarizer.fit(y)
        self.classes_ = self._label_binarizer.classes_
        if (
            self._label_binarizer.y_type_ != "multilabel-indicator"
            and len(self.classes_) < 2
        ):
            raise ValueError(
                "NeuralNetworkClassifier needs samples of at least two classes in y, "
                f"got 1 class: {self.classes_.tolist()}"
            )

    def _check_classes(self, classes) -> None:
        if not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(
                f"classes={np.unique(classes).tolist()} differs from the classes of "
                f"the first partial_fit call, {self.classes_.tolist()}"
            )

    def _check_labels_known(self, y) -> None:
        if self._label_binarizer.y_type_ == "multilabel-indicator":
            if y.ndim != 2 or y.shape[1] != len(self.classes_):
                raise ValueError(
                    f"y must be a 0/1 matrix with {len(self.classes_)} columns, as "
                    f"in the first fit, got shape {y.shape}"
                )
            return
        unknown = np.setdiff1d(np.unique(y), self.classes_)
        if len(unknown):
            raise ValueError(
                f"y contains label {unknown.tolist()[0]!r}, which is not one of the "
                f"classes {self.classes_.tolist()}; pass every label through "
                "partial_fit's classes on the first call"
            )

    def _encode(self, y) -> np.ndarray:
        self._check_labels_known(y)
        Y = self._label_binarizer.transform(y).astype(self._dtype)
        if Y.shape[1] == 1 and self._softmax_output():
            Y = np.hstack([1 - Y, Y])
        return Y

    def _softmax_output(self) -> bool:
        name = self.output_activation
        if isinstance(name, Activation):
            name = name.name
        return name == "softmax" or (
            name is None and self._label_binarizer.y_type_ == "multiclass"
        )

    def _output_activation_and_cost(self):
        softmax = self._softmax_output()
        activation = self.output_activation
        if activation is None:
            activation = "softmax" if softmax else "sigmoid"
        cost = self.cost
        if cost is None:
            cost = "categorical_cross_entropy" if softmax else "binary_cross_entropy"
        return activation, cost

    def _sample_weight(self, X, y, sample_weight, incremental):
        weight = super()._sample_weight(X, y, sample_weight, incremental)
        if self.class_weight is None:
            return weight
        if incremental and self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported in partial_fit, because "
                "the class frequencies change from chunk to chunk; pass a dict of "
                "class weights"
            )
        per_class = compute_sample_weight(self.class_weight, y).astype(X.dtype)
        return per_class if weight is None else weight * per_class

    def _score_outputs(self, A, y, sample_weight) -> float:
        if not np.isfinite(A).all():
            return np.nan
        return float(accuracy_score(y, self._decode(A), sample_weight=sample_weight))

    def _probabilities(self, A) -> np.ndarray:
        if A.shape[1] == 1:
            return np.hstack([1 - A, A])
        return A

    def _decode(self, A) -> np.ndarray:
        if self._label_binarizer.y_type_ == "multilabel-indicator":
            return (A > 0.5).astype(np.int64)
        return self.classes_[np.argmax(self._probabilities(A), axis=1)]

    def predict(self, X) -> np.ndarray:
        """Return predicted labels, shape (n_samples,) or (n_samples, n_labels)."""
        return self._decode(self._forward(X))

    def predict_proba(self, X) -> np.ndarray:
        """Return class probabilities, one column per class in ``classes_`` order.

        For multi-label targets each column is the independent probability of
        one label.
        """
        return self._probabilities(self._forward(X))

    def predict_log_proba(self, X) -> np.ndarray:
        """Return the natural logarithm of ``predict_proba(X)``."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class NeuralNetworkRegressor(RegressorMixin, _BaseNeuralNetwork):
    """A fully connected network regressor with ``MLPRegressor``'s interface.

    The parameters from ``loss`` to ``max_fun`` have the names, defaults and
    meaning of scikit-learn 1.9's ``MLPRegressor`` (see
    ``NeuralNetworkClassifier`` for each one); the ones after them are
    layerwise additions.

    Parameters
    ----------
    loss : {"squared_error"}, default="squared_error"
        The loss (1 / 2M)·Σ_j (ŷ_j − y_j)² per sample over M outputs.
        ``MLPRegressor``'s ``"poisson"`` is not implemented.
    hidden_layer_sizes, activation, solver, alpha, batch_size, learning_rate, \
learning_rate_init, power_t, max_iter, shuffle, random_state, tol, verbose, \
warm_start, momentum, nesterovs_momentum, early_stopping, validation_fraction, \
beta_1, beta_2, epsilon, n_iter_no_change, max_fun
        As in ``NeuralNetworkClassifier``; ``early_stopping`` watches the
        validation R² and does not stratify the split.
    dropout, initializer, dtype, callbacks, hidden_layers
        As in ``NeuralNetworkClassifier``.
    output_activation : str, Activation or None, default=None
        g for the output layer; None is the identity.
    cost : str, Cost or None, default=None
        A layerwise cost that replaces ``loss``, by name or instance.

    Attributes
    ----------
    coefs_, intercepts_, network_, loss_, loss_curve_, best_loss_, \
validation_loss_curve_, n_iter_, t_, n_features_in_, feature_names_in_, \
n_layers_, n_outputs_
        As in ``NeuralNetworkClassifier``.
    validation_scores_ : list of float or None
        The validation R² after each epoch, when there is validation data.
    best_validation_score_ : float or None
        The best of ``validation_scores_``.
    out_activation_ : str
        The output activation in sklearn's names, "identity" by default.

    Notes
    -----
    With one output the training matches ``MLPRegressor``. With M > 1 outputs
    it does not: ``MLPRegressor`` back-propagates ŷ − y, M times the gradient
    of the loss it reports, while this estimator uses the gradient of the
    reported loss, (ŷ − y) / M. Plain SGD therefore takes steps M times
    smaller here; Adam, which does not depend on the gradient's scale, is
    barely affected.

    Examples
    --------
    >>> import numpy as np
    >>> from layerwise import NeuralNetworkRegressor
    >>> X = np.linspace(-1, 1, 200).reshape(-1, 1)
    >>> y = X[:, 0] ** 2
    >>> model = NeuralNetworkRegressor(
    ...     hidden_layer_sizes=(32,), solver="lbfgs", tol=1e-8, random_state=0
    ... )
    >>> model.fit(X, y).score(X, y) > 0.95
    True
    """

    _parameter_constraints: ClassVar[dict] = {
        **_BaseNeuralNetwork._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
        output_activation=None,
        cost=None,
        initializer=None,
        dtype=None,
        callbacks=None,
        hidden_layers=None,
    ):
        _set_parameters(self, locals())

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, *, validation_data=None):
        """Train on (X, y) and return the estimator.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Training inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Real targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample in the loss.
        validation_data : tuple (X_val, y_val), default=None
            As in ``NeuralNetworkClassifier.fit``, scored by R².

        Returns
        -------
        NeuralNetworkRegressor
            The fitted estimator.
        """
        return self._fit(
            X, y, sample_weight, incremental=False, validation=validation_data
        )

    @available_if(lambda self: self._check_stochastic_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Train for one epoch on (X, y), continuing from the current weights.

        Returns
        -------
        NeuralNetworkRegressor
            The estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def _check_targets(self, y):
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return y

    def _start_targets(self, y, classes) -> None:
        if self.loss == "poisson":
            raise NotImplementedError(
                "loss='poisson' is not implemented; use loss='squared_error' or pass "
                "a layerwise cost through cost="
            )
        self._target_ndim = y.ndim

    def _encode(self, y) -> np.ndarray:
        return np.asarray(y, dtype=self._dtype).reshape(y.shape[0], -1)

    def _output_activation_and_cost(self):
        activation = self.output_activation or "identity"
        cost = self.cost if self.cost is not None else HalfSquaredError()
        return activation, cost

    def _score_outputs(self, A, y, sample_weight) -> float:
        if not np.isfinite(A).all():
            return np.nan
        return float(r2_score(y, self._decode(A), sample_weight=sample_weight))

    def _decode(self, A) -> np.ndarray:
        return A[:, 0].copy() if self._target_ndim == 1 else A

    def predict(self, X) -> np.ndarray:
        """Return predictions, shape (n_samples,) or (n_samples, n_targets) as y had."""
        return self._decode(self._forward(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
