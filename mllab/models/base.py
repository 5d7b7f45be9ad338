"""What every model family file declares, and what a training function receives and returns."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

import numpy as np

from mllab.params import ChoiceParam, FloatParam, IntParam, Param, defaults, validate_values
from mllab.preprocessing import PreparedData


class Reporter(Protocol):
    """How a training function talks to whoever runs it (a Dask queue, a test, a benchmark)."""

    def report(self, event: dict) -> None: ...

    def should_stop(self) -> bool: ...


class ThrottledStop:
    """Asks the reporter about Stop at most every `interval` seconds.

    Asking may cost a round trip to the Dask scheduler; per batch that would slow training,
    while every 0.25 s still ends a run well within the 2 s users are promised.
    """

    def __init__(self, reporter: Reporter, interval: float = 0.25):
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


@dataclass
class FitOutcome:
    """A trained model's test-set output and how it got there.

    Classification fills `test_proba` (rows x classes); regression leaves it None and fills
    `test_prediction`, the predicted target value of each test row.
    """

    test_proba: np.ndarray | None
    device_used: str
    stopped: bool
    summary: str | None = None
    notes: list[str] = field(default_factory=list)
    test_prediction: np.ndarray | None = None


TrainFunction = Callable[[dict, PreparedData, DataInfo, Reporter, Device, int], FitOutcome]


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
    data_kinds: frozenset[str] = frozenset({"table", "image", "signal"})
    # Cross-setting rules (solver vs penalty, blocks vs image size): messages, empty when fine.
    rules: Callable[[dict, DataInfo], list[str]] | None = None
    # "classification" and/or "regression": the Train page offers a family only for its tasks.
    tasks: frozenset[str] = frozenset({"classification"})

    def defaults(self) -> dict[str, Any]:
        return defaults(self.params)

    def validate(self, values: dict, info: DataInfo | None = None) -> dict[str, Any]:
        from mllab.errors import ParamError

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
OPTIMISER = ChoiceParam("optimiser", "Optimiser", "How the weights are updated from the gradients.", "adam",
                        ("sgd", "rmsprop", "adam"),
                        {"sgd": "SGD with momentum", "rmsprop": "RMSprop", "adam": "Adam"})
LEARNING_RATE = FloatParam("learning_rate", "Learning rate", "Step size of each weight update.",
                           0.001, 1e-5, 1.0, log=True)
MOMENTUM = FloatParam("momentum", "Momentum (SGD only)", "Fraction of the previous update carried into the next.",
                      0.9, 0.0, 0.99, step=0.01)
DROPOUT = FloatParam("dropout", "Dropout", "Share of units switched off at random during training, "
                     "to fight over-fitting.", 0.0, 0.0, 0.8, step=0.05)
VALIDATION_SPLIT = FloatParam("validation_split", "Validation split",
                              "Share of the training rows kept aside to draw the validation curve.",
                              0.2, 0.0, 0.5, step=0.05)


def batch_size_param(default: int) -> IntParam:
    return IntParam("batch_size", "Batch size", "Rows per weight update.", default, 1, 512)


def epochs_param(default: int) -> IntParam:
    return IntParam("epochs", "Epochs", "Passes over the training rows.", default, 1, 500)
