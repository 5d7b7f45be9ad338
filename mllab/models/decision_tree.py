"""Decision tree, classifier or regressor: one tree a student can read, fitted in one call, its splits drawn as a
diagram on the run's result (mllab.evaluation.tree_diagram) and printed as rules in the exported code."""

from __future__ import annotations

import numpy as np

from mllab.models.base import CLASS_WEIGHT, Abilities, DataInfo, Device, FitOutcome, ModelFamily, Remedy, Reporter
from mllab.params import ChoiceParam, IntParam
from mllab.prepare import PreparedData

# A depth-4 tree has at most 16 leaves: small enough to read on one screen, and on the OGLE-III variable stars
# it already separates the classes well (0.950 accuracy in the lecture's example).
DEFAULT_DEPTH = 4

PARAMS = (
    IntParam("max_depth", "Max depth (0 = no limit)", "Longest chain of questions from the root to a leaf. Deeper "
             "trees fit the training rows more closely, and are harder to read and more likely to over-fit.",
             DEFAULT_DEPTH, 0, 30, search_range=(2, 12)),
    IntParam("min_samples_leaf", "Min samples per leaf", "Smallest number of training rows a leaf may hold; larger "
             "values give fewer, steadier leaves.", 1, 1, 200, search_range=(1, 20)),
    IntParam("max_leaf_nodes", "Max leaves (0 = no limit)", "Grow the tree best split first and stop at this many "
             "leaves.", 0, 0, 1000),
    ChoiceParam("criterion", "Split quality", "How a split is scored: how mixed the classes are in the two "
                "parts. Gini and entropy almost always pick the same splits.", "gini", ("gini", "entropy"),
                {"gini": "Gini impurity", "entropy": "Entropy (information gain)"}, tasks=("classification",)),
    ChoiceParam("regression_criterion", "Split quality", "How a split is scored: squared error follows the "
                "mean of each part, absolute error the median (steadier against outliers, slower).",
                "squared_error", ("squared_error", "friedman_mse", "absolute_error"),
                {"squared_error": "Squared error", "friedman_mse": "Friedman's squared error",
                 "absolute_error": "Absolute error"}, tasks=("regression",)),
    CLASS_WEIGHT,
)


def settings(values: dict, regression: bool) -> dict:
    """scikit-learn's keyword arguments for these values (the worker's tree and the exported one)."""
    chosen = dict(max_depth=values["max_depth"] or None, min_samples_leaf=values["min_samples_leaf"],
                  max_leaf_nodes=values["max_leaf_nodes"] or None)
    if regression:
        chosen["criterion"] = values["regression_criterion"]
    else:
        chosen["criterion"] = values["criterion"]
        chosen["class_weight"] = "balanced" if values.get("class_weight") == "balanced" else None
    return chosen


def rules(values: dict, info: DataInfo) -> list[str]:
    if values["max_leaf_nodes"] == 1:
        return ["A tree needs at least 2 leaves to split anything; set Max leaves to 2 or more, or to 0 for no "
                "limit."]
    return []


def train(values: dict, data: PreparedData, info: DataInfo, reporter: Reporter, device: Device, seed: int) -> FitOutcome:
    # scikit-learn is imported here, on the worker: pages import this file only for its schema.
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    regression = info.task == "regression"
    kind = DecisionTreeRegressor if regression else DecisionTreeClassifier
    tree = kind(**settings(values, regression), random_state=seed)
    tree.fit(data.x_train, data.y_train)
    # One fit, no steps: the curve is one point, the score on the training rows.
    reporter.report({"step": 1, "total": 1, **training_point(tree, data.x_train, data.y_train, regression)})
    notes = [f"A tree of depth {tree.get_depth()} with {tree.get_n_leaves():,} leaves, grown in one fit: the "
             "learning curves hold a single point (the training score). The Model tab draws the tree."]
    return FitOutcome(
        test_proba=None if regression else tree.predict_proba(data.x_test), device_used="CPU", stopped=False,
        test_prediction=tree.predict(data.x_test) if regression else None, notes=notes, model=tree, tree=tree,
        predictor=tree.predict if regression else tree.predict_proba,
        impurity_importance=np.asarray(tree.feature_importances_, dtype=np.float64),
    )


def training_point(tree, x: np.ndarray, y: np.ndarray, regression: bool) -> dict:
    predicted = tree.predict(x)
    if regression:
        errors = predicted - y
        return {"loss": float(np.mean(errors ** 2)), "mae": float(np.mean(np.abs(errors)))}
    accuracy = float(np.mean(predicted == y))
    return {"error": 1.0 - accuracy, "accuracy": accuracy}


def export(values: dict, info: DataInfo) -> str:
    """This family's part of a run's code export: the same tree, and its rules printed with scikit-learn's
    export_text under the prepared columns' names (FEATURE_NAMES, set by `preprocess`)."""
    regression = info.task == "regression"
    kind = "Regressor" if regression else "Classifier"
    arguments = ", ".join(f"{name}={value!r}" for name, value in settings(values, regression).items())
    output = "tree.predict(x_test)" if regression else "tree.predict_proba(x_test)"
    if regression:
        point = '''errors = tree.predict(x_train) - y_train
    history = [{"step": 1, "loss": float(np.mean(errors ** 2)), "mae": float(np.mean(np.abs(errors)))}]'''
    else:
        point = '''accuracy = float(np.mean(tree.predict(x_train) == y_train))
    history = [{"step": 1, "error": 1.0 - accuracy, "accuracy": accuracy}]'''
    class_names = "" if regression else ", class_names=CLASS_NAMES"
    return f'''from sklearn.tree import DecisionTree{kind}, export_text


def train_model(x_train, y_train, x_test, seed):
    """Grow one tree in one fit, print its rules, predict the test rows. The curve is one point: the training score."""
    tree = DecisionTree{kind}({arguments}, random_state=seed)
    tree.fit(x_train, y_train)
    print(f"A tree of depth {{tree.get_depth()}} with {{tree.get_n_leaves():,}} leaves. Its rules"
          " (thresholds in the prepared columns' units):")
    print(export_text(tree, feature_names=FEATURE_NAMES{class_names}, max_depth=1000))
    {point}
    return {output}, history
'''


FAMILY = ModelFamily(
    key="decision_tree",
    label="Decision tree",
    description="One tree of yes/no questions about the features, each leaf giving a class (or, for regression, "
                "a value). Readable: the Model tab draws the tree and the exported code prints its rules. Needs no "
                "scaling; a deep tree over-fits, which is what the forest's many trees fix.",
    params=PARAMS,
    train=train,
    step_label="Fit",
    tasks=frozenset({"classification", "regression"}),
    curves=(("classification", (("error", "Error rate"), ("accuracy", "Accuracy"))),),
    rules=rules,
    export=export,
    # A single tree's training score well above its test score does mean over-fitting (unlike a forest's, whose
    # training rows are each seen by most trees): limit the depth. Too shallow a tree cannot fit: let it deepen.
    abilities=Abilities(
        scale_sensitive=False, validation_loss_curve=False, train_gap_tells=True, training_score_in_history=False,
        live_boundary_map=False,
        overfit_remedy=Remedy(" Make the tree simpler: limit its depth to {value} (or raise Min samples per leaf).",
                              "max_depth", lambda values: _shallower(values.get("max_depth", 0)),
                              "Set max depth to {value}"),
        underfit_evidence="capacity_limit",
        underfit_remedy=Remedy(": a tree of depth {current} is too shallow. Let it grow deeper ({value}).",
                               "max_depth", lambda values: min(30, 2 * values["max_depth"])
                               if values.get("max_depth") else None, "Set max depth to {value}")),
)


def _shallower(depth: int) -> int | None:
    """The depth the over-fitting fix offers: 6 for an unlimited tree, two levels less for a limited one."""
    if not depth:
        return 6
    return depth - 2 if depth > 3 else None
