"""Hyperparameter schemas: declared as data by each model family.

A schema drives three things from one declaration: the widgets on the page (ui/params.py
renders each kind), validation of the values that come back, and the tests that walk every
family's defaults and bounds. Nothing here knows about Streamlit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

from mllab.errors import ParamError

# The learning tasks a setting can apply to: the page hides a setting that does not apply to the
# chosen task (class weights mean nothing to a regression) and says why.
TASKS = ("classification", "regression")


@dataclass(frozen=True)
class AppliesWhen:
    """A setting that matters only for some values of an earlier setting (momentum only for SGD).

    The page shows such a setting greyed out with `reason` while it does not apply, so users see
    at once why moving it would change nothing; the value is still kept and validated.
    """

    setting: str
    values: tuple[Any, ...]
    reason: str

    def holds(self, values: dict[str, Any]) -> bool:
        return values.get(self.setting) in self.values


@dataclass(frozen=True)
class Param:
    name: str
    label: str
    help: str
    # Keyword-only so that every subclass keeps its positional fields (name, label, help, default, ...).
    applies_when: AppliesWhen | None = field(default=None, kw_only=True)
    # Data kinds ("table", "image", "signal") the setting is offered for; None = all of them.
    # Image augmentation, for one, means nothing for a table row or a spectrum.
    data_kinds: frozenset[str] | None = field(default=None, kw_only=True)

    def offered_for(self, data_kind: str | None) -> bool:
        return self.data_kinds is None or data_kind is None or data_kind in self.data_kinds

    def inactive_reason(self, values: dict[str, Any]) -> str | None:
        """Why this setting has no effect with these other values, or None when it applies."""
        if self.applies_when is None or self.applies_when.holds(values):
            return None
        return self.applies_when.reason
    # Keyword-only so that every subclass keeps its positional fields.
    tasks: tuple[str, ...] = field(default=TASKS, kw_only=True)
    # Where a search starts for a number, (low, high), when half to double the default would not do: a
    # default of 0 that means "none" (a tree's depth), or values that differ in effect only past it.
    search_range: tuple[float, float] | None = field(default=None, kw_only=True)

    def applies_to(self, task: str) -> bool:
        return task in self.tasks

    def validate(self, value: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True)
class IntParam(Param):
    default: int
    low: int
    high: int
    step: int = 1

    def validate(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value != int(value):
            raise ParamError(f"{self.label} must be a whole number.")
        number = int(value)
        if not self.low <= number <= self.high:
            raise ParamError(f"{self.label} must be between {self.low} and {self.high}; got {number}.")
        return number


@dataclass(frozen=True)
class FloatParam(Param):
    default: float
    low: float
    high: float
    # Log-scaled values (learning rates, C, L2) are offered on a log grid: a linear slider
    # from 1e-5 to 1 would spend all its travel above 0.1.
    log: bool = False
    step: float | None = None

    def validate(self, value: Any) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ParamError(f"{self.label} must be a number.") from None
        if not math.isfinite(number) or not self.low <= number <= self.high:
            raise ParamError(f"{self.label} must be between {self.low:g} and {self.high:g}; got {number:g}.")
        return number

    def grid(self, points_per_decade: int = 4) -> list[float]:
        """Values a slider offers for a log-scaled parameter: 1, 2.5, 5 … per decade, rounded."""
        if not self.log:
            raise ValueError("grid() is for log-scaled parameters")
        values = set()
        lo, hi = math.log10(self.low), math.log10(self.high)
        steps = round((hi - lo) * points_per_decade)
        for i in range(steps + 1):
            values.add(float(f"{10 ** (lo + i * (hi - lo) / steps):.2g}"))
        values.add(self.default)
        return sorted(v for v in values if self.low <= v <= self.high)


@dataclass(frozen=True)
class ChoiceParam(Param):
    default: str
    options: tuple[str, ...]
    # Labels shown to the user for each option; the stored value stays the option itself.
    option_labels: dict[str, str] = field(default_factory=dict)

    def validate(self, value: Any) -> str:
        if value not in self.options:
            raise ParamError(f"{self.label} must be one of {', '.join(self.options)}; got {value!r}.")
        return value

    def label_of(self, option: str) -> str:
        return self.option_labels.get(option, option)


@dataclass(frozen=True)
class BoolParam(Param):
    default: bool

    def validate(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise ParamError(f"{self.label} must be on or off.")
        return value


@dataclass(frozen=True)
class IntListParam(Param):
    """A list of whole numbers such as hidden-layer sizes, typed as "12, 8"."""

    default: tuple[int, ...]
    min_length: int
    max_length: int
    low: int
    high: int

    def parse(self, text: str) -> tuple[int, ...]:
        parts = [p for p in text.replace("-", ",").replace(" ", ",").split(",") if p.strip()]
        try:
            return tuple(int(p) for p in parts)
        except ValueError:
            raise ParamError(
                f"{self.label} must be whole numbers separated by commas, such as "
                f"{format_int_list(self.default)}."
            ) from None

    def validate(self, value: Any) -> tuple[int, ...]:
        numbers = self.parse(value) if isinstance(value, str) else tuple(value)
        if not self.min_length <= len(numbers) <= self.max_length:
            raise ParamError(
                f"{self.label} needs between {self.min_length} and {self.max_length} numbers; got {len(numbers)}."
            )
        for number in numbers:
            if not isinstance(number, int) or not self.low <= number <= self.high:
                raise ParamError(f"Each value in {self.label} must be between {self.low} and {self.high}.")
        return numbers


def format_int_list(values: Sequence[int]) -> str:
    return ", ".join(str(v) for v in values)


def applicable(schema: Sequence[Param], task: str) -> tuple[Param, ...]:
    """The settings of a schema that mean something for this task, in schema order."""
    return tuple(p for p in schema if p.applies_to(task))


def not_applicable(schema: Sequence[Param], task: str) -> tuple[Param, ...]:
    """The settings left out for this task: the page names them, so a hidden slider is explained."""
    return tuple(p for p in schema if not p.applies_to(task))


def defaults(schema: Sequence[Param]) -> dict[str, Any]:
    return {p.name: p.default for p in schema}


def is_active(param: Param, values: dict[str, Any], data_kind: str | None = None) -> bool:
    """Whether `param` changes anything, given the other values and the kind of data."""
    return param.offered_for(data_kind) and param.inactive_reason(values) is None


def validate_values(schema: Sequence[Param], values: dict[str, Any]) -> dict[str, Any]:
    """Check every value against the schema; unknown names are an error, missing ones take defaults."""
    unknown = set(values) - {p.name for p in schema}
    if unknown:
        raise ParamError(f"Unknown setting(s): {', '.join(sorted(unknown))}.")
    return {p.name: p.validate(values.get(p.name, p.default)) for p in schema}
