"""Tests of layerwise.tables: reading, validation, imputation and fuzzed CSV input."""

import csv
import logging
import string
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layerwise.tables import (
    TableError,
    TableSchema,
    check_target,
    infer_task,
    read_table,
)

FUZZ_SETTINGS = settings(
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def write(directory: Path, text: str, name: str = "table.csv") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


# Rejected files ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("", ["is empty"]),
        ("a,b\n", ["no data rows"]),
        ("a,b\n1,2,3\n4,5,6\n", ["ragged", "line 2 has 3 field(s)", "header has 2"]),
        ("a,b\n1,2\n4\n", ["ragged", "line 3 has 1 field(s)"]),
        ('a,b\n"1,2\n', ["failed to parse"]),
    ],
)
def test_read_table_rejects_bad_files(tmp_path, text, fragments):
    path = write(tmp_path, text)

    with pytest.raises(TableError) as error:
        read_table(path)

    for fragment in fragments:
        assert fragment in str(error.value)


def test_read_table_skips_blank_lines(tmp_path):
    frame = read_table(write(tmp_path, "a,b\n\n1,2\n   \n3,4\n"))

    assert frame.to_numpy().tolist() == [[1, 2], [3, 4]]


def test_read_table_checks_rows_of_gzip_files(tmp_path):
    import gzip

    path = tmp_path / "table.csv.gz"
    with gzip.open(path, "wt") as file:
        file.write("a,b\n1,2\n3\n")

    with pytest.raises(TableError, match="ragged"):
        read_table(path)


def test_infinite_feature_rejected(tmp_path):
    frame = read_table(write(tmp_path, "a,b\n1e400,1\n2,0\n"))

    with pytest.raises(TableError, match=r"column 'a' has the value 'inf' in row 1"):
        TableSchema.fit(frame, "b", "classification")


def test_integers_beyond_int64_are_numeric():
    frame = pd.DataFrame({"a": [10**20, 1, 2], "y": [0, 1, 0]})

    schema = TableSchema.fit(frame, "y", "classification")

    assert schema.categories == {}
    assert schema.transform(frame, "t")[:, 0].tolist() == [1e20, 1.0, 2.0]


@pytest.mark.parametrize(
    ("y", "task", "message"),
    [
        (np.array(["a", "a"], dtype=object), "classification", "only one class, 'a'"),
        (np.array(["a", "b"], dtype=object), "regression", "contains text"),
        (np.array([1.0, np.inf]), "regression", "infinite"),
    ],
)
def test_check_target_rejects(y, task, message):
    with pytest.raises(TableError, match=message):
        check_target(y, "y", task)


# Imputation --------------------------------------------------------------------


@pytest.fixture
def gappy_frame():
    return pd.DataFrame(
        {
            "size": [1.0, 2.0, np.nan, 4.0, 4.0],
            "colour": ["red", np.nan, "blue", "red", "green"],
            "label": [0, 1, 0, 1, 1],
        }
    )


def test_missing_value_without_impute_names_column(gappy_frame):
    with pytest.raises(TableError) as error:
        TableSchema.fit(gappy_frame, "label", "classification")

    assert "column 'size' has a missing value in row 3" in str(error.value)
    assert "--impute" in str(error.value)


@pytest.mark.parametrize(
    ("strategy", "size_fill"),
    [("mean", 2.75), ("median", 3.0), ("most_frequent", 4.0)],
)
def test_impute_statistics_stored_and_applied(gappy_frame, strategy, size_fill):
    schema = TableSchema.fit(gappy_frame, "label", "classification", impute=strategy)
    restored = TableSchema.from_dict(schema.to_dict())
    new_rows = pd.DataFrame({"size": [np.nan], "colour": [np.nan]})

    X = restored.transform(new_rows, "new rows")

    assert restored.fill_values == {"size": size_fill, "colour": "red"}
    assert restored.impute_strategy == strategy
    # Columns: size, then colour one-hot over blue, green, red.
    assert X.tolist() == [[size_fill, 0.0, 0.0, 1.0]]


def test_impute_rejects_empty_column():
    frame = pd.DataFrame({"a": [np.nan, np.nan], "y": [0, 1]})

    with pytest.raises(TableError, match="column 'a' has no values to impute"):
        TableSchema.fit(frame, "y", "classification", impute="mean")


def test_schema_without_fill_values_loads():
    stored = {
        "schema_version": 1,
        "feature_columns": ["a"],
        "categories": {},
        "target_column": "y",
        "task": "regression",
    }

    schema = TableSchema.from_dict(stored)

    assert schema.fill_values == {}
    assert schema.impute_strategy is None


def test_unseen_category_warns_once_per_column(caplog):
    train = pd.DataFrame({"c": ["a", "b"], "d": ["x", "y"], "y": [0, 1]})
    schema = TableSchema.fit(train, "y", "classification")
    new = pd.DataFrame({"c": ["z", "q", "z", "a"], "d": ["x", "w", "x", "y"]})

    with caplog.at_level(logging.WARNING, logger="layerwise"):
        X = schema.transform(new, "new.csv")

    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2
    assert messages[0].startswith("column 'c' of new.csv has 2 categories not seen")
    assert "'z'" in messages[0]
    assert messages[1].startswith("column 'd' of new.csv has 1 categories not seen")
    assert X[:2, :2].tolist() == [[0.0, 0.0], [0.0, 0.0]]


# Fuzzed CSV input ----------------------------------------------------------------
#
# Every generated file must either load and encode, or raise TableError (a
# ValueError). The three tests below run 10,000 inputs in total.

CELL_TEXT = st.one_of(
    st.text(alphabet=string.printable, max_size=6),
    st.text(max_size=4),  # any unicode, including separators and quotes
    st.sampled_from(['"', '""', '"a,b"', "'", "\\", "nan", "NA", "", " ", "inf"]),
    st.sampled_from(["-inf", "1e400", "-1e309", "True", "false", "0x1F", "1_000"]),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


def check_table_file(path: Path) -> None:
    """Read ``path`` and encode it with its first column as the target."""
    try:
        frame = read_table(path)
    except TableError:
        return
    assert len(frame) > 0
    target = frame.columns[0]
    try:
        task = infer_task(frame[target])
        schema = TableSchema.fit(frame, target, task, impute="most_frequent")
        X = schema.transform(frame, "fuzz")
    except TableError:
        return
    assert X.shape[0] == len(frame)
    assert np.isfinite(X).all()


@pytest.fixture(scope="module")
def fuzz_directory():
    with tempfile.TemporaryDirectory() as directory:
        yield Path(directory)


@settings(FUZZ_SETTINGS, max_examples=3500)
@given(text=st.text(alphabet=st.sampled_from(list('ab1.,"\n\r -e\t;é')), max_size=40))
def test_fuzz_raw_text(fuzz_directory, text):
    path = fuzz_directory / "raw.csv"
    path.write_text(text, encoding="utf-8")

    check_table_file(path)


@settings(FUZZ_SETTINGS, max_examples=4000)
@given(
    rows=st.lists(st.lists(CELL_TEXT, min_size=0, max_size=4), min_size=1, max_size=5),
    quote=st.booleans(),
)
def test_fuzz_ragged_quoted_cells(fuzz_directory, rows, quote):
    def field(cell):
        return '"' + cell.replace('"', '""') + '"' if quote else cell

    text = "\n".join(",".join(field(cell) for cell in row) for row in rows)
    path = fuzz_directory / "cells.csv"
    path.write_text(text, encoding="utf-8")

    check_table_file(path)


@settings(FUZZ_SETTINGS, max_examples=2500)
@given(
    rows=st.lists(st.tuples(CELL_TEXT, CELL_TEXT, CELL_TEXT), min_size=2, max_size=6),
    n_columns=st.integers(1, 3),
)
def test_fuzz_rectangular_mixed_types(fuzz_directory, rows, n_columns):
    path = fuzz_directory / "mixed.csv"
    with path.open("w", encoding="utf-8", newline="") as file:
        # csv.writer quotes only fields that need it, as spreadsheets do.
        csv.writer(file).writerows(row[:n_columns] for row in rows)

    check_table_file(path)
