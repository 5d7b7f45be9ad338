"""What the Keras families share: device choice, seeding, optimiser, live reporting, fitting.

TensorFlow is imported inside these functions only: they run on training workers, which
import it once at start, while the app process never does.
"""

from __future__ import annotations

import gc
import math
import threading
from typing import Callable

import numpy as np

from mllab.models.base import DataInfo, Device, FitOutcome, Reporter, ThrottledStop
from mllab.models.summary import LayerSpec
from mllab.prepare import PreparedData


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


_fits_in_process = 0


def fresh_session(keras) -> None:
    """Forget the previous model (layer names restart, its memory is freed) before building the next.

    Keras's clear_session runs a full garbage collection, which walks every object TensorFlow's import
    made: 0.25 s per fit on this machine, a sixth of a small K-fold fold or search candidate. After the
    first fit in a process every lazily imported TensorFlow and Keras module is loaded, so at the start
    of the second, right after a collection, gc.freeze() moves what is alive out of the collector's
    sight for good; later collections walk only what later fits made (about 0.04 s).
    """
    global _fits_in_process
    keras.backend.clear_session()
    _fits_in_process += 1
    if _fits_in_process == 2:
        gc.freeze()


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
        return keras.optimizers.SGD(learning_rate=rate, momentum=values.get("momentum", 0.0),
                                    nesterov=values.get("nesterov", False))
    if values["optimiser"] == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate=rate)
    if values["optimiser"] == "adagrad":
        return keras.optimizers.Adagrad(learning_rate=rate)
    return keras.optimizers.Adam(learning_rate=rate)


def learning_rate_at(values: dict, epoch: int) -> float:
    """The learning rate of epoch `epoch` (0 = the first) under the chosen schedule."""
    rate = values["learning_rate"]
    schedule = values.get("lr_schedule", "constant")
    if schedule == "step":
        return rate * values["lr_drop_factor"] ** (epoch // values["lr_drop_every"])
    if schedule == "exponential":
        return rate * values["lr_decay_rate"] ** epoch
    if schedule == "cosine":
        # Half a cosine from the full rate at the first epoch towards zero after the last one.
        return rate * 0.5 * (1.0 + math.cos(math.pi * epoch / values["epochs"]))
    return rate


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


# Layers with a weight matrix get the chosen initialiser and penalties; layers that draw random
# numbers (dropout, augmentation) get their own seed, so a run repeats exactly.
_WEIGHTED_KINDS = ("Dense", "Conv1D", "Conv2D")
_SEEDED_KINDS = ("Dropout", "RandomFlip", "RandomRotation", "RandomTranslation", "RandomZoom")


def make_layer(spec: LayerSpec, values: dict, seeds: LayerSeeds):
    """The Keras layer a LayerSpec describes (its options are that layer class's arguments)."""
    import keras

    extra: dict = {}
    if spec.kind in _WEIGHTED_KINDS:
        l1, l2 = values.get("l1", 0.0), values.get("l2", 0.0)
        extra["kernel_initializer"] = seeds.initializer(values.get("initialiser", "glorot_uniform"))
        extra["kernel_regularizer"] = keras.regularizers.L1L2(l1=l1, l2=l2) if l1 > 0 or l2 > 0 else None
    if spec.kind in _SEEDED_KINDS:
        extra["seed"] = seeds()
    return getattr(keras.layers, spec.kind)(name=spec.name, **spec.options, **extra)


def build_model(name: str, input_shape: tuple[int, ...], specs: list[LayerSpec], values: dict, seeds: LayerSeeds,
                n_classes: int, task: str = "classification"):
    """A Sequential model from the family's layer list; the output layer comes from output_layer_and_loss."""
    import keras

    layers = [keras.Input(shape=input_shape)]
    for spec in specs:
        layers.append(output_layer_and_loss(n_classes, seeds, task)[0] if spec.name == "output"
                      else make_layer(spec, values, seeds))
    return keras.Sequential(layers, name=name)


def class_probabilities(output: np.ndarray, n_classes: int) -> np.ndarray:
    """A classifier network's output as one column per class: a two-class network has one sigmoid unit."""
    if n_classes == 2:
        return np.column_stack([1.0 - output[:, 0], output[:, 0]])
    return output


def balanced_class_weights(y_train: np.ndarray, n_classes: int) -> dict[int, float]:
    """scikit-learn's "balanced" weights: rows / (classes × rows of the class), for classes present."""
    counts = np.bincount(y_train.astype(np.int64), minlength=n_classes)
    present = counts > 0
    return {int(c): float(len(y_train) / (present.sum() * counts[c])) for c in np.flatnonzero(present)}


# Keras runs one Python round trip per batch unless told to run several in one call. For the small
# networks of a lecture (Pima's 12-8-1 in batches of 10) that round trip is most of the time: 150
# epochs took 10.9 s one batch at a time and 6.2 s 64 at a time, with the same weights at the end.
# Callbacks see a batch only once per call, so Stop is heard once per call: calls are kept to about
# EXECUTION_SECONDS of arithmetic, estimated at a deliberately slow FLOP_RATE, and at most MAX_STEPS.
EXECUTION_SECONDS = 0.1
FLOP_RATE = 1e9
MAX_STEPS_PER_EXECUTION = 64


def multiply_adds_per_sample(model) -> int:
    """Multiply-adds of one forward pass of one sample: each kernel weight once per output position."""
    total = 0
    for layer in model.layers:
        kernel = getattr(layer, "kernel", None)
        if kernel is None:
            continue
        try:
            shape = tuple(layer.output.shape)
        except (AttributeError, ValueError):
            shape = ()
        positions = int(np.prod([d for d in shape[1:-1] if d])) if len(shape) > 2 else 1
        total += int(np.prod(kernel.shape)) * positions
    return total


def steps_per_execution(model, batch_size: int) -> int:
    """Batches per call to Keras's training step: as many as fit in about EXECUTION_SECONDS."""
    # Training costs about three forward passes (forward, and backward through activations and weights).
    seconds_per_batch = 3 * 2 * multiply_adds_per_sample(model) * batch_size / FLOP_RATE
    if seconds_per_batch <= 0:
        return 1
    return int(min(MAX_STEPS_PER_EXECUTION, max(1, EXECUTION_SECONDS // seconds_per_batch)))


# Arrays up to this size are fed through one tf.data pipeline built once per fit; bigger ones go
# through Keras's own array adapter, which slices them without first copying them into TensorFlow.
PIPELINE_MAX_BYTES = 512 * 2**20


# Rows per forward pass when predicting: bounds the memory a big image set takes at once.
PREDICT_BATCH = 1024


def training_batches(tf, x: np.ndarray, y: np.ndarray, batch_size: int, validation_split: float, seed: int):
    """Shuffled training batches and validation batches, as `model.fit(x, y, validation_split=…)` splits them.

    Keras's array adapter builds a new input pipeline for every epoch, about 50 ms on this machine: for
    Pima's 62 batches of 10 that is most of an epoch. Here the rows stay in memory once and each epoch
    draws a fresh permutation of their indices, so the batches are the same kind of shuffle at a
    quarter of the time. Like Keras, the validation rows are the last share, taken before shuffling.
    Returns (training, validation or None), or None when the arrays are too big for one copy.
    """
    if x.nbytes + y.nbytes > PIPELINE_MAX_BYTES:
        return None
    rows = len(x)
    split_at = int(math.ceil(rows * (1.0 - validation_split))) if validation_split > 0 else rows
    x_all, y_all = tf.constant(x), tf.constant(y)

    def gather(indices):
        return tf.gather(x_all, indices), tf.gather(y_all, indices)

    training = (tf.data.Dataset.range(split_at)
                .shuffle(split_at, seed=seed, reshuffle_each_iteration=True)
                .batch(batch_size).map(gather).prefetch(2))
    validation = None
    if split_at < rows:
        validation = tf.data.Dataset.range(split_at, rows).batch(batch_size).map(gather)
    return training, validation


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
    fresh_session(keras)
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
            reporter.report(event)  # a paused run waits in here (mllab.training.pausing)
            if stop():  # Stop while paused: end at this epoch rather than after a batch of the next
                self.model.stop_training = True

    x_train = reshape(data.x_train)
    regression = data.task == "regression"
    if regression:
        target = _TargetScale(data.y_train)
        y_train = target.to_unit(data.y_train)
        # LiveReport looks `reporter` up when it reports, so from here on its curves are in target units.
        reporter = target.reporting_in_target_units(reporter)
    else:
        y_train = data.y_train.astype("float32" if data.n_classes == 2 else "int64")
    validation_split = values.get("validation_split", 0.0)
    # Callbacks run in this order: the schedule sets the epoch's rate (and logs it) before
    # LiveReport reports the epoch; early stopping decides last.
    callbacks = []
    if values.get("lr_schedule", "constant") != "constant":
        callbacks.append(keras.callbacks.LearningRateScheduler(lambda epoch, _rate: learning_rate_at(values, epoch)))
    callbacks.append(LiveReport())
    early = None
    if values.get("early_stopping"):
        monitor = "val_loss" if validation_split > 0 else "loss"
        early = keras.callbacks.EarlyStopping(monitor=monitor, patience=values["patience"], mode="min",
                                              restore_best_weights=values["restore_best"])
        callbacks.append(early)
    # Class weights belong to classification; a regression's schema does not offer them.
    class_weight = (balanced_class_weights(data.y_train, data.n_classes)
                    if values.get("class_weight") == "balanced" and not regression else None)
    with tf.device(tf_device):
        model = build(LayerSeeds(seed))
        model.compile(optimizer=make_optimiser(values), loss=output_layer_and_loss(data.n_classes, task=data.task)[1],
                      metrics=["mae"] if regression else ["accuracy"],
                      steps_per_execution=steps_per_execution(model, values["batch_size"]))
        summary = model_summary(model)
        reporter.report({"type": "summary", "summary": summary})
        # validation_split takes the last rows; the split earlier was shuffled, so they are a fair sample.
        batches = training_batches(tf, x_train, y_train, values["batch_size"], validation_split, seed)
        if batches is None:
            inputs = {"x": x_train, "y": y_train, "batch_size": values["batch_size"],
                      "validation_split": validation_split, "shuffle": True}
        else:
            # The batches come shuffled already; shuffle=False only says so to Keras, which would warn.
            inputs = {"x": batches[0], "validation_data": batches[1], "shuffle": False}
        model.fit(**inputs, epochs=epochs, verbose=0, callbacks=callbacks, class_weight=class_weight)

    forward = None

    def predict(x: np.ndarray) -> np.ndarray:
        """Class probabilities (both columns for two classes), or the regression target in its own units."""
        nonlocal forward
        x = np.asarray(reshape(x), dtype="float32")
        if forward is None:
            # One traced forward pass for every call, any number of rows. Keras's model.predict builds
            # an input pipeline per call, about 0.1 s each: permutation importance calls this ten times.
            signature = [tf.TensorSpec((None, *x.shape[1:]), tf.float32)]
            forward = tf.function(lambda rows: model(rows, training=False), input_signature=signature)
        with tf.device(tf_device):
            parts = [forward(tf.constant(x[start:start + PREDICT_BATCH])).numpy()
                     for start in range(0, len(x), PREDICT_BATCH)]
        output = (np.concatenate(parts) if parts else np.empty((0, model.output_shape[-1]))).astype(np.float64)
        if regression:
            return target.from_unit(output[:, 0])
        return class_probabilities(output, data.n_classes)

    notes = [early_stopping_note(early, values)] if early is not None else []
    predicted = predict(data.x_test)
    if regression:
        return FitOutcome(test_proba=None, device_used=device_used, stopped=stop.requested, summary=summary,
                          test_prediction=predicted, notes=notes, predictor=predict, model=model,
                          target_scale=(target.std, target.mean))
    return FitOutcome(test_proba=predicted, device_used=device_used, stopped=stop.requested, summary=summary,
                      notes=notes, predictor=predict, model=model)


def early_stopping_note(early, values: dict) -> str:
    """What early stopping did, in a sentence for the run's page."""
    watched = "validation loss" if early.monitor == "val_loss" else "training loss (the validation split is 0)"
    if early.stopped_epoch > 0:
        text = (f"Early stopping: the {watched} had not improved for {values['patience']} epochs, so training "
                f"stopped after epoch {early.stopped_epoch + 1} of {values['epochs']}.")
    else:
        text = f"Early stopping watched the {watched} and never had to stop training."
    if values["restore_best"] and early.best_weights is not None:
        text += f" The weights of epoch {early.best_epoch + 1}, the lowest {watched.split(' (')[0]}, were restored."
    return text


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


def export_code(values: dict, info: DataInfo, name: str, layers: list[LayerSpec], input_shape: str) -> str:
    """The Keras families' part of a run's code export: this module's training, written out in plain Keras.

    It seeds and builds the model as `fit_keras` and `build_model` do (the run's seed for Python, NumPy and
    TensorFlow, deterministic kernels, one seed per initialiser and random layer in build order, the
    same tf.data batches), so on a CPU the same seed gives the same network. `input_shape` is Python
    source for the input shape, in terms of `x_train`; rows are reshaped to it.
    """
    regression = info.task == "regression"
    import pprint

    layer_rows = ",\n    ".join(repr((spec.name, spec.kind, dict(spec.options))) for spec in layers)
    hyperparameters = pprint.pformat(dict(values), width=82, sort_dicts=False).replace("\n", "\n" + " " * 18)
    loss = "mean_squared_error" if regression else "binary_crossentropy" if info.n_classes == 2 else \
        "sparse_categorical_crossentropy"
    return f'''import math

import keras
import tensorflow as tf

HYPERPARAMETERS = {hyperparameters}
# The layers, in order: (name, Keras layer class, its settings). The output layer is made below.
LAYERS = [
    {layer_rows},
]
WEIGHTED_KINDS = {_WEIGHTED_KINDS!r}  # get the chosen initialiser and the L1/L2 penalties
SEEDED_KINDS = {_SEEDED_KINDS!r}  # get a seed of their own


class LayerSeeds:
    """One seed per initialiser and random layer, counted up from seed x 1000 in the order they are built."""

    def __init__(self, seed):
        self.next = seed * 1000

    def __call__(self):
        self.next += 1
        return self.next

    def initializer(self, name="glorot_uniform"):
        template = keras.initializers.get(name)
        return type(template).from_config({{**template.get_config(), "seed": self()}})


def build_model(input_shape, seeds):
    values = HYPERPARAMETERS
    layers = [keras.Input(shape=input_shape)]
    for name, kind, options in LAYERS:
        extra = {{}}
        if name == "output":  # float32 output, Glorot-initialised, no penalty
            layers.append(keras.layers.Dense(**options, name="output", dtype="float32",
                                             kernel_initializer=seeds.initializer()))
            continue
        if kind in WEIGHTED_KINDS:
            l1, l2 = values.get("l1", 0.0), values.get("l2", 0.0)
            extra["kernel_initializer"] = seeds.initializer(values.get("initialiser", "glorot_uniform"))
            extra["kernel_regularizer"] = keras.regularizers.L1L2(l1=l1, l2=l2) if l1 > 0 or l2 > 0 else None
        if kind in SEEDED_KINDS:
            extra["seed"] = seeds()
        layers.append(getattr(keras.layers, kind)(name=name, **options, **extra))
    return keras.Sequential(layers, name={name!r})


def make_optimiser():
    values = HYPERPARAMETERS
    rate = values["learning_rate"]
    if values["optimiser"] == "sgd":
        return keras.optimizers.SGD(learning_rate=rate, momentum=values.get("momentum", 0.0),
                                    nesterov=values.get("nesterov", False))
    if values["optimiser"] == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate=rate)
    if values["optimiser"] == "adagrad":
        return keras.optimizers.Adagrad(learning_rate=rate)
    return keras.optimizers.Adam(learning_rate=rate)


def learning_rate_at(epoch, _rate=None):
    """The learning rate of epoch `epoch` (0 = the first) under the chosen schedule."""
    values = HYPERPARAMETERS
    rate, schedule = values["learning_rate"], values.get("lr_schedule", "constant")
    if schedule == "step":
        return rate * values["lr_drop_factor"] ** (epoch // values["lr_drop_every"])
    if schedule == "exponential":
        return rate * values["lr_decay_rate"] ** epoch
    if schedule == "cosine":
        return rate * 0.5 * (1.0 + math.cos(math.pi * epoch / values["epochs"]))
    return rate


def training_batches(x, y, batch_size, validation_split, seed):
    """Shuffled training batches (a new order each epoch) and the validation batches: the last share of
    the rows, as Keras's validation_split takes them."""
    rows = len(x)
    split_at = int(math.ceil(rows * (1.0 - validation_split))) if validation_split > 0 else rows
    x_all, y_all = tf.constant(x), tf.constant(y)

    def gather(indices):
        return tf.gather(x_all, indices), tf.gather(y_all, indices)

    training = (tf.data.Dataset.range(split_at).shuffle(split_at, seed=seed, reshuffle_each_iteration=True)
                .batch(batch_size).map(gather).prefetch(2))
    validation = None
    if split_at < rows:
        validation = tf.data.Dataset.range(split_at, rows).batch(batch_size).map(gather)
    return training, validation


def train_model(x_train, y_train, x_test, seed):
    """Train the network on the CPU, deterministically, and predict the test rows."""
    values = HYPERPARAMETERS
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    keras.mixed_precision.set_global_policy("float32")
    input_shape = {input_shape}
    x_train = np.asarray(x_train, dtype=np.float32).reshape((len(x_train), *input_shape))
    x_test = np.asarray(x_test, dtype=np.float32).reshape((len(x_test), *input_shape))
    regression = {regression}
    if regression:  # the network learns the target standardised, and answers in its units
        mean, std = float(np.mean(y_train)), float(np.std(y_train)) or 1.0
        y_fit = ((np.asarray(y_train, dtype=np.float64) - mean) / std).astype("float32")
    else:
        y_fit = y_train.astype("float32" if N_CLASSES == 2 else "int64")
    validation_split = values.get("validation_split", 0.0)
    callbacks = []
    if values.get("lr_schedule", "constant") != "constant":
        callbacks.append(keras.callbacks.LearningRateScheduler(learning_rate_at))
    if values.get("early_stopping"):
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor="val_loss" if validation_split > 0 else "loss", patience=values["patience"], mode="min",
            restore_best_weights=values["restore_best"]))
    class_weight = None
    if values.get("class_weight") == "balanced" and not regression:  # scikit-learn's balanced weights
        counts = np.bincount(y_train.astype(np.int64), minlength=N_CLASSES)
        present = counts > 0
        class_weight = {{int(c): float(len(y_train) / (present.sum() * counts[c])) for c in np.flatnonzero(present)}}
    with tf.device("/CPU:0"):
        model = build_model(input_shape, LayerSeeds(seed))
        model.compile(optimizer=make_optimiser(), loss={loss!r}, metrics=[{"'mae'" if regression else "'accuracy'"}])
        training, validation = training_batches(x_train, y_fit, values["batch_size"], validation_split, seed)
        fitted = model.fit(training, validation_data=validation, shuffle=False, epochs=values["epochs"], verbose=0,
                           callbacks=callbacks, class_weight=class_weight)
        output = np.concatenate([np.asarray(model(tf.constant(x_test[start:start + 1024]), training=False))
                                 for start in range(0, len(x_test), 1024)]).astype(np.float64)
    model.summary()
    logs = fitted.history
    history = [{{"step": epoch + 1, **{{key: float(series[epoch]) for key, series in logs.items()}}}}
               for epoch in range(len(logs.get("loss", [])))]
    if regression:  # the curves in the target's units, as the page draws them
        for point in history:
            for key in ("loss", "val_loss"):
                if key in point:
                    point[key] *= std ** 2
            for key in ("mae", "val_mae"):
                if key in point:
                    point[key] *= std
        return output[:, 0] * std + mean, history
    if N_CLASSES == 2:  # one sigmoid unit: P(class 1)
        return np.column_stack([1.0 - output[:, 0], output[:, 0]]), history
    return output, history
'''
