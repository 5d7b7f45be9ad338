"""Stage 3, prepare: cleaning (missing-value markers, identifier columns, formulas for new columns),
exploring (statistics, histograms, correlations, PCA) and preprocessing (imputation, scaling,
one-hot encoding, PCA, the train/test split).

May import: mllab.datasets, mllab.errors, mllab.params.
"""

from mllab.prepare.cleaning import (CleaningChoices, CleaningResult, MissingMarker, apply_cleaning, count_value,
                                    default_choices, find_identifier_columns, find_missing_markers, format_value,
                                    group_markers, looks_like_identifier_name, looks_like_identifier_values,
                                    marker_sentence, not_known_mask, optional_columns, parse_marker_value,
                                    structural_columns, target_names)
from mllab.prepare.explore import MAX_SIGNAL_POINTS, SignalSamples, common_prefix, signal_axis
from mllab.prepare.formulas import FUNCTIONS, DerivedColumn, add_derived_column
from mllab.prepare.preprocessing import (MAX_ONE_HOT_CATEGORIES, PREPROCESSING_SCHEMA, LabelledData, PreparedData,
                                         PreprocessConfig, build_preprocessor, encoded_width, fit_and_transform,
                                         label_data, prepare, regression_data, split_columns)

__all__ = [
    "not_known_mask", "target_names",
    "add_derived_column", "apply_cleaning", "build_preprocessor", "CleaningChoices", "CleaningResult", "common_prefix",
    "count_value", "default_choices", "DerivedColumn", "encoded_width", "find_identifier_columns",
    "find_missing_markers", "fit_and_transform", "format_value", "FUNCTIONS", "group_markers", "label_data",
    "LabelledData", "looks_like_identifier_name", "looks_like_identifier_values", "marker_sentence", "MAX_ONE_HOT_CATEGORIES", "MAX_SIGNAL_POINTS", "MissingMarker",
    "optional_columns", "parse_marker_value", "prepare", "PreparedData", "PreprocessConfig", "PREPROCESSING_SCHEMA",
    "regression_data", "signal_axis", "SignalSamples", "split_columns", "structural_columns",
]
