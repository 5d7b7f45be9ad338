"""Looking at columns and choosing the target: column summaries, class names and balance, the task
a target suggests (classification or regression), and the checks a target must pass.
"""

from __future__ import annotations

import dataclasses
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


# Words a label column is usually named with, compared with the name's words in lower case ("SpecType" and
# "class_label" are named like a class, "classifier_score" is not).
_TARGET_WORDS = {"class", "classes", "label", "labels", "type", "target", "clump", "category", "categories",
                 "outcome", "diagnosis", "species", "kind", "cls", "state", "y"}
# Values catalogues use for a label nobody has decided yet (class names, as `class_name` writes them).
_NOT_KNOWN_TEXT = {"?", "??", "unknown", "unk", "n/a", "na", "none", "null", "-", "--", "tbd", "undefined"}
_NOT_KNOWN_NUMBERS = (-1.0, -9.0, -99.0, -999.0, -9999.0, 99.0, 999.0, 9999.0)
# A label with more classes than this is rarely one (twenty classes already need many rows each).
MAX_SUGGESTED_CLASSES = 20


@dataclasses.dataclass(frozen=True)
class TargetCandidate:
    """A column that may be the label, with why: what the Data page says when it picks one."""

    column: str
    score: float
    named_like_a_class: bool
    values: int                       # distinct values, the "not known" one included
    not_known: str | None = None      # the value that looks like "not known yet", as a class name
    not_known_rows: int = 0
    last: bool = False                # the table's last column, where labels usually sit

    def sentence(self) -> str:
        """'clump: named like a class, 3 values, -1 on 753 rows looks like not known yet'."""
        parts = []
        if self.named_like_a_class:
            parts.append("named like a class")
        parts.append(f"{self.values} values")
        if self.not_known is not None:
            parts.append(f"{self.not_known} on {self.not_known_rows:,} rows looks like not known yet")
        if self.last and not self.named_like_a_class:
            parts.append("the last column")
        return f"{self.column}: " + ", ".join(parts)


def _name_words(name) -> set[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(name))  # SpecType -> Spec Type
    return {w for w in re.split(r"[^a-z0-9]+", spaced.lower()) if w}


def not_known_value(values: pd.Series) -> tuple[str, int] | None:
    """The value of a label column that looks like "not known yet" (a -1 beside classes 0, 1, 2; a '?'; a 99
    above small class numbers), as a class name, with the number of rows holding it; None when none does.

    A number counts only when it sits outside the range of the other values, and at least two other values
    are left to learn: in a column of -1 and 1 the -1 is a class.
    """
    present = values.dropna()
    if present.empty:
        return None
    if _is_numeric_target(present):
        numbers = present.to_numpy(dtype=float)
        for marker in _NOT_KNOWN_NUMBERS:
            hits = numbers == marker
            if not hits.any():
                continue
            others = numbers[~hits]
            if len(np.unique(others)) < 2:
                continue
            outside = others.min() >= 0 if marker < 0 else others.max() < marker / 2
            if outside:
                return class_name(marker), int(hits.sum())
        return None
    if pd.api.types.is_bool_dtype(present):
        return None
    text = present.astype(str).str.strip()
    lowered = text.str.lower()
    for value in dict.fromkeys(text[lowered.isin(_NOT_KNOWN_TEXT) | text.isin(["-1", "99", "-99"])]):
        hits = text == value
        if text[~hits].nunique() >= 2:
            return str(value), int(hits.sum())
    return None


def _candidate(frame: pd.DataFrame, name, last: bool) -> TargetCandidate | None:
    values = frame[name].dropna()
    # nunique on a bounded prefix first: a float measurement with thousands of values is ruled out cheaply.
    if values.head(5000).nunique() > MAX_SUGGESTED_CLASSES + 1:
        return None
    distinct = values.nunique()
    if not 2 <= distinct <= MAX_SUGGESTED_CLASSES + 1:
        return None
    if pd.api.types.is_float_dtype(values) and not np.all(np.mod(values.to_numpy(dtype=float), 1) == 0):
        return None  # decimal readings that take few values (a sentinel and a handful of levels) are no label
    unknown = not_known_value(values)
    classes = distinct - (1 if unknown else 0)
    if not 2 <= classes <= MAX_SUGGESTED_CLASSES:
        return None
    named = bool(_name_words(name) & _TARGET_WORDS)
    # The name says most; a "not known" value says a label nobody has decided yet; few values say a category;
    # the last column is where tables usually keep the label (and decides between otherwise equal columns).
    score = 2.0 + 3.0 * named + 1.5 * (unknown is not None) + 1.0 * last
    return TargetCandidate(str(name), score, named, int(distinct), unknown[0] if unknown else None,
                           unknown[1] if unknown else 0, last)


def rank_targets(frame: pd.DataFrame) -> list[TargetCandidate]:
    """The columns that may be the label, most likely first (ties keep the later column first)."""
    columns = list(frame.columns)
    found = [c for c in (_candidate(frame, name, i == len(columns) - 1) for i, name in enumerate(columns))
             if c is not None]
    order = {c.column: i for i, c in enumerate(found)}
    return sorted(found, key=lambda c: (-c.score, -order[c.column]))


def target_reason(ranking: list[TargetCandidate], target: str, published: str | None = None) -> str | None:
    """The Data page's sentence on why a target is offered: the dataset's own, or the ranking's first."""
    if published is not None and target == published:
        return f"{target} is the target this dataset was published with."
    if not ranking:
        return None
    top = ranking[0]
    if top.column == target:
        return f"Suggested target — {top.sentence()}."
    return f"The suggested target was {top.sentence()}."


def suggest_target(frame: pd.DataFrame) -> str | None:
    """The most likely label column (`rank_targets`), or None when no column looks like one."""
    ranked = rank_targets(frame)
    return ranked[0].column if ranked else None


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
