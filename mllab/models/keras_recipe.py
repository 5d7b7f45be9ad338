"""The Keras recipe the worker trains by and a run's exported script repeats: one source for both.

`keras_common` calls these functions on the worker; `keras_common.export_code` copies this module's
source, from its first line after the imports to the end (`inspect.getsource`), into the exported
script, so a change here changes both and they cannot drift apart. Hence the rules for this file: no
mllab import and no mention of mllab after the imports (the script must stand alone), plain Python 3.10
syntax, and Keras and TensorFlow imported inside the functions (the app process imports this module's
family files without ever importing TensorFlow).
"""

import math

import numpy as np

# Layers with a weight matrix get the chosen initialiser and the L1/L2 penalties; layers that draw random
# numbers (dropout, augmentation) get a seed of their own, so a run repeats exactly.
WEIGHTED_KINDS = ("Dense", "Conv1D", "Conv2D")
SEEDED_KINDS = ("Dropout", "RandomFlip", "RandomRotation", "RandomTranslation", "RandomZoom")
# Rows per forward pass when predicting: bounds the memory a big image set takes at once.
PREDICT_BATCH = 1024


class LayerSeeds:
    """One seed per initialiser and random layer, counted up from seed x 1000 in the order they are built.

    Left unseeded, Keras draws them from Python's global `random`, which other threads of the process
    may use meanwhile: the same settings would then give different weights.
    """

    def __init__(self, seed):
        self._next = seed * 1_000

    def __call__(self):
        self._next += 1
        return self._next

    def initializer(self, name="glorot_uniform"):
        import keras

        template = keras.initializers.get(name)
        return type(template).from_config({**template.get_config(), "seed": self()})


def make_optimiser(values):
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


def learning_rate_at(values, epoch):
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


def output_layer_and_loss(n_classes, seeds=None, task="classification"):
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


def make_layer(name, kind, options, values, seeds):
    """The Keras layer of class `kind` with `options` (that class's arguments), initialisers and seeds added."""
    import keras

    extra = {}
    if kind in WEIGHTED_KINDS:
        l1, l2 = values.get("l1", 0.0), values.get("l2", 0.0)
        extra["kernel_initializer"] = seeds.initializer(values.get("initialiser", "glorot_uniform"))
        extra["kernel_regularizer"] = keras.regularizers.L1L2(l1=l1, l2=l2) if l1 > 0 or l2 > 0 else None
    if kind in SEEDED_KINDS:
        extra["seed"] = seeds()
    return getattr(keras.layers, kind)(name=name, **options, **extra)


def build_model(model_name, input_shape, layers, values, seeds, n_classes, task="classification"):
    """A Sequential model from (name, Keras class, settings) rows; the row named "output" becomes
    output_layer_and_loss's layer."""
    import keras

    built = [keras.Input(shape=input_shape)]
    for name, kind, options in layers:
        built.append(output_layer_and_loss(n_classes, seeds, task)[0] if name == "output"
                     else make_layer(name, kind, options, values, seeds))
    return keras.Sequential(built, name=model_name)


def compile_model(model, values, n_classes, task="classification", steps_per_execution=1):
    """The optimiser, the loss that goes with the output layer, and the curve's second measure."""
    model.compile(optimizer=make_optimiser(values), loss=output_layer_and_loss(n_classes, task=task)[1],
                  metrics=["mae"] if task == "regression" else ["accuracy"], steps_per_execution=steps_per_execution)


def training_callbacks(values, validation_split, report=None):
    """The learning-rate schedule, then `report` (a callback watching each epoch), then early stopping.

    Callbacks run in this order: the schedule sets the epoch's rate (and logs it) before `report` sees the
    epoch; early stopping decides last. It watches the validation loss, or the training loss without one.
    """
    import keras

    callbacks = []
    if values.get("lr_schedule", "constant") != "constant":
        callbacks.append(keras.callbacks.LearningRateScheduler(lambda epoch, _rate: learning_rate_at(values, epoch)))
    if report is not None:
        callbacks.append(report)
    if values.get("early_stopping"):
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor="val_loss" if validation_split > 0 else "loss", patience=values["patience"], mode="min",
            restore_best_weights=values["restore_best"]))
    return callbacks


def class_labels(y_train, n_classes):
    """Class numbers as the loss wants them: floats for one sigmoid unit, integers for a softmax."""
    return y_train.astype("float32" if n_classes == 2 else "int64")


def balanced_class_weights(y_train, n_classes):
    """scikit-learn's "balanced" weights: rows / (classes x rows of the class), for classes present."""
    counts = np.bincount(y_train.astype(np.int64), minlength=n_classes)
    present = counts > 0
    return {int(c): float(len(y_train) / (present.sum() * counts[c])) for c in np.flatnonzero(present)}


def class_probabilities(output, n_classes):
    """A classifier network's output as one column per class: a two-class network has one sigmoid unit."""
    if n_classes == 2:
        return np.column_stack([1.0 - output[:, 0], output[:, 0]])
    return output


class TargetScale:
    """A regression target standardised for training (mean 0, std 1), and reported back in its own units.

    A network learns a target of redshifts near 0.1 or prices near 100,000 far better once it is
    standardised; the curves and predictions are converted back so they read in the target's units
    (the loss: squared units, including any weight penalty scaled alike).
    """

    def __init__(self, y_train):
        self.mean = float(np.mean(y_train))
        self.std = float(np.std(y_train)) or 1.0

    def to_unit(self, y):
        return ((np.asarray(y, dtype=np.float64) - self.mean) / self.std).astype("float32")

    def from_unit(self, y):
        return np.asarray(y, dtype=np.float64) * self.std + self.mean

    def in_target_units(self, point):
        """A curve point (one epoch's figures) with its losses and errors in the target's units."""
        point = dict(point)
        for name in ("loss", "val_loss"):
            if name in point:
                point[name] *= self.std ** 2
        for name in ("mae", "val_mae"):
            if name in point:
                point[name] *= self.std
        return point


def split_batches(tf, x, y, batch_size, validation_split, seed):
    """Shuffled training batches and validation batches, as `model.fit(x, y, validation_split=...)` splits them.

    Keras's array adapter builds a new input pipeline for every epoch, about 50 ms on a small machine:
    for Pima's 62 batches of 10 that is most of an epoch. Here the rows go into TensorFlow once and each
    epoch draws a fresh permutation of their indices. Like Keras, the validation rows are the last share,
    taken before shuffling. Returns (training, validation or None).
    """
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


def predict_rows(tf, forward, x, n_outputs):
    """`forward` (rows -> outputs) over `x` in slices of PREDICT_BATCH rows, as float64."""
    parts = [np.asarray(forward(tf.constant(x[start:start + PREDICT_BATCH])))
             for start in range(0, len(x), PREDICT_BATCH)]
    return (np.concatenate(parts) if parts else np.empty((0, n_outputs))).astype(np.float64)


def history_of(fitted):
    """Keras's per-measure lists (model.fit's History) as one dict per epoch, numbered from 1."""
    logs = fitted.history
    return [{"step": epoch + 1, **{key: float(series[epoch]) for key, series in logs.items()}}
            for epoch in range(len(logs.get("loss", [])))]
