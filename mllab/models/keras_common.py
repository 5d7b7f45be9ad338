"""What the Keras families share: device choice, seeding, optimiser, live reporting, fitting.

TensorFlow is imported inside these functions only: they run on training workers, which
import it once at start, while the app process never does.
"""

from __future__ import annotations

import math
import threading
from typing import Callable

import numpy as np

from mllab.models.base import DataInfo, Device, FitOutcome, Reporter, ThrottledStop
from mllab.preprocessing import PreparedData


# TensorFlow's first import is not safe to run in two threads at once (it registers ops and
# fails with "Registering two gradient with name ..."); workers import it in a warm-up thread
# while a job may already need it, so every first import goes through this lock.
_IMPORT_LOCK = threading.Lock()


def import_tensorflow():
    """Import TensorFlow and Keras once per process, safely from any thread; returns (tf, keras)."""
    with _IMPORT_LOCK:
        import keras
        import tensorflow as tf
    return tf, keras


def available_devices() -> list[dict]:
    """Devices TensorFlow sees in this process, e.g. [{"name": "CPU:0", "type": "CPU", "detail": ""}]."""
    tf, _ = import_tensorflow()

    devices = []
    for device in tf.config.list_physical_devices():
        detail = ""
        if device.device_type == "GPU":
            try:
                detail = tf.config.experimental.get_device_details(device).get("device_name", "")
            except Exception:  # details are cosmetic; a driver that cannot give them is still usable
                detail = ""
        devices.append({"name": device.name.replace("/physical_device:", ""), "type": device.device_type,
                        "detail": detail})
    return devices


def _device_name(requested: str) -> tuple[str, str]:
    """The TensorFlow device string to train on and how to describe it to the user."""
    gpus = [d for d in available_devices() if d["type"] == "GPU"]
    if requested == "GPU" and gpus:
        gpu = gpus[0]
        return "/GPU:0", f"GPU:0 ({gpu['detail']})" if gpu["detail"] else "GPU:0"
    return "/CPU:0", "CPU"


def make_optimiser(values: dict):
    import keras

    rate = values["learning_rate"]
    if values["optimiser"] == "sgd":
        return keras.optimizers.SGD(learning_rate=rate, momentum=values.get("momentum", 0.0))
    if values["optimiser"] == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate=rate)
    return keras.optimizers.Adam(learning_rate=rate)


class LayerSeeds:
    """Explicit seeds for every initialiser and dropout layer of one model, derived from the run's seed.

    Left unseeded, Keras draws them from Python's global `random`, which a Dask worker's own
    threads also use (retry jitter, ids): the same settings would then give different weights
    depending on what the worker did meanwhile.
    """

    def __init__(self, seed: int):
        self._next = seed * 1_000

    def __call__(self) -> int:
        self._next += 1
        return self._next

    def initializer(self, name: str = "glorot_uniform"):
        import keras

        template = keras.initializers.get(name)
        return type(template).from_config({**template.get_config(), "seed": self()})


def output_layer_and_loss(n_classes: int, seeds: LayerSeeds | None = None, task: str = "classification"):
    """One sigmoid unit for two classes, softmax otherwise: the textbook pairing with the loss.
    A regression ends in one linear unit trained on the mean squared error."""
    import keras

    initializer = seeds.initializer() if seeds else "glorot_uniform"
    # float32 output even under mixed precision: float16 softmax/sigmoid loses the small probabilities.
    if task == "regression":
        return (keras.layers.Dense(1, activation="linear", name="output", dtype="float32",
                                   kernel_initializer=initializer), "mean_squared_error")
    if n_classes == 2:
        return (keras.layers.Dense(1, activation="sigmoid", name="output", dtype="float32",
                                   kernel_initializer=initializer), "binary_crossentropy")
    return (keras.layers.Dense(n_classes, activation="softmax", name="output", dtype="float32",
                               kernel_initializer=initializer), "sparse_categorical_crossentropy")


def model_summary(model) -> str:
    lines: list[str] = []
    model.summary(print_fn=lambda line, *args, **kwargs: lines.append(line), line_length=90)
    return "\n".join(lines)


def fit_keras(
    build: Callable[[LayerSeeds], object],
    values: dict,
    data: PreparedData,
    info: DataInfo,
    reporter: Reporter,
    device: Device,
    seed: int,
    reshape: Callable[[np.ndarray], np.ndarray] = lambda x: x,
) -> FitOutcome:
    """Build the model `build(seeds)` returns on the chosen device, train it with live reporting."""
    tf, keras = import_tensorflow()

    # Same data, settings and seed give the same result on CPU: seed Python, NumPy and TF, and
    # ask TF for deterministic kernels. Clearing the session also resets layer names.
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    tf_device, device_used = _device_name(device.kind)
    # float16 compute only where it pays: on a GPU (on a CPU it is slower, and refused earlier).
    mixed = device.mixed_precision and tf_device.startswith("/GPU")
    keras.mixed_precision.set_global_policy("mixed_float16" if mixed else "float32")
    if mixed:
        device_used += " · mixed precision"
    epochs = values["epochs"]
    stop = ThrottledStop(reporter)

    class LiveReport(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if stop():
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            event = {"step": epoch + 1, "total": epochs}
            event.update({k: float(v) for k, v in (logs or {}).items() if math.isfinite(float(v))})
            reporter.report(event)

    x_train, x_test = reshape(data.x_train), reshape(data.x_test)
    regression = data.task == "regression"
    if regression:
        target = _TargetScale(data.y_train)
        y_train = target.to_unit(data.y_train)
        # LiveReport looks `reporter` up when it reports, so from here on its curves are in target units.
        reporter = target.reporting_in_target_units(reporter)
    else:
        y_train = data.y_train.astype("float32" if data.n_classes == 2 else "int64")
    with tf.device(tf_device):
        model = build(LayerSeeds(seed))
        model.compile(optimizer=make_optimiser(values), loss=output_layer_and_loss(data.n_classes, task=data.task)[1],
                      metrics=["mae"] if regression else ["accuracy"])
        summary = model_summary(model)
        reporter.report({"type": "summary", "summary": summary})
        # validation_split takes the last rows; the split earlier was shuffled, so they are a fair sample.
        model.fit(x_train, y_train, epochs=epochs, batch_size=values["batch_size"],
                  validation_split=values.get("validation_split", 0.0), shuffle=True, verbose=0,
                  callbacks=[LiveReport()])
        proba = np.asarray(model.predict(x_test, batch_size=1024, verbose=0), dtype=np.float64)
    if regression:
        return FitOutcome(test_proba=None, device_used=device_used, stopped=stop.requested, summary=summary,
                          test_prediction=target.from_unit(proba[:, 0]))
    if data.n_classes == 2:
        proba = np.column_stack([1.0 - proba[:, 0], proba[:, 0]])
    return FitOutcome(test_proba=proba, device_used=device_used, stopped=stop.requested, summary=summary)


class _TargetScale:
    """A regression target standardised for training (mean 0, std 1), and reported back in its own units.

    A network learns a target of redshifts near 0.1 or prices near 100,000 far better once it is
    standardised; the curves and predictions are converted back so they read in the target's units
    (the loss: squared units, including any weight penalty scaled alike).
    """

    def __init__(self, y_train: np.ndarray):
        self.mean = float(np.mean(y_train))
        self.std = float(np.std(y_train)) or 1.0

    def to_unit(self, y: np.ndarray) -> np.ndarray:
        return ((np.asarray(y, dtype=np.float64) - self.mean) / self.std).astype("float32")

    def from_unit(self, y: np.ndarray) -> np.ndarray:
        return np.asarray(y, dtype=np.float64) * self.std + self.mean

    def reporting_in_target_units(self, reporter: Reporter) -> Reporter:
        scale = self

        class InTargetUnits:
            def report(self, event: dict) -> None:
                if "step" in event:
                    event = dict(event)
                    for name in ("loss", "val_loss"):
                        if name in event:
                            event[name] *= scale.std ** 2
                    for name in ("mae", "val_mae"):
                        if name in event:
                            event[name] *= scale.std
                reporter.report(event)

            def should_stop(self) -> bool:
                return reporter.should_stop()

        return InTargetUnits()
