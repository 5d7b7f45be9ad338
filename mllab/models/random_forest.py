"""Random forest: grown in steps of trees so the page can draw its learning curve."""

from __future__ import annotations

import math
import warnings

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import log_loss

from mllab.models.base import DataInfo, FitOutcome, ModelFamily, Reporter, ThrottledStop
from mllab.params import ChoiceParam, IntParam
from mllab.preprocessing import PreparedData

# A forest is grown in about this many steps: enough points for a curve, few enough that the
# out-of-bag score (recomputed over all trees at each step) stays cheap.
CURVE_STEPS = 20
# Training-set scores are computed on at most this many rows; on 400k rows a full pass per
# step would cost more than growing the trees.
TRAIN_SCORE_ROWS = 5_000

PARAMS = (
    IntParam("n_estimators", "Number of trees", "More trees give steadier predictions, at a cost in time.",
             200, 10, 1000, step=10),
    IntParam("max_depth", "Max depth (0 = no limit)", "Deepest split path of a tree; shallow trees under-fit.",
             0, 0, 50),
    IntParam("min_samples_leaf", "Min samples per leaf", "Smallest number of rows a leaf may hold; larger "
             "values smooth the model.", 1, 1, 50),
    ChoiceParam("max_features", "Max features per split", "Columns considered at each split.", "sqrt",
                ("sqrt", "log2", "all"), {"sqrt": "√ of the columns", "log2": "log₂ of the columns", "all": "All columns"}),
    ChoiceParam("class_weight", "Class weight", "Give rare classes more weight.", "none",
                ("none", "balanced", "balanced_subsample"),
                {"none": "Equal", "balanced": "Balanced", "balanced_subsample": "Balanced per tree"}),
)


def train(values: dict, data: PreparedData, info: DataInfo, reporter: Reporter, device: str, seed: int) -> FitOutcome:
    total = values["n_estimators"]
    forest = RandomForestClassifier(
        n_estimators=0, warm_start=True, oob_score=True, bootstrap=True,
        max_depth=values["max_depth"] or None, min_samples_leaf=values["min_samples_leaf"],
        max_features=None if values["max_features"] == "all" else values["max_features"],
        class_weight=None if values["class_weight"] == "none" else values["class_weight"],
        random_state=seed, n_jobs=-1,
    )
    rng = np.random.default_rng(seed)
    sample = rng.choice(len(data.y_train), size=min(TRAIN_SCORE_ROWS, len(data.y_train)), replace=False)
    labels = np.arange(data.n_classes)
    stop = ThrottledStop(reporter)
    chunk = max(1, math.ceil(total / CURVE_STEPS))
    grown = 0
    while grown < total and not stop():
        grown = min(total, grown + chunk)
        forest.set_params(n_estimators=grown)
        with warnings.catch_warnings():
            # Early on some rows have no out-of-bag trees yet; they are left out below.
            warnings.simplefilter("ignore", UserWarning)
            forest.fit(data.x_train, data.y_train)
        train_proba = forest.predict_proba(data.x_train[sample])
        oob = forest.oob_decision_function_
        scored = np.isfinite(oob).all(axis=1) & (oob.sum(axis=1) > 0)
        event = {
            "step": grown, "total": total,
            "loss": float(log_loss(data.y_train[sample], train_proba, labels=labels)),
            "accuracy": float((train_proba.argmax(1) == data.y_train[sample]).mean()),
        }
        if scored.any():
            # Out-of-bag rows were not used to grow the trees that score them: an honest
            # validation curve without holding any rows out of training.
            event["val_loss"] = float(log_loss(data.y_train[scored], oob[scored], labels=labels))
            event["val_accuracy"] = float((oob[scored].argmax(1) == data.y_train[scored]).mean())
        reporter.report(event)
    if grown == 0:  # stopped before the first trees: grow a minimal forest so there is a model
        forest.set_params(n_estimators=chunk)
        forest.fit(data.x_train, data.y_train)
    return FitOutcome(
        test_proba=forest.predict_proba(data.x_test), device_used="CPU", stopped=stop.requested,
        notes=[f"Grew {forest.n_estimators} of {total} trees."] if stop.requested else [],
    )


FAMILY = ModelFamily(
    key="random_forest",
    label="Random forest",
    description="Many decision trees, each grown on a bootstrap sample, voting together. Strong on tables, "
                "needs no scaling. Validation curve: out-of-bag accuracy.",
    params=PARAMS,
    train=train,
    step_label="Trees",
)
