"""Optimizer updates: PyTorch parity, hand-worked first steps, no allocations."""

import copy
import operator
import pickle
import tracemalloc

import numpy as np
import pytest

from layerwise import ConvergenceWarning, optimizers
from layerwise.optimizers import (
    OPTIMIZERS,
    SGD,
    Adagrad,
    Adam,
    GradientDescent,
    Optimizer,
    RMSprop,
    get_optimizer,
)

torch = pytest.importorskip("torch")

N_STEPS = 20

# (layerwise optimizer, the torch.optim equivalent with the same settings)
PARITY_CASES = {
    "sgd": (lambda: SGD(0.05), lambda p: torch.optim.SGD(p, lr=0.05)),
    "sgd_momentum": (
        lambda: SGD(0.05, momentum=0.9),
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9),
    ),
    "sgd_dampening": (
        lambda: SGD(0.05, momentum=0.8, dampening=0.3),
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, dampening=0.3),
    ),
    "nesterov": (
        lambda: SGD(0.05, momentum=0.9, nesterov=True),
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
    ),
    "adam": (lambda: Adam(0.01), lambda p: torch.optim.Adam(p, lr=0.01)),
    "adam_defaults": (Adam, torch.optim.Adam),
    "amsgrad": (
        lambda: Adam(0.01, amsgrad=True),
        lambda p: torch.optim.Adam(p, lr=0.01, amsgrad=True),
    ),
    "rmsprop": (RMSprop, torch.optim.RMSprop),
    "rmsprop_momentum_centered": (
        lambda: RMSprop(0.005, momentum=0.5, centered=True),
        lambda p: torch.optim.RMSprop(p, lr=0.005, momentum=0.5, centered=True),
    ),
    "adagrad": (Adagrad, torch.optim.Adagrad),
    "adagrad_decay": (
        lambda: Adagrad(0.1, lr_decay=0.05, initial_accumulator_value=0.2),
        lambda p: torch.optim.Adagrad(
            p, lr=0.1, lr_decay=0.05, initial_accumulator_value=0.2
        ),
    ),
}


def quadratic_gradients(params):
    """Gradients of Σ_i ½·xᵢᵀ·Hᵢ·xᵢ − bᵢᵀ·xᵢ, a fixed ill-conditioned quadratic.

    The gradient depends on the current parameters, so any difference between
    two optimizers feeds back into later steps.
    """
    grads = []
    for index, x in enumerate(params):
        flat = x.reshape(-1)
        scales = np.geomspace(0.1, 10.0, flat.size)
        offsets = np.cos(np.arange(flat.size) + index)
        grads.append((scales * flat - offsets).reshape(x.shape))
    return grads


def initial_parameters():
    rng = np.random.default_rng(7)
    return [rng.normal(size=(4, 3)), rng.normal(size=(4, 1)), rng.normal(size=(5,))]


def run_layerwise(optimizer, n_steps):
    params = initial_parameters()
    for _ in range(n_steps):
        optimizer.step(params, quadratic_gradients(params))
    return params


def run_torch(make_optimizer, n_steps):
    params = [torch.tensor(p, requires_grad=True) for p in initial_parameters()]
    optimizer = make_optimizer(params)
    for _ in range(n_steps):
        grads = quadratic_gradients([p.detach().numpy() for p in params])
        for param, grad in zip(params, grads, strict=True):
            param.grad = torch.from_numpy(grad)
        optimizer.step()
    return [p.detach().numpy() for p in params]


@pytest.mark.parametrize("case", sorted(PARITY_CASES))
def test_optimizer_matches_torch(case):
    make_ours, make_theirs = PARITY_CASES[case]
    ours = run_layerwise(make_ours(), N_STEPS)
    theirs = run_torch(make_theirs, N_STEPS)
    start = initial_parameters()

    for mine, reference, initial in zip(ours, theirs, start, strict=True):
        assert not np.allclose(mine, initial)
        np.testing.assert_allclose(mine, reference, rtol=0, atol=1e-10)


def test_defaults_match_torch():
    sgd = torch.optim.SGD([torch.zeros(1)]).defaults
    adam = torch.optim.Adam([torch.zeros(1)]).defaults
    rmsprop = torch.optim.RMSprop([torch.zeros(1)]).defaults
    adagrad = torch.optim.Adagrad([torch.zeros(1)]).defaults

    assert SGD().learning_rate == sgd["lr"]
    assert SGD().momentum == sgd["momentum"]
    assert Adam().learning_rate == adam["lr"]
    assert (Adam().beta_1, Adam().beta_2) == adam["betas"]
    assert Adam().epsilon == adam["eps"]
    assert RMSprop().learning_rate == rmsprop["lr"]
    assert RMSprop().alpha == rmsprop["alpha"]
    assert RMSprop().epsilon == rmsprop["eps"]
    assert RMSprop().centered == rmsprop["centered"]
    assert Adagrad().learning_rate == adagrad["lr"]
    assert Adagrad().lr_decay == adagrad["lr_decay"]
    assert Adagrad().initial_accumulator_value == adagrad["initial_accumulator_value"]
    assert Adagrad().epsilon == adagrad["eps"]


GRADIENT = np.array([2.0, -0.5, 1e-3, -4.0])


def first_step(optimizer, grads=(GRADIENT,)):
    params = [np.zeros_like(g) for g in grads]
    optimizer.step(params, list(grads))
    return params[0]


def test_gradient_descent_first_step():
    np.testing.assert_allclose(
        first_step(GradientDescent(0.1)), -0.1 * GRADIENT, rtol=1e-15
    )


def test_sgd_momentum_second_step():
    optimizer = SGD(0.1, momentum=0.9)
    params = [np.zeros(4)]
    optimizer.step(params, [GRADIENT])
    optimizer.step(params, [GRADIENT])

    # b₁ = g, b₂ = 0.9·g + g = 1.9·g, so θ₂ = −0.1·g − 0.19·g.
    np.testing.assert_allclose(params[0], -0.29 * GRADIENT, rtol=1e-14)


def test_nesterov_first_step():
    # b₁ = g and the step direction is g + μ·b₁ = 1.9·g.
    step = first_step(SGD(0.1, momentum=0.9, nesterov=True))

    np.testing.assert_allclose(step, -0.19 * GRADIENT, rtol=1e-14)


def test_adam_first_step_is_learning_rate_times_sign():
    step = first_step(Adam(0.01))

    # m̂ = g and √v̂ = |g|, so the step is −α·g / (|g| + ε).
    expected = -0.01 * GRADIENT / (np.abs(GRADIENT) + 1e-8)
    np.testing.assert_allclose(step, expected, rtol=1e-12)
    np.testing.assert_allclose(step, -0.01 * np.sign(GRADIENT), rtol=1e-5)


def test_rmsprop_first_step():
    step = first_step(RMSprop(0.01, alpha=0.99))

    # v = 0.01·g², so the step is −α·g / (0.1·|g| + ε) ≈ −10·α·sign(g).
    expected = -0.01 * GRADIENT / (0.1 * np.abs(GRADIENT) + 1e-8)
    np.testing.assert_allclose(step, expected, rtol=1e-12)


def test_adagrad_first_step():
    step = first_step(Adagrad(0.01))

    np.testing.assert_allclose(
        step, -0.01 * GRADIENT / (np.abs(GRADIENT) + 1e-10), rtol=1e-12
    )


def test_learning_rate_is_read_at_every_step():
    optimizer = GradientDescent(0.1)
    params = [np.zeros(4)]
    optimizer.step(params, [GRADIENT])
    optimizer.learning_rate = 0.01
    optimizer.step(params, [GRADIENT])

    np.testing.assert_allclose(params[0], -0.11 * GRADIENT, rtol=1e-14)


def packed(arrays):
    """Return copies of ``arrays`` as back-to-back views of one buffer."""
    buffer = np.concatenate([array.ravel() for array in arrays])
    views, start = [], 0
    for array in arrays:
        views.append(buffer[start : start + array.size].reshape(array.shape))
        start += array.size
    return views


@pytest.mark.parametrize("layout", ["separate", "packed"])
@pytest.mark.parametrize("case", sorted(PARITY_CASES))
def test_step_allocates_no_arrays(case, layout):
    optimizer = PARITY_CASES[case][0]()
    params = [np.zeros((300, 200)), np.zeros((300, 1))]
    grads = [np.full((300, 200), 0.5), np.full((300, 1), -0.5)]
    if layout == "packed":
        params, grads = packed(params), packed(grads)
    optimizer.step(params, grads)
    optimizer.step(params, grads)

    tracemalloc.start()
    try:
        optimizer.step(params, grads)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # One parameter array is 480 kB; a step may use a few small Python objects.
    assert peak < 10_000


@pytest.mark.parametrize("chunk", [None, 4])
@pytest.mark.parametrize("case", sorted(PARITY_CASES))
def test_packed_parameters_take_the_same_steps(case, chunk, monkeypatch):
    if chunk is not None:  # 21 elements in chunks of 4, across array boundaries
        monkeypatch.setattr(optimizers, "_CHUNK", chunk)
    separate, together = initial_parameters(), packed(initial_parameters())
    first, second = PARITY_CASES[case][0](), PARITY_CASES[case][0]()
    for _ in range(N_STEPS):
        first.step(separate, quadratic_gradients(separate))
        second.step(together, packed(quadratic_gradients(together)))

    assert second._flat is not None  # updates over the whole buffer
    assert len(second._flat) == (1 if chunk is None else 6)
    assert first._flat is None
    for mine, reference in zip(together, separate, strict=True):
        np.testing.assert_array_equal(mine, reference)


def test_span_needs_back_to_back_views():
    together = packed([np.zeros((2, 3)), np.zeros((4, 1))])
    buffer = together[0].base

    np.testing.assert_array_equal(optimizers._span(together), buffer)
    assert optimizers._span(together[::-1]) is None
    assert optimizers._span([together[0]]).size == 6
    assert optimizers._span([np.zeros(3), np.zeros(2)]) is None
    assert optimizers._span([buffer[:2], buffer[3:5]]) is None  # a gap


@pytest.mark.parametrize("case", ["sgd_momentum", "adam", "rmsprop"])
def test_replaced_array_still_gets_updated(case):
    params = packed(initial_parameters())
    optimizer = PARITY_CASES[case][0]()
    optimizer.step(params, packed(quadratic_gradients(params)))
    params[1] = params[1].copy()  # no longer part of the buffer
    before = params[1].copy()

    optimizer.step(params, quadratic_gradients(params))

    assert not np.allclose(params[1], before)


@pytest.mark.parametrize("optimizer_class", [SGD, Adam, RMSprop, Adagrad])
def test_float32_parameters_stay_float32(optimizer_class):
    params = [np.ones((3, 2), np.float32)]
    grads = [np.full((3, 2), 0.25, np.float32)]
    optimizer = optimizer_class()
    optimizer.step(params, grads)
    optimizer.step(params, grads)

    assert params[0].dtype == np.float32
    assert all(value.dtype == np.float32 for value in optimizer._state[0].values())


def test_reset_restarts_bias_correction():
    optimizer = Adam(0.01)
    params = [np.zeros(4)]
    optimizer.step(params, [GRADIENT])
    optimizer.reset()
    params = [np.zeros(4)]
    optimizer.step(params, [GRADIENT])

    assert optimizer.iterations == 1
    np.testing.assert_allclose(params[0], -0.01 * np.sign(GRADIENT), rtol=1e-5)


def test_get_optimizer_by_name():
    assert isinstance(get_optimizer("adam"), Adam)
    assert get_optimizer("adam").learning_rate == 1e-3
    assert get_optimizer("Adam", 0.05).learning_rate == 0.05
    assert isinstance(get_optimizer("rmsprop", 0.01), RMSprop)
    assert isinstance(get_optimizer("adagrad", 0.01), Adagrad)


def test_get_optimizer_sgd_is_plain_gradient_descent():
    optimizer = get_optimizer("sgd", 0.5)

    assert isinstance(optimizer, GradientDescent)
    assert optimizer.momentum == 0
    assert optimizer.learning_rate == 0.5


def test_get_optimizer_returns_instance_unchanged():
    optimizer = SGD(0.1, momentum=0.5)

    assert get_optimizer(optimizer, 0.9) is optimizer
    assert optimizer.learning_rate == 0.1


def test_get_optimizer_rejects_unknown_name():
    with pytest.raises(ValueError, match=r"unknown optimizer 'lion'.*'adagrad'"):
        get_optimizer("lion", 0.1)


def test_registry_holds_optimizers():
    assert sorted(OPTIMIZERS) == ["adagrad", "adam", "rmsprop", "sgd"]
    assert all(issubclass(cls, Optimizer) for cls in OPTIMIZERS.values())


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: SGD(0.1, nesterov=True), "nesterov=True needs momentum > 0"),
        (lambda: SGD(0.1, momentum=0.9, dampening=0.1, nesterov=True), "dampening"),
        (lambda: SGD(0.1, momentum=1.0), "momentum must be a number in"),
        (lambda: Adam(beta_1=1.0), "beta_1 must be a number in"),
        (lambda: Adam(beta_2=-0.1), "beta_2 must be a number in"),
        (lambda: Adam(epsilon=float("nan")), "epsilon"),
        (lambda: RMSprop(alpha=1.5), "alpha must be a number in"),
        (lambda: Adagrad(lr_decay=-1.0), "lr_decay"),
        (lambda: Adagrad(0.0), "learning_rate must be a positive finite number"),
    ],
)
def test_invalid_hyperparameters_raise(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_get_config_lists_hyperparameters():
    config = Adam(0.01, beta_1=0.8).get_config()

    assert config["name"] == "adam"
    assert config["learning_rate"] == 0.01
    assert config["beta_1"] == 0.8
    assert repr(SGD(0.1, momentum=0.5)).startswith(
        "SGD(learning_rate=0.1, momentum=0.5"
    )


def test_network_keeps_parameters_in_one_buffer(tmp_path):
    from layerwise import NeuralNetwork, load

    X = np.random.default_rng(0).standard_normal((40, 3))
    model = NeuralNetwork((5, 4), random_state=0)
    model.fit(X, X[:, 0] > 0, epochs=2, optimizer="adam")
    network = model.network_
    assert model.optimizer_._flat is not None
    assert optimizers._span(network.parameters()).size == network.n_parameters
    assert optimizers._span(network.gradients()).size == network.n_parameters

    network.astype(np.float64)
    assert optimizers._span(network.parameters()).dtype == np.float64
    model.save(tmp_path / "model.safetensors")
    loaded = load(tmp_path / "model.safetensors").network_
    assert optimizers._span(loaded.parameters()) is not None
    assert optimizers._span(loaded.gradients()) is not None


@pytest.mark.parametrize("copy_optimizer", ["deepcopy", "pickle"])
@pytest.mark.parametrize("case", ["sgd_momentum", "adam", "adagrad_decay"])
def test_copied_optimizer_updates_new_arrays(case, copy_optimizer):
    original = PARITY_CASES[case][0]()
    params = packed(initial_parameters())
    original.step(params, packed(quadratic_gradients(params)))
    if copy_optimizer == "deepcopy":
        duplicate = copy.deepcopy(original)
    else:
        duplicate = pickle.loads(pickle.dumps(original))
    twin = [array.copy() for array in params]

    for _ in range(3):
        original.step(twin, quadratic_gradients(twin))
        duplicate.step(params, packed(quadratic_gradients(params)))

    assert duplicate._flat is not None
    for mine, reference in zip(params, twin, strict=True):
        np.testing.assert_array_equal(mine, reference)


def test_dtype_change_keeps_the_moments():
    params64, params = packed(initial_parameters()), packed(initial_parameters())
    reference, converted = Adam(0.01), Adam(0.01)
    reference.step(params64, packed(quadratic_gradients(params64)))
    converted.step(params, packed(quadratic_gradients(params)))
    params32 = packed([array.astype(np.float32) for array in params])

    reference.step(params64, packed(quadratic_gradients(params64)))
    converted.step(params32, packed(quadratic_gradients(params32)))

    assert converted.iterations == 2
    assert all(state["exp_avg"].dtype == np.float32 for state in converted._state)
    for mine, expected in zip(params32, params64, strict=True):
        np.testing.assert_allclose(mine, expected, rtol=1e-5)


def test_copied_network_keeps_one_buffer():
    from layerwise import Dense, Network

    network = Network([Dense(4, "relu"), Dense(2)], "mse")
    network.build(3, np.random.default_rng(0), np.float32)

    for duplicate in (copy.deepcopy(network), pickle.loads(pickle.dumps(network))):
        span = optimizers._span(duplicate.parameters())
        assert span.size == network.n_parameters
        assert not np.shares_memory(span, optimizers._span(network.parameters()))
        np.testing.assert_array_equal(span, optimizers._span(network.parameters()))
        assert optimizers._span(duplicate.gradients()) is not None


def test_shallow_copy_leaves_the_network_alone():
    from layerwise import Dense, Network

    network = Network([Dense(4, "relu"), Dense(2)], "mse")
    network.build(3, np.random.default_rng(0), np.float64)
    params, grads = network.parameters(), network.gradients()

    duplicate = copy.copy(network)

    assert all(map(operator.is_, network.parameters(), params))
    assert all(map(operator.is_, network.gradients(), grads))
    assert duplicate.layers is network.layers


def test_training_resumes_after_loading_from_a_memory_map(tmp_path):
    joblib = pytest.importorskip("joblib")
    from layerwise import NeuralNetwork, NeuralNetworkClassifier

    X = np.random.default_rng(0).standard_normal((60, 3))
    y = (X[:, 0] > 0).astype(int)
    estimator = NeuralNetworkClassifier((5,), max_iter=5, random_state=0)
    model = NeuralNetwork((5,), random_state=0, warm_start=True)
    with pytest.warns(ConvergenceWarning):
        estimator.fit(X, y)
    model.fit(X, y, epochs=2, optimizer="adam")
    joblib.dump((estimator, model), tmp_path / "models.joblib")
    estimator, model = joblib.load(tmp_path / "models.joblib", mmap_mode="r")
    coefs = estimator.coefs_[0].copy()
    weights = model.network_.parameters()[0].copy()

    estimator.partial_fit(X, y)
    model.fit(X, y, epochs=2, optimizer="adam")

    assert not np.allclose(estimator.coefs_[0], coefs)
    assert not np.allclose(model.network_.parameters()[0], weights)
    assert optimizers._span(model.network_.parameters()) is not None


def test_fresh_fit_resets_optimizer_instance():
    from layerwise import NeuralNetwork

    X = np.random.default_rng(0).standard_normal((40, 3))
    y = X[:, 0] > 0
    optimizer = Adam(0.01)
    weights = []
    for _ in range(2):
        model = NeuralNetwork((5,), random_state=0)
        model.fit(X, y, epochs=3, optimizer=optimizer)
        weights.append(model.network_.parameters()[0].copy())

    np.testing.assert_array_equal(weights[0], weights[1])


def test_shallow_copy_keeps_replaced_arrays():
    from layerwise import Dense, Network

    network = Network([Dense(4, "relu"), Dense(2)], "mse")
    network.build(3, np.random.default_rng(0), np.float64)
    network.layers[0].params["W"] = network.layers[0].W * 0.5  # off the buffer
    params = network.parameters()

    copy.copy(network)

    assert all(map(operator.is_, network.parameters(), params))


def test_learning_rate_argument_reaches_the_optimizer():
    from layerwise import NeuralNetwork

    X = np.random.default_rng(0).standard_normal((40, 3))
    y = X[:, 0] > 0
    model = NeuralNetwork((5,), random_state=0)
    model.partial_fit(X, y, classes=[False, True], learning_rate=0.5)
    model.partial_fit(X, y, learning_rate=0.001)
    supplied = SGD(0.1)
    NeuralNetwork((5,), random_state=0).fit(
        X, y, optimizer=supplied, learning_rate=0.02
    )

    assert model.optimizer_.learning_rate == 0.001
    assert supplied.learning_rate == 0.02
