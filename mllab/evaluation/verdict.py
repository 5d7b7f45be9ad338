"""The verdict after a run: two to six short sentences, each with its number and what to do.

`write_verdict(facts)` applies the rules below to what the run measured (`VerdictFacts`, gathered
on the worker by `mllab.training.judging`) and returns a `Verdict`: the headline against the
baseline first, then the warnings that apply, most serious first. Where the fix is a setting, a
finding carries an `Action` the page turns into a button.

The rules and where their thresholds come from:

- barely beats the baseline: less than BARELY_GAIN (a tenth) of the way from the baseline's score
  to a perfect one (the issue's rule; mljar and PyCaret put the dummy baseline on every leaderboard);
- over-fitting: the training score more than OVERFIT_DEGRADATION (10 %) above the test score (not for a
  random forest, whose training score is near 1 by construction),
  relative to it (deepchecks' TrainTestPerformance condition "train-test relative degradation less
  than 0.1"); for a network also the epoch of the lowest validation loss, when the last epoch's is
  more than GENERALISATION_LOSS (10 %) above it (Prechelt 1998, "Early stopping, but when?", the
  GL criterion; he uses 1-5 %, a lecture's validation split of a hundred rows needs more);
- under-fitting: training and test score both less than half of the way from the baseline to
  perfect (no library names a threshold; this is ours), and the training loss still falling over
  the last tenth of the steps by more than STILL_FALLING (5 %; a lecture network on Pima still
  creeps down 1 % there after 150 epochs, and is not under-fitting);
- leaks, identifiers, rare classes, too few rows per fold and 'missing' markers: see
  `mllab.evaluation.data_checks` (deepchecks, EvalML, ppscore);
- unscaled features into a scale-sensitive family (a network or a logistic regression): scaling off and
  the columns' spreads differing more than UNSCALED_RATIO (10) times, or a column beyond
  UNSCALED_MAGNITUDE; scikit-learn's user guide: "Multi-layer Perceptron is sensitive to feature
  scaling, so it is highly recommended to scale your data".

Where a rule depends on the model, it asks the family's declared `Abilities` (mllab.models.base), carried
in `VerdictFacts.abilities`: a network's validation curve, whether the training-test gap tells anything,
scale sensitivity, and the fix (`Remedy`) each family names for over- and under-fitting.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mllab.evaluation.baseline import Baseline
from mllab.evaluation.data_checks import IDENTIFIER_PPS, LEAK_PPS, ColumnPower, RareClass
from mllab.models.base import Abilities, Remedy

BARELY_GAIN = 0.1
OVERFIT_DEGRADATION = 0.1
GENERALISATION_LOSS = 0.1
UNDERFIT_GAIN = 0.5
STILL_FALLING = 0.05
UNSCALED_RATIO = 10.0
UNSCALED_MAGNITUDE = 100.0
MAX_SENTENCES = 6


@dataclass(frozen=True)
class Action:
    """A setting change the page offers as one button. Each dict maps a setting's name to its new value."""

    label: str
    exclude: tuple[str, ...] = ()  # feature columns to leave out (the Data page's cleaning choice)
    missing: tuple[tuple[str, float], ...] = ()  # (column, value) pairs to treat as missing
    params: tuple[tuple[str, object], ...] = ()  # the model's hyperparameters
    preprocessing: tuple[tuple[str, object], ...] = ()
    validation: tuple[tuple[str, object], ...] = ()


@dataclass
class Finding:
    rule: str  # "headline", "barely", "overfit", "overfit_epochs", "underfit", "leak", "identifier", ...
    level: str  # "success", "info" or "warning"
    sentence: str
    action: Action | None = None


@dataclass
class Verdict:
    findings: list[Finding] = field(default_factory=list)

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "warning"]

    def rules(self) -> list[str]:
        return [f.rule for f in self.findings]

    def text(self) -> str:
        return " ".join(f.sentence for f in self.findings)


@dataclass
class VerdictFacts:
    task: str
    # What the family can tell about its own fit: the rules ask these, never the family's key.
    abilities: Abilities
    family_label: str
    score_name: str  # "accuracy" or "r2"
    score_label: str  # "test accuracy", "out-of-fold R²"
    score: float
    baseline: Baseline
    train_score: float | None = None  # the same score on (a sample of) the training rows
    balanced_accuracy: float | None = None
    rmse: float | None = None  # a regression's, on the same rows as `score`
    history: list[dict] = field(default_factory=list)
    step_label: str = "Epoch"
    params: dict = field(default_factory=dict)
    class_weight_offered: bool = False  # the family has a class-weight setting
    stratified: bool = True  # the split or the folds keep the class shares
    n_folds: int = 0  # 0: a hold-out split
    scaling: str = "standard"
    feature_spread: tuple[float, float, float] | None = None  # smallest and largest std, largest |value|
    rare_classes: list[RareClass] = field(default_factory=list)
    recalls: dict[str, float] = field(default_factory=dict)
    too_rare_for_folds: list[tuple[str, int]] = field(default_factory=list)
    powers: list[ColumnPower] = field(default_factory=list)
    markers: dict[float, list[tuple[str, int]]] = field(default_factory=dict)
    stopped: bool = False


def gain(score: float, baseline: float, perfect: float = 1.0) -> float:
    """How far `score` went from the baseline's towards a perfect score (1 = all the way; < 0: worse)."""
    room = perfect - baseline
    return (score - baseline) / room if room > 1e-12 else 0.0


def _num(value: float) -> str:
    return f"{0.0 if abs(value) < 0.0005 else value:.3f}"  # never "-0.000"


def _pct(value: float) -> str:
    return f"{100 * value:.0f} %"


def _names(columns: list[str], limit: int = 3) -> str:
    shown = ", ".join(columns[:limit])
    return shown + (f" and {len(columns) - limit} more" if len(columns) > limit else "")


def write_verdict(facts: VerdictFacts) -> Verdict:
    imbalanced = facts.task == "classification" and bool(facts.rare_classes)
    findings = [_headline(facts, imbalanced)]
    warnings: list[Finding] = []
    warnings += _leaks(facts)
    warnings += _markers(facts)
    warnings += _barely(facts, imbalanced)
    overfit = _overfit_epochs(facts) or _overfit(facts)
    warnings += overfit
    if not overfit:
        warnings += _underfit(facts)
    if imbalanced:
        warnings += _imbalance(facts)
    warnings += _few_rows(facts)
    warnings += _unscaled(facts)
    findings += warnings
    if not warnings:
        findings.append(Finding("fine", "success", _all_clear(facts)))
    return Verdict(findings[:MAX_SENTENCES])


def _headline(facts: VerdictFacts, imbalanced: bool) -> Finding:
    reference = facts.baseline.score(facts.score_name)
    label = facts.score_label[0].upper() + facts.score_label[1:]
    if reference is None:
        return Finding("headline", "info", f"{label} {_num(facts.score)}.")
    if facts.task == "regression" and facts.rmse is not None and facts.baseline.score("rmse") is not None:
        # R² alone hides the units: the errors themselves, the model's against the mean's.
        text = (f"{label} {_num(facts.score)} (RMSE {facts.rmse:.4g}), against {_num(reference)} (RMSE "
                f"{facts.baseline.score('rmse'):.4g}) for {facts.baseline.description}")
    else:
        text = f"{label} {_num(facts.score)}, against {_num(reference)} for {facts.baseline.description}"
    score = facts.score
    balanced_reference = facts.baseline.score("balanced_accuracy")
    if imbalanced and facts.balanced_accuracy is not None and balanced_reference is not None:
        # With a rare class accuracy's baseline is near 1 already: the gain is measured on balanced accuracy.
        text += f"; balanced accuracy {_num(facts.balanced_accuracy)}, against {_num(balanced_reference)}"
        score, reference = facts.balanced_accuracy, balanced_reference
    share = gain(score, reference)
    text += f": {_pct(share)} of the way from there to a perfect score." if share >= 0 else ": worse than that."
    return Finding("headline", "info", text)


def _barely(facts: VerdictFacts, imbalanced: bool) -> list[Finding]:
    # With a rare class, accuracy's baseline is already high: judge by balanced accuracy instead.
    if imbalanced and facts.balanced_accuracy is not None:
        name, score = "balanced accuracy", facts.balanced_accuracy
        reference = facts.baseline.score("balanced_accuracy")
    else:
        name, score, reference = facts.score_label, facts.score, facts.baseline.score(facts.score_name)
    if reference is None or gain(score, reference) >= BARELY_GAIN:
        return []
    share = gain(score, reference)
    if share < 0:
        start = f"The model does worse than the baseline ({name} {_num(score)} against {_num(reference)})"
    else:
        start = (f"The model barely beats the baseline: {name} {_num(score)} against {_num(reference)}, "
                 f"only {_pct(share)} of the possible gain")
    return [Finding("barely", "warning", start + ". The features as given say little about the target: check the "
                                                 "target column, add informative columns, or try another model.")]


def _overfit_epochs(facts: VerdictFacts) -> list[Finding]:
    """A network whose validation loss rose again after its best epoch."""
    points = [(e["step"], float(e["val_loss"])) for e in facts.history
              if "val_loss" in e and np.isfinite(float(e["val_loss"]))]
    if not facts.abilities.validation_loss_curve or len(points) < 10:
        return []
    best_step, best = min(points, key=lambda p: p[1])
    last_step, last = points[-1]
    if best <= 0 or last / best - 1 <= GENERALISATION_LOSS or best_step > 0.8 * last_step:
        return []
    restored = facts.params.get("early_stopping") and facts.params.get("restore_best")
    text = (f"Over-fitting: the validation loss was lowest at epoch {best_step} ({best:.3g}) and "
            f"{_pct(last / best - 1)} higher by epoch {last_step}, so the network learnt the training rows "
            "rather than the pattern from there on.")
    if restored:
        return [Finding("overfit_epochs", "info", text + " Early stopping restored the weights of the best epoch.")]
    action = Action("Turn on early stopping (patience 10, best weights restored)",
                    params=(("early_stopping", True), ("patience", 10), ("restore_best", True)))
    return [Finding("overfit_epochs", "warning",
                    text + f" Turn on early stopping, or train for about {best_step} epochs.", action)]


def _train_gap_tells(facts: VerdictFacts) -> bool:
    """Whether the training score against the test score says anything about over-fitting."""
    # Not for a forest (Abilities.train_gap_tells): its own training rows score near 1 by construction
    # (each tree saw about two thirds of them, grown to pure leaves), and more trees do not over-fit it
    # (Breiman 2001, "Random Forests", section 2.1): the gap would warn on every forest of hard data, and
    # raising the leaf size again and again would not close it. Its out-of-bag curve is the honest figure.
    return facts.train_score is not None and facts.abilities.train_gap_tells


def _remedy(remedy: Remedy, params: dict) -> tuple[str, Action | None]:
    """A family's declared fix as words for the sentence and, where it has a new value, a button."""
    value = remedy.new_value(params) if remedy.new_value else None
    text = remedy.advice.format(value=value, current=params.get(remedy.setting))
    if value is None:
        return text, None
    return text, Action(remedy.button.format(value=value), params=((remedy.setting, value),))


def _overfit(facts: VerdictFacts) -> list[Finding]:
    if not _train_gap_tells(facts) or facts.train_score <= 0:
        return []
    degradation = (facts.train_score - facts.score) / abs(facts.train_score)
    if degradation <= OVERFIT_DEGRADATION:
        return []
    name = facts.score_label.split(" ", 1)[-1]  # "accuracy", "R²"
    text = (f"Over-fitting: training {name} {_num(facts.train_score)} but {facts.score_label} {_num(facts.score)}, "
            f"{_pct(degradation)} lower, so the model memorised much of the training rows.")
    action = None
    if facts.abilities.overfit_remedy is not None:
        advice, action = _remedy(facts.abilities.overfit_remedy, facts.params)
        text += advice
    return [Finding("overfit", "warning", text, action)]


def _underfit(facts: VerdictFacts) -> list[Finding]:
    if facts.train_score is None:
        return []
    reference = facts.baseline.score(facts.score_name)
    if reference is None or gain(facts.train_score, reference) >= UNDERFIT_GAIN or \
            gain(facts.score, reference) >= UNDERFIT_GAIN:
        return []
    name = facts.score_label.split(" ", 1)[-1]
    start = (f"Under-fitting: training {name} is only {_num(facts.train_score)} and {facts.score_label} "
             f"{_num(facts.score)}, both less than half the way from the baseline to perfect")
    losses = [(e["step"], float(e["loss"])) for e in facts.history if "loss" in e]
    evidence, remedy = facts.abilities.underfit_evidence, facts.abilities.underfit_remedy
    if evidence == "capacity_limit":
        if not facts.params.get(remedy.setting):
            return []  # no limit set (full-depth trees): the model cannot fit better, the features are the limit
        advice, action = _remedy(remedy, facts.params)
        return [Finding("underfit", "warning", start + advice, action)]
    if evidence != "loss_still_falling" or remedy is None or len(losses) < 5:
        return []
    tail = losses[-max(2, len(losses) // 10):]
    falling = (tail[0][1] - tail[-1][1]) / abs(tail[0][1]) if tail[0][1] else 0.0
    if falling <= STILL_FALLING:
        return []
    text = start + f", and the training loss was still falling at the end ({_pct(falling)} over the last " \
                   f"{tail[-1][0] - tail[0][0]} {facts.step_label.lower()}s)."
    advice, action = _remedy(remedy, facts.params)
    return [Finding("underfit", "warning", text + advice, action)]


def _leaks(facts: VerdictFacts) -> list[Finding]:
    found = []
    for column in facts.powers:
        exclude = Action(f"Leave {column.column} out of the features", exclude=(column.column,))
        if column.identifier and column.power > IDENTIFIER_PPS:
            found.append(Finding("identifier", "warning", (
                f"Likely leak: {column.column} looks like an identifier, yet alone it predicts the target "
                f"(predictive power {column.power:.2f} of 1): the rows are numbered in an order that follows the "
                f"target, and a model learns that order, not the objects. Leave {column.column} out."), exclude))
        elif not column.identifier and column.power >= LEAK_PPS:
            found.append(Finding("leak", "warning", (
                f"Possible leak: {column.column} alone predicts the target almost perfectly (power {column.power:.2f} "
                "of 1). If it is measured only once the answer is known, or is derived from the target, the score is "
                f"not real; if it is a genuine measurement the task is easy. Check where {column.column} comes from."),
                exclude))
    return found[:2]


def _markers(facts: VerdictFacts) -> list[Finding]:
    found = []
    for value, columns in facts.markers.items():
        count = sum(n for _, n in columns)
        names = [c for c, _ in columns]
        where = f"column {names[0]}" if len(names) == 1 else f"{len(names)} columns ({_names(names)})"
        found.append(Finding("markers", "warning", (
            f"{count:,} values of {value:g} in {where} look like a 'missing' marker, and the model read them as "
            "real measurements. Treat them as missing."),
            Action(f"Treat {value:g} as missing in {_names(names, 2)}", missing=tuple((c, value) for c in names))))
    if len(found) <= 1:
        return found
    return [Finding("markers", "warning", (
        f"Several 'missing' markers ({', '.join(f'{v:g}' for v in facts.markers)}) are still among the features, "
        "and the model read them as real measurements. Treat them as missing."),
        Action("Treat them all as missing", missing=tuple((c, v) for v, cs in facts.markers.items() for c, _ in cs)))]


def _imbalance(facts: VerdictFacts) -> list[Finding]:
    rarest = facts.rare_classes[0]
    others = f" and {len(facts.rare_classes) - 1} other rare classes" if len(facts.rare_classes) > 1 else ""
    recall = facts.recalls.get(rarest.name)
    text = (f"Imbalanced classes: '{rarest.name}' is only {100 * rarest.share:.1f} % of the rows ({rarest.count:,})"
            f"{others}, so accuracy rewards ignoring it")
    if recall is not None:
        text += f" (its recall is {recall:.2f})"
    text += "; judge the model by its balanced accuracy (above) instead"
    action = None
    if facts.class_weight_offered and facts.params.get("class_weight", "none") == "none":
        text += ". Turn on balanced class weights so each class counts as much in training."
        action = Action("Turn on balanced class weights", params=(("class_weight", "balanced"),))
    elif not facts.stratified:
        text += ". Keep the split stratified so the test rows hold the rare class in its share."
        action = Action("Turn on the stratified split", preprocessing=(("stratify", True),))
    else:
        text += "."
    return [Finding("imbalance", "warning", text, action)]


def _few_rows(facts: VerdictFacts) -> list[Finding]:
    if not facts.n_folds or not facts.too_rare_for_folds:
        return []
    name, count = facts.too_rare_for_folds[0]
    folds = max(2, count // 2)
    text = (f"Class '{name}' has only {count} rows, fewer than twice the {facts.n_folds} folds, so some folds test it "
            f"on one row or none and its scores swing from fold to fold.")
    if folds < facts.n_folds:
        return [Finding("few_rows", "warning", text + f" Choose {folds} folds.",
                        Action(f"Use {folds} folds", validation=(("n_folds", folds),)))]
    return [Finding("few_rows", "warning", text + " Collect more rows of it, or merge it with a related class.")]


def _unscaled(facts: VerdictFacts) -> list[Finding]:
    if not facts.abilities.scale_sensitive or facts.scaling != "none" or facts.feature_spread is None:
        return []
    smallest, largest, magnitude = facts.feature_spread
    ratio = largest / smallest if smallest > 0 else float("inf")
    if ratio <= UNSCALED_RATIO and magnitude <= UNSCALED_MAGNITUDE:
        return []
    spread = (f"the columns' spreads differ {ratio:,.0f}-fold" if np.isfinite(ratio) and ratio > UNSCALED_RATIO
              else f"values reach {magnitude:,.4g}")
    return [Finding("unscaled", "warning", (
        f"Unscaled features: scaling is off and {spread}, so {facts.abilities.unscaled_effect}. Turn on standard "
        "scaling."),
        Action("Turn on standard scaling", preprocessing=(("scaling", "standard"),)))]


def _all_clear(facts: VerdictFacts) -> str:
    checked = ["it beats the baseline clearly"]
    if _train_gap_tells(facts):
        checked.append("scores alike on training and held-out rows")
    if facts.powers:
        checked.append("no single column gives the answer away")
    if facts.task == "classification":
        checked.append("no class is too rare")
    return "No warning signs: " + ", ".join(checked[:-1]) + (" and " if len(checked) > 1 else "") + checked[-1] + "."
