"""Compare layerwise's estimators with scikit-learn's MLP at the same hyperparameters.

For each data set and seed the samples are split 75/25 (stratified for
classification) with that seed, both models are trained in a pipeline after a
StandardScaler with ``random_state=seed``, and the test accuracy (R² for
diabetes) is recorded. The table lists the mean and standard deviation over
the seeds and the mean training time. BLAS runs on one thread by default,
so that timings on a shared machine vary less.

Usage: python benchmarks/accuracy_vs_sklearn.py [--seeds 5] [--max-iter 200]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from sklearn import datasets
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from layerwise import NeuralNetworkClassifier, NeuralNetworkRegressor

DATASETS = {
    "digits": (datasets.load_digits, "classification"),
    "breast_cancer": (datasets.load_breast_cancer, "classification"),
    "iris": (datasets.load_iris, "classification"),
    "wine": (datasets.load_wine, "classification"),
    "diabetes": (datasets.load_diabetes, "regression"),
}


def score_once(model_class, X, y, task: str, seed: int, max_iter: int):
    """Return the test score and the training time in seconds of one split."""
    stratify = y if task == "classification" else None
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=seed, stratify=stratify
    )
    model = make_pipeline(
        StandardScaler(), model_class(max_iter=max_iter, random_state=seed)
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        # Both libraries warn when max_iter ends training, which is expected here.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    elapsed = time.perf_counter() - start
    return model.score(X_test, y_test), elapsed


def compare(name: str, seeds: int, max_iter: int) -> str:
    """Return one Markdown table row for data set ``name``."""
    loader, task = DATASETS[name]
    X, y = loader(return_X_y=True)
    if task == "classification":
        ours, theirs, metric = NeuralNetworkClassifier, MLPClassifier, "accuracy"
    else:
        ours, theirs, metric = NeuralNetworkRegressor, MLPRegressor, "R²"
    cells = []
    for model_class in (ours, theirs):
        results = [
            score_once(model_class, X, y, task, seed, max_iter) for seed in range(seeds)
        ]
        scores = np.array([score for score, _ in results])
        seconds = np.mean([elapsed for _, elapsed in results])
        cells.append(f"{scores.mean():.4f} ± {scores.std():.4f} | {seconds:.2f}")
    return f"| {name} | {metric} | {cells[0]} | {cells[1]} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="number of seeds")
    parser.add_argument(
        "--max-iter", type=int, default=200, help="max_iter of both models (epochs)"
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="BLAS threads for both libraries"
    )
    args = parser.parse_args()
    threadpool_limits(args.threads)
    print(
        "| data set | metric | layerwise mean ± std | layerwise fit s "
        "| sklearn MLP mean ± std | sklearn fit s |"
    )
    print("|---|---|---|---|---|---|")
    for name in DATASETS:
        print(compare(name, args.seeds, args.max_iter), flush=True)


if __name__ == "__main__":
    main()
