"""What the Keras families share on the worker: device choice, live reporting, fitting, the code export.

The training recipe itself (seeds, layers, optimiser, schedule, loss, batches, target scaling) lives in
`keras_recipe`, which has no mllab import: `fit_keras` calls it and `export_code` copies its source into
the exported script, so the two cannot drift apart. TensorFlow is imported inside these functions only:
they run on training workers, which import it once at start, while the app process never does.
"""

from __future__ import annotations

import ast
import gc
import inspect
import math
import os
import pprint
import threading
from typing import Callable

import numpy as np

from mllab.models import keras_recipe
from mllab.models.base import DataInfo, Device, FitOutcome, Reporter, ThrottledStop
# The recipe both the worker and the exported script follow; these names stay importable from here.
from mllab.models.keras_recipe import (PREDICT_BATCH, LayerSeeds, TargetScale, balanced_class_weights,  # noqa: F401
                                       class_labels, class_probabilities, compile_model, learning_rate_at,
                                       make_optimiser, output_layer_and_loss, predict_rows, split_batches,
                                       training_callbacks)
from mllab.models.summary import LayerSpec
from mllab.prepare import PreparedData


# TensorFlow's first import is not safe to run in two threads at once (it registers ops and
# fails with "Registering two gradient with name ..."); workers import it in a warm-up thread
# while a job may already need it, so every first import goes through this lock.
_IMPORT_LOCK = threading.Lock()


def gpu_driver_present() -> bool:
    """Whether this machine has an NVIDIA driver loaded (its control device or its /proc entry)."""
    return os.path.exists("/dev/nvidiactl") or os.path.exists("/proc/driver/nvidia/version")


def quiet_tensorflow_logs() -> None:
    """Before TensorFlow's first import: its C++ logs at warnings and up only, and, on a machine with no NVIDIA
    driver, at fatal errors only. Without a driver TensorFlow still calls cuInit and logs "failed call to
    cuInit ... (303)" as an error in every worker, which reads as a fault on an ordinary laptop; hiding CUDA
    devices (CUDA_VISIBLE_DEVICES=-1) does not stop that call (checked with TensorFlow 2.21), the log level does.
    Where a driver is present, errors stay visible: a GPU that fails to start must be seen. A level the user
    set is kept."""
    if "TF_CPP_MIN_LOG_LEVEL" not in os.environ:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2" if gpu_driver_present() else "3"


def import_tensorflow():
    """Import TensorFlow and Keras once per process, safely from any thread; returns (tf, keras)."""
    with _IMPORT_LOCK:
        quiet_tensorflow_logs()
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


def model_summary(model) -> str:
    lines: list[str] = []
    model.summary(print_fn=lambda line, *args, **kwargs: lines.append(line), line_length=90)
    return "\n".join(lines)


def build_model(name: str, input_shape: tuple[int, ...], specs: list[LayerSpec], values: dict, seeds: LayerSeeds,
                n_classes: int, task: str = "classification"):
    """A Sequential model from the family's layer list (keras_recipe.build_model, fed LayerSpecs)."""
    return keras_recipe.build_model(name, input_shape, [(s.name, s.kind, dict(s.options)) for s in specs], values,
                                    seeds, n_classes, task)


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


def training_batches(tf, x: np.ndarray, y: np.ndarray, batch_size: int, validation_split: float, seed: int):
    """Shuffled training batches and validation batches, as `model.fit(x, y, validation_split=…)` splits them.

    See keras_recipe.split_batches (a quarter of the time of Keras's own adapter on Pima). Returns
    (training, validation or None), or None when the arrays are too big for one copy.
    """
    if x.nbytes + y.nbytes > PIPELINE_MAX_BYTES:
        return None
    return split_batches(tf, x, y, batch_size, validation_split, seed)


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
    """Build the model `build(seeds)` returns on the chosen device, train it with live reporting.

    The recipe (seeds, layers, loss, callbacks, batches, target scaling) is keras_recipe's, which the
    exported script copies; what is added here is the worker's own: device, mixed precision, live curves,
    Stop and pause, the layer summary, a traced predictor.
    """
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
        target = TargetScale(data.y_train)
        y_train = target.to_unit(data.y_train)
        # LiveReport looks `reporter` up when it reports, so from here on its curves are in target units.
        reporter = _reporting_in_target_units(target, reporter)
    else:
        y_train = class_labels(data.y_train, data.n_classes)
    validation_split = values.get("validation_split", 0.0)
    callbacks = training_callbacks(values, validation_split, LiveReport())
    early = next((c for c in callbacks if isinstance(c, keras.callbacks.EarlyStopping)), None)
    # Class weights belong to classification; a regression's schema does not offer them.
    class_weight = (balanced_class_weights(data.y_train, data.n_classes)
                    if values.get("class_weight") == "balanced" and not regression else None)
    with tf.device(tf_device):
        model = build(LayerSeeds(seed))
        compile_model(model, values, data.n_classes, data.task, steps_per_execution(model, values["batch_size"]))
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
            output = predict_rows(tf, forward, x, model.output_shape[-1])
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


def _reporting_in_target_units(target: TargetScale, reporter: Reporter) -> Reporter:
    """The reporter, with each curve point's losses and errors turned into the target's units on the way."""

    class InTargetUnits:
        def report(self, event: dict) -> None:
            reporter.report(target.in_target_units(event) if "step" in event else event)

        def should_stop(self) -> bool:
            return reporter.should_stop()

    return InTargetUnits()


def _recipe_source() -> str:
    """keras_recipe's source after its imports: its constants, helpers and their comments, verbatim."""
    source = inspect.getsource(keras_recipe)
    imports = [node for node in ast.parse(source).body if isinstance(node, (ast.Import, ast.ImportFrom))]
    return "\n".join(source.splitlines()[imports[-1].end_lineno:]).strip() + "\n"


# The exported script's own part: its settings, then keras_recipe's source, then training with it on the CPU.
_EXPORT_HEAD = '''import math

import keras
import numpy as np
import tensorflow as tf

HYPERPARAMETERS = {hyperparameters}
# The layers, in order: (name, Keras layer class, its settings). The row named "output" becomes
# output_layer_and_loss's layer (below).
LAYERS = [
    {layer_rows},
]


'''
_EXPORT_TRAIN = '''

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
    task = {task!r}
    regression = task == "regression"
    if regression:  # the network learns the target standardised, and answers in its units
        target = TargetScale(y_train)
        y_fit = target.to_unit(y_train)
    else:
        y_fit = class_labels(y_train, N_CLASSES)
    validation_split = values.get("validation_split", 0.0)
    class_weight = None
    if values.get("class_weight") == "balanced" and not regression:
        class_weight = balanced_class_weights(y_train, N_CLASSES)
    with tf.device("/CPU:0"):
        model = build_model({name!r}, input_shape, LAYERS, values, LayerSeeds(seed), N_CLASSES, task)
        compile_model(model, values, N_CLASSES, task)
        training, validation = split_batches(tf, x_train, y_fit, values["batch_size"], validation_split, seed)
        fitted = model.fit(training, validation_data=validation, shuffle=False, epochs=values["epochs"], verbose=0,
                           callbacks=training_callbacks(values, validation_split), class_weight=class_weight)
        output = predict_rows(tf, lambda rows: model(rows, training=False), x_test, model.output_shape[-1])
    model.summary()
    history = history_of(fitted)
    if regression:  # the curves in the target's units, as the page draws them
        return target.from_unit(output[:, 0]), [target.in_target_units(point) for point in history]
    return class_probabilities(output, N_CLASSES), history
'''


def export_code(values: dict, info: DataInfo, name: str, layers: list[LayerSpec], input_shape: str) -> str:
    """The Keras families' part of a run's code export: keras_recipe's source and a `train_model` using it.

    The helpers are copied from the module the worker trains with, so the script seeds, builds, compiles
    and feeds the model as `fit_keras` does (the run's seed for Python, NumPy and TensorFlow, deterministic
    kernels, one seed per initialiser and random layer in build order, the same tf.data batches): on a CPU
    the same seed gives the same network. `input_shape` is Python source for the input shape, in terms
    of `x_train`; rows are reshaped to it.
    """
    layer_rows = ",\n    ".join(repr((spec.name, spec.kind, dict(spec.options))) for spec in layers)
    hyperparameters = pprint.pformat(dict(values), width=82, sort_dicts=False).replace("\n", "\n" + " " * 18)
    head = _EXPORT_HEAD.format(hyperparameters=hyperparameters, layer_rows=layer_rows)
    # The recipe goes in as it is (never through format(): its braces are Python's, not placeholders).
    return head + _recipe_source() + _EXPORT_TRAIN.format(input_shape=input_shape, name=name, task=info.task)
