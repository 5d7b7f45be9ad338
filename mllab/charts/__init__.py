"""Stage 6, charts: Plotly figures of every stage's results, made to read from the back of a lecture
hall. Only the pages draw them, so training workers never import Plotly.

May import: mllab.evaluation, mllab.prepare, mllab.datasets, mllab.errors. No Streamlit here.
"""

from mllab.charts.compare import RunHistory, STYLE_NOTE, overlaid_curve_figures, overlaid_curves, run_colour
from mllab.charts.curves import (BASELINE_LABEL, TEST_SCORE_LABEL, TRAINING_SCORE_LABEL, learning_curves,
                                 learning_curves_dict, training_size_figure)
from mllab.charts.data import (ALL_LABEL, class_balance_figure, correlation_figure, histogram_figure,
                               missing_values_figure, pca_figure, sample_images_dict, sample_images_figure,
                               signal_samples_figure, target_histogram_figure)
from mllab.charts.evaluation import (CELL_TRACE_NAME, COMPONENT_LABEL, CUMULATIVE_LABEL, IDENTITY_LABEL, IMPURITY_LABEL,
                                     OTHER_CLASSES_LABEL, OTHER_CLASS_COLOUR, OUTLIER_LABEL, PERMUTATION_LABEL,
                                     PREDICTED_LABEL, TEST_ROWS_LABEL, TRUE_LABEL, clickable_confusion_figure,
                                     confusion_matrix_figure, images_figure, importance_figure, metrics_table,
                                     pca_variance_figure, precision_recall_figure, predicted_vs_true_figure,
                                     probability_figure, residuals_figure, roc_figure)
from mllab.charts.prediction import (PREDICTED_ROWS_LABEL, TOP_PROBABILITY_LABEL, predicted_counts_figure,
                                     top_probability_figure)
from mllab.charts.style import (BASE_FONT, CHANCE_COLOUR, CLASS_PALETTE, EMPTY_CELL, HEIGHT, LINE_WIDTH, MACRO_COLOUR,
                                MARKER_LIMIT, PALETTE, PRESENTER_HEIGHT, TEXT_DARK, TITLE_FONT, TRAINING_COLOUR,
                                VALIDATION_COLOUR, for_projector, shorten)
from mllab.charts.trust import (PERFECT_CALIBRATION_LABEL, boundary_dict, boundary_figure, boundary_thumbnail,
                                reliability_figure)
from mllab.charts.validation import BEST_COLOUR, FOLD_COLOUR, MEAN_COLOUR, candidate_scores_figure, fold_scores_figure

__all__ = [
    "for_projector", "PRESENTER_HEIGHT",
    "PREDICTED_ROWS_LABEL", "TOP_PROBABILITY_LABEL", "predicted_counts_figure", "top_probability_figure",
    "overlaid_curve_figures", "overlaid_curves", "run_colour", "RunHistory", "STYLE_NOTE",
    "BASELINE_LABEL", "boundary_dict", "boundary_figure", "boundary_thumbnail", "PERFECT_CALIBRATION_LABEL", "reliability_figure",
    "ALL_LABEL", "BASE_FONT", "BEST_COLOUR", "candidate_scores_figure", "CELL_TRACE_NAME", "CHANCE_COLOUR",
    "class_balance_figure", "CLASS_PALETTE", "clickable_confusion_figure", "COMPONENT_LABEL",
    "confusion_matrix_figure", "correlation_figure", "CUMULATIVE_LABEL", "EMPTY_CELL", "FOLD_COLOUR",
    "fold_scores_figure", "HEIGHT", "histogram_figure", "IDENTITY_LABEL", "images_figure", "importance_figure",
    "IMPURITY_LABEL", "learning_curves", "learning_curves_dict", "LINE_WIDTH", "MACRO_COLOUR", "MARKER_LIMIT",
    "MEAN_COLOUR", "metrics_table",
    "missing_values_figure", "OTHER_CLASS_COLOUR", "OTHER_CLASSES_LABEL", "OUTLIER_LABEL", "PALETTE", "pca_figure",
    "pca_variance_figure", "PERMUTATION_LABEL", "precision_recall_figure", "PREDICTED_LABEL",
    "predicted_vs_true_figure", "probability_figure", "residuals_figure", "roc_figure",
    "sample_images_dict", "sample_images_figure", "shorten", "signal_samples_figure", "target_histogram_figure",
    "TEST_ROWS_LABEL",
    "TEST_SCORE_LABEL", "TEXT_DARK", "TITLE_FONT", "TRAINING_COLOUR", "TRAINING_SCORE_LABEL", "training_size_figure",
    "TRUE_LABEL", "VALIDATION_COLOUR",
]
