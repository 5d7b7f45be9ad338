"""The network's layers, output shapes and parameter counts, shown before training.

Worked out by `mllab.models.summary` from the sliders' values without TensorFlow, so it
follows every change at once; after training, the run's own Keras summary is shown with it.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from mllab.datasets import Dataset
from mllab.errors import UserError
from mllab.models.base import DataInfo, ModelFamily
from mllab.models.summary import estimated_input_width, format_shape, summarise
from mllab.prepare import PreprocessConfig, split_columns


def _data_info(dataset: Dataset, target: str, preprocessing: PreprocessConfig, task: str) -> DataInfo:
    features = dataset.feature_columns(target)
    return DataInfo(
        kind=dataset.kind, task=task,
        n_features=estimated_input_width(dataset.frame, features, preprocessing.one_hot,
                                         preprocessing.pca_components),
        n_classes=int(dataset.frame[target].nunique(dropna=True)),
        image_shape=dataset.image_shape,
        pca_components=preprocessing.pca_components,
    )


def layer_summary_panel(family: ModelFamily, raw_params: dict[str, Any], raw_preprocessing: dict[str, Any],
                        dataset: Dataset, target: str, task: str = "classification", expanded: bool = True) -> None:
    """A table of the layers the current settings give, or why there is none yet.

    The expander's title carries the parameter count, so it shows each change even when folded.
    """
    if family.architecture is None:
        return
    try:
        preprocessing = PreprocessConfig.from_values(raw_preprocessing)
        info = _data_info(dataset, target, preprocessing, task)
        values = family.validate(raw_params, info)
    except UserError as err:
        with st.expander("Network layers", expanded=expanded):
            st.caption(f"The layer summary appears once the settings are valid. {err}")
        return
    input_shape, layers = family.architecture(values, info)
    summary = summarise(input_shape, layers)
    with st.expander(f"Network layers · {summary.total_params:,} parameters", expanded=expanded):
        st.dataframe(summary.table(), hide_index=True, width="stretch", key=f"layer-summary-{family.key}",
                     column_config={"Parameters": st.column_config.NumberColumn(format="localized")})
        text = (f"Input {format_shape(summary.input_shape)} · **{summary.total_params:,} parameters**, "
                f"{summary.trainable_params:,} trained")
        if summary.non_trainable_params:
            text += (f", {summary.non_trainable_params:,} not trained (the running means and variances of "
                     "batch normalisation)")
        st.caption(text + ". Worked out from the settings; the run's own Keras summary follows training.")
        _, categorical = split_columns(dataset.frame[dataset.feature_columns(target)])
        if categorical and preprocessing.one_hot and not preprocessing.pca_components:
            st.caption("The input width counts each text column's categories in the whole table; the training "
                       "part may hold fewer, and the run's own summary will show the exact count.")
        if values.get("early_stopping"):
            st.caption("Early stopping will watch the validation loss." if values["validation_split"] > 0 else
                       "Early stopping will watch the training loss, because the validation split is 0.")
