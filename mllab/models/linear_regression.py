"""Linear and ridge regression: a straight-line (hyperplane) fit of the target, solved in one step."""

from __future__ import annotations

import numpy as np

from mllab.models.base import Abilities, DataInfo, Device, FitOutcome, ModelFamily, Reporter
from mllab.params import BoolParam, FloatParam
from mllab.prepare import PreparedData

PARAMS = (
    # A linear slider rather than a log one: the log grid cannot offer 0, which is the textbook
    # ordinary least squares every lecture starts from.
    FloatParam("alpha", "Ridge penalty α (0 = ordinary least squares)",
               "Penalty on the squared size of the coefficients: larger α shrinks them towards 0, trading a "
               "little bias for less variance. 0 gives ordinary least squares. Scale the features first, so "
               "the penalty weighs every column alike.", 1.0, 0.0, 100.0, step=0.1),
    BoolParam("fit_intercept", "Fit an intercept", "Learn a constant term; off forces the fit through 0 "
              "(only sensible when the target is 0 whenever every feature is 0).", True),
)


def train(values: dict, data: PreparedData, info: DataInfo, reporter: Reporter, device: Device, seed: int) -> FitOutcome:
    # scikit-learn is imported here, on the worker: pages import this file only for its schema.
    from sklearn.linear_model import LinearRegression, Ridge

    if values["alpha"] == 0:
        model = LinearRegression(fit_intercept=values["fit_intercept"])
    else:
        model = Ridge(alpha=values["alpha"], fit_intercept=values["fit_intercept"], random_state=seed)
    model.fit(data.x_train, data.y_train)
    # The fit is solved directly (no iterations), so the curve is a single point: the training error.
    errors = model.predict(data.x_train) - data.y_train
    point = {"step": 1, "total": 1, "loss": float(np.mean(errors ** 2)), "mae": float(np.mean(np.abs(errors)))}
    reporter.report(point)
    kind = "Ordinary least squares" if values["alpha"] == 0 else f"Ridge regression with α = {values['alpha']:g}"
    return FitOutcome(test_proba=None, device_used="CPU", stopped=False, test_prediction=model.predict(data.x_test),
                      predictor=model.predict, model=model,
                      notes=[f"{kind}: solved directly in one step, so the learning curves hold a single point "
                             "(the training error)."])


def export(values: dict, info: DataInfo) -> str:
    """This family's part of a run's code export: the same least-squares (or ridge) fit."""
    if values["alpha"] == 0:
        make = f"LinearRegression(fit_intercept={values['fit_intercept']})"
    else:
        make = f"Ridge(alpha={values['alpha']!r}, fit_intercept={values['fit_intercept']}, random_state=seed)"
    return f'''from sklearn.linear_model import LinearRegression, Ridge


def train_model(x_train, y_train, x_test, seed):
    """Solve the fit directly: the learning curve is one point, the training error."""
    model = {make}
    model.fit(x_train, y_train)
    errors = model.predict(x_train) - y_train
    history = [{{"step": 1, "loss": float(np.mean(errors ** 2)), "mae": float(np.mean(np.abs(errors)))}}]
    return model.predict(x_test), history
'''


FAMILY = ModelFamily(
    key="linear_regression",
    label="Linear / ridge regression",
    description="The target as a weighted sum of the features plus a constant, fitted by least squares; "
                "α > 0 adds the ridge penalty on large coefficients. Fast, interpretable, the baseline "
                "every regression should beat.",
    params=PARAMS,
    train=train,
    step_label="Fit",
    tasks=frozenset({"regression"}),
    export=export,
    # Solved in one step: its curve is one point, so neither more steps nor another setting is a fix to offer.
    abilities=Abilities(scale_sensitive=False, validation_loss_curve=False, train_gap_tells=True,
                        training_score_in_history=False, live_boundary_map=False, overfit_remedy=None,
                        underfit_evidence="none", underfit_remedy=None),
)
