"""Gaussian naive Bayes: each class a bell curve per column, the columns taken as independent; fitted in one pass
(a mean and a variance per class and column), so the curve is one point."""

from __future__ import annotations

from mllab.models.base import Abilities, DataInfo, Device, FitOutcome, ModelFamily, Reporter
from mllab.models.one_step import EXPORT_CODE, report_training_point
from mllab.params import FloatParam
from mllab.prepare import PreparedData

PARAMS = (
    FloatParam("var_smoothing", "Variance smoothing", "Share of the widest column's variance added to every "
               "variance, so a column that barely varies within a class cannot make one row's probability "
               "explode. Larger values smooth the class curves.", 1e-9, 1e-12, 1.0, log=True),
)


def train(values: dict, data: PreparedData, info: DataInfo, reporter: Reporter, device: Device, seed: int) -> FitOutcome:
    # scikit-learn is imported here, on the worker: pages import this file only for its schema.
    from sklearn.naive_bayes import GaussianNB

    model = GaussianNB(var_smoothing=values["var_smoothing"]).fit(data.x_train, data.y_train)
    report_training_point(reporter, model.predict_proba, data.x_train, data.y_train, info.task, seed)
    return FitOutcome(test_proba=model.predict_proba(data.x_test), device_used="CPU", stopped=False,
                      predictor=model.predict_proba, model=model,
                      notes=["Naive Bayes is fitted in one pass (a mean and a variance per class and column), so "
                             "the learning curves hold a single point: the training rows' scores."])


def export(values: dict, info: DataInfo) -> str:
    """This family's part of a run's code export: the same fit, and the curve's one point."""
    return f'''from sklearn.naive_bayes import GaussianNB


def train_model(x_train, y_train, x_test, seed):
    """A mean and a variance per class and column, then Bayes' rule with the columns taken as independent."""
    model = GaussianNB(var_smoothing={values["var_smoothing"]!r})
    model.fit(x_train, y_train)
    history = [training_point(model.predict_proba, x_train, y_train, seed)]
    return model.predict_proba(x_test), history
''' + EXPORT_CODE


FAMILY = ModelFamily(
    key="naive_bayes",
    label="Gaussian naive Bayes",
    description="Each class as a bell curve (Gaussian) per column, the columns taken as independent given the "
                "class; Bayes' rule gives the probabilities. Fits in one pass, even on millions of rows. Any "
                "numbers will do, negative ones included (the multinomial variant for counts is not offered).",
    params=PARAMS,
    train=train,
    step_label="Fit",
    export=export,
    # Each column's curve is fitted on its own scale, so scaling changes nothing. Too simple to memorise much,
    # and no setting lifts its independence assumption: nothing to say when both scores are low.
    abilities=Abilities(scale_sensitive=False, validation_loss_curve=False, train_gap_tells=True,
                        training_score_in_history=True, live_boundary_map=False, overfit_remedy=None,
                        underfit_evidence="none", underfit_remedy=None),
)
