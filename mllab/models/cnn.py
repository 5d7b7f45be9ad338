"""Convolutional network (Keras): Conv2D on images, Conv1D on ordered signals."""

from __future__ import annotations

from dataclasses import replace

from mllab.models.base import (DROPOUT, LEARNING_RATE, MOMENTUM, OPTIMISER, VALIDATION_SPLIT, DataInfo, Device,
                               FitOutcome, ModelFamily, Reporter, batch_size_param, epochs_param)
from mllab.params import ChoiceParam, IntParam
from mllab.preprocessing import PreparedData

PARAMS = (
    IntParam("conv_blocks", "Convolution blocks", "Each block is a convolution, then pooling.", 2, 1, 4),
    IntParam("filters", "Filters in the first block", "Feature maps learned by the first convolution; "
             "each later block doubles them.", 32, 4, 128, step=4),
    IntParam("kernel_size", "Kernel size", "Width of each convolution window, in pixels or samples.", 3, 2, 9),
    ChoiceParam("pooling", "Pooling", "Down-sampling after each convolution.", "max", ("max", "average", "none"),
                {"max": "Max pooling", "average": "Average pooling", "none": "None"}),
    IntParam("dense_units", "Dense units", "Units of the fully connected layer before the output.", 64, 8, 512,
             step=8),
    replace(DROPOUT, default=0.25),
    OPTIMISER,
    LEARNING_RATE,
    MOMENTUM,
    batch_size_param(32),
    epochs_param(20),
    replace(VALIDATION_SPLIT, default=0.1),
)


def _spatial_sizes(info: DataInfo) -> tuple[int, ...]:
    if info.kind == "image" and info.image_shape:
        return info.image_shape[:2]
    return (info.n_features,)


def rules(values: dict, info: DataInfo) -> list[str]:
    problems = []
    if info.pca_components:
        problems.append("A CNN needs the pixels or samples in their original order; turn PCA off.")
    if info.kind == "image" and (not info.image_shape or
                                 info.image_shape[0] * info.image_shape[1] * info.image_shape[2] != info.n_features):
        problems.append("The image size does not match the number of feature columns.")
    if values["pooling"] != "none":
        smallest = min(_spatial_sizes(info))
        fit = 0
        while smallest >= 2 and fit < values["conv_blocks"]:
            smallest //= 2
            fit += 1
        if fit < values["conv_blocks"]:
            problems.append(f"With inputs {'×'.join(map(str, _spatial_sizes(info)))} in size, at most {fit} "
                            "pooling blocks fit; use fewer convolution blocks or no pooling.")
    return problems


def train(values: dict, data: PreparedData, info: DataInfo, reporter: Reporter, device: Device, seed: int) -> FitOutcome:
    from mllab.models.keras_common import fit_keras, output_layer_and_loss

    image = info.kind == "image"
    input_shape = info.image_shape if image else (data.x_train.shape[1], 1)

    def build(seeds):
        import keras

        conv = keras.layers.Conv2D if image else keras.layers.Conv1D
        pool = {"max": keras.layers.MaxPooling2D if image else keras.layers.MaxPooling1D,
                "average": keras.layers.AveragePooling2D if image else keras.layers.AveragePooling1D}
        layers = [keras.Input(shape=input_shape)]
        for block in range(values["conv_blocks"]):
            layers.append(conv(values["filters"] * 2 ** block, values["kernel_size"], padding="same",
                               activation="relu", kernel_initializer=seeds.initializer()))
            if values["pooling"] != "none":
                layers.append(pool[values["pooling"]](2))
        layers.append(keras.layers.Flatten())
        if values["dropout"] > 0:
            layers.append(keras.layers.Dropout(values["dropout"], seed=seeds()))
        layers.append(keras.layers.Dense(values["dense_units"], activation="relu", kernel_initializer=seeds.initializer()))
        layers.append(output_layer_and_loss(data.n_classes, seeds, task=data.task)[0])
        return keras.Sequential(layers, name="cnn_2d" if image else "cnn_1d")

    return fit_keras(build, values, data, info, reporter, device, seed,
                     reshape=lambda x: x.reshape((len(x), *input_shape)))


FAMILY = ModelFamily(
    key="cnn",
    label="CNN (convolutional network)",
    description="Convolutions learn local patterns: Conv2D over the pixels of images, Conv1D along ordered "
                "signals such as spectra or light curves. Offered for image and signal datasets.",
    params=PARAMS,
    train=train,
    step_label="Epoch",
    deep=True,
    tasks=frozenset({"classification", "regression"}),
    data_kinds=frozenset({"image", "signal"}),
    rules=rules,
)
