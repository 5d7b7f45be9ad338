"""Validation schemes: hold-out, K-fold, stratified K-fold and repeated K-fold with reshuffling,
their settings (`ValidationConfig`, declared as a schema like a model's) and the folds they make.
Stratified schemes keep class proportions, so a regression's folds are plain shuffled (repeated) K-fold.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np

from mllab.errors import DataError, ParamError
from mllab.params import ChoiceParam, IntParam, validate_values

SCHEME_LABELS = {
    "holdout": "Hold-out (one test split)",
    "kfold": "K-fold (shuffled)",
    "stratified_kfold": "Stratified K-fold",
    "repeated_kfold": "Repeated K-fold (reshuffled each repeat; stratified for classes)",
    "supplied": "The supplied test part",
}
# Hold-out schemes (one model, scored on one test part): mllab's own random split, or the test part
# the data came with (MNIST's t10k files, SDSS_MGS.test), offered only when the dataset has one.
HOLDOUT_SCHEMES = ("holdout", "supplied")
VALIDATION_SCHEMA = (
    ChoiceParam("scheme", "Validation", "Hold-out trains once and scores on the test fraction. K-fold trains K "
                "models, each scored on a different fifth (tenth, …) of the rows, and reports the mean and spread "
                "of the scores: slower, but far less dependent on one lucky or unlucky split.", "holdout",
                tuple(SCHEME_LABELS), SCHEME_LABELS),
    IntParam("n_folds", "Folds (K)", "How many parts the rows are cut into; each part is the test set once.",
             5, 2, 20),
    IntParam("n_repeats", "Repeats (repeated K-fold only)",
             "How many times K-fold is run again on a fresh shuffle of the rows.", 3, 1, 10),
)


def scheme_param(task: str, supplied_part: bool = False) -> ChoiceParam:
    """The validation choice as offered for this task: a regression has no classes to stratify by,
    so stratified K-fold is not offered and repeated K-fold says it is plain. The supplied test part
    is offered, first and by default, only for data that came with one (`supplied_part`): that is
    the split the data's tutorials quote their figures on."""
    scheme = VALIDATION_SCHEMA[0]
    options = [o for o in scheme.options if o != "supplied"]
    labels = dict(scheme.option_labels)
    if task == "regression":
        options.remove("stratified_kfold")
        labels["repeated_kfold"] = "Repeated K-fold (reshuffled each repeat)"
    if supplied_part:
        options.insert(0, "supplied")
    return replace(scheme, options=tuple(options), option_labels=labels,
                   default="supplied" if supplied_part else scheme.default)


@dataclass(frozen=True)
class ValidationConfig:
    scheme: str = "holdout"
    n_folds: int = 5
    n_repeats: int = 3

    @classmethod
    def from_values(cls, values: dict) -> "ValidationConfig":
        return cls(**validate_values(VALIDATION_SCHEMA, values))

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def is_kfold(self) -> bool:
        return self.scheme not in HOLDOUT_SCHEMES

    @property
    def supplied(self) -> bool:
        """Scored on the test part the data came with rather than on a random split."""
        return self.scheme == "supplied"

    @property
    def repeats(self) -> int:
        return self.n_repeats if self.scheme == "repeated_kfold" else 1

    @property
    def n_splits(self) -> int:
        """Models trained in all: one for hold-out, K per repeat otherwise."""
        return self.n_folds * self.repeats if self.is_kfold else 1

    def describe(self, task: str = "classification") -> str:
        if self.scheme == "holdout":
            return "Hold-out"
        if self.scheme == "supplied":
            return "Supplied test part"
        if self.scheme == "kfold":
            return f"{self.n_folds}-fold"
        if self.scheme == "stratified_kfold":
            return f"Stratified {self.n_folds}-fold"
        if task == "regression":  # repeated folds of a regression are plain: there are no classes to stratify
            return f"{self.n_folds}-fold × {self.n_repeats} repeats"
        return f"Stratified {self.n_folds}-fold × {self.n_repeats} repeats"


# -- folds --------------------------------------------------------------------------------------
STRATIFIED_REGRESSION_MESSAGE = ("Stratified folds keep class proportions, so they need classes; for a numeric "
                                 "target choose plain K-fold (or repeated K-fold).")


def fold_indices(labels: np.ndarray, config: ValidationConfig, seed: int,
                 task: str = "classification") -> list[tuple[int, int, np.ndarray, np.ndarray]]:
    """(repeat, fold, training row indices, test row indices) for every split of a K-fold scheme.

    Every scheme shuffles with the run's seed, so the same seed gives the same folds. Stratified
    schemes keep each class's share of rows the same in every fold; a regression's repeated K-fold
    is plain K-fold reshuffled each repeat.
    """
    from sklearn.model_selection import KFold, RepeatedKFold, RepeatedStratifiedKFold, StratifiedKFold

    if not config.is_kfold:
        raise ValueError("fold_indices is for K-fold schemes")
    n_rows, k = len(labels), config.n_folds
    if n_rows < k:
        raise DataError(f"{k}-fold validation needs at least {k} rows; the data has {n_rows}. Choose fewer folds.")
    if config.scheme == "stratified_kfold" and task != "classification":
        raise ParamError(STRATIFIED_REGRESSION_MESSAGE)
    stratified = task == "classification" and config.scheme in ("stratified_kfold", "repeated_kfold")
    if stratified:
        counts = np.bincount(labels)
        counts = counts[counts > 0]
        if counts.min() < k:
            raise DataError(f"The smallest class has only {counts.min()} rows, fewer than the {k} folds, so some "
                            f"folds would have none of it. Choose at most {max(2, counts.min())} folds, or plain "
                            "K-fold.")
    if config.scheme == "repeated_kfold" and not stratified:
        splitter = RepeatedKFold(n_splits=k, n_repeats=config.n_repeats, random_state=seed)
    elif config.scheme == "repeated_kfold":
        splitter = RepeatedStratifiedKFold(n_splits=k, n_repeats=config.n_repeats, random_state=seed)
    elif stratified:
        splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    else:
        splitter = KFold(n_splits=k, shuffle=True, random_state=seed)
    return [(i // k + 1, i % k + 1, train, test)
            for i, (train, test) in enumerate(splitter.split(np.zeros(n_rows), labels))]
