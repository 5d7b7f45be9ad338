"""Stage 4, models: the model families, one file each, whose hyperparameter schema drives the
sliders, validation and tests; this registry is the only list of them. TensorFlow is imported only
inside the deep families' training code (`keras_common`), never at import time.

May import: mllab.prepare (the prepared data a family trains on), mllab.params, mllab.errors.
"""

from mllab.models import cnn, decision_tree, gradient_boosting, linear_regression, logistic_regression, mlp
from mllab.models import naive_bayes, nearest_neighbours, random_forest, svm
from mllab.models.base import DataInfo, DataShape, FitOutcome, ModelFamily, Reporter

FAMILIES: dict[str, ModelFamily] = {
    family.key: family
    for family in (random_forest.FAMILY, logistic_regression.FAMILY, linear_regression.FAMILY, mlp.FAMILY,
                   cnn.FAMILY,
                   nearest_neighbours.FAMILY, svm.FAMILY, naive_bayes.FAMILY, decision_tree.FAMILY,
                   gradient_boosting.FAMILY)
}


def families_for(kind: str, task: str = "classification") -> list[ModelFamily]:
    """Families that can train on a dataset of this kind ("table", "image", "signal") for this task."""
    return [f for f in FAMILIES.values() if kind in f.data_kinds and task in f.tasks]


__all__ = ["FAMILIES", "DataInfo", "DataShape", "FitOutcome", "ModelFamily", "Reporter", "families_for"]
