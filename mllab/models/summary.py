"""A Keras model's layers as data, and its summary computed by arithmetic (no TensorFlow).

The MLP and CNN families describe their architecture as a list of `LayerSpec`s; the training
worker turns that list into Keras layers (`keras_common.build_layers`), and the Train page turns
the same list into a table of output shapes and parameter counts *before* training, as the
sliders move. The page process never imports TensorFlow (4–8 s here), so the counts are worked
out below from the layer formulas; tests check them against Keras's own `count_params()`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from mllab.models.base import DataInfo
from mllab.prepare import MAX_ONE_HOT_CATEGORIES, split_columns

# Keras class names of the layers a plan may hold, and the image augmentation layers among them.
AUGMENTATION_KINDS = ("RandomFlip", "RandomRotation", "RandomTranslation", "RandomZoom")
CONV_KINDS = ("Conv1D", "Conv2D")
POOL_KINDS = ("MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D")
SHAPE_ONLY_KINDS = ("Dropout", "Flatten", *AUGMENTATION_KINDS)


@dataclass(frozen=True)
class LayerSpec:
    """One layer: its name in the model, its Keras class name, and that class's settings."""

    name: str
    kind: str
    options: dict[str, Any] = field(default_factory=dict)


def output_units(info: DataInfo) -> int:
    """Units of the output layer: one linear unit for a regression, one sigmoid unit for two classes,
    one softmax unit per class otherwise.

    Mirrors `keras_recipe.output_layer_and_loss`; change both together.
    """
    return 1 if info.task == "regression" or info.n_classes == 2 else info.n_classes


def output_layer(info: DataInfo) -> LayerSpec:
    units = output_units(info)
    activation = "linear" if info.task == "regression" else "sigmoid" if units == 1 else "softmax"
    return LayerSpec("output", "Dense", {"units": units, "activation": activation})


@dataclass(frozen=True)
class LayerRow:
    name: str
    kind: str
    output_shape: tuple[int, ...]  # without the batch dimension
    params: int
    trainable_params: int


@dataclass(frozen=True)
class ModelSummary:
    input_shape: tuple[int, ...]
    rows: tuple[LayerRow, ...]

    @property
    def total_params(self) -> int:
        return sum(r.params for r in self.rows)

    @property
    def trainable_params(self) -> int:
        return sum(r.trainable_params for r in self.rows)

    @property
    def non_trainable_params(self) -> int:
        return self.total_params - self.trainable_params

    def table(self) -> pd.DataFrame:
        return pd.DataFrame({
            "Layer": [r.name for r in self.rows],
            "Type": [r.kind for r in self.rows],
            "Output shape": [format_shape(r.output_shape) for r in self.rows],
            "Parameters": [r.params for r in self.rows],
        })


def format_shape(shape: tuple[int, ...]) -> str:
    return " × ".join(f"{n:,}" for n in shape)


def _layer_row(spec: LayerSpec, shape: tuple[int, ...]) -> LayerRow:
    """The layer's output shape and (total, trainable) parameters for an input of `shape`."""
    options = spec.options
    channels = shape[-1]
    if spec.kind == "Dense":
        units = options["units"]
        params = channels * units + units
        return LayerRow(spec.name, spec.kind, (*shape[:-1], units), params, params)
    if spec.kind in CONV_KINDS:
        filters, kernel = options["filters"], options["kernel_size"]
        spatial = shape[:-1]
        params = kernel ** len(spatial) * channels * filters + filters
        # "same" padding keeps the spatial size; "valid" loses kernel - 1 per dimension.
        size = spatial if options.get("padding", "valid") == "same" else tuple(n - kernel + 1 for n in spatial)
        return LayerRow(spec.name, spec.kind, (*size, filters), params, params)
    if spec.kind in POOL_KINDS:
        pool = options.get("pool_size", 2)
        return LayerRow(spec.name, spec.kind, (*(n // pool for n in shape[:-1]), channels), 0, 0)
    if spec.kind == "BatchNormalization":
        # gamma and beta learn; the moving mean and variance are only averaged.
        return LayerRow(spec.name, spec.kind, shape, 4 * channels, 2 * channels)
    if spec.kind == "Flatten":
        return LayerRow(spec.name, spec.kind, (math.prod(shape),), 0, 0)
    if spec.kind in SHAPE_ONLY_KINDS:
        return LayerRow(spec.name, spec.kind, shape, 0, 0)
    raise ValueError(f"no summary rule for a {spec.kind} layer")


def summarise(input_shape: tuple[int, ...], layers: list[LayerSpec]) -> ModelSummary:
    rows = []
    shape = tuple(input_shape)
    for spec in layers:
        row = _layer_row(spec, shape)
        rows.append(row)
        shape = row.output_shape
    return ModelSummary(tuple(input_shape), tuple(rows))


def estimated_input_width(frame: pd.DataFrame, features: list[str], one_hot: bool, pca_components: int) -> int:
    """Columns the preprocessing hands to the network, worked out from the whole table.

    A text column one-hot encodes into one column per category (at most MAX_ONE_HOT_CATEGORIES,
    rarer ones grouped); the exact count depends on which categories land in the training part,
    so for tables with text columns this is an estimate until the run's own summary.
    """
    if pca_components:
        return pca_components
    numeric, categorical = split_columns(frame[features])
    width = len(numeric)
    if one_hot:
        width += sum(min(max(frame[c].nunique(dropna=True), 1), MAX_ONE_HOT_CATEGORIES) for c in categorical)
    return width
