"""Looking at columns and choosing the target: column summaries, class names and balance, the task
a target suggests (classification or regression), and the checks a target must pass.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from mllab.datasets.model import Dataset
from mllab.errors import DataError


def _column_type(values: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(values):
        return "boolean"
    if pd.api.types.is_numeric_dtype(values):
        return "numeric"
    return "categorical"


def summarize_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per column: type, missing count and percentage, distinct values, an example value."""
    n = len(frame)
    records = []
    for name in frame.columns:
        values = frame[name]
        missing = int(values.isna().sum())
        present = values.dropna()
        records.append({
            "column": str(name),
            "type": _column_type(values),
            "missing": missing,
            "missing_pct": round(100.0 * missing / n, 1) if n else 0.0,
            "unique": int(values.nunique(dropna=True)),
            # Always text: a column of mixed examples (numbers and words) cannot be shown by Arrow.
            "example": class_name(present.iloc[0]) if len(present) else "",
        })
    return pd.DataFrame.from_records(records, columns=["column", "type", "missing", "missing_pct", "unique",
                                                       "example"])


def class_name(value) -> str:
    # 3.0 in a float column (a target with missing values is read as float) is class "3", not "3.0".
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def class_sort_key(value) -> tuple:
    # Numbers in numeric order (class 10 after 9), then everything else as text. Same order as training.
    if isinstance(value, (int, float, np.number)) and not isinstance(value, (bool, np.bool_)):
        return (0, float(value), "")
    return (1, 0.0, str(value))


def class_balance(frame: pd.DataFrame, target: str) -> pd.DataFrame:
    """Rows per class of the target: class (as text, for a categorical chart axis), count, fraction."""
    counts = sorted(frame[target].value_counts(dropna=True).items(), key=lambda item: class_sort_key(item[0]))
    total = sum(int(n) for _, n in counts)
    return pd.DataFrame({
        "class": [class_name(c) for c, _ in counts],
        "count": [int(n) for _, n in counts],
        "fraction": [int(n) / total if total else 0.0 for _, n in counts],
    }, columns=["class", "count", "fraction"])


# A numeric target with more distinct values than this, some not whole numbers, is offered as a
# regression: twenty classes of a measured quantity would each hold a sliver of its range.
REGRESSION_MIN_VALUES = 20
# ... and with more than this many, even of whole numbers (ages, counts), it cannot be classes.
MAX_CLASSES = 50
TASKS = ("classification", "regression")
TASK_LABELS = {"classification": "Classification (predict a class)", "regression": "Regression (predict a number)"}
# Target names that usually hold a redshift, compared in lower case without _ and -.
_REDSHIFT_NAMES = {"z", "redshift", "zspec", "specz", "zsp", "zphot", "photoz", "zbest", "zcmb", "zhelio"}


def _is_numeric_target(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def suggest_task(frame: pd.DataFrame, target: str, dataset_task: str | None = None,
                 dataset_target: str | None = None) -> str:
    """"regression" for a numeric target with many distinct values, else "classification".

    The dataset's own task wins for the target it was published with.
    """
    if dataset_task in TASKS and target == dataset_target:
        return dataset_task
    if target not in frame.columns:
        return "classification"
    values = frame[target].dropna()
    if not _is_numeric_target(values):
        return "classification"
    distinct = values.nunique()
    whole = pd.api.types.is_integer_dtype(values) or bool(np.all(np.mod(values.to_numpy(dtype=float), 1) == 0))
    if distinct > MAX_CLASSES or (distinct > REGRESSION_MIN_VALUES and not whole):
        return "regression"
    return "classification"


def looks_like_redshift(target: str, redshift_columns: tuple[str, ...] = ()) -> bool:
    """Whether the target is a redshift: the dataset says so, or its name is one redshifts go by."""
    return target in redshift_columns or re.sub(r"[_\-\s]", "", str(target)).lower() in _REDSHIFT_NAMES


def check_target(frame: pd.DataFrame, target: str, max_classes: int = MAX_CLASSES,
                 task: str = "classification") -> None:
    """Raise DataError unless `target` can be the label of a classifier with a stratified split,
    or, for task="regression", the value a regression predicts."""
    if target not in frame.columns:
        raise DataError(f"The target column '{target}' is not in the data. Pick one of the data's columns.")
    values = frame[target].dropna()
    if values.empty:
        raise DataError(f"The target column '{target}' has no values: every row is empty. "
                        "Pick another target column.")
    if task == "regression":
        _check_regression_target(values, target)
        return
    counts = values.value_counts()
    if len(counts) < 2:
        raise DataError(f"The target column '{target}' has only one class ({class_name(counts.index[0])}); "
                        "a classifier needs at least two. Pick another target column.")
    if len(counts) > max_classes:
        if _is_numeric_target(values):
            why = ("It looks like a numeric, continuous quantity: predicting that is regression. Choose "
                   "Regression as the task.")
        else:
            why = "It looks like an identifier or free text rather than a set of categories."
        raise DataError(f"The target column '{target}' has {len(counts):,} different values, more than the "
                        f"{max_classes} classes mllab can learn. {why} Otherwise pick a column that holds categories.")
    rare = sorted((c for c, n in counts.items() if n < 2), key=class_sort_key)
    if rare:
        listed = ", ".join(f"'{class_name(c)}'" for c in rare[:5]) + (" …" if len(rare) > 5 else "")
        plural = len(rare) > 1
        raise DataError(f"The class{'es' if plural else ''} {listed} of the target column '{target}' "
                        f"{'have' if plural else 'has'} only one row, so the data cannot be split into training "
                        "and test parts with every class in both. Remove those rows, add more examples, or pick "
                        "another target column.")


# A regression is trained on some rows and judged on others; fewer rows than this say nothing.
MIN_REGRESSION_ROWS = 10


def _check_regression_target(values: pd.Series, target: str) -> None:
    if not _is_numeric_target(values):
        raise DataError(f"The target column '{target}' does not hold numbers, so a regression cannot predict it. "
                        "Choose Classification as the task, or pick a numeric target column.")
    finite = values[np.isfinite(values.to_numpy(dtype=float))]
    if len(finite) < MIN_REGRESSION_ROWS:
        raise DataError(f"The target column '{target}' has only {len(finite)} numeric values; a regression needs "
                        f"at least {MIN_REGRESSION_ROWS} to train on some and test on others.")
    if finite.nunique() < 2:
        raise DataError(f"Every value of the target column '{target}' is the same, so there is nothing for a "
                        "regression to predict. Pick another target column.")


def suggest_target(frame: pd.DataFrame) -> str | None:
    """The last column with 2 to 20 distinct values (the label is usually last), or None.

    Columns of decimal numbers are passed over: a measurement that happens to take few values
    (a sentinel like -99.99 and a handful of readings) is almost never the label.
    """
    for name in reversed(frame.columns):
        values = frame[name].dropna()
        if not 2 <= values.nunique() <= 20:
            continue
        if pd.api.types.is_float_dtype(values) and not np.all(np.mod(values.to_numpy(dtype=float), 1) == 0):
            continue
        return name
    return None


def sample_images(dataset: Dataset, target: str, per_class: int = 2, limit: int = 24,
                  seed: int = 0) -> tuple[np.ndarray, list[str]]:
    """A few images of each class, as (n, height, width) greyscale arrays, with their labels.

    Colour images are shown by their mean over channels: enough to see what the classes look like.
    """
    if dataset.kind != "image" or dataset.image_shape is None:
        raise ValueError("sample_images needs an image dataset")
    frame = dataset.frame[dataset.frame[target].notna()]
    shuffled = frame.sample(frac=1.0, random_state=seed)
    picked = shuffled.groupby(target, sort=False).head(per_class)
    order = sorted(range(len(picked)), key=lambda i: class_sort_key(picked[target].iloc[i]))
    picked = picked.iloc[order[:limit]]
    height, width, channels = dataset.image_shape
    pixels = picked[dataset.feature_columns(target)].to_numpy(dtype=float)
    images = pixels.reshape(len(picked), height, width, channels).mean(axis=3)
    return images, [class_name(v) for v in picked[target].to_numpy(dtype=object)]
