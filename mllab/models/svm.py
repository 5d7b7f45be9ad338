"""Support vector machines, classifier (SVC) or regressor (SVR), with a linear, RBF or polynomial kernel: solved in
one fit, so the curve is one point. Class probabilities come from Platt scaling, fitted by an internal 5-fold
cross-validation (scikit-learn 1.9 deprecates SVC's own `probability=True` for this same CalibratedClassifierCV)."""

from __future__ import annotations

import warnings

import numpy as np

from mllab.models.base import CLASS_WEIGHT, Abilities, DataInfo, Device, FitOutcome, ModelFamily, Remedy, Reporter
from mllab.models.one_step import EXPORT_CODE, report_training_point
from mllab.params import AppliesWhen, ChoiceParam, FloatParam, IntParam
from mllab.prepare import PreparedData

# A kernel SVM's time grows about with the square of the rows (libsvm keeps a kernel cache of row pairs) and the
# probabilities fit it six times. Measured here (2 cores), RBF with probabilities on the OGLE-III catalogue's four
# columns: 10,000 rows 1.1 s, 20,000 4.4 s, 40,000 9.6 s; harder data needs many more support vectors and far
# longer. Past this many training rows a run is refused with what to do instead.
MAX_KERNEL_ROWS = 30_000
# Platt scaling's folds (scikit-learn's CalibratedClassifierCV default, and libsvm's own for probability=True).
CALIBRATION_FOLDS = 5
KERNELS = {"rbf": "RBF (Gaussian)", "linear": "Linear", "poly": "Polynomial"}
_KERNEL_ONLY = AppliesWhen("kernel", ("rbf", "poly"), "Used by the RBF and polynomial kernels only; the linear "
                           "kernel has no γ.")

PARAMS = (
    ChoiceParam("kernel", "Kernel", "The shape of the boundary. Linear: a flat one, fitted by liblinear "
                "(scikit-learn's LinearSVC / LinearSVR), whose time grows in step with the rows: the one for "
                "big tables. RBF: smooth curved boundaries around groups of rows. Polynomial: curved boundaries "
                "of a given degree. The RBF and polynomial kernels take time that grows with the square of the "
                f"rows, so they are refused beyond {MAX_KERNEL_ROWS:,} training rows.", "rbf", tuple(KERNELS),
                KERNELS),
    FloatParam("C", "C (inverse regularisation)", "How much each training row on the wrong side of the margin "
               "costs. Large C bends the boundary around every row (over-fitting); small C keeps it smooth.",
               1.0, 1e-3, 1e4, log=True, search_range=(0.1, 100.0)),
    ChoiceParam("gamma", "Kernel width γ", "How far one training row's influence reaches (the RBF's 1 / width²). "
                "Scale: 1 / (columns × the features' variance), scikit-learn's default. Auto: 1 / columns. "
                "Value: the number below; large γ gives islands around single rows.", "scale",
                ("scale", "auto", "value"), {"scale": "Scale (default)", "auto": "Auto (1 / columns)",
                                             "value": "A value"}, applies_when=_KERNEL_ONLY),
    FloatParam("gamma_value", "γ value", "The kernel width γ when 'A value' is chosen above.", 0.1, 1e-5, 100.0,
               log=True, applies_when=AppliesWhen("gamma", ("value",), "Used when γ is set to 'A value' only.")),
    IntParam("degree", "Polynomial degree", "The power of the polynomial kernel: 2 gives conic boundaries, higher "
             "degrees wigglier ones.", 3, 2, 6,
             applies_when=AppliesWhen("kernel", ("poly",), "Used by the polynomial kernel only.")),
    FloatParam("epsilon", "Tube width ε", "Errors smaller than ε cost nothing (the ε-insensitive tube), in the "
               "target's own units: 0.1 is scikit-learn's default, far too wide for redshifts (try 0.01).", 0.1,
               1e-4, 10.0, log=True, tasks=("regression",)),
    CLASS_WEIGHT,
)


def rules(values: dict, info: DataInfo) -> list[str]:
    if values["kernel"] != "linear" and info.n_train_rows > MAX_KERNEL_ROWS:
        return [f"An SVM with the {KERNELS[values['kernel']]} kernel takes time that grows with the square of the "
                f"rows: {info.n_train_rows:,} training rows would take hours, where {MAX_KERNEL_ROWS:,} take "
                "seconds to minutes. Choose the linear kernel (its time grows in step with the rows), or sample "
                f"at most {MAX_KERNEL_ROWS:,} rows on the Data page, or use a random forest or gradient boosting, "
                "which handle curved boundaries on big tables."]
    return []


def _gamma(values: dict):
    return values["gamma_value"] if values["gamma"] == "value" else values["gamma"]


def _estimator_parts(values: dict, regression: bool) -> tuple[str, dict]:
    """The scikit-learn estimator's class in sklearn.svm and its settings (the liblinear ones also take the seed):
    what `train` builds and the export writes."""
    if values["kernel"] == "linear":
        settings = {"C": values["C"], **({"epsilon": values["epsilon"]} if regression else {}),
                    "dual": "auto", "max_iter": 5000}
        name = "LinearSVR" if regression else "LinearSVC"
    else:
        settings = {"kernel": values["kernel"], "C": values["C"], "gamma": _gamma(values),
                    **({"degree": values["degree"]} if values["kernel"] == "poly" else {}),
                    **({"epsilon": values["epsilon"]} if regression else {})}
        name = "SVR" if regression else "SVC"
    if not regression:
        settings["class_weight"] = "balanced" if values["class_weight"] == "balanced" else None
    return name, settings


def calibration_folds(y_train: np.ndarray) -> int:
    """Platt scaling's folds: CALIBRATION_FOLDS, or fewer where a class has fewer training rows (each fold needs
    a row of every class)."""
    from mllab.errors import DataError

    smallest = int(np.bincount(y_train).min())
    if smallest < 2:
        raise DataError("A class has a single training row, too few for the SVM's probabilities (Platt scaling "
                        "holds rows of every class out in turn). Remove that class, or choose another model.")
    return min(CALIBRATION_FOLDS, smallest)


def train(values: dict, data: PreparedData, info: DataInfo, reporter: Reporter, device: Device, seed: int) -> FitOutcome:
    # scikit-learn is imported here, on the worker: pages import this file only for its schema.
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.svm import SVC, SVR, LinearSVC, LinearSVR

    regression = info.task == "regression"
    name, settings = _estimator_parts(values, regression)
    if name.startswith("Linear"):
        settings["random_state"] = seed
    estimator = {"SVC": SVC, "SVR": SVR, "LinearSVC": LinearSVC, "LinearSVR": LinearSVR}[name](**settings)
    notes = []
    if regression:
        model = estimator
    else:
        folds = calibration_folds(data.y_train)
        model = CalibratedClassifierCV(estimator, cv=folds, ensemble=False)
        if folds < CALIBRATION_FOLDS:
            notes.append(f"The probabilities were calibrated on {folds} folds, not {CALIBRATION_FOLDS}: the rarest "
                         "class has too few training rows for more.")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model.fit(data.x_train, data.y_train)
    if any(issubclass(w.category, ConvergenceWarning) for w in caught):
        notes.append("The solver had not converged after its iterations: scale the features, or lower C.")
    predict = model.predict if regression else model.predict_proba
    report_training_point(reporter, predict, data.x_train, data.y_train, info.task, seed)
    notes.append("An SVM is solved in one fit, so the learning curves hold a single point: the training rows' "
                 "scores." + ("" if regression else " Its probabilities come from Platt scaling, which fits the "
                              "SVM once more on each of the calibration folds."))
    return FitOutcome(test_proba=None if regression else model.predict_proba(data.x_test), device_used="CPU",
                      stopped=False, test_prediction=model.predict(data.x_test) if regression else None,
                      predictor=predict, model=model, notes=notes)


def export(values: dict, info: DataInfo) -> str:
    """This family's part of a run's code export: the same SVM (with Platt scaling for a classifier), and the
    curve's one point."""
    regression = info.task == "regression"
    name, settings = _estimator_parts(values, regression)
    seed = ", random_state=seed" if name.startswith("Linear") else ""
    code = f"{name}({', '.join(f'{key}={value!r}' for key, value in settings.items())}{seed})"
    make = f"model = {code}"
    if not regression:
        make = f'''svm = {code}
    # Platt scaling for the class probabilities: {CALIBRATION_FOLDS} folds, fewer if a class has fewer training rows.
    folds = min({CALIBRATION_FOLDS}, int(np.bincount(y_train).min()))
    model = CalibratedClassifierCV(svm, cv=folds, ensemble=False)'''
    output = "model.predict" if regression else "model.predict_proba"
    return f'''from sklearn.calibration import CalibratedClassifierCV
from sklearn.svm import SVC, SVR, LinearSVC, LinearSVR


def train_model(x_train, y_train, x_test, seed):
    """Fit the support vector machine in one go, then predict the test rows."""
    {make}
    model.fit(x_train, y_train)
    history = [training_point({output}, x_train, y_train, seed)]
    return {output}(x_test), history
''' + EXPORT_CODE


FAMILY = ModelFamily(
    key="svm",
    label="Support vector machine",
    description="The boundary with the widest margin between the classes, curved by a kernel (for regression, a "
                "tube of width ε around the target). Strong on small and mid-sized tables; the RBF and polynomial "
                "kernels slow down with the square of the rows. Class probabilities (for ROC curves and "
                f"calibration) come from Platt scaling, which costs an internal {CALIBRATION_FOLDS}-fold "
                "cross-validation: about six fits' time. Scale the features first.",
    params=PARAMS,
    train=train,
    step_label="Fit",
    tasks=frozenset({"classification", "regression"}),
    rules=rules,
    export=export,
    # Kernels measure distances between rows, so unscaled columns skew them. Large C bends the boundary round
    # every training row: lower it. Both scores low says the kernel or the features, not a limit to lift.
    abilities=Abilities(
        scale_sensitive=True, validation_loss_curve=False, train_gap_tells=True, training_score_in_history=True,
        live_boundary_map=False,
        overfit_remedy=Remedy(" Smooth the boundary: lower C to {value:g}.", "C",
                              lambda values: None if float(values.get("C", 1.0)) <= 1e-3
                              else max(1e-3, float(values.get("C", 1.0)) / 10), "Set C to {value:g}"),
        underfit_evidence="none", underfit_remedy=None,
        unscaled_effect="the kernel measures closeness almost only along the widest columns and the solver takes longer"),
)
