"""Random forest, classifier or regressor: grown in one fit, as a plain script grows it, while the page draws its
learning curve tree by tree."""

from __future__ import annotations

import os
import queue
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from mllab.models.base import (STOP_CHECK_S, Abilities, DataInfo, Device, FitOutcome, ModelFamily, Remedy, Reporter,
                               ThrottledStop)
from mllab.params import ChoiceParam, IntParam
from mllab.prepare import PreparedData

# The forest is grown by one call to scikit-learn's fit, the same call a plain script makes, and its trees are
# watched as they are finished: joblib's thread pool is given a backend (`_watching_backend`) that hands every
# finished tree to the curve, and grows no more trees once Stop is asked for. Growing the forest in warm-started
# steps instead made every step wait for its slowest tree and check the data again: 1.2x a plain fit on the
# digits, and 1.3x on the full OGLE-III catalogue (half a second a tree: a step of two trees every second).
# Each tree's votes are added one tree at a time, so the curve has a point every (n_estimators // CURVE_POINTS)-th
# tree (about CURVE_POINTS in all).
CURVE_POINTS = 50
# The curves are scored on at most this many training rows. Each new tree votes on them once, on the thread
# that grew it, and the votes are kept, so drawing the curve costs one pass of each tree over these rows,
# however many points there are (recomputing out-of-bag scores over all trees at each step, as
# scikit-learn's warm start does, made training 4-5x slower than a plain fit).
SCORE_ROWS = 5_000
# One RandomState per scoring thread, reseeded for each tree's bootstrap draw (see `_out_of_bag`).
_BOOTSTRAP_DRAWS = threading.local()

PARAMS = (
    IntParam("n_estimators", "Number of trees", "More trees give steadier predictions, at a cost in time.",
             200, 10, 1000, step=10),
    IntParam("max_depth", "Max depth (0 = no limit)", "Deepest split path of a tree; shallow trees under-fit.",
             0, 0, 50, search_range=(4, 16)),  # 0 and 25-50 are all "no limit" in effect: trees rarely get that deep
    IntParam("min_samples_leaf", "Min samples per leaf", "Smallest number of rows a leaf may hold; larger "
             "values smooth the model.", 1, 1, 50, search_range=(1, 9)),
    # The default follows scikit-learn's: √ of the columns for a classifier, all of them for a regressor.
    # On the SDSS photo-z sample "all" gives NMAD 0.0134-0.0138 over seeds 1, 7, 42, where √ gives
    # 0.0140-0.0153, about three times faster.
    ChoiceParam("max_features", "Max features per split", "Columns considered at each split. Fewer make the "
                "trees more different from each other; the default is √ of the columns for classification, all "
                "of them for regression.", "default",
                ("default", "sqrt", "log2", "all"),
                {"default": "Default for the task", "sqrt": "√ of the columns", "log2": "log₂ of the columns",
                 "all": "All columns"}),
    ChoiceParam("class_weight", "Class weight", "Give rare classes more weight.", "none",
                ("none", "balanced", "balanced_subsample"),
                {"none": "Equal", "balanced": "Balanced", "balanced_subsample": "Balanced per tree"},
                tasks=("classification",)),
)


def train(values: dict, data: PreparedData, info: DataInfo, reporter: Reporter, device: Device, seed: int) -> FitOutcome:
    # scikit-learn is imported here, on the worker: pages import this file only for its schema.
    from joblib import parallel_config
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    total = values["n_estimators"]
    regression = info.task == "regression"
    settings = dict(
        n_estimators=total, bootstrap=True,
        max_depth=values["max_depth"] or None, min_samples_leaf=values["min_samples_leaf"],
        max_features=_max_features(values["max_features"], regression),
        random_state=seed, n_jobs=-1,
    )
    if regression:  # class weights mean nothing without classes (the schema hides them for regression)
        forest = RandomForestRegressor(**settings)
    else:
        forest = RandomForestClassifier(
            **settings, class_weight=None if values["class_weight"] == "none" else values["class_weight"])
    n_rows = len(data.y_train)
    rows = np.random.default_rng(seed).choice(n_rows, size=min(SCORE_ROWS, n_rows), replace=False)
    sample = np.asarray(data.x_train[rows], dtype=np.float32)
    curve = _CurvePredictions(sample, data.y_train[rows]) if regression else \
        _CurveVotes(sample, data.y_train[rows], data.n_classes)
    stop = ThrottledStop(reporter, interval=STOP_CHECK_S)
    # The curve's points fall on fixed tree counts, whatever order the threads finish the trees in, so the
    # same seed gives the same curve.
    point_every = max(1, total // CURVE_POINTS)

    def tree_added(n_trees: int) -> None:
        if n_trees % point_every == 0 or n_trees == total:
            reporter.report({"step": n_trees, "total": total, **curve.curve_point()})

    grown = _grow(forest, data.x_train, data.y_train, curve, rows, stop, tree_added)
    if 0 < grown < total and grown % point_every:  # stopped between two points: show where it got to
        reporter.report({"step": grown, "total": total, **curve.curve_point()})
    # Trees are grown and used in threads: inside a (daemonic) Dask worker joblib's default process pool
    # would fall back to one core.
    with parallel_config(backend="threading"):
        if grown == 0:  # stopped before the first trees: grow a minimal forest so there is a model
            forest.set_params(n_estimators=min(total, os.cpu_count() or 1))
            forest.fit(data.x_train, data.y_train)
        test_proba = None if regression else forest.predict_proba(data.x_test)
        if regression:
            # Predicting in threads adds the trees' outputs in whatever order the threads finish, which
            # changes the last digits from run to run; one thread keeps "same seed, same metrics".
            forest.set_params(n_jobs=1)
        test_prediction = forest.predict(data.x_test) if regression else None
    return FitOutcome(
        test_proba=test_proba, device_used="CPU", stopped=stop.requested,
        notes=[f"Grew {forest.n_estimators} of {total} trees."] if stop.requested else [],
        test_prediction=test_prediction, model=forest,
        predictor=_in_threads(forest.predict if regression else forest.predict_proba),
        # Asked for after the run's time is taken, with the other inspections (mllab.evaluation.importance):
        # a pass over every tree, about a tenth of a plain fit on the digits.
        impurity_importance=lambda: np.asarray(forest.feature_importances_, dtype=np.float64),
    )


def _grow(forest, x: np.ndarray, y: np.ndarray, curve: "_RunningCurve", rows: np.ndarray, stop,
          tree_added) -> int:
    """Fit `forest` in one call while this thread adds each finished tree to `curve`, in the trees' order,
    calling `tree_added(n)` as the n-th is added and asking `stop` about Stop. After Stop, no further tree is
    started, and the forest keeps the trees it finished (always the first ones: the pool starts them in order).
    Returns the number of trees grown.

    The reporter is only used on this thread, as the other families use it. Each tree is scored on the pool
    thread that grew it, while the other threads grow theirs."""
    from joblib import parallel_config

    finished: queue.SimpleQueue = queue.SimpleQueue()  # (index of the first tree, the trees' outputs); None: fit over
    stopping = threading.Event()

    def score(first: int, trees: list) -> None:  # on a pool thread
        finished.put((first, [curve.tree_outputs(forest, tree, rows) for tree in trees]))

    def fit() -> None:
        try:
            with parallel_config(backend=_watching_backend(score, stopping)):
                forest.fit(x, y)
        finally:
            finished.put(None)

    pending: dict[int, tuple] = {}
    added = 0
    with ThreadPoolExecutor(1) as runner:
        fitted = runner.submit(fit)
        try:
            while True:
                try:
                    item = finished.get(timeout=STOP_CHECK_S)
                except queue.Empty:
                    item = ()
                if item is None:
                    break
                if item:
                    first, outputs = item
                    pending.update(enumerate(outputs, first))
                    while added in pending:
                        curve.add(*pending.pop(added))
                        added += 1
                        tree_added(added)
                if not stopping.is_set() and stop():
                    stopping.set()
        except BaseException:  # the reporter failed: no one will see the trees still to grow
            stopping.set()
            raise
        fitted.result()  # the fit's own error, if it had one
    if stopping.is_set():
        forest.set_params(n_estimators=len(forest.estimators_))
    return added


def _watching_backend(finished, stopping: threading.Event):
    """joblib's threading backend, calling `finished(first, trees)` on the pool thread with every batch of
    trees it grows (the `first`-th tree of the fit and those after it) and growing no tree once `stopping`
    is set: such a batch returns no tree, and the fit ends with the trees that were grown.

    scikit-learn's forest fit submits one task per tree, in the trees' order (joblib's Parallel over
    `_parallel_build_trees`), and each task returns its fitted tree."""
    from joblib.parallel import ThreadingBackend

    class WatchingBackend(ThreadingBackend):
        submitted = 0

        def configure(self, n_jobs=1, parallel=None, **backend_kwargs):
            # Unlike joblib's, keeps a pool of one thread on one core (rather than running the tasks in
            # the caller), so the trees are still watched as they finish.
            self.parallel, self.submitted = parallel, 0
            self._n_jobs = self.effective_n_jobs(n_jobs)
            return self._n_jobs

        def submit(self, func, callback=None):
            first = self.submitted
            self.submitted += len(func)

            def grow() -> list:
                if stopping.is_set():
                    return []
                trees = func()
                finished(first, trees)
                return trees

            return super().submit(grow, callback)

    return WatchingBackend()


def _in_threads(predict):
    """The forest's predict for use after training: in threads, as it trained (see `train`)."""
    from joblib import parallel_config

    def predictor(x: np.ndarray) -> np.ndarray:
        with parallel_config(backend="threading"):
            return predict(x)

    return predictor


def _max_features(choice: str, regression: bool) -> str | None:
    """scikit-learn's max_features for a choice of the schema (None: all columns)."""
    if choice == "default":
        return None if regression else "sqrt"
    return None if choice == "all" else choice


def _out_of_bag(forest, tree, n_rows: int) -> np.ndarray:
    """Which training rows this tree's bootstrap sample left out, as a boolean mask.

    The same rows scikit-learn's own out-of-bag score uses: the bootstrap sample is drawn again from the tree's
    seed, as its `_generate_sample_indices` draws it (private; requirements.txt pins the version, and the tests
    check the curve against `oob_score_`, with and without class weights)."""
    if forest._sample_weight is None:
        # scikit-learn makes a new RandomState for each tree, and making one costs 0.3 ms (it first seeds itself
        # from the OS's entropy); reseeding one per thread gives the same draw in a fiftieth of that. With the
        # draw counted straight into a mask, this takes a fifth of its former 0.4 ms a tree, which was over
        # half of the curve's cost on the digits.
        draws = getattr(_BOOTSTRAP_DRAWS, "state", None)
        if draws is None:
            draws = _BOOTSTRAP_DRAWS.state = np.random.RandomState()
        draws.seed(tree.random_state)
        drawn = draws.randint(0, n_rows, forest._n_samples_bootstrap)
        return np.bincount(drawn, minlength=n_rows) == 0
    from sklearn.ensemble._forest import _generate_unsampled_indices

    left_out = np.zeros(n_rows, dtype=bool)
    left_out[_generate_unsampled_indices(tree.random_state, n_rows, forest._n_samples_bootstrap,
                                         forest._sample_weight)] = True
    return left_out


class _RunningCurve:
    """What the two curves share: each tree's outputs on the sample rows are computed on the pool thread that
    grew it (`tree_outputs`), and added on the training's thread in the trees' order (`add`), so the sums, and
    the curve, are the same whatever order the threads finish the trees in."""

    def tree_outputs(self, forest, tree, rows: np.ndarray) -> tuple[np.ndarray, ...]:
        raise NotImplementedError

    def add(self, *outputs: np.ndarray) -> None:
        raise NotImplementedError


class _CurveVotes(_RunningCurve):
    """Running votes of the forest's trees on a fixed sample of training rows.

    Training curve: all trees' votes. Validation curve: out-of-bag votes — each row counts only
    the trees whose bootstrap sample left it out, so it is an honest held-out estimate without
    holding any rows out of training.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, n_classes: int):
        self.x, self.y = x, y
        self.all_votes = np.zeros((len(y), n_classes))
        self.oob_votes = np.zeros((len(y), n_classes))
        self.n_trees = 0

    def tree_outputs(self, forest, tree, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The tree's votes, and its votes on the rows it left out (zero on the others)."""
        # What the tree's predict_proba returns, without its checks that the tree is fitted and the input well
        # formed (a quarter of the call on the digits; both hold here).
        votes = tree.tree_.predict(self.x)[:, :self.all_votes.shape[1]]
        return votes, votes * _out_of_bag(forest, tree, forest._n_samples)[rows, None]

    def add(self, votes: np.ndarray, oob_votes: np.ndarray) -> None:
        self.all_votes += votes
        self.oob_votes += oob_votes
        self.n_trees += 1

    def curve_point(self) -> dict:
        """Error rate and accuracy (the curves the page draws, as in scikit-learn's "OOB errors for
        random forests" example), and the log-loss.

        The log-loss is kept for completeness but not drawn: with a handful of trees a row's
        out-of-bag vote is often unanimous and wrong, and a clipped log(0) makes the validation
        "loss" start near 3 while the training loss sits near 0.1 (seen on the Kepler red giants).
        """
        train_proba = self.all_votes / self.n_trees
        accuracy = float((train_proba.argmax(1) == self.y).mean())
        point = {"loss": _log_loss(self.y, train_proba), "error": 1.0 - accuracy, "accuracy": accuracy}
        oob_votes, y = self.oob_votes, self.y
        total = oob_votes.sum(axis=1)
        counted = total > 0  # early on some rows have no out-of-bag tree yet
        if not counted.all():  # soon after, all do, and the copies below are not needed
            if not counted.any():
                return point
            oob_votes, y, total = oob_votes[counted], y[counted], total[counted]
        oob = oob_votes / total[:, None]
        val_accuracy = float((oob.argmax(1) == y).mean())
        point.update(val_loss=_log_loss(y, oob), val_error=1.0 - val_accuracy, val_accuracy=val_accuracy)
        return point


def _log_loss(y: np.ndarray, proba: np.ndarray) -> float:
    """Mean cross-entropy of integer labels under rows of probabilities, clipped as scikit-learn does.

    scikit-learn's log_loss validates its inputs on every call, which cost more than growing the
    trees on small data; these arrays are ours and already well formed."""
    eps = np.finfo(proba.dtype).eps
    return float(-np.log(np.clip(proba[np.arange(len(y)), y], eps, 1.0)).mean())


class _CurvePredictions(_RunningCurve):
    """Running mean prediction of the forest's trees on a fixed sample of training rows (regression).

    Training curve: the mean of all trees. Validation curve: the out-of-bag mean — each row
    averages only the trees whose bootstrap sample left it out, as scikit-learn's oob_score_ does.
    Each point gives the mean squared error ("loss"), mean absolute error ("mae") and R² ("r2").
    """

    def __init__(self, x: np.ndarray, y: np.ndarray):
        self.x, self.y = x, np.asarray(y, dtype=float)
        self.all_sum = np.zeros(len(y))
        self.oob_sum = np.zeros(len(y))
        self.oob_count = np.zeros(len(y))
        self.n_trees = 0

    def tree_outputs(self, forest, tree, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The tree's predictions, and which rows it left out."""
        predicted = tree.tree_.predict(self.x).reshape(-1)  # the tree's predict, without its checks (above)
        return predicted, _out_of_bag(forest, tree, forest._n_samples)[rows]

    def add(self, predicted: np.ndarray, left_out: np.ndarray) -> None:
        self.all_sum += predicted
        self.oob_sum += predicted * left_out
        self.oob_count += left_out
        self.n_trees += 1

    @staticmethod
    def _scores(y: np.ndarray, predicted: np.ndarray) -> dict:
        errors = predicted - y
        total = float(np.sum((y - y.mean()) ** 2))
        scores = {"loss": float(np.mean(errors ** 2)), "mae": float(np.mean(np.abs(errors)))}
        if total > 0:
            scores["r2"] = 1.0 - float(np.sum(errors ** 2)) / total
        return scores

    def curve_point(self) -> dict:
        point = self._scores(self.y, self.all_sum / self.n_trees)
        counted = self.oob_count > 0  # early on some rows have no out-of-bag tree yet
        if counted.any():
            oob = self._scores(self.y[counted], self.oob_sum[counted] / self.oob_count[counted])
            point.update({f"val_{name}": value for name, value in oob.items()})
        return point


def export(values: dict, info: DataInfo) -> str:
    """This family's part of a run's code export: one plain fit (the call `train` makes, so the same forest),
    and the out-of-bag curve from each tree's bootstrap sample."""
    regression = info.task == "regression"
    kind = "Regressor" if regression else "Classifier"
    weight = "" if regression else \
        f", class_weight={None if values['class_weight'] == 'none' else values['class_weight']!r}"
    output = "forest.predict(x_test)" if regression else "forest.predict_proba(x_test)"
    return f'''from sklearn.ensemble import RandomForest{kind}


def train_model(x_train, y_train, x_test, seed):
    """Grow the forest, draw its out-of-bag curve, predict the test rows."""
    forest = RandomForest{kind}(n_estimators={values["n_estimators"]}, max_depth={values["max_depth"] or None},
        min_samples_leaf={values["min_samples_leaf"]}, max_features={_max_features(values["max_features"], regression)!r}{weight},
        bootstrap=True, random_state=seed, n_jobs=-1)
    forest.fit(x_train, y_train)
    history = out_of_bag_curve(forest, x_train, y_train, seed)
    forest.set_params(n_jobs=1)  # predicting in one thread adds the trees in one order: the same last digits
    return {output}, history


def out_of_bag_curve(forest, x_train, y_train, seed):
    """Training and out-of-bag scores against the number of trees, on at most {SCORE_ROWS:,} training rows:
    each row's out-of-bag vote counts only the trees whose bootstrap sample left it out."""
    n_rows = len(y_train)
    rows = np.random.default_rng(seed).choice(n_rows, size=min({SCORE_ROWS}, n_rows), replace=False)
    x, y = np.asarray(x_train[rows], dtype=np.float32), y_train[rows]
    total = len(forest.estimators_)
    every = max(1, total // {CURVE_POINTS})
    regression = {regression}
    width = 1 if regression else len(forest.classes_)
    all_sum, oob_sum, oob_count = np.zeros((len(y), width)), np.zeros((len(y), width)), np.zeros(len(y))
    history = []
    for n_trees, (tree, drawn) in enumerate(zip(forest.estimators_, forest.estimators_samples_), start=1):
        out = tree.predict(x).reshape(-1, 1) if regression else tree.predict_proba(x)
        left_out = np.ones(n_rows, dtype=bool)
        left_out[drawn] = False
        left_out = left_out[rows]
        all_sum += out
        oob_sum[left_out] += out[left_out]
        oob_count += left_out
        if n_trees % every and n_trees != total:
            continue
        counted = oob_count > 0  # early on some rows have no out-of-bag tree yet
        if regression:
            train_error = all_sum[:, 0] / n_trees - y
            point = {{"step": n_trees, "loss": float(np.mean(train_error ** 2)),
                      "mae": float(np.mean(np.abs(train_error)))}}
            if counted.any():
                oob_error = oob_sum[counted, 0] / oob_count[counted] - y[counted]
                point.update(val_loss=float(np.mean(oob_error ** 2)), val_mae=float(np.mean(np.abs(oob_error))))
        else:
            accuracy = float(np.mean(all_sum.argmax(axis=1) == y))
            point = {{"step": n_trees, "error": 1.0 - accuracy, "accuracy": accuracy}}
            if counted.any():
                val_accuracy = float(np.mean(oob_sum[counted].argmax(axis=1) == y[counted]))
                point.update(val_error=1.0 - val_accuracy, val_accuracy=val_accuracy)
        history.append(point)
    return history
'''


FAMILY = ModelFamily(
    key="random_forest",
    label="Random forest",
    description="Many decision trees, each grown on a bootstrap sample, voting together (or, for regression, "
                "averaging their predictions). Strong on tables, needs no scaling. Validation curve: out-of-bag "
                "score, from the trees that did not see each row.",
    params=PARAMS,
    train=train,
    step_label="Trees",
    tasks=frozenset({"classification", "regression"}),
    # scikit-learn's own picture of a forest learning: the out-of-bag error against the number of trees.
    curves=(("classification", (("error", "Error rate"), ("accuracy", "Accuracy"))),),
    export=export,
    # Its training rows score near 1 by construction, so the gap says nothing; its curve already scored
    # them; only a depth limit can keep it from fitting them (Breiman 2001, section 2.1).
    abilities=Abilities(scale_sensitive=False, validation_loss_curve=False, train_gap_tells=False,
                        training_score_in_history=True, live_boundary_map=False, overfit_remedy=None,
                        underfit_evidence="capacity_limit",
                        underfit_remedy=Remedy(": trees of depth {current} are too shallow. Let them grow deeper.",
                                               "max_depth", lambda values: 0, "Remove the depth limit")),
)
