"""Tables (CSV, TSV, Parquet) read with pandas and encoded as feature matrices.

``TableSchema`` records which columns a model was trained on and how each is
encoded: numeric columns pass through as floats (the model standardises them),
and text columns are one-hot encoded with the categories seen in training.
The schema is plain JSON, so it is stored in the model file's metadata.

Row numbers in error messages count the data rows of the file from 1, not
counting the header. They come from the DataFrame's integer index, which
``read_table`` resets to 0, 1, 2, … and which row selections keep.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api import types

#: Integer targets with at most this many distinct values are class labels.
MAX_INTEGER_CLASSES = 20

_SEPARATORS = {".csv": ",", ".tsv": "\t", ".tab": "\t"}
_PARQUET_SUFFIXES = (".parquet", ".pq")
_COMPRESSION_SUFFIXES = (".gz", ".bz2", ".xz", ".zip", ".zst")

SCHEMA_VERSION = 1


class TableError(ValueError):
    """Raised when a table cannot be read or does not fit a model's schema."""


def read_table(path: str | os.PathLike, sep: str | None = None) -> pd.DataFrame:
    """Read a CSV, TSV or Parquet file into a DataFrame.

    The format follows the extension: ``.csv`` (comma), ``.tsv`` or ``.tab``
    (tab), ``.parquet`` or ``.pq``, each optionally followed by a compression
    suffix such as ``.gz``. ``sep`` reads any other file as delimited text.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    TableError
        If the format is unknown or the file cannot be parsed.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"data file {str(path)!r} not found")
    suffix = _format_suffix(path)
    try:
        if suffix in _PARQUET_SUFFIXES and sep is None:
            return pd.read_parquet(path).reset_index(drop=True)
        if sep is None:
            if suffix not in _SEPARATORS:
                raise TableError(
                    f"unknown table format of {str(path)!r}: extension {suffix!r} is "
                    "not .csv, .tsv or .parquet; rename the file or pass --sep"
                )
            sep = _SEPARATORS[suffix]
        return pd.read_csv(path, sep=sep)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise TableError(f"failed to parse {str(path)!r}: {e}") from None
    except ImportError as error:
        raise TableError(
            f"reading {str(path)!r} needs a Parquet engine: {error}; install pyarrow"
        ) from None


def _format_suffix(path: Path) -> str:
    suffixes = [suffix.lower() for suffix in path.suffixes]
    if len(suffixes) >= 2 and suffixes[-1] in _COMPRESSION_SUFFIXES:
        return suffixes[-2]
    return suffixes[-1] if suffixes else ""


def infer_task(target: pd.Series) -> str:
    """Return "classification" or "regression" for a target column.

    Text, boolean and categorical columns, and integer columns with at most
    ``MAX_INTEGER_CLASSES`` distinct values, are class labels. Other numeric
    columns are regression targets.
    """
    if types.is_bool_dtype(target) or not types.is_numeric_dtype(target):
        return "classification"
    if types.is_integer_dtype(target) and target.nunique() <= MAX_INTEGER_CLASSES:
        return "classification"
    return "regression"


def check_column(frame: pd.DataFrame, column: str, source: str) -> None:
    """Raise TableError unless ``column`` is a column of ``frame``."""
    if column not in frame.columns:
        raise TableError(
            f"column {column!r} not found in {source}; its columns are "
            f"{[str(name) for name in frame.columns]}"
        )


def check_no_missing(values: pd.Series, column: str) -> None:
    """Raise TableError naming the column and the first row with a missing value."""
    missing = values.isna().to_numpy()
    if missing.any():
        row = _row_number(values, int(np.argmax(missing)))
        raise TableError(
            f"column {column!r} has a missing value in row {row} "
            f"({int(missing.sum())} missing in total); fill or drop those rows first"
        )


def target_values(frame: pd.DataFrame, column: str, source: str) -> np.ndarray:
    """Return the target column as a NumPy array, checked for missing values."""
    check_column(frame, column, source)
    values = frame[column]
    check_no_missing(values, column)
    if types.is_bool_dtype(values) or types.is_numeric_dtype(values):
        return values.to_numpy()
    return values.astype(str).to_numpy(dtype=object)


@dataclass
class TableSchema:
    """The columns a model reads from a table and the encoding of each.

    Attributes
    ----------
    feature_columns : list of str
        Input columns in the order their encodings appear in the feature matrix.
    categories : dict of str to list of str
        For each text column, its categories seen in training; each becomes
        one 0/1 input. Columns not listed here are numeric.
    target_column : str
        The column holding the targets.
    task : {"classification", "regression"}
        What the model predicts.
    """

    feature_columns: list[str]
    categories: dict[str, list[str]] = field(default_factory=dict)
    target_column: str = ""
    task: str = "classification"

    @classmethod
    def fit(cls, frame: pd.DataFrame, target_column: str, task: str) -> TableSchema:
        """Build the schema from training rows: every column but the target is used.

        Raises
        ------
        TableError
            If there are no feature columns, a value is missing, or a column
            that is mostly numbers contains text.
        """
        features = [str(name) for name in frame.columns if name != target_column]
        if not features:
            raise TableError(
                f"the table has no feature columns besides the target "
                f"{target_column!r}; at least one is required"
            )
        categories = {}
        for column in features:
            values = frame[column]
            check_no_missing(values, column)
            if not _is_numeric(values):
                _reject_stray_text(values, column)
                categories[column] = sorted(values.astype(str).unique().tolist())
        return cls(features, categories, target_column, task)

    def transform(self, frame: pd.DataFrame, source: str) -> np.ndarray:
        """Return the feature matrix of ``frame``, shape (n_rows, n_encoded).

        Columns not in the schema, such as the target, are ignored. Text values
        not seen in training encode as all zeros in their one-hot block.
        """
        for column in self.feature_columns:
            check_column(frame, column, source)
        blocks = []
        for column in self.feature_columns:
            values = frame[column]
            check_no_missing(values, column)
            if column in self.categories:
                blocks.append(self._one_hot(column, values))
            else:
                blocks.append(_numeric_values(values, column)[:, np.newaxis])
        return np.hstack(blocks)

    def _one_hot(self, column: str, values: pd.Series) -> np.ndarray:
        from sklearn.preprocessing import OneHotEncoder

        text = values.astype(str).to_numpy(dtype=object).reshape(-1, 1)
        encoder = OneHotEncoder(
            categories=[self.categories[column]],
            handle_unknown="ignore",
            sparse_output=False,
            dtype=np.float64,
        )
        return encoder.fit_transform(text)

    def encoded_feature_names(self) -> list[str]:
        """Return one name per column of the feature matrix, ``column=category``
        for one-hot inputs."""
        names = []
        for column in self.feature_columns:
            if column in self.categories:
                names.extend(f"{column}={value}" for value in self.categories[column])
            else:
                names.append(column)
        return names

    def to_dict(self) -> dict[str, object]:
        return {
            "schema_version": SCHEMA_VERSION,
            "feature_columns": list(self.feature_columns),
            "categories": {key: list(value) for key, value in self.categories.items()},
            "target_column": self.target_column,
            "task": self.task,
        }

    @classmethod
    def from_dict(cls, data: dict) -> TableSchema:
        """Rebuild a schema from ``to_dict`` output; raise TableError if invalid."""
        try:
            return cls(
                [str(name) for name in data["feature_columns"]],
                {str(k): [str(v) for v in vs] for k, vs in data["categories"].items()},
                str(data["target_column"]),
                str(data["task"]),
            )
        except (KeyError, TypeError, AttributeError) as error:
            raise TableError(
                f"the stored table schema is invalid ({error!r})"
            ) from None


def _row_number(values: pd.Series, position: int) -> int:
    """Return the 1-based file row of ``values.iloc[position]`` from its index."""
    label = values.index[position]
    if isinstance(label, int | np.integer):
        return int(label) + 1
    return position + 1


def _is_numeric(values: pd.Series) -> bool:
    return types.is_bool_dtype(values) or types.is_numeric_dtype(values)


def _numeric_values(values: pd.Series, column: str) -> np.ndarray:
    """Return a numeric column as float64, raising TableError on text values."""
    if _is_numeric(values):
        return values.to_numpy(dtype=np.float64)
    numbers = pd.to_numeric(values, errors="coerce")
    text = numbers.isna().to_numpy()
    if text.any():
        position = int(np.argmax(text))
        raise TableError(
            f"column {column!r} must be numeric, but row "
            f"{_row_number(values, position)} contains the text "
            f"{values.iloc[position]!r}; replace it with a number"
        )
    return numbers.to_numpy(dtype=np.float64)


def _reject_stray_text(values: pd.Series, column: str) -> None:
    """Raise TableError when most values of a text column are numbers.

    Such a column is almost always a numeric column with a typo, and one-hot
    encoding it would turn every distinct number into its own input.
    """
    numbers = pd.to_numeric(values, errors="coerce")
    is_number = numbers.notna().to_numpy()
    if is_number.mean() > 0.5:
        _numeric_values(values, column)
