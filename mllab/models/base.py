"""What every model family file declares, and what a training function receives and returns."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Protocol

import numpy as np

from mllab.errors import ParamError
from mllab.params import AppliesWhen, BoolParam, ChoiceParam, FloatParam, IntParam, Param, defaults, validate_values
from mllab.prepare import PreparedData


class Reporter(Protocol):
    """How a training function talks to whoever runs it (a Dask queue, a test, a benchmark)."""

    def report(self, event: dict) -> None: ...

    def should_stop(self) -> bool: ...


STOP_CHECK_S = 0.25  # how often a family asks about Stop (see ThrottledStop)


class ThrottledStop:
    """Asks the reporter about Stop at most every `interval` seconds.

    Asking may cost a round trip to the Dask scheduler; per batch that would slow training,
    while every 0.25 s still ends a run well within the 2 s users are promised.
    """

    def __init__(self, reporter: Reporter, interval: float = STOP_CHECK_S):
        self._reporter = reporter
        self._interval = interval
        self._last = 0.0
        self.requested = False

    def __call__(self) -> bool:
        now = time.monotonic()
        if not self.requested and now - self._last >= self._interval:
            self._last = now
            self.requested = self._reporter.should_stop()
        return self.requested


@dataclass(frozen=True)
class Device:
    """Where a run trains: "CPU" or "GPU", and whether a GPU computes in float16 (mixed precision)."""

    kind: str = "CPU"
    mixed_precision: bool = False


@dataclass(frozen=True)
class DataInfo:
    """What a family needs to know about the data before training, to check its settings."""

    kind: str  # "table" | "image" | "signal"
    n_features: int
    n_classes: int
    image_shape: tuple[int, int, int] | None = None
    pca_components: int = 0
    task: str = "classification"  # or "regression"
    # Rows the model trains on (about: the rows with a target less the test part); 0 where not known. A kernel
    # SVM's cost grows with its square, so its rules refuse too many.
    n_train_rows: int = 0


@dataclass
class FitOutcome:
    """A trained model's test-set output and how it got there.

    Classification fills `test_proba` (rows x classes); regression leaves it None and fills
    `test_prediction`, the predicted target value of each test row.

    `predictor` exists only on the worker: it is the fitted model, for inspection right after
    training (mllab.evaluation.importance, mllab.training.learning_curve). What goes back to the page is what was
    measured with it, never the model, so the run's result stays small.
    """

    test_proba: np.ndarray | None
    device_used: str
    stopped: bool
    summary: str | None = None
    notes: list[str] = field(default_factory=list)
    test_prediction: np.ndarray | None = None
    # The fitted scikit-learn estimator or Keras model. It stays on the worker: a run that asks to
    # keep its model gets it exported as bytes (mllab.training.model_export), never the live object.
    model: Any = None
    # Keras regressions learn a standardised target: prediction * scale + offset is in target units.
    target_scale: tuple[float, float] | None = None
    # Preprocessed rows -> class probabilities (rows x classes), or predicted values for a regression.
    predictor: Callable[[np.ndarray], np.ndarray] | None = None
    # Forests: mean decrease in impurity per feature column (scikit-learn's feature_importances_), or a function
    # that computes it when the inspections ask, after the run's training time is taken.
    impurity_importance: np.ndarray | Callable[[], np.ndarray] | None = None
    # A fitted scikit-learn decision tree (DecisionTreeClassifier/Regressor) the run's result draws as a diagram
    # (mllab.evaluation.tree_diagram, on the worker); None for a model that is not one readable tree.
    tree: Any = None


# What every family's history carries, and so what the page draws unless a family says otherwise.
DEFAULT_CURVES = {"classification": (("loss", "Loss"), ("accuracy", "Accuracy")),
                  "regression": (("loss", "Mean squared error"), ("mae", "Mean absolute error"))}

TrainFunction = Callable[[dict, PreparedData, DataInfo, Reporter, Device, int], FitOutcome]


@dataclass(frozen=True)
class DataShape:
    """What a family's defaults may depend on, known on the Train page before anything is prepared."""

    rows: int
    features: int  # input columns (pixels for an image)
    classes: int  # 0 for a regression
    kind: str = "table"

    @classmethod
    def of(cls, dataset, target: str, task: str) -> "DataShape":
        """The shape of a Dataset (mllab.datasets) for this target and task."""
        classes = int(dataset.frame[target].nunique(dropna=True)) if task == "classification" else 0
        return cls(len(dataset.frame), len(dataset.feature_columns(target)), classes, dataset.kind)


@dataclass(frozen=True)
class Remedy:
    """A fix the verdict suggests (mllab.evaluation.verdict): words, and a button that changes one setting.

    `advice` is added to the verdict's sentence; in it and in `button`, "{value}" is the setting's new value
    and "{current}" its value in the run. `new_value(settings)` gives the new value from the run's settings,
    or None where no button fits (the setting is already where the fix would put it).
    """

    advice: str
    setting: str = ""
    new_value: Callable[[dict], Any] | None = None
    button: str = ""


@dataclass(frozen=True)
class Abilities:
    """What a family can tell about its own fit, declared in its file (scikit-learn's estimator tags, for
    mllab): the verdict and the worker's judging ask these, never the family's key, so a new family is one
    file plus one line in the registry, verdict included. Every field is required: each family says."""

    # Unscaled features slow its learning and let the widest columns dominate (gradient-trained models).
    scale_sensitive: bool
    # Its history carries a per-epoch "val_loss" and it offers the shared early-stopping settings
    # (EARLY_STOPPING, PATIENCE, RESTORE_BEST): the verdict finds the epoch where that loss was lowest.
    validation_loss_curve: bool
    # A training score well above the test score means over-fitting. Not for a forest: its own training
    # rows score near 1 by construction, whatever it learnt.
    train_gap_tells: bool
    # The last point of its history holds the score ("accuracy" or "r2") on (a sample of) its training
    # rows already, so the worker takes it from there instead of predicting the training rows again.
    training_score_in_history: bool
    # It redraws the decision-boundary map every few epochs while training (reporter.live_map).
    live_boundary_map: bool
    # What the verdict says to do when the training score is well above the test score.
    overfit_remedy: Remedy | None
    # How the verdict tells under-fitting once both scores are low: "loss_still_falling" (the training loss
    # still falling at the end: train longer, `underfit_remedy`), "capacity_limit" (only when the run set
    # `underfit_remedy.setting`, a limit on how closely it can fit: lift it), or "none" (nothing to say).
    underfit_evidence: str
    underfit_remedy: Remedy | None
    # Why unscaled columns hurt it, as the verdict says it after "scaling is off and …, so" (scale-sensitive only).
    unscaled_effect: str = "the model learns slowly and leans on the widest columns"


UNDERFIT_EVIDENCE = ("loss_still_falling", "capacity_limit", "none")


@dataclass(frozen=True)
class ModelFamily:
    key: str
    label: str
    description: str
    params: tuple[Param, ...]
    train: TrainFunction
    # "Epoch", "Trees", "Iteration": the unit of a step on the learning curves.
    step_label: str
    # Deep families run on TensorFlow and honour the CPU/GPU choice.
    deep: bool = False
    # Families whose steps are epochs (or a solver's chunks) can pause, resume and go one step at a time
    # between them (mllab.training.pausing); a forest's steps are sized by time, so it cannot.
    pausable: bool = False
    data_kinds: frozenset[str] = frozenset({"table", "image", "signal"})
    # Cross-setting rules (solver vs penalty, blocks vs image size): messages, empty when fine.
    rules: Callable[[dict, DataInfo], list[str]] | None = None
    # Keras families: (input shape, list of summary.LayerSpec) for validated values, used both to
    # build the model on a worker and to show its layer summary on the page before training.
    architecture: Callable[[dict, DataInfo], tuple] | None = None
    # "classification" and/or "regression": the Train page offers a family only for its tasks.
    tasks: frozenset[str] = frozenset({"classification"})
    # The learning curves the page draws, per task, as (history key, chart title) pairs, where the
    # usual loss and accuracy (MSE and MAE for a regression) say less than another measure.
    curves: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    # The family's part of a run's code export (mllab.export): `export(values, info)` returns Python
    # source that defines `train_model(x_train, y_train, x_test, seed) -> (test output, history)` in plain
    # scikit-learn or Keras (no mllab), training exactly as `train` does; the test output is class
    # probabilities (rows x classes) or predicted values, the history one dict per curve point.
    export: Callable[[dict, DataInfo], str] | None = None
    # What it can tell about its own fit (see Abilities); keyword-only and required, so no family forgets it.
    abilities: Abilities = field(kw_only=True)
    # Starting values that fit the data (a network's width and batch by the columns and rows), over the
    # schema's defaults; what it returns is clamped to the schema's bounds (`defaults_for`).
    data_defaults: Callable[[DataShape], dict[str, Any]] | None = field(default=None, kw_only=True)

    def curves_for(self, task: str) -> tuple[tuple[str, str], ...]:
        """(history key, chart title) of each learning curve the page draws for this task."""
        return dict(self.curves).get(task, DEFAULT_CURVES[task])

    def defaults(self) -> dict[str, Any]:
        return defaults(self.params)

    def defaults_for(self, shape: DataShape | None) -> dict[str, Any]:
        """The starting values for this data: the schema's, with the family's data-fitted ones over them."""
        values = self.defaults()
        if shape is None or self.data_defaults is None:
            return values
        by_name = {param.name: param for param in self.params}
        for name, value in self.data_defaults(shape).items():
            param = by_name[name]
            if isinstance(param, (IntParam, FloatParam)):
                value = type(param.default)(min(max(value, param.low), param.high))
            values[name] = param.validate(value)
        return values

    def params_for(self, shape: DataShape | None) -> tuple[Param, ...]:
        """The schema with its defaults fitted to this data (what the Train page draws)."""
        fitted = self.defaults_for(shape)
        return tuple(param if fitted[param.name] == param.default else replace(param, default=fitted[param.name])
                     for param in self.params)

    def validate(self, values: dict, info: DataInfo | None = None) -> dict[str, Any]:
        checked = validate_values(self.params, values)
        if info is not None:
            if info.kind not in self.data_kinds:
                raise ParamError(f"{self.label} needs {' or '.join(sorted(self.data_kinds))} data; "
                                 f"this dataset is a {info.kind}.")
            if info.task not in self.tasks:
                raise ParamError(f"{self.label} does not do {info.task}; choose another model, or change "
                                 "the task on the Data page.")
            problems = self.rules(checked, info) if self.rules else []
            if problems:
                raise ParamError(" ".join(problems))
        return checked


# Settings shared by the Keras families, declared once so both offer the same knobs.
# Each is listed after the setting its `applies_when` looks at: the page draws them in order.
OPTIMISER = ChoiceParam("optimiser", "Optimiser", "How the weights are updated from the gradients.", "adam",
                        ("sgd", "rmsprop", "adam", "adagrad"),
                        {"sgd": "SGD (stochastic gradient descent)", "rmsprop": "RMSprop", "adam": "Adam",
                         "adagrad": "Adagrad"})
LEARNING_RATE = FloatParam("learning_rate", "Learning rate", "Step size of each weight update (at the first "
                           "epoch, when a schedule changes it).", 0.001, 1e-5, 1.0, log=True)
_SGD_ONLY = AppliesWhen("optimiser", ("sgd",), "Used by SGD only; choose SGD as the optimiser to change it.")
MOMENTUM = FloatParam("momentum", "Momentum", "Fraction of the previous update carried into the next (SGD).",
                      0.9, 0.0, 0.99, step=0.01, applies_when=_SGD_ONLY)
NESTEROV = BoolParam("nesterov", "Nesterov momentum", "Take the gradient where the momentum is about to carry "
                     "the weights, which often converges faster (SGD).", False, applies_when=_SGD_ONLY)
LR_SCHEDULES = {"constant": "Constant", "step": "Step: drop by a factor every few epochs",
                "exponential": "Exponential decay", "cosine": "Cosine decay to zero"}
LR_SCHEDULE = ChoiceParam("lr_schedule", "Learning-rate schedule", "How the learning rate changes from epoch to "
                          "epoch (annealing): large steps early, fine ones late.", "constant", tuple(LR_SCHEDULES),
                          LR_SCHEDULES)
LR_DROP_FACTOR = FloatParam("lr_drop_factor", "Drop factor", "The learning rate is multiplied by this at each drop.",
                            0.5, 0.05, 0.95, step=0.05,
                            applies_when=AppliesWhen("lr_schedule", ("step",), "Used by the step schedule only."))
LR_DROP_EVERY = IntParam("lr_drop_every", "Drop every (epochs)", "Epochs between two drops of the learning rate.",
                         10, 1, 200,
                         applies_when=AppliesWhen("lr_schedule", ("step",), "Used by the step schedule only."))
LR_DECAY_RATE = FloatParam("lr_decay_rate", "Decay per epoch", "The learning rate is multiplied by this after "
                           "every epoch.", 0.95, 0.5, 0.999, step=0.001,
                           applies_when=AppliesWhen("lr_schedule", ("exponential",),
                                                    "Used by the exponential schedule only."))
INITIALISERS = {
    "glorot_uniform": "Glorot uniform",
    "he_normal": "He normal",
    "random_uniform": "Uniform (±0.05)",
    "random_normal": "Normal (σ 0.05)",
}
INITIALISER = ChoiceParam("initialiser", "Weight initialiser", "How the weights start before training. He normal "
                          "suits relu layers; Glorot uniform suits tanh and sigmoid.", "glorot_uniform",
                          tuple(INITIALISERS), INITIALISERS)
L1 = FloatParam("l1", "L1 weight penalty", "Penalty on the absolute size of the weights; pushes many to zero "
                "(0 = off).", 0.0, 0.0, 0.1, step=0.0005)
L2 = FloatParam("l2", "L2 weight penalty", "Penalty on large weights, to fight over-fitting (0 = off).",
                0.0, 0.0, 0.1, step=0.0005)
DROPOUT = FloatParam("dropout", "Dropout", "Share of units switched off at random during training, "
                     "to fight over-fitting.", 0.0, 0.0, 0.8, step=0.05)
BATCH_NORM = BoolParam("batch_norm", "Batch normalisation", "Re-centre and re-scale each layer's outputs over "
                       "every batch; often allows larger learning rates.", False)
CLASS_WEIGHT = ChoiceParam("class_weight", "Class weights", "None: every row counts the same. Balanced: each "
                           "class counts as much as the others in the loss, so a rare class is not ignored.", "none",
                           ("none", "balanced"), {"none": "None", "balanced": "Balanced"}, tasks=("classification",))
VALIDATION_SPLIT = FloatParam("validation_split", "Validation split",
                              "Share of the training rows kept aside to draw the validation curve.",
                              0.2, 0.0, 0.5, step=0.05)
EARLY_STOPPING = BoolParam("early_stopping", "Early stopping", "Stop when the loss has not improved for a few "
                           "epochs. It watches the validation loss, or the training loss when the validation "
                           "split is 0.", False)
_EARLY_ONLY = AppliesWhen("early_stopping", (True,), "Used with early stopping only.")
PATIENCE = IntParam("patience", "Patience (epochs)", "Epochs without improvement before training stops.",
                    10, 1, 100, applies_when=_EARLY_ONLY)
RESTORE_BEST = BoolParam("restore_best", "Restore the best weights", "End with the weights of the epoch with the "
                         "lowest watched loss rather than those of the last epoch.", True, applies_when=_EARLY_ONLY)


def optimiser_params() -> tuple[Param, ...]:
    """Optimiser, learning rate and its schedule, in the order the page shows them."""
    return (OPTIMISER, LEARNING_RATE, MOMENTUM, NESTEROV, LR_SCHEDULE, LR_DROP_FACTOR, LR_DROP_EVERY, LR_DECAY_RATE)


def fitting_params(batch_size: int, epochs: int, validation_split: float) -> tuple[Param, ...]:
    """Batch size, epochs, validation split, early stopping and class weights."""
    return (batch_size_param(batch_size), epochs_param(epochs), replace(VALIDATION_SPLIT, default=validation_split),
            EARLY_STOPPING, PATIENCE, RESTORE_BEST, CLASS_WEIGHT)


def batch_size_param(default: int) -> IntParam:
    return IntParam("batch_size", "Batch size", "Rows per weight update.", default, 1, 512)


def epochs_param(default: int) -> IntParam:
    return IntParam("epochs", "Epochs", "Passes over the training rows.", default, 1, 500)


# The verdict's fixes for the Keras families, which share the settings they name.
NETWORK_OVERFIT_REMEDY = Remedy(" Add dropout or an L2 penalty, or turn on early stopping.", "dropout",
                                lambda values: None if values.get("dropout") else 0.2, "Add dropout {value}")
NETWORK_UNDERFIT_REMEDY = Remedy(" Train longer ({value} epochs) or give the network more units.", "epochs",
                                 lambda values: min(500, 2 * int(values.get("epochs", 10))), "Train for {value} epochs")
