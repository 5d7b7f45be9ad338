"""Preprocessing as a scikit-learn pipeline, fitted on the training part only.

The settings are declared as a schema (like model hyperparameters) so the page renders
them with the same widget code and the same validation applies everywhere.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from mllab.errors import DataError, ParamError
from mllab.params import BoolParam, ChoiceParam, FloatParam, IntParam, validate_values

if TYPE_CHECKING:  # scikit-learn is imported where it is used: the pages import this module for its schema
    from sklearn.pipeline import Pipeline

# One-hot encoding of a column with thousands of values (an identifier, a free-text field)
# would explode the feature count; rarer categories beyond this many are grouped together.
MAX_ONE_HOT_CATEGORIES = 30

PREPROCESSING_SCHEMA = (
    ChoiceParam(
        "imputation", "Fill missing values with", "How a missing value in a numeric column is replaced "
        "(computed on the training part only).", "mean", ("mean", "median", "most_frequent"),
        {"mean": "Column mean", "median": "Column median", "most_frequent": "Most frequent value"},
    ),
    ChoiceParam(
        "scaling", "Scaling", "Rescale numeric columns. Neural networks and logistic regression train "
        "much better on standardised inputs; forests don't care.", "standard",
        ("standard", "minmax", "maxabs", "none"),
        {"standard": "Standard (mean 0, std 1)", "minmax": "Min-max (0 to 1)", "maxabs": "Max-abs (-1 to 1)",
         "none": "None"},
    ),
    BoolParam("one_hot", "One-hot encode categorical columns",
              "Turn each text column into one 0/1 column per category. When off, text columns are left out.", True),
    IntParam("pca_components", "PCA components (0 = off)",
             "Project the features onto this many principal components after scaling.", 0, 0, 64),
    FloatParam("test_fraction", "Test fraction", "Share of rows held out to evaluate the trained model.",
               0.2, 0.05, 0.5, step=0.05),
    BoolParam("stratify", "Stratified split", "Keep the class proportions the same in the training and test parts.",
              True, tasks=("classification",)),
    IntParam("seed", "Random seed", "Same data, settings and seed give the same result.", 42, 0, 10_000),
)


@dataclass(frozen=True)
class PreprocessConfig:
    imputation: str = "mean"
    scaling: str = "standard"
    one_hot: bool = True
    pca_components: int = 0
    test_fraction: float = 0.2
    stratify: bool = True
    seed: int = 42

    @classmethod
    def from_values(cls, values: dict) -> "PreprocessConfig":
        return cls(**validate_values(PREPROCESSING_SCHEMA, values))

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class LabelledData:
    """Features and integer-coded labels (classification) or float target values (regression),
    with what was dropped on the way. A regression has no classes: `class_names` is empty."""

    features: pd.DataFrame
    labels: np.ndarray
    class_names: list[str]
    dropped_missing_target: int
    # Position in the dataset's frame of each kept row (features and labels are renumbered 0..n-1):
    # how a test prediction finds its row again for inspection.
    rows: np.ndarray | None = None
    # Each class's value as the target column holds it (1, not "1" or "red clump"), in class order:
    # what a prediction writes back, so an integer class stays an integer column in the files.
    class_values: list = field(default_factory=list)


@dataclass
class PreparedData:
    """What a model family trains on: dense float32 matrices after preprocessing."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: list[str]
    feature_names: list[str]
    dropped_missing_target: int
    dropped_columns: list[str]
    task: str = "classification"  # "regression": y_train and y_test hold float target values
    # The fitted preprocessing (raw feature columns -> these matrices); stays on the worker, where a
    # trained model is exported with it (mllab.training.model_export).
    preprocessor: object | None = None
    input_columns: list[str] = field(default_factory=list)  # the raw feature columns it expects, in order
    # With PCA on: the share of the training rows' variance along each kept component.
    pca_variance_ratio: np.ndarray | None = None
    test_rows: np.ndarray | None = None  # position in the dataset's frame of each test row, in x_test's order
    train_rows: np.ndarray | None = None  # and of each training row, in x_train's order
    class_values: list = field(default_factory=list)  # LabelledData.class_values: the target's own values

    @property
    def n_classes(self) -> int:
        return len(self.class_names)


def label_data(frame: pd.DataFrame, target: str, feature_columns: list[str],
               class_labels: tuple[tuple[str, str], ...] = ()) -> LabelledData:
    """Integer-coded labels; `class_labels` ((class name, display name) pairs the user gave) name the classes
    in `class_names`, the one place every chart, verdict and prediction takes a class's name from."""
    if target not in frame.columns:
        raise DataError(f"The target column '{target}' is not in the data.")
    has_target = frame[target].notna()
    kept = frame.loc[has_target]
    # pandas 3 keeps labels as Arrow strings; scikit-learn wants plain Python objects.
    raw_labels = kept[target].to_numpy(dtype=object)
    class_values = sorted(pd.unique(raw_labels), key=_sort_key)
    index = {value: i for i, value in enumerate(class_values)}
    labels = np.fromiter((index[v] for v in raw_labels), dtype=np.int64, count=len(raw_labels))
    return LabelledData(
        features=kept[feature_columns].reset_index(drop=True),
        labels=labels,
        class_names=display_names([class_name(v) for v in class_values], class_labels),
        dropped_missing_target=int((~has_target).sum()),
        rows=np.flatnonzero(has_target.to_numpy()),
        class_values=[plain_class_value(v) for v in class_values],
    )


def display_names(names: list[str], class_labels: tuple[tuple[str, str], ...] = ()) -> list[str]:
    """Each class's name as the user gave it ("red clump" for "1"), else its own; a name given to two
    classes keeps its value beside it, so no two classes are ever called the same."""
    given = {str(value): str(label).strip() for value, label in class_labels if str(label).strip()}
    shown = [given.get(name, name) for name in names]
    return [f"{label} ({name})" if shown.count(label) > 1 and label != name else label
            for name, label in zip(names, shown)]


def plain_class_value(value):
    """A class value as plain JSON: a whole number (1 or 1.0 in a column with gaps) as int, another
    number as float, anything else as its text."""
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return int(value) if float(value).is_integer() else float(value)
    return str(value)


def regression_data(frame: pd.DataFrame, target: str, feature_columns: list[str]) -> LabelledData:
    """Features and the target as float values, for a regression: no label encoding."""
    if target not in frame.columns:
        raise DataError(f"The target column '{target}' is not in the data.")
    values = pd.to_numeric(frame[target], errors="coerce") if not pd.api.types.is_bool_dtype(frame[target]) \
        else pd.Series(np.nan, index=frame.index)
    if values.notna().sum() == 0:
        raise DataError(f"The target column '{target}' holds no numbers, so a regression cannot predict it. "
                        "Choose classification as the task, or pick a numeric target column.")
    has_target = values.notna() & np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))
    return LabelledData(
        features=frame.loc[has_target, feature_columns].reset_index(drop=True),
        labels=values[has_target].to_numpy(dtype=np.float64),
        class_names=[],
        dropped_missing_target=int((~has_target).sum()),
        rows=np.flatnonzero(has_target.to_numpy()),
    )


def _sort_key(value):
    # Numbers sort numerically (so class 10 comes after 9), everything else as text.
    return (0, float(value), "") if isinstance(value, (int, float, np.number)) else (1, 0.0, str(value))


def class_name(value) -> str:
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def split_columns(features: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Numeric columns and categorical (text, category, boolean) columns."""
    numeric = [c for c in features.columns if pd.api.types.is_numeric_dtype(features[c])
               and not pd.api.types.is_bool_dtype(features[c])]
    categorical = [c for c in features.columns if c not in numeric]
    return numeric, categorical


def build_preprocessor(features: pd.DataFrame, config: PreprocessConfig) -> tuple[Pipeline, list[str]]:
    from sklearn.compose import ColumnTransformer
    from sklearn.decomposition import PCA
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, OneHotEncoder, StandardScaler

    """The unfitted pipeline for these columns, and the columns it leaves out."""
    numeric, categorical = split_columns(features)
    dropped = [] if config.one_hot else list(categorical)
    scaler = {"standard": StandardScaler(), "minmax": MinMaxScaler(), "maxabs": MaxAbsScaler(),
              "none": "passthrough"}[config.scaling]
    transformers = []
    if numeric:
        # keep_empty_features keeps an all-missing column (as 0) so image pixels keep their place.
        transformers.append(("numeric", Pipeline([
            ("impute", SimpleImputer(strategy=config.imputation, keep_empty_features=True)),
            ("scale", scaler),
        ]), numeric))
    if categorical and config.one_hot:
        transformers.append(("categorical", Pipeline([
            ("impute", SimpleImputer(strategy="most_frequent", keep_empty_features=True)),
            ("one_hot", OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=MAX_ONE_HOT_CATEGORIES,
                                      sparse_output=False)),
        ]), categorical))
    if not transformers:
        raise DataError("No usable feature columns are left. Turn on one-hot encoding for text columns, "
                        "or pick a dataset with numeric columns.")
    steps = [("columns", ColumnTransformer(transformers, sparse_threshold=0.0, verbose_feature_names_out=False))]
    if config.pca_components:
        steps.append(("pca", PCA(n_components=config.pca_components, random_state=config.seed)))
    return Pipeline(steps), dropped


def prepare(frame: pd.DataFrame, target: str, feature_columns: list[str], config: PreprocessConfig,
            task: str = "classification", test_mask: np.ndarray | None = None,
            class_labels: tuple[tuple[str, str], ...] = ()) -> PreparedData:
    """Split, fit the preprocessing on the training part, transform both parts.

    For a regression the target stays a float and the split is never stratified: there are no
    classes whose proportions it could keep. `test_mask` (one boolean per row of `frame`) is the
    test part the data came with: it replaces the random split, and the test fraction is not used.
    """
    from sklearn.model_selection import train_test_split

    regression = task == "regression"
    labelled = regression_data(frame, target, feature_columns) if regression else \
        label_data(frame, target, feature_columns, class_labels)
    if test_mask is not None:
        return _prepare_supplied(labelled, np.asarray(test_mask, dtype=bool), config, task)
    n_rows = len(labelled.labels)
    n_test = int(np.ceil(n_rows * config.test_fraction))
    stratify = config.stratify and not regression
    if regression and (n_test < 2 or n_rows - n_test < 2):
        raise DataError(f"Only {n_rows} rows have a target value: too few to train a regression on some and "
                        "test it on others. A regression needs at least a few rows in each part.")
    counts = np.bincount(labelled.labels, minlength=len(labelled.class_names)) if not regression else np.array([n_rows])
    if n_test < len(counts) and stratify:
        raise ParamError(f"A test fraction of {config.test_fraction:g} gives {n_test} test rows, fewer than the "
                         f"{len(counts)} classes. Raise the test fraction or turn off the stratified split.")
    if stratify and counts.min() < 2:
        rare = labelled.class_names[int(counts.argmin())]
        raise DataError(f"Class '{rare}' has only {counts.min()} row, so a stratified split is impossible. "
                        "Turn off the stratified split or remove that class.")
    x_train, x_test, y_train, y_test = train_test_split(
        labelled.features, labelled.labels, test_size=config.test_fraction, random_state=config.seed,
        stratify=labelled.labels if stratify else None,
    )
    return _fit_on_split(labelled, x_train, x_test, y_train, y_test, config, task)


def _prepare_supplied(labelled: LabelledData, test_mask: np.ndarray, config: PreprocessConfig,
                      task: str) -> PreparedData:
    """The hold-out of the supplied test part: rows are split by the data's own parts, in their order."""
    # The mask is over the frame's rows; rows dropped for a missing target are dropped from it too.
    is_test = test_mask[labelled.rows]
    n_test, n_train = int(is_test.sum()), int((~is_test).sum())
    if n_test == 0 or n_train == 0:
        raise DataError(f"The supplied {'test' if n_test == 0 else 'training'} part has no rows with a target "
                        "value, so a model cannot be trained on one part and tested on the other. Choose "
                        "mllab's own hold-out split instead.")
    features = labelled.features
    x_train, x_test = features.loc[~is_test], features.loc[is_test]
    y_train, y_test = labelled.labels[~is_test], labelled.labels[is_test]
    return _fit_on_split(labelled, x_train, x_test, y_train, y_test, config, task)


def _fit_on_split(labelled: LabelledData, x_train: pd.DataFrame, x_test: pd.DataFrame, y_train, y_test,
                  config: PreprocessConfig, task: str) -> PreparedData:
    """Build the preprocessing for the training rows, check PCA fits them, fit and transform both parts
    (mllab's own split and the supplied test part end here)."""
    pipeline, dropped = build_preprocessor(x_train, config)
    n_encoded = encoded_width(pipeline, x_train)
    if config.pca_components and config.pca_components > min(n_encoded, len(x_train)):
        raise ParamError(f"PCA cannot keep {config.pca_components} components: the data has only "
                         f"{n_encoded} features after encoding. Choose at most {min(n_encoded, len(x_train))}.")
    return fit_and_transform(pipeline, dropped, labelled, x_train, x_test, y_train, y_test, config, task)


def fit_and_transform(pipeline: Pipeline, dropped: list[str], labelled: LabelledData, x_train: pd.DataFrame,
                      x_test: pd.DataFrame, y_train, y_test, config: PreprocessConfig,
                      task: str = "classification") -> PreparedData:
    """Fit `pipeline` on the training rows only and transform both parts: the hold-out split and
    every K-fold fold (mllab.training.cross_validation) end here."""
    train_matrix = pipeline.fit_transform(x_train)
    test_matrix = pipeline.transform(x_test)
    if config.pca_components:
        names = [f"PC{i + 1}" for i in range(config.pca_components)]
    else:
        names = [str(n) for n in pipeline.named_steps["columns"].get_feature_names_out()]
    return PreparedData(
        x_train=np.asarray(train_matrix, dtype=np.float32), y_train=np.asarray(y_train),
        x_test=np.asarray(test_matrix, dtype=np.float32), y_test=np.asarray(y_test),
        class_names=labelled.class_names, class_values=labelled.class_values, feature_names=names,
        dropped_missing_target=labelled.dropped_missing_target, dropped_columns=dropped, task=task,
        preprocessor=pipeline, input_columns=[str(c) for c in x_train.columns],
        pca_variance_ratio=(np.asarray(pipeline.named_steps["pca"].explained_variance_ratio_, dtype=np.float64)
                            if config.pca_components else None),
        # x_test keeps the labelled rows' numbering through the split (and a fold's iloc).
        test_rows=None if labelled.rows is None else labelled.rows[x_test.index.to_numpy()],
        train_rows=None if labelled.rows is None else labelled.rows[x_train.index.to_numpy()],
    )


def encoded_width(pipeline: Pipeline, x_train: pd.DataFrame) -> int:
    """Feature count after the column step, without fitting the whole pipeline twice on big data."""
    numeric, categorical = split_columns(x_train)
    width = len(numeric)
    if any(name == "categorical" for name, *_ in pipeline.named_steps["columns"].transformers):
        width += sum(min(x_train[c].nunique(dropna=False), MAX_ONE_HOT_CATEGORIES) for c in categorical)
    return width
