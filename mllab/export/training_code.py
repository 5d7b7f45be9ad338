"""The training part of a run's code: target and features, the split (or folds), the preprocessing
pipeline, the family's own model code, the figures the page shows and the learning curve."""

from __future__ import annotations

from mllab.errors import UserError
from mllab.export.steps import Step, literal
from mllab.models import FAMILIES
from mllab.models.base import DataInfo
from mllab.training.runs import describe_params
from mllab.training.schemes import ValidationConfig
from mllab.training.scoring import scorers_for

LABELS_CODE = '''def sort_key(value):
    # Numbers sort numerically (so class 10 comes after 9), everything else as text.
    return (0, float(value), "") if isinstance(value, (int, float, np.number)) else (1, 0.0, str(value))


def class_name(value):
    return str(int(value)) if isinstance(value, (float, np.floating)) and float(value).is_integer() else str(value)


raw_labels = frame[TARGET].to_numpy(dtype=object)
class_values = sorted(pd.unique(raw_labels), key=sort_key)
CLASS_NAMES = [class_name(v) for v in class_values]
N_CLASSES = len(CLASS_NAMES)
index = {value: i for i, value in enumerate(class_values)}
labels = np.array([index[v] for v in raw_labels], dtype=np.int64)
features = frame[FEATURES].reset_index(drop=True)
print(f"{len(labels):,} rows, {len(FEATURES)} feature columns, classes: {', '.join(CLASS_NAMES)}")'''

TARGET_VALUES_CODE = '''values = pd.to_numeric(frame[TARGET], errors="coerce")
has_target = values.notna() & np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))
labels = values[has_target].to_numpy(dtype=np.float64)
features = frame.loc[has_target, FEATURES].reset_index(drop=True)
CLASS_NAMES, N_CLASSES = [], 0
print(f"{len(labels):,} rows, {len(FEATURES)} feature columns, "
      f"target {TARGET} from {labels.min():g} to {labels.max():g}")'''


def preprocessing_code(pre: dict) -> str:
    scaler = {"standard": "StandardScaler()", "minmax": "MinMaxScaler()", "maxabs": "MaxAbsScaler()",
              "none": '"passthrough"'}[pre["scaling"]]
    pca = (f'\n    steps.append(("pca", PCA(n_components={pre["pca_components"]}, random_state=SEED)))'
           if pre["pca_components"] else "")
    one_hot = pre["one_hot"]
    text_columns = "most frequent value, then one 0/1 column per category (at most 30)" if one_hot else "left out"
    return f'''from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, OneHotEncoder, StandardScaler


def make_preprocessor(x):
    """Numeric columns: fill missing values with the {pre["imputation"]}, then scale ({pre["scaling"]}).
    Text columns: {text_columns}.{" Then PCA." if pca else ""}"""
    numeric = [c for c in x.columns if pd.api.types.is_numeric_dtype(x[c]) and not pd.api.types.is_bool_dtype(x[c])]
    categorical = [c for c in x.columns if c not in numeric]
    transformers = []
    if numeric:
        transformers.append(("numeric", Pipeline([
            ("impute", SimpleImputer(strategy={pre["imputation"]!r}, keep_empty_features=True)),
            ("scale", {scaler}),
        ]), numeric))
    if categorical and {one_hot}:
        transformers.append(("categorical", Pipeline([
            ("impute", SimpleImputer(strategy="most_frequent", keep_empty_features=True)),
            ("one_hot", OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=30, sparse_output=False)),
        ]), categorical))
    steps = [("columns", ColumnTransformer(transformers, sparse_threshold=0.0, verbose_feature_names_out=False))]{pca}
    return Pipeline(steps)


FEATURE_NAMES = []  # the prepared columns' names, in the matrices' order (set by preprocess)


def preprocess(x_train, x_test):
    """Fit the preprocessing on the training rows only, and transform both parts to float32 matrices."""
    pipeline = make_preprocessor(x_train)
    train_matrix = np.asarray(pipeline.fit_transform(x_train), dtype=np.float32)
    FEATURE_NAMES[:] = ([f"PC{{i + 1}}" for i in range(train_matrix.shape[1])] if "pca" in pipeline.named_steps
                        else [str(n) for n in pipeline.named_steps["columns"].get_feature_names_out()])
    return train_matrix, np.asarray(pipeline.transform(x_test), dtype=np.float32)'''


METRICS_CODE = '''from sklearn.metrics import (balanced_accuracy_score, cohen_kappa_score, confusion_matrix, f1_score,
                             matthews_corrcoef, precision_recall_fscore_support, r2_score, roc_auc_score)


def number(value, digits=4):
    return "—" if value is None else f"{value:.{digits}g}"


def report_classification(y, proba, prefix):
    """The page's figures for class probabilities `proba` of the rows whose classes are `y`."""
    k = N_CLASSES
    predicted = proba.argmax(axis=1)
    _, _, f1, _ = precision_recall_fscore_support(y, predicted, labels=np.arange(k), average=None, zero_division=0)
    if k == 2:
        auc = roc_auc_score(y == 1, proba[:, 1]) if 0 < (y == 1).sum() < len(y) else None
        brier = float(np.mean((proba[:, 1] - (y == 1)) ** 2))
    else:
        aucs = [roc_auc_score(y == c, proba[:, c]) for c in range(k) if 0 < (y == c).sum() < len(y)]
        auc = float(np.mean(aucs)) if aucs else None
        brier = float(np.mean(np.sum((proba - np.eye(k)[y]) ** 2, axis=1)))
    kappa = cohen_kappa_score(y, predicted, labels=np.arange(k))
    print(f"{prefix} accuracy: {np.mean(predicted == y):.3f}")
    print(f"Macro F1: {f1.mean():.3f}")
    print(f"ROC AUC: {'—' if auc is None else f'{auc:.3f}'}")
    print(f"Balanced accuracy: {balanced_accuracy_score(y, predicted):.3f}")
    print(f"MCC: {matthews_corrcoef(y, predicted):.3f}")
    print(f"Cohen's kappa: {kappa if np.isfinite(kappa) else 0.0:.3f}")
    print(f"Brier score: {brier:.3f}")
    print("Confusion matrix (rows: true class, columns: predicted class):")
    print(pd.DataFrame(confusion_matrix(y, predicted, labels=np.arange(k)), index=CLASS_NAMES, columns=CLASS_NAMES))


def report_regression(y, predicted, prefix):
    """The page's figures for the predicted values of the rows whose true values are `y`."""
    errors = predicted - y
    mse = float(np.mean(errors ** 2))
    total = float(np.sum((y - y.mean()) ** 2))
    r2 = None if total == 0 else 1.0 - float(np.sum(errors ** 2)) / total
    print(f"{prefix}R²: {'—' if r2 is None else f'{r2:.3f}'}")
    print(f"{prefix}RMSE: {number(np.sqrt(mse))}")
    print(f"{prefix}MAE: {number(float(np.mean(np.abs(errors))))}")
    print(f"MSE: {number(mse)} (squared target units)")
    if REDSHIFT:
        scaled = errors / (1.0 + y)
        print(f"{prefix}NMAD: {1.4826 * np.median(np.abs(scaled - np.median(scaled))):.4f}")
        print(f"σ(Δz/(1+z)): {np.std(scaled):.4f}")
        print(f"Bias: {np.mean(scaled):+.4f}")
        print(f"Outliers: {100 * np.mean(np.abs(scaled) > 0.15):.2f} %")'''


# Both hold-outs end alike: train on the training rows, report on the test rows.
TRAIN_AND_REPORT_CODE = '''output, history = train_model(train_matrix, np.asarray(y_train), test_matrix, SEED)
if TASK == "classification":
    report_classification(np.asarray(y_test), np.asarray(output, dtype=float), "Test")
else:
    report_regression(np.asarray(y_test, dtype=float), np.asarray(output, dtype=float).reshape(-1), "")'''


HOLDOUT_CODE = '''from sklearn.model_selection import train_test_split

x_train, x_test, y_train, y_test = train_test_split(
    features, labels, test_size=TEST_FRACTION, random_state=SEED, stratify=labels if STRATIFY else None)
train_matrix, test_matrix = preprocess(x_train, x_test)
print(f"{len(y_train):,} training rows, {len(y_test):,} test rows, "
      f"{train_matrix.shape[1]:,} features after preprocessing.")
''' + TRAIN_AND_REPORT_CODE


SUPPLIED_CODE = '''# The rows of the test part the data came with (rows without a target were dropped from both).
part = frame[PART] if TASK == "classification" else frame.loc[has_target, PART]
is_test = (part == "test").to_numpy()
x_train, x_test = features.loc[~is_test], features.loc[is_test]
y_train, y_test = labels[~is_test], labels[is_test]
train_matrix, test_matrix = preprocess(x_train, x_test)
print(f"{len(y_train):,} training rows, {len(y_test):,} test rows (the supplied test part), "
      f"{train_matrix.shape[1]:,} features after preprocessing.")
''' + TRAIN_AND_REPORT_CODE


def kfold_code(validation: ValidationConfig, task: str, redshift: bool) -> str:
    k, repeats = validation.n_folds, validation.n_repeats
    n_repeats = repeats if validation.scheme == "repeated_kfold" else 1
    stratified = task == "classification" and validation.scheme in ("stratified_kfold", "repeated_kfold")
    if validation.scheme == "repeated_kfold":
        kind = "RepeatedStratifiedKFold" if stratified else "RepeatedKFold"
        splitter = f"{kind}(n_splits={k}, n_repeats={repeats}, random_state=SEED)"
    else:
        splitter = f"{'Stratified' if stratified else ''}KFold(n_splits={k}, shuffle=True, random_state=SEED)"
    formulas = {"accuracy": "float(np.mean(t == p))",
                "macro_f1": 'float(f1_score(t, p, average="macro", zero_division=0))',
                "balanced_accuracy": "float(balanced_accuracy_score(t, p))", "mcc": "float(matthews_corrcoef(t, p))",
                "kappa": "float(np.nan_to_num(cohen_kappa_score(t, p)))", "r2": "float(r2_score(t, p))",
                "rmse": "float(np.sqrt(np.mean((t - p) ** 2)))", "mae": "float(np.mean(np.abs(t - p)))",
                "nmad": "float(1.4826 * np.median(np.abs((p - t) / (1 + t) - np.median((p - t) / (1 + t)))))"}
    # The page's scores, named as its tiles name them ("Mean macro f1", "Mean RMSE").
    scorers = "[" + ",\n           ".join(f"({s.in_text!r}, lambda t, p: {formulas[s.name]}, {s.number_format!r})"
                                         for s in scorers_for(task, redshift)) + "]"
    return f'''from sklearn.model_selection import KFold, RepeatedKFold, RepeatedStratifiedKFold, StratifiedKFold

SCORERS = {scorers}


def shown(value, fmt):
    """A score as the page shows it: fixed decimals, or 4 significant figures for errors in target units."""
    if not fmt.endswith("g") or not np.isfinite(value) or value == 0:
        return format(value, fmt)
    if abs(value) >= 1000:
        return f"{{value:,.0f}}"
    return np.format_float_positional(value, precision=3, unique=False, fractional=False, trim="k").rstrip(".")


splitter = {splitter}
width = N_CLASSES if TASK == "classification" else 1
out_of_fold = np.full((len(labels), width), np.nan)
fold_scores = []
for number_, (train_rows, test_rows) in enumerate(splitter.split(np.zeros(len(labels)), labels)):
    repeat, fold = number_ // {k} + 1, number_ % {k} + 1
    train_matrix, test_matrix = preprocess(features.iloc[train_rows], features.iloc[test_rows])
    output, history = train_model(train_matrix, labels[train_rows], test_matrix, SEED)
    output = np.asarray(output, dtype=float)
    predicted = output.argmax(axis=1) if TASK == "classification" else output.reshape(-1)
    scores = {{name: score(labels[test_rows], predicted) for name, score, _ in SCORERS}}
    fold_scores.append(scores)
    print(f"Fold {{fold}}" + (f", repeat {{repeat}}" if {n_repeats} > 1 else "")
          + ": " + ", ".join(f"{{name}} {{shown(scores[name], fmt)}}" for name, _, fmt in SCORERS))
    if repeat == 1:
        out_of_fold[test_rows] = output if TASK == "classification" else output.reshape(-1, 1)
for name, _, fmt in SCORERS:
    values = np.array([s[name] for s in fold_scores])
    mean = shown(values.mean(), fmt)
    decimals = len(mean.split(".")[1]) if "." in mean else 0
    print(f"Mean {{name}}: {{mean}} ± {{values.std():,.{{decimals}}f}}")
scored = ~np.isnan(out_of_fold).any(axis=1)
if TASK == "classification":
    report_classification(labels[scored], out_of_fold[scored], "Out-of-fold")
else:
    report_regression(labels[scored], out_of_fold[scored, 0], "Out-of-fold ")'''


def plot_code(curves, step_label: str) -> str:
    return f'''import matplotlib.pyplot as plt

CURVES = {list(curves)!r}  # (history key, title), as the page draws them
figure, axes = plt.subplots(1, len(CURVES), figsize=(6 * len(CURVES), 4), squeeze=False)
for axis, (key, title) in zip(axes[0], CURVES):
    for prefix, label in (("", "training"), ("val_", "validation")):
        points = [(p["step"], p[prefix + key]) for p in history if prefix + key in p]
        if points:
            axis.plot(*zip(*points), marker="." if len(points) < 3 else None, label=label)
    axis.set_title(title)
    axis.set_xlabel({step_label!r})
    axis.legend()
plt.tight_layout()
plt.show()'''


def training_steps(run) -> list[Step]:
    family = FAMILIES[run.family]
    task = run.task
    validation = ValidationConfig(**run.validation) if run.validation else ValidationConfig()
    pre = dict(run.preprocessing)
    evaluation = run.result.evaluation
    n_classes = 0 if task == "regression" else len(evaluation.class_names)
    dataset = run.dataset
    info = DataInfo(kind=dataset.kind if dataset is not None else "table", n_features=0, n_classes=n_classes,
                    image_shape=None if dataset is None else dataset.image_shape,
                    pca_components=pre["pca_components"], task=task)
    not_features = [] if dataset is None else [str(c) for c in dataset.id_columns if c != run.target]
    part_column = None if dataset is None else getattr(dataset, "part_column", None)
    if validation.supplied and part_column is None:
        raise UserError("This run was tested on the test part its data came with, but the data loaded now does "
                        "not say which rows that part holds, so the code could not repeat it. Load the same files "
                        "on the Data page and export the run again.")
    if part_column is not None:
        not_features.append(str(part_column))  # which part a row came from is no feature
    steps = [Step("Target and features", "The target column " + (
        "holds the classes, numbered in sorted order (numbers numerically)." if task == "classification" else
        "holds the numbers to predict.") + " Every other column is a feature.",
        f"NOT_FEATURES = {literal(not_features, 15)}\n"
        "FEATURES = [c for c in frame.columns if c != TARGET and c not in NOT_FEATURES]\n\n\n"
        + (LABELS_CODE if task == "classification" else TARGET_VALUES_CODE))]
    stratified = pre["stratify"] and task == "classification"
    steps.append(Step("Preprocessing", "Imputation, scaling, one-hot encoding and PCA as chosen on the Train page, "
                      "fitted on the training rows only, so nothing about the rows a model is scored on leaks into it.",
                      preprocessing_code(pre)))
    settings = describe_params(run.family, run.params, task)
    steps.append(Step(f"The model: {family.label}", f"{family.description}\n\nSettings: {settings}.",
                      family.export(dict(run.params), info)))
    steps.append(Step("The figures the page shows", "Test figures in the page's words: accuracy, macro F1, ROC AUC, "
                      "balanced accuracy, MCC, Cohen's kappa and the Brier score with the confusion matrix, or for a "
                      "regression R², RMSE, MAE and MSE.", METRICS_CODE))
    if validation.supplied:
        steps.append(Step("Train on the training part, test on the supplied test part", "The data came as a "
                          "training part and a test part; the model is trained on the first and scored on the "
                          "second, as the data's tutorials do (no random split).", SUPPLIED_CODE))
    elif validation.is_kfold:
        steps.append(Step(f"{validation.describe(task)} cross-validation", "Each fold fits the preprocessing on its "
                          "own training rows, trains a model and scores the rows it did not see; the mean and spread "
                          "of the fold scores follow, then the figures of the pooled out-of-fold predictions (every "
                          "row predicted once, by the fold model that did not train on it).",
                          kfold_code(validation, task, run.redshift)))
    else:
        steps.append(Step("Split, train and test", f"A {'stratified' if stratified else 'random'} hold-out split: "
                          f"{pre['test_fraction']:g} of the rows are kept aside to test the trained model, drawn with "
                          f"seed {pre['seed']}.", HOLDOUT_CODE))
    steps.append(Step("Learning curve", "The curves the page drew while the model learned"
                      + (" (the last fold's)" if validation.is_kfold else "") + ".",
                      plot_code(family.curves_for(task), family.step_label), notebook_only=True))
    return steps


def settings_code(run) -> str:
    pre = run.preprocessing
    return (f"TARGET = {run.target!r}\nTASK = {run.task!r}\nREDSHIFT = {bool(run.redshift)!r}\n"
            f"SEED = {pre['seed']!r}\nTEST_FRACTION = {pre['test_fraction']!r}\n"
            f"STRATIFY = {bool(pre['stratify'] and run.task == 'classification')!r}"
            + (f"\nPART = {str(part)!r}  # the column saying which part (train or test) a row came from"
               if (part := getattr(run.dataset, "part_column", None)) is not None else ""))
