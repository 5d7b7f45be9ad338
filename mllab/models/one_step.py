"""What the families fitted in one step share (k-nearest neighbours, SVM, naive Bayes): their learning curve is one
point, the scores on (a sample of) the training rows, and the same point written out for their code export."""

from __future__ import annotations

import numpy as np

# The point is scored on at most this many training rows, the rows mllab.training.judging scores its training
# score on (it calls score_rows), so the verdict takes it from the curve (`Abilities.training_score_in_history`)
# and the run predicts its training rows once, not twice.
SCORE_ROWS = 2_000


def score_rows(n_rows: int, seed: int) -> np.ndarray:
    """Which training rows the point is scored on: all of them, or a seeded sample of SCORE_ROWS."""
    rows = np.arange(n_rows)
    if n_rows > SCORE_ROWS:
        rows = np.sort(np.random.default_rng(seed).choice(n_rows, SCORE_ROWS, replace=False))
    return rows


def training_point(output: np.ndarray, y: np.ndarray, task: str) -> dict:
    """The curve's only point from the model's output on the scored training rows: loss and accuracy (log-loss
    of the probabilities), or MSE, MAE and R² of a regression."""
    if task == "classification":
        proba = np.clip(np.asarray(output, dtype=np.float64), 1e-15, 1.0)
        loss = -float(np.mean(np.log(proba[np.arange(len(y)), y] / proba.sum(axis=1))))
        return {"step": 1, "total": 1, "loss": loss, "accuracy": float(np.mean(proba.argmax(axis=1) == y))}
    errors = np.ravel(output) - y
    total = float(np.sum((y - y.mean()) ** 2))
    point = {"step": 1, "total": 1, "loss": float(np.mean(errors ** 2)), "mae": float(np.mean(np.abs(errors)))}
    if total > 0:
        point["r2"] = 1.0 - float(np.sum(errors ** 2)) / total
    return point


def report_training_point(reporter, predict, x_train: np.ndarray, y_train: np.ndarray, task: str, seed: int) -> None:
    """Score the fitted model (`predict`: probabilities or values) on the sampled training rows; report the point."""
    rows = score_rows(len(y_train), seed)
    reporter.report(training_point(predict(x_train[rows]), y_train[rows], task))


# The same point in a run's code export: plain NumPy, after `model.fit`.
EXPORT_CODE = f'''

def training_point(output_of, x_train, y_train, seed):
    """The learning curve's one point: scores on (a seeded sample of at most {SCORE_ROWS:,}) training rows."""
    rows = np.arange(len(y_train))
    if len(rows) > {SCORE_ROWS}:
        rows = np.sort(np.random.default_rng(seed).choice(len(rows), {SCORE_ROWS}, replace=False))
    output, y = output_of(x_train[rows]), y_train[rows]
    if output.ndim == 2:  # class probabilities
        proba = np.clip(np.asarray(output, dtype=np.float64), 1e-15, 1.0)
        loss = -float(np.mean(np.log(proba[np.arange(len(y)), y] / proba.sum(axis=1))))
        return {{"step": 1, "loss": loss, "accuracy": float(np.mean(proba.argmax(axis=1) == y))}}
    errors = output - y
    total = float(np.sum((y - y.mean()) ** 2))
    point = {{"step": 1, "loss": float(np.mean(errors ** 2)), "mae": float(np.mean(np.abs(errors)))}}
    if total > 0:
        point["r2"] = 1.0 - float(np.sum(errors ** 2)) / total
    return point
'''
