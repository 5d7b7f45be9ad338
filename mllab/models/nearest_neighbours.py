"""k-nearest neighbours, classifier or regressor: a row takes the vote (or the mean) of the k training rows nearest
to it. Fitting only stores the training rows (in a search tree), so the curve is one point."""

from __future__ import annotations

from mllab.models.base import Abilities, DataInfo, Device, FitOutcome, ModelFamily, Remedy, Reporter
from mllab.models.one_step import EXPORT_CODE, report_training_point
from mllab.params import AppliesWhen, ChoiceParam, FloatParam, IntParam
from mllab.prepare import PreparedData

MAX_K = 100

PARAMS = (
    IntParam("n_neighbors", "Neighbours (k)", "How many of the nearest training rows vote on each row. Small k "
             "follows every quirk of the training rows (k = 1 scores them all right by construction); large k "
             "smooths the boundary and, too large, washes it out.", 5, 1, MAX_K, search_range=(1, 30)),
    ChoiceParam("weights", "Vote weights", "Uniform: each of the k neighbours counts the same. Distance: nearer "
                "neighbours count more (1 / distance), so a far neighbour matters little.", "uniform",
                ("uniform", "distance"), {"uniform": "Uniform", "distance": "By distance (1 / d)"}),
    ChoiceParam("metric", "Distance", "How far apart two rows are. Euclidean: straight-line distance. Manhattan: "
                "the sum of the differences column by column, less swayed by one large difference. Minkowski: "
                "the family both belong to, with power p. Every one adds the columns' raw differences, so scale "
                "the features first or the widest column decides alone.", "euclidean",
                ("euclidean", "manhattan", "minkowski"),
                {"euclidean": "Euclidean", "manhattan": "Manhattan", "minkowski": "Minkowski (power p)"}),
    FloatParam("p", "Minkowski power p", "p = 1 is Manhattan, p = 2 Euclidean; a larger p lets the largest "
               "column difference count more.", 3.0, 1.0, 10.0, step=0.5,
               applies_when=AppliesWhen("metric", ("minkowski",), "Used by the Minkowski distance only; choose "
                                        "it as the distance to change p.")),
)


def _estimator(values: dict, regression: bool):
    # scikit-learn is imported here, on the worker: pages import this file only for its schema.
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

    kind = KNeighborsRegressor if regression else KNeighborsClassifier
    return kind(**_settings(values), n_jobs=1)


def _settings(values: dict) -> dict:
    settings = dict(n_neighbors=values["n_neighbors"], weights=values["weights"], metric=values["metric"])
    if values["metric"] == "minkowski":
        settings["p"] = values["p"]
    return settings


def rules(values: dict, info: DataInfo) -> list[str]:
    if info.n_train_rows and values["n_neighbors"] > info.n_train_rows:
        return [f"k = {values['n_neighbors']} neighbours is more than the {info.n_train_rows} training rows; "
                f"choose k of at most {info.n_train_rows}."]
    return []


def train(values: dict, data: PreparedData, info: DataInfo, reporter: Reporter, device: Device, seed: int) -> FitOutcome:
    from mllab.errors import ParamError

    regression = info.task == "regression"
    if values["n_neighbors"] > len(data.y_train):  # the rules' estimate of the rows can miss a supplied test part
        raise ParamError(f"k = {values['n_neighbors']} neighbours is more than the {len(data.y_train)} training "
                         f"rows; choose k of at most {len(data.y_train)}.")
    model = _estimator(values, regression).fit(data.x_train, data.y_train)
    predict = model.predict if regression else model.predict_proba
    report_training_point(reporter, predict, data.x_train, data.y_train, info.task, seed)
    return FitOutcome(
        test_proba=None if regression else model.predict_proba(data.x_test), device_used="CPU", stopped=False,
        test_prediction=model.predict(data.x_test) if regression else None, predictor=predict, model=model,
        notes=["k-nearest neighbours only stores the training rows, so the learning curves hold a single point: "
               "the training rows' scores, each row counted among its own neighbours."])


def export(values: dict, info: DataInfo) -> str:
    """This family's part of a run's code export: the same neighbours, and the curve's one point."""
    regression = info.task == "regression"
    kind = "Regressor" if regression else "Classifier"
    settings = ", ".join(f"{name}={value!r}" for name, value in _settings(values).items())
    output = "model.predict" if regression else "model.predict_proba"
    return f'''from sklearn.neighbors import KNeighbors{kind}


def train_model(x_train, y_train, x_test, seed):
    """Store the training rows; each test row takes the {"mean" if regression else "vote"} of its nearest ones."""
    model = KNeighbors{kind}({settings}, n_jobs=1)
    model.fit(x_train, y_train)
    history = [training_point({output}, x_train, y_train, seed)]
    return {output}(x_test), history
''' + EXPORT_CODE


FAMILY = ModelFamily(
    key="knn",
    label="k-nearest neighbours",
    description="Each row takes the vote of the k training rows nearest to it (for regression, their mean). "
                "Nothing is learnt beyond storing the rows, so it fits at once and predicts slowly on big data. "
                "Distances add the columns' raw differences: scale the features first.",
    params=PARAMS,
    train=train,
    step_label="Fit",
    tasks=frozenset({"classification", "regression"}),
    rules=rules,
    export=export,
    # Distances weigh every column by its spread, so unscaled columns skew them. Small k memorises (k = 1 scores
    # every training row right): average over more neighbours. Both scores low at the usual k says the features
    # do not separate the classes, not that k limits the fit, so there is no under-fitting fix to offer.
    abilities=Abilities(
        scale_sensitive=True, validation_loss_curve=False, train_gap_tells=True, training_score_in_history=True,
        live_boundary_map=False,
        overfit_remedy=Remedy(" Average over more neighbours: raise k to {value}.", "n_neighbors",
                              lambda values: None if int(values.get("n_neighbors", 5)) >= MAX_K
                              else min(MAX_K, 2 * int(values.get("n_neighbors", 5)) + 1), "Set k to {value}"),
        underfit_evidence="none", underfit_remedy=None,
        unscaled_effect="the distances that pick the neighbours are measured almost only along the widest columns"),
)
