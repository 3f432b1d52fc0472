"""Full-batch L-BFGS-B training of a Network on the iris data."""

import numpy as np
import pytest
from sklearn.datasets import load_iris

from layerwise.exceptions import ConvergenceWarning
from layerwise.layers import Dense
from layerwise.lbfgs import minimize_lbfgs
from layerwise.network import Network


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    Y = np.eye(3)[y]
    return X.T.copy(), Y.T.copy(), y


def make_network(dtype=np.float64):
    network = Network(
        [Dense(8, "tanh"), Dense(3, "softmax")], "categorical_cross_entropy"
    )
    network.build(4, np.random.default_rng(0), dtype)
    return network


def accuracy(network, A0, y):
    return float(np.mean(network.forward(A0).argmax(axis=0) == y))


def test_lbfgs_fits_iris(iris):
    A0, Y, y = iris
    network = make_network()
    start_cost = network.cost_and_gradients(A0, Y)

    n_iter, cost = minimize_lbfgs(network, A0, Y, max_iter=300)

    assert start_cost > 0.5
    assert cost < 0.05
    assert n_iter <= 300
    assert accuracy(network, A0, y) >= 0.98


@pytest.mark.filterwarnings("ignore::layerwise.exceptions.ConvergenceWarning")
def test_lbfgs_writes_optimum_back(iris):
    A0, Y, _ = iris
    network = make_network()

    result = minimize_lbfgs(network, A0, Y, max_iter=50, tol=1e-12, max_fun=60)

    network.forward(A0)
    assert network.compute_cost(Y) == pytest.approx(result.cost, rel=1e-12)


def test_lbfgs_respects_max_iter(iris):
    A0, Y, _ = iris
    network = make_network()

    with pytest.warns(ConvergenceWarning, match="max_iter=5"):
        n_iter, cost = minimize_lbfgs(network, A0, Y, max_iter=5)

    assert 1 <= n_iter <= 5
    assert cost < network.cost.cost(np.full_like(Y, 1 / 3), Y)


def test_lbfgs_keeps_float32_parameters(iris):
    A0, Y, y = iris
    network = make_network(np.float32)

    minimize_lbfgs(network, A0.astype(np.float32), Y.astype(np.float32), max_iter=200)

    assert all(value.dtype == np.float32 for value in network.parameters())
    assert accuracy(network, A0.astype(np.float32), y) >= 0.95


def test_lbfgs_l2_penalty_shrinks_weights(iris):
    A0, Y, _ = iris
    plain = make_network()
    penalized = make_network()

    minimize_lbfgs(plain, A0, Y, max_iter=200)
    _, cost = minimize_lbfgs(penalized, A0, Y, max_iter=200, l2_penalty=5.0)

    def weight_norm(network):
        return sum(float(np.sum(layer.W**2)) for layer in network.layers)

    assert weight_norm(penalized) < weight_norm(plain)
    penalty = 5.0 / (2 * A0.shape[1]) * weight_norm(penalized)
    penalized.forward(A0)
    assert cost == pytest.approx(penalized.compute_cost(Y) + penalty, rel=1e-10)


@pytest.mark.filterwarnings("ignore::layerwise.exceptions.ConvergenceWarning")
def test_lbfgs_callable_penalty_matches_float(iris):
    A0, Y, _ = iris
    strength = 2.0 / A0.shape[1]

    def penalty(params, grads):
        total = 0.0
        for param, grad in zip(params, grads, strict=True):
            if param.shape[1] > 1:  # the weight matrices, not the bias columns
                total += 0.5 * strength * float(np.sum(param**2))
                grad += strength * param
        return total

    by_float = minimize_lbfgs(make_network(), A0, Y, max_iter=30, l2_penalty=2.0)
    by_callable = minimize_lbfgs(make_network(), A0, Y, max_iter=30, l2_penalty=penalty)

    assert by_callable.n_iter == by_float.n_iter
    assert by_callable.cost == pytest.approx(by_float.cost, rel=1e-12)


@pytest.mark.filterwarnings("ignore::layerwise.exceptions.ConvergenceWarning")
def test_lbfgs_sample_weight_zero_ignores_samples(iris):
    A0, Y, _ = iris
    weight = np.ones(A0.shape[1])
    weight[100:] = 0.0
    weighted = make_network()
    subset = make_network()

    result = minimize_lbfgs(weighted, A0, Y, sample_weight=weight, max_iter=40)
    expected = minimize_lbfgs(subset, A0[:, :100], Y[:, :100], max_iter=40)

    assert result.cost == pytest.approx(expected.cost, rel=1e-8)


@pytest.mark.parametrize(
    ("arguments", "match"),
    [
        ({"max_iter": 0}, "max_iter must be a positive integer"),
        ({"max_fun": -3}, "max_fun must be a positive integer"),
        ({"tol": -1e-3}, "tol must be a finite number >= 0"),
    ],
)
def test_lbfgs_invalid_arguments_raise(iris, arguments, match):
    A0, Y, _ = iris

    with pytest.raises(ValueError, match=match):
        minimize_lbfgs(make_network(), A0, Y, **arguments)


def test_lbfgs_weighted_penalty_divides_by_weight_sum(iris):
    A0, Y, _ = iris
    weight = np.full(A0.shape[1], 2.0)
    network = make_network()

    _, cost = minimize_lbfgs(network, A0, Y, weight, max_iter=200, l2_penalty=5.0)

    weights_squared = sum(float(np.sum(layer.W**2)) for layer in network.layers)
    network.forward(A0)
    expected = network.compute_cost(Y) + 5.0 / (2 * weight.sum()) * weights_squared
    assert cost == pytest.approx(expected, rel=1e-10)


def test_lbfgs_tol_zero_runs_to_max_iter(iris):
    A0, Y, _ = iris

    with pytest.warns(ConvergenceWarning, match="max_iter=15"):
        n_iter, _ = minimize_lbfgs(make_network(), A0, Y, max_iter=15, tol=0.0)

    assert n_iter == 15


def test_lbfgs_interrupt_keeps_best_parameters(monkeypatch):
    import warnings as warnings_module

    from sklearn.datasets import load_iris

    from layerwise import NeuralNetwork

    X, y = load_iris(return_X_y=True)
    model = NeuralNetwork((8,), standardize=True, random_state=0, dtype="float64")
    calls = {"count": 0}
    original = model.__class__._build_network

    def build_then_interrupt(self, encoder, n_inputs):
        network = original(self, encoder, n_inputs)
        evaluate = network.cost_and_gradients

        def counting(*args, **kwargs):
            calls["count"] += 1
            if calls["count"] == 20:
                raise KeyboardInterrupt
            return evaluate(*args, **kwargs)

        network.cost_and_gradients = counting
        return network

    monkeypatch.setattr(model.__class__, "_build_network", build_then_interrupt)
    with warnings_module.catch_warnings(record=True) as caught:
        warnings_module.simplefilter("always")
        history = model.fit(X, y, optimizer="lbfgs", epochs=500)
    assert model.interrupted_ is True
    assert any("interrupted" in str(w.message) for w in caught)
    assert model.network_.all_finite()
    assert history["cost"][0] < np.log(3)
    assert model.score(X, y) > 0.8
