"""Use what was trained: a run's kept model applied to rows nobody labelled, on a training worker.

A kept model is the zip that mllab.training.model_export writes (the fitted preprocessing and the
model, with model_info.json). It is mllab's own file, written by a worker and kept in the
workspace store; still, it is opened as if it were not: skops rebuilds only the types listed in
TRUSTED_SKOPS_TYPES and Keras loads in safe mode, so no file can make a worker run code.

The rows go through the run's own cleaning (markers made missing, the new columns' formulas) and
then its fitted preprocessing, in chunks, with progress and Stop between chunks. When they carry
the run's target, the model is also evaluated on them: Weka's "supplied test set".
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
import time
import zipfile
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mllab.datasets import Dataset
from mllab.errors import DataError, UserError
from mllab.prepare.cleaning import CleaningChoices, apply_cleaning, target_names
from mllab.prepare.preprocessing import class_name

CHUNK_ROWS = 50_000
MAX_PREDICTED_ROWS = 5_000_000
# Every type a kept model's skops files hold beyond what skops trusts by itself (found with
# skops.io.get_untrusted_types on each family's files; tests/training/test_prediction.py checks them).
TRUSTED_SKOPS_TYPES = frozenset({"numpy.dtype", "sklearn.tree._tree.Tree",
                                 # k-nearest neighbours: its search tree and distance
                                 "sklearn.neighbors._kd_tree.KDTree", "sklearn.neighbors._ball_tree.BallTree",
                                 "sklearn.metrics._dist_metrics.EuclideanDistance64",
                                 "sklearn.metrics._dist_metrics.ManhattanDistance64",
                                 "sklearn.metrics._dist_metrics.MinkowskiDistance64",
                                 # SVM: Platt scaling's calibrated classifier
                                 "sklearn.calibration._CalibratedClassifier",
                                 "sklearn.calibration._SigmoidCalibration",
                                 # gradient boosting: its trees
                                 "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"})
MAX_MODEL_MEMBER_BYTES = 512 * 1024 ** 2  # a member of the zip, unpacked: kept models are refused past 200 MB


@dataclass
class PredictionSpec:
    """What a prediction job is given: the run's kept model, the run's cleaning and the rows."""

    model_zip: bytes
    rows: Dataset
    cleaning: dict = field(default_factory=dict)  # the run's CleaningChoices.as_dict()
    run_name: str = "the run"
    device: str = "CPU"  # TrainingSpec's field names, so the engine treats every job alike
    family: str = ""


@dataclass
class PredictionResult:
    status: str  # "completed" or "stopped" (then `table` holds the rows predicted so far)
    table: pd.DataFrame  # the rows' own columns carried along, then the prediction and probabilities
    task: str
    target: str
    class_names: list[str]
    prediction_column: str
    probability_columns: list[str]
    n_rows: int
    notes: list[str] = field(default_factory=list)
    evaluation: object | None = None  # an Evaluation or RegressionEvaluation when the rows carry the target
    n_evaluated: int = 0
    duration_s: float = 0.0
    history: list[dict] = field(default_factory=list)  # the engine's TrainingResult field, unused here
    # The class's name when the user named the classes ("red clump" beside a predicted 1); None otherwise.
    name_column: str | None = None
    sure_column: str | None = None  # the probability of the predicted class: how sure the model is

    @property
    def counts(self) -> dict[str, int]:
        """Rows per predicted class, in the class order."""
        if self.task == "regression" or not self.probability_columns:
            return {}
        best = self.table[self.probability_columns].to_numpy(dtype=float).argmax(axis=1)
        counts = np.bincount(best, minlength=len(self.class_names))
        return {name: int(n) for name, n in zip(self.class_names, counts)}

    def top_probability(self) -> np.ndarray:
        if not self.probability_columns:
            return np.empty(0)
        return self.table[self.probability_columns].to_numpy(dtype=float).max(axis=1)


def probability_column(name: str) -> str:
    """A column name every output format accepts (FITS, VOTable, Parquet): P_<class>, letters and digits."""
    cleaned = "".join(ch if ch.isalnum() else "_" for ch in str(name)).strip("_") or "class"
    return f"P_{cleaned}"


# -- the kept model ------------------------------------------------------------------------------
@dataclass
class KeptModel:
    info: dict
    preprocessor: object
    model: object
    keras: bool

    @property
    def task(self) -> str:
        return self.info.get("task", "classification")

    @property
    def input_columns(self) -> list[str]:
        return [str(c) for c in self.info.get("input_columns", [])]

    @property
    def class_names(self) -> list[str]:
        """What the classes are called (the names the user gave them, where given)."""
        return [str(c) for c in self.info.get("class_names") or []]

    @property
    def class_values(self) -> list:
        """Each class's value as the training data held it (1, not "1"), in class order. Models kept before
        it was recorded say only the names, which were then the values: whole numbers are read as such."""
        values = self.info.get("class_values")
        if isinstance(values, list) and len(values) == len(self.class_names):
            return values
        names = self.class_names
        whole = all(re.fullmatch(r"-?(0|[1-9][0-9]*)", name) for name in names)
        return [int(name) for name in names] if names and whole else names


def model_info(model_zip: bytes) -> dict:
    """model_info.json of a kept model (what it expects and what it predicts), without loading the model."""
    try:
        with zipfile.ZipFile(io.BytesIO(model_zip)) as archive:
            return json.loads(_member(archive, "model_info.json"))
    except (zipfile.BadZipFile, KeyError, ValueError) as err:
        raise DataError(f"The run's kept model cannot be read ({err}). Train the run again with "
                        "'Keep the trained model' on.") from None


def _member(archive: zipfile.ZipFile, name: str) -> bytes:
    member = archive.getinfo(name)
    if member.file_size > MAX_MODEL_MEMBER_BYTES:
        raise DataError(f"The kept model's {name} is larger than any model mllab keeps.")
    return archive.read(member)


def _skops(data: bytes, what: str):
    import skops.io as sio

    untrusted = set(sio.get_untrusted_types(data=data))
    if untrusted - TRUSTED_SKOPS_TYPES:
        raise DataError(f"The kept {what} holds types mllab does not load ({', '.join(sorted(untrusted))}); "
                        "it was not written by this version of mllab. Train the run again to use it.")
    return sio.loads(data, trusted=sorted(untrusted))


def load_kept_model(model_zip: bytes) -> KeptModel:
    """Open a kept model's zip (on a worker: Keras is imported only for a network)."""
    info = model_info(model_zip)
    with zipfile.ZipFile(io.BytesIO(model_zip)) as archive:
        names = set(archive.namelist())
        preprocessor = _skops(_member(archive, "preprocessing.skops"), "preprocessing")
        if "model.keras" in names:
            from mllab.models.keras_files import load_keras_model

            return KeptModel(info, preprocessor, load_keras_model(_member(archive, "model.keras")), keras=True)
        if "model.skops" not in names:
            raise DataError("The kept model's zip holds no model file. Train the run again to use it.")
        return KeptModel(info, preprocessor, _skops(_member(archive, "model.skops"), "model"), keras=False)


# -- the rows ------------------------------------------------------------------------------------
def _listed(names, limit: int = 6) -> str:
    names = [str(n) for n in names]
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _numeric_inputs(preprocessor) -> list[str]:
    columns = preprocessor.named_steps["columns"]
    return [str(c) for name, _, cols in columns.transformers_ if name == "numeric" for c in cols]


def _image_note(info: dict, rows: Dataset, expected: int) -> str:
    shape = info.get("image_shape")
    trained = f"{shape[0]}×{shape[1]} images" if shape else f"{expected} pixel columns"
    given = (f"{rows.image_shape[0]}×{rows.image_shape[1]} images" if rows.image_shape
             else f"{len(rows.frame.columns)} columns")
    return (f"The model was trained on {trained}; these are {given}. Predict images of the size it was "
            "trained on (the Data page's image size scales a zip of images when it is read).")


def _on_the_trained_pixel_scale(frame: pd.DataFrame, pixels: list[str], trained_max: float,
                                notes: list[str]) -> pd.DataFrame:
    """Images from files hold 0–255; a model trained on the built-in digits knows 0–16. Rows clearly on
    another scale (their largest pixel well past the trained largest) are rescaled, with a note."""
    values = frame[pixels].to_numpy(dtype=float, na_value=np.nan)
    top = float(np.nanmax(values)) if values.size else 0.0
    if not (trained_max > 0 and np.isfinite(top) and top > 1.5 * trained_max and top <= 255.0 + 1e-9):
        return frame
    notes.append(f"Pixel values were scaled from 0–255 to the 0–{trained_max:g} the model was trained on.")
    frame = frame.copy()
    frame[pixels] = values * (trained_max / 255.0)
    return frame


def check_rows(kept_info: dict, numeric: list[str], rows: Dataset, cleaning: dict) -> tuple[pd.DataFrame, list[str]]:
    """The rows cleaned as the run's data was, checked against what the model expects.

    Returns the cleaned frame and notes for the page. Raises DataError naming what is missing or of
    another type; columns the model does not use are carried along, never refused.
    """
    if rows.frame.empty:
        raise DataError("There are no rows to predict: the file holds a header but no data.")
    if len(rows.frame) > MAX_PREDICTED_ROWS:
        raise DataError(f"{len(rows.frame):,} rows are more than the {MAX_PREDICTED_ROWS:,} mllab predicts at once. "
                        "Split the file and predict each part.")
    choices = CleaningChoices.from_dict(cleaning or {})
    # Only what changes values: excluded columns are carried along, and rows without a target are
    # exactly the ones to predict.
    cleaned = apply_cleaning(dataclasses.replace(rows, target=None), choices.replace(target=None, excluded=()))
    frame, notes = cleaned.dataset.frame, list(cleaned.notes)
    expected = [str(c) for c in kept_info.get("input_columns", [])]
    columns = {str(c): c for c in frame.columns}
    missing = [c for c in expected if c not in columns]
    if missing:
        if kept_info.get("kind") == "image" or rows.kind == "image":
            raise DataError(_image_note(kept_info, rows, len(expected)))
        raise DataError(f"These rows lack {len(missing)} column{'s' if len(missing) != 1 else ''} the model was "
                        f"trained on: {_listed(missing)}. Predict rows with the same columns as the run's data "
                        "(other columns may be added; they are carried along).")
    if rows.kind == "image" and kept_info.get("kind") == "image":
        frame = _on_the_trained_pixel_scale(frame, expected, float(kept_info.get("pixel_max") or 0), notes)
    for column in numeric:
        values = frame[columns[column]]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            continue
        numbers = pd.to_numeric(values, errors="coerce")
        text = int((numbers.isna() & values.notna()).sum())
        if text == int(values.notna().sum()) and text:
            raise DataError(f"The column {column} holds text here ({_listed(values.dropna().astype(str).unique(), 3)}), "
                            "but numbers in the run's data. Check that it is the same kind of file.")
        if text:
            notes.append(f"{text:,} values of {column} are not numbers; they were treated as missing.")
        frame = frame.assign(**{columns[column]: numbers})
    extra = [c for c in frame.columns if str(c) not in set(expected)]
    if extra and len(extra) <= 20:
        notes.append(f"Carried along, not used by the model: {_listed(extra)}.")
    elif extra:
        notes.append(f"{len(extra)} columns the model does not use are carried along.")
    return frame, notes


def _carried_columns(frame: pd.DataFrame, rows: Dataset, inputs: list[str]) -> list:
    """The rows' own columns kept in the result: all of a table's (a catalogue row stays whole); of
    images and signals, only those that are not pixels or samples (identifiers, coordinates, labels)."""
    if rows.kind in ("image", "signal") or len(inputs) > 200:
        used = set(inputs)
        return [c for c in frame.columns if str(c) not in used]
    return list(frame.columns)


# -- the job -------------------------------------------------------------------------------------
def _predict_chunk(kept: KeptModel, frame: pd.DataFrame) -> np.ndarray:
    return predict_inputs(kept, np.asarray(kept.preprocessor.transform(frame[kept.input_columns]), dtype=np.float32))


def predict_inputs(kept: KeptModel, x: np.ndarray) -> np.ndarray:
    """The kept model's output for rows already through its preprocessing: class probabilities (rows x
    classes) or predicted values (the boundary map's grid is made in that space too)."""
    if kept.keras:
        from mllab.models.keras_files import keras_output

        if kept.task == "regression":
            scale, offset = kept.info.get("target_scale") or (1.0, 0.0)
            return keras_output(kept.model, x, 0) * scale + offset
        return keras_output(kept.model, x, len(kept.class_names))
    from joblib import parallel_config

    # In threads, as the forest trained: inside a (daemonic) Dask worker joblib's default process
    # pool falls back to one core, which made a 400k-row prediction twice as slow as a plain script.
    with parallel_config(backend="threading"):
        if kept.task == "regression":
            return np.asarray(kept.model.predict(x), dtype=np.float64)
        proba = np.asarray(kept.model.predict_proba(x), dtype=np.float64)
    if proba.shape[1] != len(kept.class_names):  # a class the training part never held: its column is 0
        full = np.zeros((len(x), len(kept.class_names)))
        full[:, np.asarray(kept.model.classes_, dtype=int)] = proba
        proba = full
    return proba


def validate_prediction(spec: PredictionSpec) -> None:
    """Raise UserError at once for what cannot work, before a worker is used."""
    info = model_info(spec.model_zip)
    if not info.get("input_columns"):
        raise UserError("The run's kept model does not say which columns it expects. Train the run again.")
    if spec.rows is None or spec.rows.frame is None:
        raise UserError("Choose the rows to predict first.")


def run_prediction(spec: PredictionSpec, reporter) -> PredictionResult:
    """Executed on a worker: load the kept model, clean and check the rows, predict them chunk by chunk."""
    started = time.perf_counter()
    reporter.report({"type": "status", "message": "Opening the kept model"})
    kept = load_kept_model(spec.model_zip)
    frame, notes = check_rows(kept.info, _numeric_inputs(kept.preprocessor), spec.rows, spec.cleaning)
    target, task, names = str(kept.info.get("target", "")), kept.task, kept.class_names
    total = len(frame)
    outputs, stopped = [], False
    for start in range(0, total, CHUNK_ROWS):
        if reporter.should_stop():
            stopped = True
            break
        outputs.append(_predict_chunk(kept, frame.iloc[start:start + CHUNK_ROWS]))
        done = min(total, start + CHUNK_ROWS)
        reporter.report({"type": "status", "message": f"Predicted {done:,} of {total:,} rows"})
        reporter.report({"step": done, "total": total})
    done = sum(len(o) for o in outputs)
    output = np.concatenate(outputs) if outputs else np.empty((0,) if task == "regression" else (0, len(names)))
    carried = frame.iloc[:done][_carried_columns(frame, spec.rows, kept.input_columns)].reset_index(drop=True)
    prediction_column = f"predicted_{target}" if target else "predicted"
    name_column = sure_column = None
    if task == "regression":
        predictions = pd.DataFrame({prediction_column: output})
        probability_columns: list[str] = []
    else:
        values = kept.class_values
        probability_columns = [probability_column(n) for n in names]
        sure_column = f"{prediction_column}_probability"
        if len(set(probability_columns)) < len(probability_columns):  # two classes with the same letters
            probability_columns = [f"P_{i}_{c[2:]}" for i, c in enumerate(probability_columns)]
        best = output.argmax(axis=1) if done else np.empty(0, dtype=int)
        # The class as the data holds it (an integer class stays an integer column in every file) and,
        # where the user named the classes, the name beside it.
        numbers = [isinstance(v, (int, float)) and not isinstance(v, bool) for v in values]
        kind = (np.int64 if all(isinstance(v, int) for v in values) else np.float64) if all(numbers) else object
        predictions = {prediction_column: np.asarray(values, dtype=kind)[best]}
        if names != [class_name(v) for v in values]:
            name_column = f"{prediction_column}_name"
            predictions[name_column] = np.asarray(names, dtype=object)[best]
        predictions[sure_column] = output.max(axis=1) if done else np.empty(0)
        predictions = pd.concat([pd.DataFrame(predictions), pd.DataFrame(output, columns=probability_columns)],
                                axis=1)
    # The answer first: the prediction and its probabilities, then the rows' own columns (an earlier
    # prediction's columns of the same names, in a file predicted again, give way to the new ones).
    carried = carried.drop(columns=[c for c in carried.columns if str(c) in set(predictions.columns)])
    table = pd.concat([predictions, carried], axis=1)
    result = PredictionResult(status="stopped" if stopped else "completed", table=table, task=task, target=target,
                              class_names=names, prediction_column=prediction_column,
                              probability_columns=probability_columns, n_rows=done, notes=notes,
                              name_column=name_column, sure_column=sure_column)
    if stopped:
        notes.append(f"Stopped after {done:,} of {total:,} rows; the table holds those.")
    if target and target in frame.columns and done:
        not_known = set(CleaningChoices.from_dict(spec.cleaning or {}).unknown)
        _evaluate_supplied(result, frame[target].iloc[:done].reset_index(drop=True), output, kept, not_known)
    result.duration_s = time.perf_counter() - started
    return result


def _evaluate_supplied(result: PredictionResult, truth: pd.Series, output: np.ndarray, kept: KeptModel,
                       not_known: set[str]) -> None:
    """The model's figures on the rows whose target is known (Weka's supplied test set); `not_known` holds
    the values the run's cleaning marked "not known yet", which are not scored either."""
    from mllab.evaluation import evaluate, evaluate_regression

    if result.task == "regression":
        values = pd.to_numeric(truth, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        known = np.isfinite(values)
        if known.sum() >= 2:
            result.evaluation = evaluate_regression(values[known], output[known],
                                                    redshift=bool(kept.info.get("redshift")))
            result.n_evaluated = int(known.sum())
        return
    # The rows hold the classes' values: matched by the value's name, not the name the user gave the class.
    index = {class_name(value): i for i, value in enumerate(kept.class_values)}
    names = target_names(truth)
    codes = np.array([-2 if name is None or name in not_known else index.get(name, -1) for name in names])
    unseen = int((codes == -1).sum())
    known = codes >= 0
    if unseen:
        others = sorted({str(name) for name, code in zip(names, codes) if code == -1})
        result.notes.append(f"{unseen:,} rows have a {result.target} the model never saw ({_listed(others, 4)}); "
                            "they are predicted but not counted in the figures.")
    if known.sum() >= 2:
        result.evaluation = evaluate(codes[known], output[known], result.class_names)
        result.n_evaluated = int(known.sum())
