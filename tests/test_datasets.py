"""Tests of the built-in data sets in layerwise.datasets."""

import numpy as np
import pandas as pd
import pytest

from layerwise.datasets import DATASET_NAMES, TARGET_COLUMNS, load_dataset

# (name, rows, feature columns, target kind): "text" for text labels, otherwise
# the NumPy dtype kind of the target column.
EXPECTED_SHAPES = [
    ("breast_cancer", 569, 30, "text"),
    ("circles", 500, 2, "i"),
    ("diabetes", 442, 10, "f"),
    ("digits", 1797, 64, "i"),
    ("iris", 150, 4, "text"),
    ("moons", 500, 2, "i"),
    ("sine", 500, 1, "f"),
    ("wine", 178, 13, "i"),
]


def test_dataset_names_cover_all_targets():
    assert sorted(DATASET_NAMES) == sorted(TARGET_COLUMNS)
    assert [row[0] for row in EXPECTED_SHAPES] == list(DATASET_NAMES)


@pytest.mark.parametrize(("name", "n_rows", "n_features", "kind"), EXPECTED_SHAPES)
def test_dataset_shape_and_target(name, n_rows, n_features, kind):
    frame = load_dataset(name)
    target = TARGET_COLUMNS[name]

    assert isinstance(frame, pd.DataFrame)
    assert frame.shape == (n_rows, n_features + 1)
    assert frame.columns[-1] == target
    assert not frame.isna().to_numpy().any()
    if kind == "text":
        assert pd.api.types.is_string_dtype(frame[target])
    else:
        assert frame[target].dtype.kind == kind


def test_breast_cancer_uses_text_labels():
    labels = load_dataset("breast_cancer")["diagnosis"]

    assert set(labels) == {"malignant", "benign"}
    assert (labels == "benign").sum() == 357
    assert (labels == "malignant").sum() == 212


def test_iris_uses_species_names():
    species = load_dataset("iris")["species"]

    assert sorted(set(species)) == ["setosa", "versicolor", "virginica"]


def test_sine_follows_sine_curve():
    frame = load_dataset("sine", n_samples=2000, noise=0.05, random_state=3)
    residual = frame["y"] - np.sin(frame["x"])

    assert frame["x"].min() >= -3.0
    assert frame["x"].max() <= 3.0
    assert abs(residual.mean()) < 0.01
    assert residual.std() == pytest.approx(0.05, rel=0.1)


def test_sine_without_noise_is_exact():
    frame = load_dataset("sine", n_samples=50, noise=0.0)

    np.testing.assert_allclose(frame["y"], np.sin(frame["x"]), rtol=0, atol=1e-15)


@pytest.mark.parametrize("name", ["moons", "circles", "sine"])
def test_generated_dataset_is_seeded(name):
    first = load_dataset(name, n_samples=40, random_state=7)
    again = load_dataset(name, n_samples=40, random_state=7)
    other = load_dataset(name, n_samples=40, random_state=8)

    assert len(first) == 40
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(other)


@pytest.mark.parametrize("name", ["moons", "circles"])
def test_generated_classes_are_balanced(name):
    labels = load_dataset(name, n_samples=200)["label"]

    assert sorted(labels.unique()) == [0, 1]
    assert (labels == 1).sum() == 100


def test_unknown_dataset_lists_choices():
    with pytest.raises(ValueError, match=r"unknown data set 'mnist'.*'digits'"):
        load_dataset("mnist")
