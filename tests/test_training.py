"""Training features: penalties, dropout, weights, validation, convergence, guards."""

import pickle

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_iris

from layerwise import (
    Adam,
    ConvergenceWarning,
    Dense,
    DivergenceError,
    Network,
    NeuralNetwork,
    check_gradients,
)
from layerwise.callbacks import Callback
from layerwise.layers import Dropout


@pytest.fixture
def iris():
    return load_iris(return_X_y=True)


def test_penalty_gradients_match_finite_differences():
    rng = np.random.default_rng(1)
    network = Network([Dense(5, "tanh"), Dense(3, "softmax")], "cce", alpha=0.3, l1=0.2)
    network.build(4, rng, np.float64)
    X = rng.normal(size=(7, 4))
    Y = np.eye(3)[rng.integers(0, 3, 7)]
    errors = check_gradients(network, X, Y)
    assert max(errors.values()) < 1e-7


def test_l2_penalty_value_excludes_biases():
    network = Network([Dense(2, "identity")], "mse", alpha=0.5)
    network.build(2, np.random.default_rng(0), np.float64)
    network.layers[0].params["W"][...] = [[1.0, 2.0], [3.0, 4.0]]
    network.layers[0].params["B"][...] = 100.0
    A0 = np.zeros((2, 4))
    Y = np.full((2, 4), 100.0)
    network.forward(A0)
    data_cost = network.compute_cost(Y)
    objective = network.compute_cost(Y, include_penalty=True)
    assert data_cost == 0.0
    # alpha / (2·N)·‖W‖² = 0.5 / 8 · 30
    assert objective == pytest.approx(0.5 / 8 * 30)


def test_l2_penalty_shrinks_weights(iris):
    X, y = iris
    plain = NeuralNetwork((8,), standardize=True, random_state=0)
    penalised = NeuralNetwork((8,), standardize=True, random_state=0, alpha=30.0)
    plain.fit(X, y, epochs=100)
    penalised.fit(X, y, epochs=100)
    norm = [np.linalg.norm(m.network_.layers[0].W) for m in (plain, penalised)]
    assert norm[1] < 0.7 * norm[0]


def test_dropout_scaling_and_prediction_mode():
    layer = Dropout(0.25)
    layer.build(4, np.random.default_rng(0), np.float64)
    A = np.ones((4, 20000))
    out = layer.forward(A, training=True)
    kept = out != 0
    assert np.allclose(out[kept], 1 / 0.75)
    assert abs(kept.mean() - 0.75) < 0.01
    assert layer.forward(A, training=False) is A


def test_dropout_backward_uses_the_same_mask():
    layer = Dropout(0.5)
    layer.build(3, np.random.default_rng(0), np.float64)
    out = layer.forward(np.ones((3, 50)), training=True).copy()
    grad = layer.backward(np.ones((3, 50)))
    np.testing.assert_array_equal(grad, out)


def test_dropout_model_is_reproducible(iris):
    X, y = iris
    runs = []
    for _ in range(2):
        model = NeuralNetwork((16,), dropout=0.3, standardize=True, random_state=3)
        model.fit(X, y, epochs=20, batch_size=16)
        runs.append(model.network_.layers[0].W.copy())
    np.testing.assert_array_equal(runs[0], runs[1])


def test_sample_weight_equals_duplicated_samples(iris):
    X, y = iris
    weight = np.ones(len(y))
    weight[:10] = 3.0
    X_dup = np.vstack([X, X[:10], X[:10]])
    y_dup = np.concatenate([y, y[:10], y[:10]])
    weighted = NeuralNetwork((6,), random_state=0, dtype="float64", alpha=0.1)
    duplicated = NeuralNetwork((6,), random_state=0, dtype="float64", alpha=0.1)
    weighted.fit(X, y, epochs=5, sample_weight=weight)
    duplicated.fit(X_dup, y_dup, epochs=5)
    for a, b in zip(
        weighted.network_.parameters(), duplicated.network_.parameters(), strict=True
    ):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_negative_sample_weight_is_rejected(iris):
    X, y = iris
    weight = np.ones(len(y))
    weight[7] = -1
    with pytest.raises(ValueError, match=r"non-negative, got -1.0 at index 7"):
        NeuralNetwork().fit(X, y, epochs=1, sample_weight=weight)


def test_class_weight_equals_matching_sample_weight():
    X, y = load_breast_cancer(return_X_y=True)
    counts = np.bincount(y)
    balanced = len(y) / (2 * counts)
    by_class = NeuralNetwork((4,), standardize=True, random_state=0, dtype="float64")
    by_sample = NeuralNetwork((4,), standardize=True, random_state=0, dtype="float64")
    by_class.fit(X, y, epochs=5, class_weight="balanced")
    by_sample.fit(X, y, epochs=5, sample_weight=balanced[y])
    for a, b in zip(
        by_class.network_.parameters(), by_sample.network_.parameters(), strict=True
    ):
        np.testing.assert_allclose(a, b, rtol=1e-10)


def test_validation_fraction_is_stratified_and_logged():
    X, y = load_breast_cancer(return_X_y=True)
    labels = np.where(y == 1, "benign", "malignant")
    model = NeuralNetwork((8,), standardize=True, random_state=0)
    history = model.fit(X, labels, epochs=30, validation_fraction=0.25)
    assert len(history["val_cost"]) == 30
    assert history["val_accuracy"][-1] > 0.9
    assert model.predict(X[:2]).dtype.kind == "U"


def test_validation_fraction_too_small_names_the_fix(iris):
    X, y = iris
    with pytest.raises(ValueError, match="increase validation_fraction"):
        NeuralNetwork(random_state=0).fit(X, y, epochs=1, validation_fraction=0.01)


def test_tol_stops_early_without_warning(iris):
    X, y = iris
    model = NeuralNetwork(
        (8,), standardize=True, random_state=0, tol=1e-2, n_iter_no_change=5
    )
    model.fit(X, y, epochs=500)
    assert model.n_epochs_ < 500


def test_epoch_limit_warns_with_convergence_warning(iris):
    X, y = iris
    model = NeuralNetwork((8,), standardize=True, random_state=0, tol=1e-6)
    with pytest.warns(ConvergenceWarning, match="epochs=3"):
        model.fit(X, y, epochs=3)


def test_divergence_raises_and_keeps_finite_weights():
    X = np.arange(10.0).reshape(-1, 1)
    y = 1000.0 * np.arange(10.0)
    model = NeuralNetwork((4,), activation="tanh", random_state=0)
    with pytest.raises(DivergenceError, match=r"diverged at epoch \d+") as caught:
        model.fit(X, y, epochs=100, learning_rate=1.0)
    assert caught.value.epoch >= 1
    assert model.network_.all_finite()
    assert "learning rate" in str(caught.value)


def test_divergence_with_validation_split():
    X = np.arange(20.0).reshape(-1, 1)
    y = 1000.0 * np.arange(20.0)
    model = NeuralNetwork((4,), activation="tanh", random_state=0)
    with pytest.raises(DivergenceError, match="diverged at epoch"):
        model.fit(X, y, epochs=100, learning_rate=1.0, validation_fraction=0.2)
    assert model.network_.all_finite()


class _InterruptAt(Callback):
    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs):
        self.saved = [p.copy() for p in self.model.network_.parameters()]
        if epoch == self.epoch:
            raise KeyboardInterrupt


def test_keyboard_interrupt_keeps_last_completed_epoch(iris):
    X, y = iris
    model = NeuralNetwork((8,), standardize=True, random_state=0)
    interrupt = _InterruptAt(4)
    with pytest.warns(UserWarning, match="interrupted"):
        history = model.fit(X, y, epochs=50, callbacks=[interrupt])
    assert len(history["cost"]) == 4
    for saved, value in zip(interrupt.saved, model.network_.parameters(), strict=True):
        np.testing.assert_array_equal(saved, value)


def test_partial_fit_declared_class_absent_from_first_batch(iris):
    X, y = iris
    first = y != 2
    model = NeuralNetwork((8,), standardize=True, random_state=0)
    model.partial_fit(X[first], y[first], classes=[0, 1, 2])
    model.partial_fit(X[y == 2][:5], y[y == 2][:5])
    assert model.classes_.tolist() == [0, 1, 2]
    assert model.predict_proba(X).shape == (150, 3)
    for _ in range(200):
        model.partial_fit(X, y, learning_rate=0.2)
    assert model.score(X, y) > 0.9


def test_partial_fit_rejects_labels_outside_declared_classes(iris):
    X, y = iris
    with pytest.raises(ValueError, match="not in classes"):
        NeuralNetwork().partial_fit(X, y, classes=[0, 1])


def test_partial_fit_multilabel():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0]).astype(int)
    model = NeuralNetwork((8,), random_state=0)
    for _ in range(100):
        model.partial_fit(X, Y, learning_rate=0.5)
    assert model.predict(X).shape == (200, 2)
    assert (model.predict(X) == Y).mean() > 0.9


def test_warm_start_continues_from_current_weights(iris):
    X, y = iris
    model = NeuralNetwork((8,), standardize=True, random_state=0, warm_start=True)
    model.fit(X, y, epochs=5)
    before = model.network_.layers[0].W.copy()
    model.fit(X, y, epochs=1, learning_rate=1e-12)
    np.testing.assert_allclose(model.network_.layers[0].W, before, atol=1e-6)


def test_standardized_targets_round_trip(tmp_path):
    from sklearn.datasets import load_diabetes

    import layerwise

    X, y = load_diabetes(return_X_y=True)
    model = NeuralNetwork(
        (16,), standardize=True, standardize_targets=True, random_state=0
    )
    model.fit(X[:350], y[:350], epochs=100, batch_size=32, learning_rate=0.01)
    encoder = model._target_encoder
    assert encoder.target_mean[0] == pytest.approx(y[:350].mean())
    assert encoder.target_scale[0] == pytest.approx(y[:350].std())
    assert model.evaluate(X[350:], y[350:])["r2"] > 0.4
    assert abs(model.predict(X).mean() - y.mean()) < 20
    path = tmp_path / "diabetes.safetensors"
    model.save(path)
    assert np.array_equal(layerwise.load(path).predict(X), model.predict(X))


class _RecordParameters(Callback):
    def __init__(self):
        self.by_epoch = {}

    def on_epoch_end(self, epoch, logs):
        self.by_epoch[epoch] = [p.copy() for p in self.model.network_.parameters()]


def test_early_stopping_restores_best_epoch():
    from layerwise import EarlyStopping

    X, y = load_breast_cancer(return_X_y=True)
    record = _RecordParameters()
    stopper = EarlyStopping(monitor="val_cost", patience=1000)
    model = NeuralNetwork((16,), standardize=True, random_state=0)
    history = model.fit(
        X,
        y,
        epochs=40,
        learning_rate=2.0,
        validation_fraction=0.3,
        callbacks=[record, stopper],
    )
    best = int(np.argmin(history["val_cost"])) + 1
    assert stopper.best_epoch == best
    assert best < 40
    for saved, value in zip(
        record.by_epoch[best], model.network_.parameters(), strict=True
    ):
        np.testing.assert_array_equal(saved, value)


def test_zero_sample_weight_equals_removing_the_row(iris):
    X, y = iris
    weight = np.ones(len(y))
    weight[[3, 60, 120]] = 0.0
    keep = weight > 0
    zeroed = NeuralNetwork((6,), random_state=0, dtype="float64", alpha=0.1)
    removed = NeuralNetwork((6,), random_state=0, dtype="float64", alpha=0.1)
    zeroed.fit(X, y, epochs=5, sample_weight=weight)
    removed.fit(X[keep], y[keep], epochs=5)
    for a, b in zip(
        zeroed.network_.parameters(), removed.network_.parameters(), strict=True
    ):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_balanced_class_weight_raises_minority_recall():
    from sklearn.datasets import make_classification
    from sklearn.metrics import recall_score

    X, y = make_classification(
        n_samples=600, weights=[0.95], flip_y=0.02, class_sep=0.6, random_state=0
    )
    plain = NeuralNetwork((8,), standardize=True, random_state=0)
    balanced = NeuralNetwork((8,), standardize=True, random_state=0)
    plain.fit(X, y, epochs=100, learning_rate=0.3)
    balanced.fit(X, y, epochs=100, learning_rate=0.3, class_weight="balanced")
    recall_plain = recall_score(y, plain.predict(X))
    recall_balanced = recall_score(y, balanced.predict(X))
    assert recall_balanced > recall_plain + 0.1


def test_dropout_gradient_check_with_fixed_mask():
    rng = np.random.default_rng(0)
    network = Network([Dense(6, "tanh"), Dropout(0.5), Dense(2, "softmax")], "cce")
    network.build(3, rng, np.float64)
    A0 = rng.normal(size=(3, 5))
    Y = np.eye(2)[rng.integers(0, 2, 5)].T
    dropout = network.layers[1]
    network.forward(A0, training=True)
    mask = dropout._mask.copy()

    def objective():
        # Replay the same mask by passing the hidden output through it by hand.
        A1 = network.layers[0].forward(A0)
        network.layers[2].forward(A1 * mask)
        return network.compute_cost(Y)

    network.layers[0].forward(A0)
    dropout.forward(network.layers[0].last_output, training=False)
    A1 = network.layers[0].last_output * mask
    network.layers[2].forward(A1)
    dropout._mask = mask
    dA1 = network.layers[2].backward_from_pre_activation(
        network.cost.gradient_from_logits(network.layers[2].last_output, Y)
    )
    network.layers[0].backward(dropout.backward(dA1.copy()), need_input_gradient=False)
    analytic = network.layers[0].dW.copy()
    W = network.layers[0].params["W"]
    numeric = np.empty_like(W)
    for index in np.ndindex(W.shape):
        original = W[index]
        W[index] = original + 1e-6
        plus = objective()
        W[index] = original - 1e-6
        minus = objective()
        W[index] = original
        numeric[index] = (plus - minus) / 2e-6
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)


def test_dropout_inference_is_deterministic(iris):
    X, y = iris
    model = NeuralNetwork((16,), dropout=0.5, standardize=True, random_state=0)
    model.fit(X, y, epochs=10)
    np.testing.assert_array_equal(model.predict_proba(X), model.predict_proba(X))


def test_learning_rate_100_regression_diverges_with_finite_weights():
    X = np.linspace(-1, 1, 30).reshape(-1, 1)
    y = 3 * X[:, 0] + 1
    model = NeuralNetwork((8,), activation="tanh", random_state=0)
    with pytest.raises(DivergenceError, match="diverged at epoch"):
        model.fit(X, y, epochs=200, learning_rate=100.0)
    assert model.network_.all_finite()


def test_lbfgs_cost_within_one_percent_of_sklearn():
    import warnings

    from sklearn.exceptions import ConvergenceWarning as SklearnConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler

    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    reference = MLPClassifier(
        (10,), solver="lbfgs", alpha=1e-3, max_iter=1, warm_start=True, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SklearnConvergenceWarning)
        reference.fit(X, y)
    model = NeuralNetwork((10,), alpha=1e-3, dtype="float64", warm_start=True)
    model.fit(X, y, epochs=1, learning_rate=1e-3)
    # Start both from the same weights; scikit-learn stores Wᵀ and B as a row.
    for layer, coef, intercept in zip(
        model.network_.layers, reference.coefs_, reference.intercepts_, strict=True
    ):
        layer.params["W"][...] = coef.T
        layer.params["B"][...] = intercept.reshape(-1, 1)
    reference.max_iter = 2000
    reference.fit(X, y)
    model.fit(X, y, optimizer="lbfgs", epochs=2000)
    assert model.history_["cost"][-1] <= 1.01 * reference.loss_


@pytest.mark.parametrize("seed", range(5))
def test_digits_with_adam_and_early_stopping(seed):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    from layerwise import EarlyStopping

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, stratify=y, random_state=seed
    )
    model = NeuralNetwork((128,), standardize=True, random_state=seed)
    model.fit(
        X_train,
        y_train,
        epochs=60,
        batch_size=32,
        optimizer="adam",
        validation_fraction=0.1,
        callbacks=[EarlyStopping(patience=8)],
    )
    accuracy = model.score(X_test, y_test)
    test_digits_with_adam_and_early_stopping.scores.append(accuracy)
    assert accuracy > 0.95
    if len(test_digits_with_adam_and_early_stopping.scores) == 5:
        assert np.mean(test_digits_with_adam_and_early_stopping.scores) >= 0.975


test_digits_with_adam_and_early_stopping.scores = []


def test_partial_fit_continues_a_loaded_model(iris, tmp_path):
    import layerwise

    X, y = iris
    model = NeuralNetwork((8,), standardize=True, random_state=0)
    model.fit(X, y, epochs=5, optimizer="adam")
    path = tmp_path / "model.safetensors"
    model.save(path)
    loaded = layerwise.load(path)
    before = loaded.network_.layers[0].W.copy()
    loaded.partial_fit(X, y, learning_rate=0.1)
    assert not np.array_equal(loaded.network_.layers[0].W, before)
    assert loaded.optimizer_.name == "sgd"


def test_trained_network_keeps_no_batch_arrays():
    X = np.random.default_rng(0).standard_normal((64, 5))
    model = NeuralNetwork((16, 8), dropout=0.5, random_state=0)
    model.fit(X, X[:, 0] > 0.5, epochs=2, batch_size=16, optimizer="adam")
    layers = model.network_.layers

    for layer in layers:
        assert layer.workspace._arrays == {}
        assert layer._cache is None
    assert all(getattr(layer, "_mask", None) is None for layer in layers)
    assert "_log_normalizer" not in vars(layers[-1].activation)
    with pytest.raises(RuntimeError, match="call forward first"):
        layers[-1].last_output  # noqa: B018
    assert model.predict(X).shape == (64,)  # prediction makes its own arrays


def test_pickled_model_leaves_out_batch_arrays():
    X = np.random.default_rng(0).standard_normal((2000, 5))
    model = NeuralNetwork((16,), random_state=0)
    model.fit(X[:64], X[:64, 0] > 0, epochs=1)
    small = len(pickle.dumps(model))

    model.predict_proba(X)  # caches 2,000-column activations in every layer
    restored = pickle.loads(pickle.dumps(model))

    assert len(pickle.dumps(model)) == small
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))


def test_dropout_backward_after_training_asks_for_forward():
    X = np.random.default_rng(0).standard_normal((40, 3))
    model = NeuralNetwork((5,), dropout=0.3, random_state=0)
    model.fit(X, X[:, 0] > 0, epochs=2)
    dropout = next(
        layer for layer in model.network_.layers if isinstance(layer, Dropout)
    )

    with pytest.raises(RuntimeError, match="call forward first"):
        dropout.backward(np.ones((5, 40)))


def test_lbfgs_fit_releases_batch_arrays():
    X = np.random.default_rng(0).standard_normal((40, 3))
    model = NeuralNetwork((5,), random_state=0)
    model.fit(X, X[:, 0] > 0, epochs=20, optimizer="lbfgs")

    assert all(layer._cache is None for layer in model.network_.layers)


def test_invalid_learning_rate_leaves_model_and_optimizer_alone():
    X = np.random.default_rng(0).standard_normal((40, 3))
    optimizer = Adam(0.01)
    model = NeuralNetwork((5,), random_state=0, warm_start=True)
    model.fit(X, X[:, 0] > 0, epochs=3, optimizer=optimizer)
    weights = model.network_.parameters()[0].copy()

    for bad in (-1, 0.0, float("nan"), "0.1"):
        with pytest.raises(ValueError, match="learning_rate must be"):
            model.fit(X, X[:, 0] > 0, epochs=1, optimizer=optimizer, learning_rate=bad)

    assert optimizer.iterations == 3
    assert optimizer.learning_rate == 0.01
    np.testing.assert_array_equal(model.network_.parameters()[0], weights)
