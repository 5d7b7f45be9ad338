"""Logistic regression: fitted in chunks of solver iterations to draw its learning curve."""

from __future__ import annotations

import math
import warnings

import numpy as np

from mllab.models.base import (CLASS_WEIGHT, Abilities, DataInfo, Device, FitOutcome, ModelFamily, Remedy, Reporter,
                               ThrottledStop)
from mllab.params import AppliesWhen, ChoiceParam, FloatParam, IntParam
from mllab.prepare import PreparedData

# Iterations per step: small enough for a smooth curve; each step restarts the solver from
# the previous coefficients (warm start), which costs little.
CURVE_STEPS = 200

# Which penalties each solver accepts (scikit-learn 1.9); checked before training so the user
# reads a sentence instead of a solver's exception.
SOLVER_PENALTIES = {
    "lbfgs": {"l2", "none"},
    "newton-cg": {"l2", "none"},
    "sag": {"l2", "none"},
    "saga": {"l2", "l1", "elasticnet", "none"},
    "liblinear": {"l2", "l1"},
}

PARAMS = (
    FloatParam("C", "C (inverse regularisation)", "Smaller C means stronger regularisation and a simpler model.",
               1.0, 1e-4, 1e4, log=True),
    ChoiceParam("penalty", "Penalty", "The regularisation term added to the loss.", "l2",
                ("l2", "l1", "elasticnet", "none"),
                {"l2": "L2 (ridge)", "l1": "L1 (lasso)", "elasticnet": "Elastic net", "none": "None"}),
    FloatParam("l1_ratio", "L1 ratio", "Mix of L1 in the elastic-net penalty: 0 is all L2, 1 all L1.", 0.5, 0.0, 1.0,
               step=0.05, applies_when=AppliesWhen("penalty", ("elasticnet",),
                                                   "L1 ratio: used by the elastic-net penalty only; choose it as the "
                                                   "penalty to change it.")),
    ChoiceParam("solver", "Solver", "The optimisation algorithm.", "lbfgs", tuple(SOLVER_PENALTIES)),
    IntParam("max_iter", "Max iterations", "Upper bound on solver iterations.", 500, 10, 5000, step=10),
    # The verdict's answer to a rare class (mllab.evaluation.verdict): scikit-learn's class_weight="balanced".
    CLASS_WEIGHT,
)


def rules(values: dict, info: DataInfo) -> list[str]:
    problems = []
    allowed = SOLVER_PENALTIES[values["solver"]]
    if values["penalty"] not in allowed:
        problems.append(f"The {values['solver']} solver does not support the {values['penalty']} penalty; "
                        f"it supports {' and '.join(sorted(allowed))}. Pick saga, which supports every penalty.")
    if values["solver"] == "liblinear" and info.n_classes > 2:
        problems.append("The liblinear solver handles only two classes; this dataset has "
                        f"{info.n_classes}. Pick lbfgs or saga.")
    return problems


def _estimator(values: dict, seed: int, max_iter: int, warm_start: bool):
    # scikit-learn is imported here, on the worker: pages import this file only for its schema.
    from sklearn.linear_model import LogisticRegression

    penalty = values["penalty"]
    l1_ratio = {"l2": 0.0, "l1": 1.0, "elasticnet": values["l1_ratio"], "none": 0.0}[penalty]
    return LogisticRegression(
        C=math.inf if penalty == "none" else values["C"], l1_ratio=l1_ratio, solver=values["solver"],
        max_iter=max_iter, warm_start=warm_start, random_state=seed,
        class_weight="balanced" if values.get("class_weight") == "balanced" else None,
    )


def train(values: dict, data: PreparedData, info: DataInfo, reporter: Reporter, device: Device, seed: int) -> FitOutcome:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import log_loss

    total = values["max_iter"]
    # liblinear cannot resume from a previous fit, so it runs in one step.
    chunk = total if values["solver"] == "liblinear" else max(1, math.ceil(total / CURVE_STEPS))
    model = _estimator(values, seed, chunk, warm_start=True)
    labels = np.arange(data.n_classes)
    stop = ThrottledStop(reporter)
    done = 0
    converged = False
    while done < total and not converged and not stop():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            model.fit(data.x_train, data.y_train)
        done += int(np.max(model.n_iter_))
        converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
        proba = model.predict_proba(data.x_train)
        reporter.report({"step": done, "total": total,
                         "loss": float(log_loss(data.y_train, proba, labels=labels)),
                         "accuracy": float((proba.argmax(1) == data.y_train).mean())})
    notes = []
    if done == 0:
        model.fit(data.x_train, data.y_train)
    elif converged:
        notes.append(f"The solver converged after {done} iterations.")
    elif not stop.requested:
        notes.append(f"The solver had not converged after {done} iterations; raise Max iterations or scale the data.")
    return FitOutcome(test_proba=model.predict_proba(data.x_test), device_used="CPU", stopped=stop.requested,
                      notes=notes, predictor=model.predict_proba, model=model)


def export(values: dict, info: DataInfo) -> str:
    """This family's part of a run's code export: the same chunks of solver iterations, warm-started, as
    `train` fits them (a restarted solver does not end exactly where one long run would)."""
    penalty = values["penalty"]
    l1_ratio = {"l2": 0.0, "l1": 1.0, "elasticnet": values["l1_ratio"], "none": 0.0}[penalty]
    total = values["max_iter"]
    chunk = total if values["solver"] == "liblinear" else max(1, math.ceil(total / CURVE_STEPS))
    c_value = "math.inf" if penalty == "none" else repr(values["C"])
    weight = repr("balanced" if values.get("class_weight") == "balanced" else None)
    return f'''import math
import warnings

from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss


def train_model(x_train, y_train, x_test, seed):
    """Fit in chunks of {chunk} solver iterations (at most {total}), each warm-started from the last, until it converges."""
    model = LogisticRegression(C={c_value}, l1_ratio={l1_ratio!r}, solver={values["solver"]!r}, max_iter={chunk},
                               warm_start=True, random_state=seed, class_weight={weight})
    labels = np.arange(N_CLASSES)
    history, done, converged = [], 0, False
    while done < {total} and not converged:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            model.fit(x_train, y_train)
        done += int(np.max(model.n_iter_))
        converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
        proba = model.predict_proba(x_train)
        history.append({{"step": done, "loss": float(log_loss(y_train, proba, labels=labels)),
                        "accuracy": float((proba.argmax(1) == y_train).mean())}})
    print(f"The solver {{'converged' if converged else 'had not converged'}} after {{done}} iterations.")
    return model.predict_proba(x_test), history
'''


FAMILY = ModelFamily(
    key="logistic_regression",
    label="Logistic regression",
    description="A linear model of the class probabilities. Fast, interpretable, a strong baseline. "
                "The curve shows the training loss as the solver iterates.",
    params=PARAMS,
    train=train,
    step_label="Iteration",
    pausable=True,
    rules=rules,
    export=export,
    abilities=Abilities(
        scale_sensitive=True, validation_loss_curve=False, train_gap_tells=True, training_score_in_history=False,
        live_boundary_map=False,
        overfit_remedy=Remedy(" Regularise more: lower C to {value:g}.", "C",
                              lambda values: float(values.get("C", 1.0)) / 10, "Set C to {value:g}"),
        underfit_evidence="loss_still_falling",
        underfit_remedy=Remedy(" Let the solver run longer: {value} iterations.", "max_iter",
                               lambda values: min(5000, 2 * int(values.get("max_iter", 500))),
                               "Set max iterations to {value}")),
)
