"""The score a model must beat: a predictor that looks at no feature, scored on the same rows.

Classification: scikit-learn's `DummyClassifier(strategy="prior")`, worked out by hand: it always
answers the most common class of the training rows, with the training rows' class shares as its
probabilities. Regression: `DummyRegressor(strategy="mean")`, the training rows' mean. Scored on
the run's own test split, or for a K-fold run on every fold's test rows with the fold's own
training rows (`prior_rows`/`mean_rows` per row). Every mljar and PyCaret leaderboard has such a
row; here it sits beside the model's figures: "0.75, against 0.65 for always answering the most
common class".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mllab.evaluation.metrics import evaluate_regression, imbalance_scores


@dataclass
class Baseline:
    task: str
    description: str  # "always answering the most common class, 'tested_negative'", for a sentence
    scores: dict[str, float | None] = field(default_factory=dict)  # keys as in Evaluation.summary()
    log_loss: float | None = None  # classification: the class shares' log-loss on the scored rows

    def score(self, name: str) -> float | None:
        return self.scores.get(name)

    def curve_reference(self, metric: str) -> float | None:
        """Where this baseline sits on a learning curve of `metric` (a history key), if it has a place there.

        The curves are drawn on training or validation rows and the baseline is scored on the test
        rows, so the line is a guide, not a point on the same rows.
        """
        if self.task == "classification":
            accuracy = self.scores.get("accuracy")
            return {"accuracy": accuracy, "error": None if accuracy is None else 1.0 - accuracy,
                    "loss": self.log_loss}.get(metric)
        return {"loss": self.scores.get("mse"), "mae": self.scores.get("mae"), "r2": 0.0}.get(metric)


def class_prior(y_train: np.ndarray, n_classes: int) -> np.ndarray:
    """Each class's share of the training rows (what the prior predictor answers for every row)."""
    counts = np.bincount(np.asarray(y_train, dtype=np.int64), minlength=n_classes).astype(float)
    return counts / counts.sum()


def classification_baseline(y_true: np.ndarray, prior_rows: np.ndarray, class_names: list[str]) -> Baseline:
    """The prior predictor's scores on `y_true`; `prior_rows` holds each row's class shares (n × k)
    from the training rows that row's model saw (one split: the same shares on every row).

    Scored directly rather than through `evaluate`: a constant's ROC, precision-recall and
    reliability curves say nothing, and drawing them cost more than the rest of the verdict.
    """
    from sklearn.metrics import precision_recall_fscore_support

    y = np.asarray(y_true, dtype=np.int64)
    proba = np.asarray(prior_rows, dtype=float)
    k = len(class_names)
    predicted = proba.argmax(axis=1)
    precision, recall, f1, _ = precision_recall_fscore_support(y, predicted, labels=np.arange(k), average=None,
                                                               zero_division=0)
    onehot = np.eye(k)[y]
    squared = (proba[:, 1] - y) ** 2 if k == 2 else np.sum((proba - onehot) ** 2, axis=1)  # as calibration.py
    scores = {"accuracy": float(np.mean(predicted == y)), "macro_precision": float(precision.mean()),
              "macro_recall": float(recall.mean()), "macro_f1": float(f1.mean()),
              "roc_auc": 0.5,  # a constant score ranks no row above another
              **imbalance_scores(y, predicted, k), "brier": float(np.mean(squared))}
    majority = class_names[int(np.bincount(predicted, minlength=k).argmax())]
    eps = np.finfo(float).eps
    log_loss = float(-np.log(np.clip(proba[np.arange(len(y)), y], eps, 1.0)).mean())
    return Baseline("classification", f"always answering the most common class, '{majority}'", scores, log_loss)


def regression_baseline(y_true: np.ndarray, mean_rows: np.ndarray, redshift: bool = False) -> Baseline:
    """The mean predictor's scores on `y_true`; `mean_rows` holds the training mean each row's model saw."""
    predicted = np.asarray(mean_rows, dtype=float).reshape(-1)
    evaluation = evaluate_regression(y_true, predicted, redshift=redshift)
    value = float(np.mean(predicted))
    return Baseline("regression", f"always predicting the training mean, {value:.4g}", evaluation.summary())


def holdout_baseline(task: str, y_train: np.ndarray, y_test: np.ndarray, class_names: list[str],
                     redshift: bool = False) -> Baseline:
    """The baseline of a hold-out run: fitted on its training rows, scored on its test rows."""
    if task == "regression":
        return regression_baseline(y_test, np.full(len(y_test), float(np.mean(y_train))), redshift)
    prior = class_prior(y_train, len(class_names))
    return classification_baseline(y_test, np.tile(prior, (len(y_test), 1)), class_names)


def baseline_sentence(score_label: str, value: float, baseline: Baseline, name: str, decimals: int = 3) -> str:
    """e.g. "Test accuracy 0.753, against 0.649 for always answering the most common class, 'tested_negative'."."""
    reference = baseline.score(name)
    if reference is None:
        return ""
    return f"{score_label} {value:.{decimals}f}, against {reference:.{decimals}f} for {baseline.description}."
