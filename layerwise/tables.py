"""Tables (CSV, TSV, Parquet) read with pandas and encoded as feature matrices.

``TableSchema`` records which columns a model was trained on and how each is
encoded: numeric columns pass through as floats (the model standardises them),
and text columns are one-hot encoded with the categories seen in training.
With an imputation strategy, the schema also stores one fill value per column,
computed from the training rows. The schema is plain JSON, so it is stored in
the model file's metadata.

Row numbers in error messages count the data rows of the file from 1, not
counting the header. They come from the DataFrame's integer index, which
``read_table`` resets to 0, 1, 2, … and which row selections keep.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import logging
import lzma
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

#: Strategies of ``sklearn.impute.SimpleImputer`` that ``TableSchema.fit`` accepts.
IMPUTE_STRATEGIES = ("mean", "median", "most_frequent")

_OPENERS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}

logger = logging.getLogger(__name__)


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
        If the format is unknown, the file cannot be parsed, it has no data
        rows, or a row of a text file has more or fewer fields than the header.
    """
    path = Path(path)
    if path.is_dir():
        raise TableError(f"{str(path)!r} is a directory; pass a data file")
    if not path.is_file():
        raise FileNotFoundError(f"data file {str(path)!r} not found")
    suffix = _format_suffix(path)
    if suffix in _PARQUET_SUFFIXES and sep is None:
        frame = _read_parquet(path)
    else:
        if sep is None:
            if suffix not in _SEPARATORS:
                raise TableError(
                    f"unknown table format of {str(path)!r}: extension {suffix!r} is "
                    "not .csv, .tsv or .parquet; rename the file or pass --sep"
                )
            sep = _SEPARATORS[suffix]
        frame = _read_text(path, sep)
    if frame.shape[0] == 0:
        raise TableError(
            f"{str(path)!r} has a header but no data rows; at least one is required"
        )
    return frame


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path).reset_index(drop=True)
    except ImportError as error:
        raise TableError(
            f"reading {str(path)!r} needs a Parquet engine: {error}; install pyarrow"
        ) from None
    except (OSError, ValueError) as error:
        raise TableError(f"failed to parse {str(path)!r}: {error}") from None


def _read_text(path: Path, sep: str) -> pd.DataFrame:
    if path.stat().st_size == 0:
        raise TableError(f"data file {str(path)!r} is empty; it needs a header row")
    try:
        frame = pd.read_csv(path, sep=sep)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        message = " ".join(str(e).split())
        raise TableError(f"failed to parse {str(path)!r}: {message}") from None
    _check_row_lengths(path, sep)
    return frame


def _check_row_lengths(path: Path, sep: str) -> None:
    """Raise TableError if a data row has more or fewer fields than the header.

    pandas fills missing trailing fields with NaN, and turns one extra leading
    field in every row into the index, so such files would load without an
    error. Rows are split here with Python's csv module using the same
    separator and double-quote rules, and blank lines are skipped as pandas
    does.
    """
    opener = _OPENERS.get(path.suffix.lower())
    if len(sep) != 1 or path.suffix.lower() in (".zip", ".zst"):
        # NOTE: multi-character separators (regular expressions to pandas) and
        # zip or zstd archives are not checked, so short rows there load as NaN.
        return
    try:
        with (opener or open)(path, "rt", encoding="utf-8-sig", newline="") as file:
            rows = csv.reader(file, delimiter=sep)
            header_length = None
            for row in rows:
                if len(row) <= 1 and not "".join(row).strip():
                    continue
                if header_length is None:
                    header_length = len(row)
                elif len(row) != header_length:
                    raise TableError(
                        f"{str(path)!r} is ragged: line {rows.line_num} has "
                        f"{len(row)} field(s) but the header has {header_length}; "
                        "every row needs one value per column"
                    )
    except (csv.Error, UnicodeDecodeError, OSError, EOFError) as error:
        message = " ".join(str(error).split())
        raise TableError(f"failed to parse {str(path)!r}: {message}") from None


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
        # A value seen only once cannot be both trained on and tested, so a
        # column of mostly unique integers is a quantity, not a label.
        if target.value_counts().min() >= 2:
            return "classification"
    return "regression"


def check_column(frame: pd.DataFrame, column: str, source: str) -> None:
    """Raise TableError unless ``column`` is a column of ``frame``."""
    if column not in frame.columns:
        hint = ""
        if len(frame.columns) == 1:
            name = str(frame.columns[0])
            separator = next((sep for sep in ("\t", ";", "|") if sep in name), None)
            if separator is not None:
                hint = f"; the file looks separated by {separator!r}, so pass --sep"
        raise TableError(
            f"column {column!r} not found in {source}; its columns are "
            f"{[str(name) for name in frame.columns]}{hint}"
        )


def check_no_missing(values: pd.Series, column: str) -> None:
    """Raise TableError naming the column and the first row with a missing value."""
    missing = values.isna().to_numpy()
    if missing.any():
        row = _row_number(values, int(np.argmax(missing)))
        raise TableError(
            f"column {column!r} has a missing value in row {row} "
            f"({int(missing.sum())} missing in total); fill or drop those rows, "
            "or impute them with --impute mean, median or most_frequent"
        )


def target_values(frame: pd.DataFrame, column: str, source: str) -> np.ndarray:
    """Return the target column as a NumPy array, checked for missing values."""
    check_column(frame, column, source)
    values = frame[column]
    check_no_missing(values, column)
    if types.is_bool_dtype(values) or types.is_numeric_dtype(values):
        return values.to_numpy()
    return values.astype(str).to_numpy(dtype=object)


def check_target(y: np.ndarray, column: str, task: str) -> None:
    """Raise TableError unless ``y`` can be trained on for ``task``.

    Classification needs at least two classes, and regression needs finite
    numbers.
    """
    if task == "classification":
        classes = pd.unique(pd.Series(y))
        if len(classes) < 2:
            raise TableError(
                f"target column {column!r} has only one class, {classes[0]!r}; "
                "classification needs at least two"
            )
        return
    if not (types.is_bool_dtype(y) or types.is_numeric_dtype(y)):
        raise TableError(
            f"target column {column!r} contains text, such as {y[0]!r}, so it "
            "cannot be a regression target; use --task classification"
        )
    if not np.isfinite(y.astype(np.float64)).all():
        raise TableError(
            f"target column {column!r} contains an infinite value; regression "
            "targets must be finite numbers"
        )


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
    fill_values : dict of str to float or str
        The value that replaces a missing value of each feature column, empty
        when the schema was fitted without imputation.
    impute_strategy : str or None
        The ``SimpleImputer`` strategy that computed ``fill_values``.
    """

    feature_columns: list[str]
    categories: dict[str, list[str]] = field(default_factory=dict)
    target_column: str = ""
    task: str = "classification"
    fill_values: dict[str, float | str] = field(default_factory=dict)
    impute_strategy: str | None = None

    @classmethod
    def fit(
        cls,
        frame: pd.DataFrame,
        target_column: str,
        task: str,
        impute: str | None = None,
    ) -> TableSchema:
        """Build the schema from training rows: every column but the target is used.

        Parameters
        ----------
        frame : DataFrame
            The training rows, including the target column.
        target_column : str
            The column to leave out of the features.
        task : {"classification", "regression"}
            Stored in the schema.
        impute : {"mean", "median", "most_frequent"} or None, default=None
            Fill missing feature values with this statistic of the column,
            computed by scikit-learn's ``SimpleImputer``. Text columns always
            use the most frequent category, because they have no mean or
            median. ``None`` rejects missing values.

        Raises
        ------
        TableError
            If there are no feature columns, a value is missing (without
            ``impute``), a column has no values at all, a number is infinite,
            or a column that is mostly numbers contains text.
        """
        if impute is not None and impute not in IMPUTE_STRATEGIES:
            raise TableError(
                f"unknown imputation strategy {impute!r}; expected one of "
                f"{list(IMPUTE_STRATEGIES)}"
            )
        features = [str(name) for name in frame.columns if name != target_column]
        if not features:
            raise TableError(
                f"the table has no feature columns besides the target "
                f"{target_column!r}; at least one is required"
            )
        schema = cls(features, {}, target_column, task, {}, impute)
        numeric = {
            column: _is_numeric(frame[column]) or _mostly_numbers(frame[column])
            for column in features
        }
        if impute is not None:
            schema.fill_values = _fill_values(frame[features], numeric, impute)
        for column in features:
            values = frame[column]
            if impute is not None:
                values = _fill_missing(values, schema.fill_values[column])
            check_no_missing(values, column)
            if numeric[column]:
                _numeric_values(values, column)
            else:
                schema.categories[column] = sorted(values.astype(str).unique().tolist())
        return schema

    def transform(self, frame: pd.DataFrame, source: str) -> np.ndarray:
        """Return the feature matrix of ``frame``, shape (n_rows, n_encoded).

        Columns not in the schema, such as the target, are ignored. Missing
        values take the stored fill values when the schema has them. Text
        values not seen in training encode as all zeros in their one-hot
        block, with one logged warning per column that names the column.
        """
        for column in self.feature_columns:
            check_column(frame, column, source)
        blocks = []
        for column in self.feature_columns:
            values = frame[column]
            if column in self.fill_values:
                values = _fill_missing(values, self.fill_values[column])
            check_no_missing(values, column)
            if column in self.categories:
                blocks.append(self._one_hot(column, values, source))
            else:
                blocks.append(_numeric_values(values, column)[:, np.newaxis])
        return np.hstack(blocks)

    def _one_hot(self, column: str, values: pd.Series, source: str) -> np.ndarray:
        text = values.astype(str).to_numpy(dtype=object)
        categories = np.array(self.categories[column], dtype=object)
        one_hot = text[:, np.newaxis] == categories[np.newaxis, :]
        unseen = pd.unique(text[~one_hot.any(axis=1)])
        if len(unseen) > 0:
            logger.warning(
                "column %r of %s has %d categories not seen in training, such as "
                "%r; they are encoded as all zeros",
                column,
                source,
                len(unseen),
                unseen[0],
            )
        return one_hot.astype(np.float64)

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
            "fill_values": dict(self.fill_values),
            "impute_strategy": self.impute_strategy,
        }

    @classmethod
    def from_dict(cls, data: dict) -> TableSchema:
        """Rebuild a schema from ``to_dict`` output; raise TableError if invalid.

        Schemas written before imputation existed have no ``fill_values`` and
        load without them.
        """
        try:
            fill_values = {
                str(key): value if isinstance(value, str) else float(value)
                for key, value in data.get("fill_values", {}).items()
            }
            return cls(
                [str(name) for name in data["feature_columns"]],
                {str(k): [str(v) for v in vs] for k, vs in data["categories"].items()},
                str(data["target_column"]),
                str(data["task"]),
                fill_values,
                data.get("impute_strategy"),
            )
        except (KeyError, TypeError, AttributeError, ValueError) as error:
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


def _mostly_numbers(values: pd.Series) -> bool:
    """Return True when more than half of the present values of a column parse
    as numbers.

    Such a text column is almost always a numeric column with a typo, or with
    integers too large for int64, and one-hot encoding it would turn every
    distinct number into its own input.
    """
    present = values.dropna()
    if len(present) == 0:
        return False
    numbers = pd.to_numeric(present.astype(str), errors="coerce")
    return bool(numbers.notna().mean() > 0.5)


def _fill_values(
    frame: pd.DataFrame, numeric: dict[str, bool], strategy: str
) -> dict[str, float | str]:
    """Return the SimpleImputer statistic of each column of the training rows.

    Numeric columns use ``strategy``. Text columns use the most frequent
    category, because they have no mean or median.
    """
    from sklearn.impute import SimpleImputer

    for column in frame.columns:
        if frame[column].notna().sum() == 0:
            raise TableError(
                f"column {column!r} has no values to impute from; drop the column"
            )
    numbers = [column for column in frame.columns if numeric[column]]
    texts = [column for column in frame.columns if not numeric[column]]
    fill_values: dict[str, float | str] = {}
    if numbers:
        matrix = np.column_stack([_numbers_with_gaps(frame[c], c) for c in numbers])
        statistics = SimpleImputer(strategy=strategy).fit(matrix).statistics_
        fill_values.update(zip(numbers, statistics.tolist(), strict=True))
    if texts:
        text = frame[texts].astype(str).to_numpy(dtype=object)
        matrix = np.where(frame[texts].isna().to_numpy(), None, text)
        imputer = SimpleImputer(strategy="most_frequent", missing_values=None)
        statistics = imputer.fit(matrix).statistics_
        fill_values.update(zip(texts, [str(s) for s in statistics], strict=True))
    return {column: fill_values[column] for column in frame.columns}


def _numbers_with_gaps(values: pd.Series, column: str) -> np.ndarray:
    """Return a numeric column as float64 with NaN where a value is missing."""
    result = np.full(len(values), np.nan)
    present = values.notna().to_numpy()
    result[present] = _numeric_values(values[present], column)
    return result


def _fill_missing(values: pd.Series, fill: float | str) -> pd.Series:
    # A text column whose rows are all missing reads as float64, which pandas
    # does not fill with a string.
    if isinstance(fill, str) and _is_numeric(values):
        values = values.astype(object)
    return values.fillna(fill)


def _numeric_values(values: pd.Series, column: str) -> np.ndarray:
    """Return a numeric column as float64, raising TableError on text or infinity."""
    if _is_numeric(values):
        numbers = values.to_numpy(dtype=np.float64)
    else:
        parsed = pd.to_numeric(values.astype(str), errors="coerce")
        text = parsed.isna().to_numpy()
        if text.any():
            position = int(np.argmax(text))
            raise TableError(
                f"column {column!r} must be numeric, but row "
                f"{_row_number(values, position)} contains the text "
                f"{values.iloc[position]!r}; replace it with a number"
            )
        numbers = parsed.to_numpy(dtype=np.float64)
    infinite = np.isinf(numbers)
    if infinite.any():
        position = int(np.argmax(infinite))
        raise TableError(
            f"column {column!r} has the value {str(values.iloc[position])!r} in row "
            f"{_row_number(values, position)}, which is infinite or too large for "
            "a float64; replace it with a finite number"
        )
    return numbers
