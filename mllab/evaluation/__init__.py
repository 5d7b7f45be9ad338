"""Stage 5, evaluation: what a trained model's test predictions say: metrics (accuracy, per-class
scores, confusion matrix, ROC/PR; R², RMSE, the photo-z figures), the samples behind each cell
(inspection) and feature importance.

May import: mllab.datasets, mllab.prepare, mllab.models, mllab.errors, mllab.params.
"""

from mllab.evaluation.importance import measure_importance, score, top_features
from mllab.evaluation.inspection import TestPredictions, test_predictions
from mllab.evaluation.metrics import (MACRO_LABEL, PHOTO_Z_OUTLIER_CUT, Evaluation, RegressionEvaluation, evaluate,
                                      evaluate_regression, photo_z_metrics)

__all__ = [
    "evaluate", "evaluate_regression", "Evaluation", "MACRO_LABEL", "measure_importance", "photo_z_metrics",
    "PHOTO_Z_OUTLIER_CUT", "RegressionEvaluation", "score", "test_predictions", "TestPredictions", "top_features",
]
