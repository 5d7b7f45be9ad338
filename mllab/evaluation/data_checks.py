"""Checks of the data a run trained on, for its verdict: columns that give the answer away, 'missing'
markers still among the features, classes too rare for the model or the folds.

Each check is a function of the frame and returns plain facts; `mllab.evaluation.verdict` words
them. Thresholds come from the tools that made these checks common, named at each constant.
Cheap by construction: at most PPS_ROWS sampled rows and PPS_MAX_COLUMNS columns, one small tree
per column and fold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mllab.prepare import find_missing_markers, looks_like_identifier_name, looks_like_identifier_values

# Predictive power score (PPS, Wetschoreck 2020, the `ppscore` package that deepchecks builds its
# FeatureLabelCorrelation and IdentifierLabelCorrelation checks on): a decision tree on one column
# alone, cross-validated, scored against a naive predictor: (score - naive) / (perfect - naive),
# clipped at 0. Classification: weighted F1 against always answering the most common class;
# regression: mean absolute error against always predicting the median.
PPS_ROWS = 2_000  # ppscore samples 5,000; 2,000 keeps a 30-column table under a second on two cores
PPS_FOLDS = 4  # as ppscore
PPS_MAX_COLUMNS = 60  # wider tables (spectra, pixels) are not checked column by column
# deepchecks' FeatureLabelCorrelation warns from a PPS of 0.8 and EvalML's TargetLeakageDataCheck
# from a correlation of 0.95. Real measurements reach 0.8-0.93 alone (petal width in iris 0.93,
# the period of OGLE's variables 0.79), so a column warns from EvalML's 0.95: "almost perfectly".
LEAK_PPS = 0.95
# deepchecks IdentifierLabelCorrelation fails at any power above 0. A column of random numbers
# scores up to about 0.1 on samples this size (random guesses beat the majority's weighted F1 a
# little), so an identifier warns from 0.2.
IDENTIFIER_PPS = 0.2
# EvalML ClassImbalanceDataCheck(threshold=0.1): a class is imbalanced when its rows are under a
# tenth of its rows plus the majority class's (for two classes: a minority under 10 %).
IMBALANCE_THRESHOLD = 0.1
# EvalML ClassImbalanceDataCheck(num_cv_folds=...): a class needs at least twice as many rows as folds.
ROWS_PER_FOLD = 2
MARKER_SAMPLE_ROWS = 50_000
MARKER_SAMPLE_VALUES = 5_000_000  # wide data (spectra) is scanned on fewer rows


@dataclass
class ColumnPower:
    column: str
    power: float  # the predictive power score, 0 (no better than naive) to 1 (perfect)
    identifier: bool  # its name or values say it names a row (ID, objid, a running number)


def predictive_power(frame: pd.DataFrame, columns: list[str], target: str, task: str, seed: int = 0
                     ) -> list[ColumnPower]:
    """The PPS of each of `columns` for `target`, highest first (at most PPS_MAX_COLUMNS columns)."""
    from sklearn.model_selection import KFold, cross_val_predict
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    if not columns or len(columns) > PPS_MAX_COLUMNS:
        return []
    rows = frame[frame[target].notna()]
    if len(rows) > PPS_ROWS:
        rows = rows.sample(PPS_ROWS, random_state=seed)
    else:
        rows = rows.sample(frac=1.0, random_state=seed)  # shuffled, as ppscore's sample is
    if len(rows) < 2 * PPS_FOLDS:
        return []
    regression = task == "regression"
    if regression:  # the rows a regression trains on: those whose target is a finite number
        values = pd.to_numeric(rows[target], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        rows = rows[np.isfinite(values)]
        if len(rows) < 2 * PPS_FOLDS:
            return []
        y = values[np.isfinite(values)]
    else:
        y = pd.factorize(rows[target].astype(str))[0]
    folds = KFold(PPS_FOLDS)
    found = []
    for column in columns:
        values = rows[column]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            x = values.to_numpy(dtype=float, na_value=np.nan)
            x = np.where(np.isfinite(x), x, np.nanmin(x) - 1 if np.isfinite(x).any() else 0.0)
        else:
            x = pd.factorize(values.astype(str))[0].astype(float)
        tree = DecisionTreeRegressor(random_state=seed) if regression else DecisionTreeClassifier(random_state=seed)
        predicted = cross_val_predict(tree, x.reshape(-1, 1), y, cv=folds)
        found.append(ColumnPower(str(column), _power(y, predicted, regression),
                                 looks_like_identifier_name(column) or looks_like_identifier_values(frame[column])))
    return sorted(found, key=lambda c: -c.power)


def _power(y: np.ndarray, predicted: np.ndarray, regression: bool) -> float:
    if regression:
        naive = float(np.mean(np.abs(y - np.median(y))))
        if naive == 0:
            return 0.0
        return float(max(0.0, 1.0 - np.mean(np.abs(y - predicted)) / naive))
    from sklearn.metrics import f1_score

    majority = np.full_like(y, np.bincount(y).argmax())
    naive = f1_score(y, majority, average="weighted", zero_division=0)
    score = f1_score(y, predicted, average="weighted", zero_division=0)
    return float(max(0.0, (score - naive) / (1.0 - naive))) if naive < 1 else 0.0


@dataclass
class RareClass:
    name: str
    count: int
    share_of_pair: float  # count / (count + the majority class's count), EvalML's measure
    share: float  # of all rows


def imbalanced_classes(counts: dict[str, int]) -> list[RareClass]:
    """Classes under IMBALANCE_THRESHOLD of themselves plus the majority class, rarest first."""
    if len(counts) < 2:
        return []
    majority = max(counts.values())
    total = sum(counts.values())
    rare = [RareClass(str(name), int(n), n / (n + majority), n / total) for name, n in counts.items()
            if n / (n + majority) < IMBALANCE_THRESHOLD]
    return sorted(rare, key=lambda r: r.count)


def classes_too_rare_for_folds(counts: dict[str, int], n_folds: int) -> list[tuple[str, int]]:
    """(class, rows) of the classes with fewer than ROWS_PER_FOLD × n_folds rows, rarest first."""
    return sorted(((str(c), int(n)) for c, n in counts.items() if n < ROWS_PER_FOLD * n_folds), key=lambda p: p[1])


def markers_in_features(frame: pd.DataFrame, columns: list[str], seed: int = 0) -> dict[float, list[tuple[str, int]]]:
    """'Missing' markers (-99.99, -9999, ...) still in the feature columns: value -> [(column, rows)].

    Found as the Data page finds them (outside the range of the column's other values), on at most
    MARKER_SAMPLE_ROWS sampled rows (fewer for wide data), with the counts scaled back to the whole table.
    """
    limit = max(1_000, min(MARKER_SAMPLE_ROWS, MARKER_SAMPLE_VALUES // max(1, len(columns))))
    sample = frame if len(frame) <= limit else frame.sample(limit, random_state=seed)
    scale = len(frame) / max(1, len(sample))
    found: dict[float, list[tuple[str, int]]] = {}
    for marker in find_missing_markers(sample, columns):
        found.setdefault(marker.value, []).append((marker.column, int(round(marker.count * scale))))
    return found
