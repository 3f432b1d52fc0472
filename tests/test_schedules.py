"""Learning-rate schedules: their values and the step size of the real updates."""

import math

import numpy as np
import pytest

from layerwise import NeuralNetwork
from layerwise.callbacks import Callback
from layerwise.schedules import (
    ConstantSchedule,
    CosineDecay,
    ExponentialDecay,
    InverseScaling,
    LearningRateScheduler,
    ReduceLROnPlateau,
    StepDecay,
)


class StepSizeRecorder(Callback):
    """Measures the learning rate of each epoch's single full-batch SGD step.

    With a full batch, epoch e runs one update θ_e = θ_{e−1} − α_e·g, and the
    network's gradient buffers still contain g when the epoch ends, so
    α_e = (θ_{e−1} − θ_e) / g.
    """

    def on_train_begin(self, logs=None):
        self.previous = [p.copy() for p in self.model.network_.parameters()]
        self.step_sizes = []

    def on_epoch_end(self, epoch, logs):
        network = self.model.network_
        ratios = []
        for before, now, grad in zip(
            self.previous, network.parameters(), network.gradients(), strict=True
        ):
            usable = np.abs(grad) > 1e-6
            ratios.append(((before - now)[usable] / grad[usable]).ravel())
            np.copyto(before, now)
        ratios = np.concatenate(ratios)
        assert ratios.size > 0
        np.testing.assert_allclose(ratios, ratios[0], rtol=1e-8)
        self.step_sizes.append(float(ratios[0]))


@pytest.fixture
def regression_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = X @ np.array([1.5, -2.0, 0.5]) + 0.3 + 0.1 * rng.normal(size=40)
    return X, y


def fit_with(callback, data, epochs, learning_rate=0.05):
    """Train a linear regression model with full-batch plain SGD."""
    X, y = data
    recorder = StepSizeRecorder()
    model = NeuralNetwork(hidden_layer_sizes=(), dtype="float64", random_state=0)
    model.fit(
        X,
        y,
        epochs=epochs,
        learning_rate=learning_rate,
        optimizer="sgd",
        callbacks=[callback, recorder],
    )
    return recorder.step_sizes


SCHEDULES = [
    ConstantSchedule(0.05),
    InverseScaling(0.1, power_t=0.5),
    StepDecay(0.1, step_size=2, gamma=0.5),
    ExponentialDecay(0.1, gamma=0.8),
    CosineDecay(0.1, decay_epochs=4, min_learning_rate=0.01),
]


@pytest.mark.parametrize("schedule", SCHEDULES, ids=lambda s: type(s).__name__)
def test_scheduler_sets_step_size(schedule, regression_data):
    step_sizes = fit_with(LearningRateScheduler(schedule), regression_data, 6)

    expected = [schedule(epoch) for epoch in range(1, 7)]
    np.testing.assert_allclose(step_sizes, expected, rtol=1e-8)


def test_scheduler_accepts_plain_function(regression_data):
    scheduler = LearningRateScheduler(lambda epoch: 0.02 * epoch)

    step_sizes = fit_with(scheduler, regression_data, 3)

    np.testing.assert_allclose(step_sizes, [0.02, 0.04, 0.06], rtol=1e-8)
    assert scheduler.learning_rates == pytest.approx([0.02, 0.04, 0.06, 0.08])


def test_scheduler_overrides_fit_learning_rate(regression_data):
    step_sizes = fit_with(
        LearningRateScheduler(ConstantSchedule(0.01)),
        regression_data,
        2,
        learning_rate=0.5,
    )

    np.testing.assert_allclose(step_sizes, [0.01, 0.01], rtol=1e-8)


def test_step_decay_values():
    schedule = StepDecay(0.1, step_size=2, gamma=0.5)

    values = [schedule(epoch) for epoch in range(1, 6)]

    assert values == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025], rel=1e-15)


def test_cosine_decay_reaches_floor_and_stays():
    schedule = CosineDecay(0.1, decay_epochs=4, min_learning_rate=0.01)

    assert schedule(1) == pytest.approx(0.1, rel=1e-15)
    assert schedule(3) == pytest.approx(0.055, rel=1e-14)
    assert schedule(5) == pytest.approx(0.01, rel=1e-14)
    assert schedule(50) == pytest.approx(0.01, rel=1e-14)


def test_inverse_scaling_matches_sklearn():
    from sklearn.neural_network._stochastic_optimizers import SGDOptimizer

    n_samples = 32
    schedule = InverseScaling(0.1, power_t=0.25, samples_per_epoch=n_samples)
    reference = SGDOptimizer(
        [np.zeros(1)], learning_rate_init=0.1, lr_schedule="invscaling", power_t=0.25
    )

    # MLPClassifier (scikit-learn 1.9) calls iteration_ends(t) after each epoch
    # with t, the number of samples seen so far, and uses the new rate next.
    for epoch in range(1, 6):
        assert schedule(epoch) == pytest.approx(reference.learning_rate, rel=1e-14)
        reference.iteration_ends(epoch * n_samples)


def torch_rates(make_scheduler, n_epochs):
    torch = pytest.importorskip("torch")
    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=0.1)
    scheduler = make_scheduler(optimizer)
    rates = []
    for _ in range(n_epochs):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return rates


@pytest.mark.parametrize(
    ("schedule", "make_torch_scheduler"),
    [
        (
            StepDecay(0.1, step_size=3, gamma=0.5),
            lambda opt: __import__("torch").optim.lr_scheduler.StepLR(opt, 3, 0.5),
        ),
        (
            ExponentialDecay(0.1, gamma=0.9),
            lambda opt: __import__("torch").optim.lr_scheduler.ExponentialLR(opt, 0.9),
        ),
        (
            CosineDecay(0.1, decay_epochs=6, min_learning_rate=0.001),
            lambda opt: __import__("torch").optim.lr_scheduler.CosineAnnealingLR(
                opt, T_max=6, eta_min=0.001
            ),
        ),
    ],
    ids=["step", "exponential", "cosine"],
)
def test_schedule_matches_torch_scheduler(schedule, make_torch_scheduler):
    expected = torch_rates(make_torch_scheduler, 7)

    values = [schedule(epoch) for epoch in range(1, 8)]

    np.testing.assert_allclose(values, expected, rtol=1e-12)


def test_reduce_on_plateau_lowers_next_step(regression_data):
    # No epoch after the first improves the cost by 1e9, so every epoch after
    # the first counts against patience: reductions follow epochs 3 and 5.
    callback = ReduceLROnPlateau(monitor="cost", factor=0.5, patience=2, min_delta=1e9)

    step_sizes = fit_with(callback, regression_data, 6, learning_rate=0.04)

    np.testing.assert_allclose(
        step_sizes, [0.04, 0.04, 0.04, 0.02, 0.02, 0.01], rtol=1e-8
    )
    assert callback.reductions == [(3, 0.02), (5, 0.01)]


def test_reduce_on_plateau_respects_floor_and_cooldown(regression_data):
    callback = ReduceLROnPlateau(
        monitor="cost", factor=0.5, patience=1, min_delta=1e9, cooldown=1, min_lr=0.015
    )

    step_sizes = fit_with(callback, regression_data, 6, learning_rate=0.04)

    # The rate drops after epoch 2. Epoch 3 is a cooldown, so the next drop
    # follows epoch 4 and stops at min_lr. The one due after epoch 6 is skipped.
    np.testing.assert_allclose(
        step_sizes, [0.04, 0.04, 0.02, 0.02, 0.015, 0.015], rtol=1e-8
    )
    assert callback.reductions == [(2, 0.02), (4, 0.015)]


def test_reduce_on_plateau_keeps_rate_while_improving(regression_data):
    callback = ReduceLROnPlateau(monitor="cost", factor=0.5, patience=1)

    step_sizes = fit_with(callback, regression_data, 4, learning_rate=0.05)

    np.testing.assert_allclose(step_sizes, [0.05] * 4, rtol=1e-8)
    assert callback.reductions == []


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: ConstantSchedule(0.0), "learning_rate must be a positive"),
        (lambda: StepDecay(0.1, step_size=0), "step_size must be a positive integer"),
        (
            lambda: ExponentialDecay(0.1, gamma=1.5),
            r"gamma must be a number in \(0, 1\]",
        ),
        (lambda: CosineDecay(0.1, decay_epochs=0), "decay_epochs must be a positive"),
        (
            lambda: CosineDecay(0.1, decay_epochs=3, min_learning_rate=0.2),
            "min_learning_rate must be in",
        ),
        (lambda: InverseScaling(0.1, power_t=-1.0), "power_t must be a positive"),
        (lambda: ReduceLROnPlateau(factor=1.0), r"factor must be a number in \(0, 1\)"),
        (lambda: ReduceLROnPlateau(mode="lowest"), "mode must be 'auto', 'min'"),
    ],
)
def test_invalid_schedule_arguments_raise(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_schedule_rejects_epoch_zero():
    with pytest.raises(ValueError, match="epoch must be an integer counting from 1"):
        ExponentialDecay(0.1)(0)


def test_scheduler_rejects_negative_rate(regression_data):
    scheduler = LearningRateScheduler(lambda epoch: -0.1)

    with pytest.raises(ValueError, match=r"returned the learning rate -0\.1"):
        fit_with(scheduler, regression_data, 2)


def test_scheduler_rejects_non_callable():
    with pytest.raises(TypeError, match="schedule must be a Schedule"):
        LearningRateScheduler(0.1)


def test_schedule_repr_names_arguments():
    assert repr(ExponentialDecay(0.1, gamma=0.5)) == (
        "ExponentialDecay(learning_rate=0.1, gamma=0.5)"
    )
    assert math.isclose(InverseScaling(0.1)(4), 0.05, rel_tol=1e-15)
