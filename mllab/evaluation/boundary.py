"""A classifier's decision boundary as a map: the predicted class and its probability on a 100 × 100 grid.

Worked out on the worker right after training, with the trained model and its fitted preprocessing:

- over two feature columns the user picked: a grid over each one's range in the training rows
  (1st to 99th percentile, padded), every other feature fixed at its median in the training rows
  (text columns at their most common value), put through the run's own preprocessing and model;
- over the first two principal components of the model's inputs (after preprocessing): the grid
  is mapped back with the components (every other component at 0, the training mean);
- over two chosen classes (`class_pair_boundary`, for many classes): the plane through both classes' mean
  rows (after preprocessing), across from one to the other and up along their rows' widest spread.

Every map is a slice through the data, and says so (`note`) with what it holds fixed. Over two principal
components of many inputs (the ten digits' 64 pixels) most rows lie far off the slice, and a model that
scores 0.95 can look wrong there: `caution` says so, for the page to show.

What reaches the page is the grid, the class and probability in each cell, and a sample of the
training and test rows as points (test rows with their prediction, so misclassified ones can be
ringed): small arrays, never the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

GRID = 100
MAX_TRAIN_POINTS = 500
MAX_TEST_POINTS = 1_000
PCA = "pca"  # the spec's choice for the first two principal components


@dataclass
class BoundaryMap:
    x_label: str
    y_label: str
    x: list[float]  # the grid's GRID values along each axis
    y: list[float]
    predicted: np.ndarray  # (GRID, GRID) int8 class index; rows follow y, columns follow x
    probability: np.ndarray  # (GRID, GRID) float32: the probability of the predicted class
    class_names: list[str]
    note: str  # what the map holds fixed, for the page to say
    train_points: dict = field(default_factory=dict)  # x, y, label (class index)
    test_points: dict = field(default_factory=dict)  # x, y, label, predicted
    caution: str = ""  # why the map may look wrong for a good model (a slice far from most rows)
    points_name: str = "test"  # what the ringed points are: the run's test rows, or the data's rows
    held: str = ""  # the figure's subtitle: what the slice holds fixed, in a few words

# Over two principal components holding less of the variance than this, of a problem with more classes
# than this, the map is said to be unreliable (the digits: 22 % over 64 pixels, ten classes; wine: 56 %).
CAUTION_VARIANCE = 0.5
CAUTION_CLASSES = 2


def _sample(n: int, limit: int, seed: int) -> np.ndarray:
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, limit, replace=False))


def _axis(values: np.ndarray) -> np.ndarray:
    low, high = np.nanpercentile(values, [1, 99]) if len(values) else (0.0, 1.0)
    if not np.isfinite(low) or not np.isfinite(high):
        low, high = 0.0, 1.0
    pad = (high - low) * 0.05 or 1.0
    return np.linspace(low - pad, high + pad, GRID)


def _predict_grid(predictor, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    proba = np.asarray(predictor(np.asarray(inputs, dtype=np.float32)), dtype=float)
    predicted = proba.argmax(axis=1)
    return (predicted.reshape(GRID, GRID).astype(np.int8),
            proba[np.arange(len(proba)), predicted].reshape(GRID, GRID).astype(np.float32))


def feature_boundary(predictor, preprocessor, x_train_raw: pd.DataFrame, x_test_raw: pd.DataFrame,
                     y_train: np.ndarray, y_test: np.ndarray, test_proba: np.ndarray, class_names: list[str],
                     x_column: str, y_column: str, seed: int = 0) -> BoundaryMap:
    """The map over two raw feature columns, the others at their training median (or most common value)."""
    fixed = {}
    for column in x_train_raw.columns:
        values = x_train_raw[column]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            median = values.median()
            fixed[column] = 0.0 if pd.isna(median) else float(median)
        else:
            mode = values.mode(dropna=True)
            fixed[column] = mode.iloc[0] if len(mode) else values.iloc[0]
    xs = _axis(pd.to_numeric(x_train_raw[x_column], errors="coerce").to_numpy(dtype=float, na_value=np.nan))
    ys = _axis(pd.to_numeric(x_train_raw[y_column], errors="coerce").to_numpy(dtype=float, na_value=np.nan))
    grid_x, grid_y = np.meshgrid(xs, ys)
    # One training row with every column at its fixed value, repeated: the columns keep the dtypes the
    # preprocessing was fitted on.
    template = x_train_raw.iloc[[0]].copy()
    for column, value in fixed.items():
        template[column] = value
    frame = template.loc[template.index.repeat(GRID * GRID)].reset_index(drop=True)
    for column in (x_column, y_column):
        frame[column] = frame[column].astype(float)
    frame[x_column] = grid_x.reshape(-1)
    frame[y_column] = grid_y.reshape(-1)
    predicted, probability = _predict_grid(predictor, preprocessor.transform(frame))
    others = len(x_train_raw.columns) - 2
    note = (f"A slice through the data: the {others} other feature{'s' if others != 1 else ''} held at "
            f"{'their medians' if others != 1 else 'its median'} in the training rows (text at its most common value); "
            "the points are the rows' own values, wherever their other features lie." if others else
            "The model uses these two features only: the map is the whole model.")

    def coordinates(frame_raw: pd.DataFrame, column: str) -> np.ndarray:
        return pd.to_numeric(frame_raw[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)

    train_rows = _sample(len(x_train_raw), MAX_TRAIN_POINTS, seed)
    test_rows = _sample(len(x_test_raw), MAX_TEST_POINTS, seed)
    return BoundaryMap(
        x_label=str(x_column), y_label=str(y_column), x=xs.tolist(), y=ys.tolist(), predicted=predicted,
        probability=probability, class_names=list(class_names), note=note,
        held=(f"a slice: the {others} other features at their medians" if others else "the model's only two features"),
        train_points=_points(coordinates(x_train_raw, x_column)[train_rows],
                             coordinates(x_train_raw, y_column)[train_rows], np.asarray(y_train)[train_rows]),
        test_points=_points(coordinates(x_test_raw, x_column)[test_rows], coordinates(x_test_raw, y_column)[test_rows],
                            np.asarray(y_test)[test_rows], np.asarray(test_proba)[test_rows].argmax(axis=1)),
    )


def pca_boundary(predictor, x_train: np.ndarray, x_test: np.ndarray, y_train: np.ndarray, y_test: np.ndarray,
                 test_proba: np.ndarray, class_names: list[str], seed: int = 0) -> BoundaryMap:
    """The map over the first two principal components of the model's inputs (after preprocessing)."""
    from sklearn.decomposition import PCA as Components

    components = Components(n_components=2, random_state=seed).fit(x_train)
    train_2d = components.transform(x_train)
    test_2d = components.transform(x_test)
    xs, ys = _axis(train_2d[:, 0]), _axis(train_2d[:, 1])
    grid_x, grid_y = np.meshgrid(xs, ys)
    inputs = components.inverse_transform(np.column_stack([grid_x.reshape(-1), grid_y.reshape(-1)]))
    predicted, probability = _predict_grid(predictor, inputs)
    shares = components.explained_variance_ratio_
    train_rows = _sample(len(x_train), MAX_TRAIN_POINTS, seed)
    test_rows = _sample(len(x_test), MAX_TEST_POINTS, seed)
    others = x_train.shape[1] - 2
    caution = ""
    if shares.sum() < CAUTION_VARIANCE and len(class_names) > CAUTION_CLASSES:
        caution = (f"These two components hold only {100 * shares.sum():.0f} % of the variance: most rows lie far "
                   "from this slice, so the map can look wrong even for a model that scores well (the points are "
                   "drawn where they project, not where the model sees them). Choose two classes or two features "
                   "for a truer picture.")
    return BoundaryMap(
        x_label=f"PC1 ({100 * shares[0]:.0f} % of the variance)", y_label=f"PC2 ({100 * shares[1]:.0f} %)",
        x=xs.tolist(), y=ys.tolist(), predicted=predicted, probability=probability, class_names=list(class_names),
        note=(f"A slice through the data: the first two principal components of the model's {x_train.shape[1]} inputs "
              f"(after preprocessing), {100 * shares.sum():.0f} % of their variance, with the {others} other "
              "components held at 0 (the training rows' mean)."),
        caution=caution, held=f"a slice: the {others} other components at 0 (the mean)",
        train_points=_points(train_2d[train_rows, 0], train_2d[train_rows, 1], np.asarray(y_train)[train_rows]),
        test_points=_points(test_2d[test_rows, 0], test_2d[test_rows, 1], np.asarray(y_test)[test_rows],
                            np.asarray(test_proba)[test_rows].argmax(axis=1)),
    )


def class_pair_boundary(predictor, x_train: np.ndarray, x_test: np.ndarray, y_train: np.ndarray,
                        y_test: np.ndarray, test_proba: np.ndarray, class_names: list[str], pair: tuple[int, int],
                        seed: int = 0) -> BoundaryMap:
    """The map over the plane through two classes' mean rows (the model's inputs, after preprocessing):
    across from the first class's mean to the second's, up along the widest spread of their rows left once
    that direction is taken out. Only the two classes' rows are drawn: a slice where both of them lie."""
    first, second = (int(c) for c in pair)
    y_train, y_test = np.asarray(y_train), np.asarray(y_test)
    mine = np.isin(y_train, (first, second))
    rows = np.asarray(x_train, dtype=float)[mine]
    centre = rows.mean(axis=0)
    across = rows[y_train[mine] == second].mean(axis=0) - rows[y_train[mine] == first].mean(axis=0)
    across = across / (np.linalg.norm(across) or 1.0)
    rest = (rows - centre) - np.outer((rows - centre) @ across, across)
    up = np.linalg.svd(rest, full_matrices=False)[2][0] if len(rest) > 1 and np.any(rest) else np.zeros_like(across)
    basis = np.vstack([across, up])

    def project(x: np.ndarray) -> np.ndarray:
        return (np.asarray(x, dtype=float) - centre) @ basis.T

    train_2d = project(rows)
    xs, ys = _axis(train_2d[:, 0]), _axis(train_2d[:, 1])
    grid_x, grid_y = np.meshgrid(xs, ys)
    inputs = centre + np.column_stack([grid_x.reshape(-1), grid_y.reshape(-1)]) @ basis
    predicted, probability = _predict_grid(predictor, inputs)
    test_mine = np.isin(y_test, (first, second))
    test_2d = project(np.asarray(x_test)[test_mine])
    train_rows = _sample(len(train_2d), MAX_TRAIN_POINTS, seed)
    test_rows = _sample(len(test_2d), MAX_TEST_POINTS, seed)
    a, b = class_names[first], class_names[second]
    return BoundaryMap(
        x_label=f"from {a} to {b}", y_label="their widest other spread",
        x=xs.tolist(), y=ys.tolist(), predicted=predicted, probability=probability, class_names=list(class_names),
        note=(f"A slice through the data: the plane through the mean rows of {a} and {b} (the model's "
              f"{np.asarray(x_train).shape[1]} inputs, after preprocessing), every other direction held at their "
              f"centre. Only rows of these two classes are drawn; any class may be predicted on the slice."),
        held=f"a slice through the centres of {a} and {b}",
        train_points=_points(train_2d[train_rows, 0], train_2d[train_rows, 1], y_train[mine][train_rows]),
        test_points=_points(test_2d[test_rows, 0], test_2d[test_rows, 1], y_test[test_mine][test_rows],
                            np.asarray(test_proba)[test_mine][test_rows].argmax(axis=1)),
    )


def _points(x: np.ndarray, y: np.ndarray, label: np.ndarray, predicted: np.ndarray | None = None) -> dict:
    points = {"x": np.asarray(x, dtype=np.float32), "y": np.asarray(y, dtype=np.float32),
              "label": np.asarray(label, dtype=np.int16)}
    if predicted is not None:
        points["predicted"] = np.asarray(predicted, dtype=np.int16)
    return points
