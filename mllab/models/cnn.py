"""Convolutional network (Keras): Conv2D on images, Conv1D on ordered signals."""

from __future__ import annotations

from dataclasses import replace

from mllab.models.base import (BATCH_NORM, DROPOUT, INITIALISER, L1, L2, NETWORK_OVERFIT_REMEDY,
                               NETWORK_UNDERFIT_REMEDY, Abilities, DataInfo, Device, FitOutcome, ModelFamily, Reporter,
                               fitting_params, optimiser_params)
from mllab.models.summary import LayerSpec, output_layer
from mllab.params import ChoiceParam, FloatParam, IntParam
from mllab.prepare import PreparedData

# Image augmentation: random changes to each training image, drawn anew every epoch, so the
# network sees more varied examples; Keras's random layers do nothing at prediction time.
# Offered for images only: flipping a spectrum or a table row would make nonsense.
_IMAGES = frozenset({"image"})
FLIPS = {"none": "None", "horizontal": "Left–right", "vertical": "Up–down",
         "horizontal_and_vertical": "Left–right and up–down"}
AUGMENTATION_PARAMS = (
    ChoiceParam("augment_flip", "Augmentation: random flip", "Mirror training images at random. Leave off when "
                "the orientation matters (digits, letters).", "none", tuple(FLIPS), FLIPS, data_kinds=_IMAGES),
    IntParam("augment_rotation", "Augmentation: random rotation (degrees)", "Rotate training images by up to "
             "this many degrees either way (0 = off).", 0, 0, 180, step=5, data_kinds=_IMAGES),
    FloatParam("augment_shift", "Augmentation: random shift", "Shift training images by up to this share of "
               "their height and width (0 = off).", 0.0, 0.0, 0.3, step=0.05, data_kinds=_IMAGES),
    FloatParam("augment_zoom", "Augmentation: random zoom", "Zoom training images in or out by up to this "
               "share (0 = off).", 0.0, 0.0, 0.5, step=0.05, data_kinds=_IMAGES),
)

PARAMS = (
    IntParam("conv_blocks", "Convolution blocks", "Each block is a convolution, then pooling.", 2, 1, 4),
    IntParam("filters", "Filters in the first block", "Feature maps learned by the first convolution; "
             "each later block doubles them.", 32, 4, 128, step=4),
    IntParam("kernel_size", "Kernel size", "Width of each convolution window, in pixels or samples.", 3, 2, 9),
    ChoiceParam("pooling", "Pooling", "Down-sampling after each convolution.", "max", ("max", "average", "none"),
                {"max": "Max pooling", "average": "Average pooling", "none": "None"}),
    IntParam("dense_units", "Dense units", "Units of the fully connected layer before the output.", 64, 8, 512,
             step=8),
    INITIALISER,
    L1,
    L2,
    replace(DROPOUT, default=0.25),
    BATCH_NORM,
    *AUGMENTATION_PARAMS,
    *optimiser_params(),
    *fitting_params(batch_size=32, epochs=20, validation_split=0.1),
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


def _augmentation(values: dict) -> list[LayerSpec]:
    layers = []
    if values["augment_flip"] != "none":
        layers.append(LayerSpec("random_flip", "RandomFlip", {"mode": values["augment_flip"]}))
    if values["augment_rotation"]:
        # Keras counts rotations in turns: 0.25 is up to a quarter turn either way.
        layers.append(LayerSpec("random_rotation", "RandomRotation", {"factor": values["augment_rotation"] / 360}))
    if values["augment_shift"]:
        layers.append(LayerSpec("random_shift", "RandomTranslation",
                                {"height_factor": values["augment_shift"], "width_factor": values["augment_shift"]}))
    if values["augment_zoom"]:
        layers.append(LayerSpec("random_zoom", "RandomZoom", {"height_factor": values["augment_zoom"]}))
    return layers


def architecture(values: dict, info: DataInfo) -> tuple[tuple[int, ...], list[LayerSpec]]:
    """Input shape and layers: augmentation (images), convolution blocks, flatten, dropout, dense, output."""
    image = info.kind == "image"
    input_shape = tuple(info.image_shape) if image else (info.n_features, 1)
    dims = "2D" if image else "1D"
    layers = _augmentation(values) if image else []
    for block in range(1, values["conv_blocks"] + 1):
        layers.append(LayerSpec(f"conv_{block}", f"Conv{dims}", {
            "filters": values["filters"] * 2 ** (block - 1), "kernel_size": values["kernel_size"],
            "padding": "same", "activation": "relu"}))
        if values["batch_norm"]:
            layers.append(LayerSpec(f"batch_norm_{block}", "BatchNormalization"))
        if values["pooling"] != "none":
            kind = {"max": "MaxPooling", "average": "AveragePooling"}[values["pooling"]]
            layers.append(LayerSpec(f"pool_{block}", f"{kind}{dims}", {"pool_size": 2}))
    layers.append(LayerSpec("flatten", "Flatten"))
    if values["dropout"] > 0:
        layers.append(LayerSpec("dropout", "Dropout", {"rate": values["dropout"]}))
    layers.append(LayerSpec("dense", "Dense", {"units": values["dense_units"], "activation": "relu"}))
    layers.append(output_layer(info))
    return input_shape, layers


def train(values: dict, data: PreparedData, info: DataInfo, reporter: Reporter, device: Device, seed: int) -> FitOutcome:
    from mllab.models.keras_common import build_model, fit_keras

    input_shape, layers = architecture(values, replace(info, n_features=data.x_train.shape[1]))

    def build(seeds):
        return build_model("cnn_2d" if info.kind == "image" else "cnn_1d", input_shape, layers, values, seeds,
                           data.n_classes, data.task)

    return fit_keras(build, values, data, info, reporter, device, seed,
                     reshape=lambda x: x.reshape((len(x), *input_shape)))


def export(values: dict, info: DataInfo) -> str:
    """This family's part of a run's code export: the same layers, trained as `keras_common` trains them."""
    from mllab.models.keras_common import export_code

    _, layers = architecture(values, info)
    image = info.kind == "image"
    shape = repr(tuple(info.image_shape)) if image else "(x_train.shape[1], 1)"
    return export_code(values, info, "cnn_2d" if image else "cnn_1d", layers, shape)


FAMILY = ModelFamily(
    key="cnn",
    label="CNN (convolutional network)",
    description="Convolutions learn local patterns: Conv2D over the pixels of images, Conv1D along ordered "
                "signals such as spectra or light curves. Offered for image and signal datasets.",
    params=PARAMS,
    train=train,
    step_label="Epoch",
    pausable=True,
    deep=True,
    tasks=frozenset({"classification", "regression"}),
    data_kinds=frozenset({"image", "signal"}),
    rules=rules,
    architecture=architecture,
    export=export,
    # Not flagged for unscaled features: an image's pixels, or a signal's samples, share one scale.
    abilities=Abilities(scale_sensitive=False, validation_loss_curve=True, train_gap_tells=True,
                        training_score_in_history=False, live_boundary_map=False,
                        overfit_remedy=NETWORK_OVERFIT_REMEDY, underfit_evidence="loss_still_falling",
                        underfit_remedy=NETWORK_UNDERFIT_REMEDY),
)
