"""What is worked out on the worker right after training, beside the evaluation: the verdict (hold-out
and K-fold) and the decision-boundary map (hold-out classifications that asked for one).

`judge` collects the facts (`mllab.evaluation.verdict.VerdictFacts`): the test score and the
baseline's, the same score on a sample of the training rows, the curve, the settings, the class
counts, and the data checks of `mllab.evaluation.data_checks`, then words them with
`write_verdict`. Cheap next to training: one prediction over at most TRAIN_SCORE_ROWS training rows,
and for tables one small tree per column on a 2,000-row sample.
"""

from __future__ import annotations

import numpy as np

from mllab.evaluation.baseline import Baseline
from mllab.evaluation.data_checks import (classes_too_rare_for_folds, imbalanced_classes, markers_in_features,
                                          predictive_power)
from mllab.evaluation.verdict import Finding, Verdict, VerdictFacts, write_verdict
from mllab.models import FAMILIES
from mllab.models.one_step import SCORE_ROWS, score_rows

TRAIN_SCORE_ROWS = SCORE_ROWS  # the one-step families' curve point is this score: the same rows (score_rows)


def live_map_maker(spec, data):
    """For a run of a family that draws its map while training (`Abilities.live_boundary_map`, the MLP) and
    asked for one: a function from the model as it is now (a predictor) to the map, which the family calls
    every few epochs; None for other runs."""
    if (not FAMILIES[spec.family].abilities.live_boundary_map or spec.boundary is None
            or not getattr(spec, "live_boundary", True)
            or spec.task != "classification" or data.x_train.shape[1] < 2):
        return None
    return lambda predictor: _draw_map(spec, data, predictor, predictor(data.x_test))


def _draw_map(spec, data, predictor, test_proba):
    """The map over the spec's choice: the first two principal components, or two chosen features."""
    from mllab.evaluation.boundary import PCA, feature_boundary, pca_boundary

    if spec.boundary == PCA:
        return pca_boundary(predictor, data.x_train, data.x_test, data.y_train, data.y_test, test_proba,
                            data.class_names, spec.seed)
    frame = spec.dataset.frame[data.input_columns]
    return feature_boundary(predictor, data.preprocessor, frame.iloc[data.train_rows], frame.iloc[data.test_rows],
                            data.y_train, data.y_test, test_proba, data.class_names, *spec.boundary, seed=spec.seed)


def boundary_map(spec, data, outcome, reporter):
    """The run's decision-boundary map (mllab.evaluation.boundary), or None with the reason in a note."""
    from mllab.evaluation.boundary import PCA

    if spec.boundary is None or spec.task != "classification" or outcome.stopped or outcome.predictor is None:
        return None, None
    reporter.report({"type": "status", "message": "Drawing the decision boundary"})
    if spec.boundary == PCA and data.x_train.shape[1] < 2:
        return None, "No decision-boundary map: the model has only one input."
    try:
        return _draw_map(spec, data, outcome.predictor, outcome.test_proba), None
    except Exception as err:  # the run trained fine: a map that cannot be drawn is a note, not a failed run
        return None, f"The decision-boundary map could not be drawn ({type(err).__name__}: {err})."


def training_score(task: str, predictor, x_train: np.ndarray, y_train: np.ndarray, seed: int,
                   family: str = "", history: list[dict] | None = None) -> float | None:
    """Accuracy (classification) or R² (regression) of the trained model on up to TRAIN_SCORE_ROWS training rows.

    A family whose curve already holds it (`Abilities.training_score_in_history`: the forest's last point
    scores all the trees' votes on up to 5,000 training rows) needs no second pass over them. `family` is
    the family's key, as the runners pass it.
    """
    key = "accuracy" if task == "classification" else "r2"
    in_history = family in FAMILIES and FAMILIES[family].abilities.training_score_in_history
    if in_history and history and key in history[-1]:
        return float(history[-1][key])
    if predictor is None or len(y_train) == 0:
        return None
    rows = score_rows(len(y_train), seed)
    output = np.asarray(predictor(x_train[rows]), dtype=float)
    y = np.asarray(y_train)[rows]
    if task == "classification":
        return float(np.mean(output.argmax(axis=1) == y))
    total = float(np.sum((y - y.mean()) ** 2))
    return None if total == 0 else 1.0 - float(np.sum((output.reshape(-1) - y) ** 2)) / total


def feature_spread(x_train: np.ndarray) -> tuple[float, float, float] | None:
    """Smallest and largest standard deviation of the non-constant columns, and the largest |value|."""
    if x_train.size == 0:
        return None
    stds = np.nanstd(x_train, axis=0)
    varying = stds[stds > 0]
    if not len(varying):
        return None
    return float(varying.min()), float(varying.max()), float(np.nanmax(np.abs(x_train)))


def judge(spec, evaluation, baseline: Baseline, history: list[dict], *, train_score: float | None,
          class_counts: dict[str, int], x_train: np.ndarray | None, stopped: bool, pooled: bool) -> Verdict:
    """The run's verdict; a fault in the checks becomes a sentence, never a failed run."""
    try:
        return write_verdict(_facts(spec, evaluation, baseline, history, train_score, class_counts, x_train, stopped,
                                    pooled))
    except Exception as err:  # the run trained fine: its result must not be lost over its verdict
        return Verdict([Finding("error", "info", f"The verdict could not be worked out ({type(err).__name__}: {err}).")])


def _facts(spec, evaluation, baseline, history, train_score, class_counts, x_train, stopped, pooled) -> VerdictFacts:
    family = FAMILIES[spec.family]
    regression = spec.task == "regression"
    where = "out-of-fold" if pooled else "test"
    dataset = spec.dataset
    features = spec.feature_columns()
    table = dataset.kind == "table"
    config = spec.validation
    facts = VerdictFacts(
        task=spec.task, abilities=family.abilities, family_label=family.label,
        score_name="r2" if regression else "accuracy", score_label=f"{where} {'R²' if regression else 'accuracy'}",
        score=(evaluation.r2 if regression else evaluation.accuracy), baseline=baseline, train_score=train_score,
        history=history, step_label=family.step_label, params=dict(spec.params),
        class_weight_offered=any(p.name == "class_weight" for p in family.params),
        stratified=(config.scheme in ("stratified_kfold", "repeated_kfold")) if config.is_kfold
        else spec.preprocessing.stratify,
        n_folds=config.n_folds if config.is_kfold else 0, scaling=spec.preprocessing.scaling,
        feature_spread=None if x_train is None else feature_spread(x_train), stopped=stopped,
    )
    if regression:
        facts.rmse = evaluation.rmse
    else:
        facts.balanced_accuracy = evaluation.balanced_accuracy
        facts.rare_classes = imbalanced_classes(class_counts)
        facts.recalls = dict(zip(evaluation.per_class["class"], evaluation.per_class["recall"].astype(float)))
        if config.is_kfold:
            facts.too_rare_for_folds = classes_too_rare_for_folds(class_counts, config.n_folds)
    if table:
        facts.powers = predictive_power(dataset.frame, features, spec.target, spec.task, spec.seed)
    if dataset.kind != "image":
        facts.markers = markers_in_features(dataset.frame, features, spec.seed)
    if facts.score is None:  # R² of test targets that are all equal
        return VerdictFacts(**{**facts.__dict__, "score": 0.0, "baseline": Baseline(spec.task, baseline.description)})
    return facts


def class_counts(labels: np.ndarray, class_names: list[str]) -> dict[str, int]:
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=len(class_names))
    return {name: int(n) for name, n in zip(class_names, counts)}
