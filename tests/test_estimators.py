"""Tests of the scikit-learn estimators in layerwise.estimators."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn.exceptions
from sklearn.base import clone
from sklearn.datasets import load_iris, make_classification, make_regression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks

import layerwise
from layerwise.callbacks import Callback
from layerwise.estimators import (
    ConvergenceWarning,
    HalfSquaredError,
    NeuralNetworkClassifier,
    NeuralNetworkRegressor,
)

# Small settings keep the estimator checks fast. The learning rate is raised so
# that 100 epochs of 20 hidden neurons reach the accuracy the checks require.
FAST = {"hidden_layer_sizes": (20,), "max_iter": 100, "learning_rate_init": 0.01}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(
    [
        NeuralNetworkClassifier(**FAST, random_state=0),
        NeuralNetworkRegressor(**FAST, random_state=0),
    ]
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def fit_quietly(model, X, y, **kwargs):
    """Fit ``model``, ignoring the ConvergenceWarning of deliberately short runs."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y, **kwargs)


@pytest.fixture
def blobs():
    X, y = make_classification(
        n_samples=120, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    return X, y


@pytest.fixture
def regression():
    X, y = make_regression(n_samples=100, n_features=5, noise=0.1, random_state=0)
    return X, y / y.std()


# Interface shared with scikit-learn's MLP ----------------------------------


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (NeuralNetworkClassifier, MLPClassifier),
        (NeuralNetworkRegressor, MLPRegressor),
    ],
)
def test_defaults_match_sklearn_mlp(ours, theirs):
    our_params = ours().get_params()
    their_params = theirs().get_params()
    for name, value in their_params.items():
        assert name in our_params, f"{name} is missing"
        assert our_params[name] == value, f"default of {name} differs"


def test_dtype_default_follows_the_input(blobs):
    X, y = blobs
    model = fit_quietly(NeuralNetworkClassifier(**FAST, random_state=0), X, y)
    assert model.coefs_[0].dtype == np.float64
    assert model.predict_proba(X).dtype == np.float64
    single = fit_quietly(
        NeuralNetworkClassifier(**FAST, random_state=0), X.astype(np.float32), y
    )
    assert single.coefs_[0].dtype == np.float32
    assert single.predict_proba(X).dtype == np.float32
    integers = fit_quietly(
        NeuralNetworkClassifier(**FAST, random_state=0), np.round(X).astype(int), y
    )
    assert integers.coefs_[0].dtype == np.float64


def test_float32_parameters(blobs):
    X, y = blobs
    model = NeuralNetworkClassifier(**FAST, dtype="float32", random_state=0)
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    assert model.coefs_[0].dtype == np.float32
    assert model.score(X, y) > 0.8


def test_fitted_attributes_follow_sklearn_layout(blobs):
    X, y = blobs
    model = NeuralNetworkClassifier((7, 5), max_iter=5, random_state=0)
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    assert [c.shape for c in model.coefs_] == [(6, 7), (7, 5), (5, 3)]
    assert [b.shape for b in model.intercepts_] == [(7,), (5,), (3,)]
    dense = model.network_.layers
    np.testing.assert_array_equal(model.coefs_[1], dense[1].W.T)
    np.testing.assert_array_equal(model.intercepts_[2], dense[2].B[:, 0])
    assert model.n_layers_ == 4
    assert model.n_outputs_ == 3
    assert model.out_activation_ == "softmax"
    assert model.n_iter_ == 5
    assert model.t_ == 5 * X.shape[0]
    assert len(model.loss_curve_) == 5
    assert model.best_loss_ == min(model.loss_curve_)
    assert model.validation_scores_ is None
    assert model.n_features_in_ == 6
    np.testing.assert_array_equal(model.classes_, [0, 1, 2])


def test_coefs_setter_writes_network(blobs):
    X, y = blobs
    model = NeuralNetworkClassifier((4,), max_iter=1, random_state=0)
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    new = [np.zeros_like(c) for c in model.coefs_]
    model.coefs_ = new
    model.intercepts_ = [np.zeros_like(b) for b in model.intercepts_]
    np.testing.assert_allclose(model.predict_proba(X), 1 / 3, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match=r"coefs_\[0\] must have shape"):
        model.coefs_ = [np.zeros((2, 2)), *new[1:]]


def test_output_activation_names(blobs, regression):
    X, y = blobs
    binary = fit_quietly(NeuralNetworkClassifier(**FAST, random_state=0), X, y == 0)
    assert binary.out_activation_ == "logistic"
    assert binary.n_outputs_ == 1
    X, y = regression
    regressor = fit_quietly(NeuralNetworkRegressor(**FAST, random_state=0), X, y)
    assert regressor.out_activation_ == "identity"


def test_convergence_warning_is_both_classes(blobs):
    X, y = blobs
    model = NeuralNetworkClassifier((5,), max_iter=3, random_state=0)
    with pytest.warns(sklearn.exceptions.ConvergenceWarning, match="max_iter=3"):
        model.fit(X, y)
    with pytest.warns(layerwise.ConvergenceWarning, match="max_iter=3"):
        model.fit(X, y)


def test_no_warning_when_converged(blobs):
    X, y = blobs
    model = NeuralNetworkClassifier((5,), max_iter=2000, tol=1e-2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(X, y)
    assert model.n_iter_ < 2000


def test_lbfgs_warns_at_max_iter(blobs):
    X, y = blobs
    model = NeuralNetworkClassifier((10,), solver="lbfgs", max_iter=3, random_state=0)
    with pytest.warns(sklearn.exceptions.ConvergenceWarning):
        model.fit(X, y)
    assert model.n_iter_ == 3
    assert not hasattr(model, "loss_curve_")


# Prediction ------------------------------------------------------------------


def test_predict_proba_rows_sum_to_one(blobs):
    X, y = blobs
    model = NeuralNetworkClassifier(**FAST, random_state=0)
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        model.predict_log_proba(X), np.log(proba), rtol=1e-12, atol=0
    )
    np.testing.assert_array_equal(model.predict(X), np.argmax(proba, axis=1))


def test_string_labels_binary():
    X, y = load_iris(return_X_y=True)
    labels = np.where(y == 0, "setosa", "other")
    model = NeuralNetworkClassifier((8,), solver="lbfgs", random_state=0)
    model.fit(X, labels)
    assert set(model.predict(X)) == {"setosa", "other"}
    assert model.predict_proba(X).shape == (150, 2)
    assert model.score(X, labels) == 1.0


def test_binary_softmax_output_uses_two_columns():
    X, y = load_iris(return_X_y=True)
    model = NeuralNetworkClassifier(
        (8,), solver="lbfgs", output_activation="softmax", random_state=0
    )
    model.fit(X, y == 0)
    assert model.n_outputs_ == 2
    assert model.out_activation_ == "softmax"
    assert model.score(X, y == 0) == 1.0


def test_multilabel_classification():
    X, _ = make_classification(n_samples=200, n_features=6, random_state=0)
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0, X[:, 0] + X[:, 1] > 0]).astype(int)
    model = NeuralNetworkClassifier((16,), solver="lbfgs", random_state=0)
    model.fit(X, Y)
    assert model.out_activation_ == "logistic"
    assert model.predict(X).shape == (200, 3)
    assert model.predict_proba(X).shape == (200, 3)
    np.testing.assert_array_equal(model.classes_, [0, 1, 2])
    assert model.score(X, Y) > 0.9


def test_multi_output_regression(regression):
    X, y = regression
    Y = np.column_stack([y, -2 * y])
    model = NeuralNetworkRegressor(
        hidden_layer_sizes=(16,), solver="lbfgs", random_state=0
    )
    model.fit(X, Y)
    assert model.predict(X).shape == (100, 2)
    assert model.n_outputs_ == 2
    assert model.score(X, Y) > 0.95


def test_single_output_regression_predicts_1d(regression):
    X, y = regression
    model = NeuralNetworkRegressor(
        hidden_layer_sizes=(16,), solver="lbfgs", random_state=0
    ).fit(X, y)
    assert model.predict(X).shape == (100,)
    assert model.score(X, y) > 0.95


# Training options --------------------------------------------------------------


def test_early_stopping_records_validation_curves(blobs):
    X, y = blobs
    model = NeuralNetworkClassifier(
        (16,), early_stopping=True, learning_rate_init=0.01, random_state=0
    )
    model.fit(X, y)
    assert model.n_iter_ < 200
    assert len(model.validation_scores_) == model.n_iter_
    assert len(model.validation_loss_curve_) == model.n_iter_
    assert model.best_loss_ is None
    assert model.best_validation_score_ == max(model.validation_scores_)


def test_validation_data_records_curves(blobs):
    X, y = blobs
    model = NeuralNetworkClassifier((8,), max_iter=4, random_state=0)
    with pytest.warns(ConvergenceWarning):
        model.fit(X[:100], y[:100], validation_data=(X[100:], y[100:]))
    assert len(model.validation_loss_curve_) == 4
    assert len(model.validation_scores_) == 4
    assert model.validation_scores_[-1] == model.score(X[100:], y[100:])


def test_invscaling_sets_learning_rate(blobs):
    X, y = blobs
    model = NeuralNetworkClassifier(
        (8,), solver="sgd", learning_rate="invscaling", max_iter=3, random_state=0
    )
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    expected = 0.001 / (3 * X.shape[0] + 1) ** 0.5
    assert model._optimizer.learning_rate == pytest.approx(expected, rel=1e-12)


def test_adaptive_divides_learning_rate_on_plateau(blobs):
    X, y = blobs
    model = NeuralNetworkClassifier(
        (8,),
        solver="sgd",
        learning_rate="adaptive",
        tol=10.0,
        n_iter_no_change=1,
        max_iter=5,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    # Epoch 1 sets best_loss_ and every later epoch misses a tol of 10, so the
    # count exceeds n_iter_no_change=1 after epochs 3 and 5.
    assert model._optimizer.learning_rate == pytest.approx(0.001 / 25, rel=1e-12)


def test_warm_start_continues_training(blobs):
    X, y = blobs
    model = NeuralNetworkClassifier((8,), max_iter=3, warm_start=True, random_state=0)
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    first = [c.copy() for c in model.coefs_]
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    assert len(model.loss_curve_) == 6
    assert model.n_iter_ == 3
    assert model.t_ == 6 * X.shape[0]
    assert not np.allclose(first[0], model.coefs_[0])


def test_warm_start_after_turning_early_stopping_off(blobs):
    X, y = blobs
    model = NeuralNetworkClassifier(
        (8,), max_iter=3, warm_start=True, early_stopping=True, random_state=0
    )
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    model.set_params(early_stopping=False)

    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)

    assert len(model.loss_curve_) == 6
    assert model.best_loss_ == min(model.loss_curve_[3:])


def test_partial_fit_needs_classes_first(blobs):
    X, y = blobs
    model = NeuralNetworkClassifier((8,), random_state=0)
    with pytest.raises(ValueError, match="classes must be passed"):
        model.partial_fit(X, y)


def test_partial_fit_accepts_chunk_missing_class(blobs):
    X, y = blobs
    model = NeuralNetworkClassifier((16,), learning_rate_init=0.02, random_state=0)
    chunk = y != 2
    model.partial_fit(X[chunk], y[chunk], classes=[0, 1, 2])
    assert model.n_outputs_ == 3
    assert model.predict_proba(X).shape == (120, 3)
    for _ in range(100):
        model.partial_fit(X, y)
    assert model.n_iter_ == 1
    assert len(model.loss_curve_) == 101
    assert model.score(X, y) > 0.8


def test_partial_fit_regressor(regression):
    X, y = regression
    model = NeuralNetworkRegressor(
        hidden_layer_sizes=(8,), learning_rate_init=0.01, random_state=0
    )
    for _ in range(100):
        model.partial_fit(X, y)
    assert model.t_ == 100 * X.shape[0]
    assert model.loss_curve_[-1] < model.loss_curve_[0]


def test_lbfgs_has_no_partial_fit():
    assert not hasattr(NeuralNetworkClassifier(solver="lbfgs"), "partial_fit")
    assert hasattr(NeuralNetworkClassifier(solver="sgd"), "partial_fit")


def test_sample_weight_equals_repetition_with_lbfgs():
    X, y = load_iris(return_X_y=True)
    weight = np.ones(len(y))
    weight[:10] = 3
    repeated = np.r_[np.arange(len(y)), np.repeat(np.arange(10), 2)]
    # A fixed number of iterations with no stopping test, so both runs take the
    # same steps; the objectives are equal up to rounding.
    params = {
        "hidden_layer_sizes": (5,),
        "solver": "lbfgs",
        "random_state": 0,
        "max_iter": 15,
        "tol": 0.0,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        weighted = NeuralNetworkClassifier(**params).fit(X, y, sample_weight=weight)
        copied = NeuralNetworkClassifier(**params).fit(X[repeated], y[repeated])
    assert weighted.n_iter_ == copied.n_iter_
    np.testing.assert_allclose(
        weighted.predict_proba(X), copied.predict_proba(X), rtol=0, atol=1e-6
    )


def test_class_weight_shifts_predictions(blobs):
    X, y = blobs
    params = {
        "hidden_layer_sizes": (8,),
        "solver": "lbfgs",
        "max_iter": 3000,
        "random_state": 0,
    }
    plain = NeuralNetworkClassifier(**params).fit(X, y)
    heavy = NeuralNetworkClassifier(**params, class_weight={0: 1, 1: 1, 2: 50})
    heavy.fit(X, y)
    assert (heavy.predict(X) == 2).sum() > (plain.predict(X) == 2).sum()


def test_dropout_trains(blobs):
    X, y = blobs
    model = NeuralNetworkClassifier(
        (32,), dropout=0.2, learning_rate_init=0.01, random_state=0
    )
    fit_quietly(model, X, y)
    assert [type(layer).__name__ for layer in model.network_.layers] == [
        "Dense",
        "Dropout",
        "Dense",
    ]
    assert len(model.coefs_) == 2
    assert model.score(X, y) > 0.8


def test_callbacks_see_every_epoch(blobs):
    X, y = blobs

    class Recorder(Callback):
        def __init__(self):
            self.epochs = []

        def on_epoch_end(self, epoch, logs):
            self.epochs.append(epoch)
            if epoch == 4:
                self.model.stop_training = True

    recorder = Recorder()
    model = NeuralNetworkClassifier((8,), callbacks=[recorder], random_state=0)
    model.fit(X, y)
    assert recorder.epochs == [1, 2, 3, 4]
    assert recorder.model is model
    assert model.n_iter_ == 4


def test_half_squared_error_gradient():
    rng = np.random.default_rng(0)
    A, Y = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    cost = HalfSquaredError()
    np.testing.assert_allclose(
        cost.cost(A, Y), 0.5 * np.mean((A - Y) ** 2), rtol=1e-12, atol=0
    )
    gradient = cost.gradient(A, Y) / A.shape[1]
    step = 1e-6
    for index in np.ndindex(A.shape):
        shifted = A.copy()
        shifted[index] += step
        numeric = (cost.cost(shifted, Y) - cost.cost(A, Y)) / step
        assert gradient[index] == pytest.approx(numeric, rel=1e-4, abs=1e-8)


# Parameter validation ------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"alpha": -1.0}, "'alpha' parameter"),
        ({"activation": "swish"}, "'activation' parameter"),
        ({"solver": "newton"}, "'solver' parameter"),
        ({"batch_size": 0}, "'batch_size' parameter"),
        ({"dtype": "float16"}, "'dtype' parameter"),
        ({"validation_fraction": 1.0}, "'validation_fraction' parameter"),
        ({"momentum": 1.0}, "'momentum' parameter"),
    ],
)
def test_invalid_parameter_names_parameter(blobs, params, match):
    X, y = blobs
    with pytest.raises(InvalidParameterError, match=match):
        NeuralNetworkClassifier(**params).fit(X, y)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"hidden_layer_sizes": (4, 0)}, "hidden_layer_sizes must contain positive"),
        ({"dropout": (0.1, 0.2)}, "lists 2 rates but hidden_layer_sizes has 1"),
        ({"dropout": 0.5, "solver": "lbfgs"}, "needs a stochastic solver"),
        ({"output_activation": "swish"}, "unknown activation 'swish'"),
        ({"cost": "hinge"}, "unknown cost 'hinge'"),
        ({"initializer": "ones"}, "unknown initializer 'ones'"),
    ],
)
def test_invalid_settings_raise_value_error(blobs, params, match):
    X, y = blobs
    with pytest.raises(ValueError, match=match):
        NeuralNetworkClassifier(**params).fit(X, y)


def test_poisson_loss_not_implemented(regression):
    X, y = regression
    with pytest.raises(NotImplementedError, match="loss='poisson'"):
        NeuralNetworkRegressor(loss="poisson").fit(X, np.abs(y))


def test_partial_fit_rejects_early_stopping(regression):
    X, y = regression
    with pytest.raises(ValueError, match="early_stopping"):
        NeuralNetworkRegressor(early_stopping=True).partial_fit(X, y)


def test_partial_fit_rejects_balanced_class_weight(blobs):
    X, y = blobs
    model = NeuralNetworkClassifier(class_weight="balanced")
    with pytest.raises(ValueError, match="'balanced' is not supported"):
        model.partial_fit(X, y, classes=[0, 1, 2])


def test_unknown_label_in_partial_fit(blobs):
    X, y = blobs
    model = NeuralNetworkClassifier((4,), random_state=0)
    model.partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="label 7"):
        model.partial_fit(X[:3], [0, 1, 7])


# scikit-learn tools and pandas ---------------------------------------------


def test_pipeline_with_standard_scaler():
    X, y = load_iris(return_X_y=True)
    pipeline = make_pipeline(
        StandardScaler(),
        NeuralNetworkClassifier((16,), learning_rate_init=0.01, random_state=0),
    )
    fit_quietly(pipeline, X, y)
    assert pipeline.score(X, y) > 0.95


def test_grid_search_two_jobs():
    X, y = load_iris(return_X_y=True)
    search = GridSearchCV(
        NeuralNetworkClassifier(solver="lbfgs", max_iter=3000, random_state=0),
        {"hidden_layer_sizes": [(4,), (8,)], "alpha": [1e-2, 1e-1]},
        cv=3,
        n_jobs=2,
    )
    search.fit(X, y)
    assert search.best_score_ > 0.9
    assert set(search.best_params_) == {"hidden_layer_sizes", "alpha"}


def test_cross_val_score_regressor(regression):
    X, y = regression
    model = NeuralNetworkRegressor(
        hidden_layer_sizes=(16,), solver="lbfgs", random_state=0
    )
    scores = cross_val_score(model, X, y, cv=3)
    assert scores.shape == (3,)
    assert scores.min() > 0.9


def test_clone_keeps_parameters_not_state(blobs):
    X, y = blobs
    model = NeuralNetworkClassifier((8,), dropout=0.1, class_weight="balanced")
    fit_quietly(model, X, y)
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    assert not hasattr(copy, "network_")


def test_pandas_dataframe_and_series():
    data = load_iris(as_frame=True)
    X, y = data.data, data.target.map(dict(enumerate(data.target_names)))
    assert isinstance(X, pd.DataFrame)
    model = NeuralNetworkClassifier((8,), solver="lbfgs", random_state=0).fit(X, y)
    np.testing.assert_array_equal(model.feature_names_in_, X.columns)
    assert set(model.classes_) == set(data.target_names)
    assert model.score(X, y) > 0.95
    with pytest.warns(UserWarning, match="feature names"):
        model.predict(X.to_numpy())


def test_pickle_round_trip(regression):
    X, y = regression
    model = NeuralNetworkRegressor(
        hidden_layer_sizes=(8,), solver="lbfgs", random_state=0
    ).fit(X, y)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))


def test_exported_from_package():
    assert layerwise.NeuralNetworkClassifier is NeuralNetworkClassifier
    assert layerwise.NeuralNetworkRegressor is NeuralNetworkRegressor


@pytest.mark.parametrize("early_stopping", [False, True])
def test_classifier_follows_mlp_from_the_same_seed(early_stopping):
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    options = {"max_iter": 30, "random_state": 3, "early_stopping": early_stopping}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sklearn.exceptions.ConvergenceWarning)
        reference = MLPClassifier(**options).fit(X, y)
        model = NeuralNetworkClassifier(**options).fit(X, y)
    # Equal seeds give equal initial weights and batch orders; only Adam's
    # placement of epsilon (PyTorch's, not scikit-learn's) differs.
    assert model.loss_ == pytest.approx(reference.loss_, rel=1e-4)
    np.testing.assert_allclose(model.coefs_[0], reference.coefs_[0], atol=1e-3)
    np.testing.assert_array_equal(model.predict(X), reference.predict(X))


def test_classifier_with_convolutional_hidden_layers():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    from layerwise import Conv2D, Flatten, MaxPool2D, Reshape

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X / 16, y, test_size=0.2, stratify=y, random_state=0
    )
    hidden = [
        Reshape((1, 8, 8)),
        Conv2D(8, 3, activation="relu"),
        MaxPool2D(2),
        Flatten(),
    ]
    model = NeuralNetworkClassifier(
        hidden_layers=hidden, max_iter=30, learning_rate_init=0.01, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
        copy = clone(model).fit(X_train, y_train)
    assert model.score(X_test, y_test) > 0.93
    assert model.n_layers_ == 3
    assert [coef.shape for coef in model.coefs_] == [(72, 10)]
    assert copy.hidden_layers[1] is not model.hidden_layers[1]
    np.testing.assert_array_equal(copy.predict(X_test), model.predict(X_test))
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(
        restored.predict_proba(X_test), model.predict_proba(X_test)
    )


def test_hidden_layers_must_be_layers():
    with pytest.raises(ValueError, match="layerwise layers"):
        NeuralNetworkClassifier(hidden_layers=[64]).fit([[0.0], [1.0]], [0, 1])


@pytest.mark.parametrize(
    "options",
    [
        {"learning_rate": "invscaling"},
        {"learning_rate": "invscaling", "momentum": 0.5, "nesterovs_momentum": False},
        {"learning_rate": "adaptive", "max_iter": 120},
    ],
)
def test_sgd_schedules_follow_mlp(options):
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    settings = {
        "solver": "sgd",
        "learning_rate_init": 0.5,
        "max_iter": 30,
        "random_state": 0,
        **options,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sklearn.exceptions.ConvergenceWarning)
        reference = MLPClassifier(**settings).fit(X, y)
        model = NeuralNetworkClassifier(**settings).fit(X, y)
    np.testing.assert_allclose(model.loss_curve_, reference.loss_curve_, rtol=1e-9)
