"""A trained model as a file to download: a zip with the fitted preprocessing and the model in safe
formats, and a description of how to use them.

scikit-learn objects are written with skops (`skops.io`), whose loader only rebuilds types the reader
trusts, unlike pickle, which runs whatever code a file names. Keras models are written in Keras's own
`.keras` format. mllab itself never loads a model file: this is for the user to take away.
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from mllab import __version__
from mllab.models import FAMILIES

# Kept in the browser session with the run: a forest of many deep trees on a big catalogue can
# reach hundreds of megabytes, more than a session should hold or a browser should download.
MAX_MODEL_BYTES = 50 * 1024 * 1024

HOW_TO_LOAD = """\
How to use this model
=====================

model_info.json   what the model predicts, the input columns in order, the class names, the settings
preprocessing.skops  the fitted preprocessing (imputation, scaling, one-hot encoding, PCA): a
                     scikit-learn transformer from the input columns to the model's inputs
{model_line}

In Python (pip install scikit-learn skops{keras_pip}):

    import json, zipfile
    import pandas as pd
    import skops.io as sio
{keras_import}
    archive = zipfile.ZipFile("{zip_name}")
    archive.extractall("model")
    info = json.load(open("model/model_info.json"))
    # skops rebuilds only the types you trust: look at the list before trusting it.
    print(sio.get_untrusted_types(file="model/preprocessing.skops"))
    preprocessing = sio.load("model/preprocessing.skops",
                             trusted=sio.get_untrusted_types(file="model/preprocessing.skops"))
{load_model}
    rows = pd.read_csv("new_rows.csv")[info["input_columns"]]
    x = preprocessing.transform(rows)
{predict}
"""


@dataclass
class ModelFile:
    """A trained model packed for download, or the reason it is not offered."""

    filename: str = ""
    data: bytes = b""
    refused: str | None = None  # a sentence for the page when there is no file

    @property
    def size_mb(self) -> float:
        return len(self.data) / 1024 ** 2


def _safe_name(text: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "-_" else "_" for c in text).strip("_")
    return cleaned[:60] or "model"


def _skops_bytes(obj) -> bytes:
    import skops.io as sio

    return sio.dumps(obj)


def _keras_bytes(model) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        model.save(path)
        return path.read_bytes()


def _instructions(zip_name: str, keras: bool, task: str, target_scale) -> str:
    if keras:
        predict = ("    predicted = model.predict(x)[:, 0] * info[\"target_scale\"][0] + info[\"target_scale\"][1]"
                   if task == "regression" else
                   "    probabilities = model.predict(x)  # one column per class (one column: P(second class))")
        return HOW_TO_LOAD.format(
            model_line="model.keras        the trained Keras network", keras_pip=" keras tensorflow",
            keras_import="    import keras", zip_name=zip_name,
            load_model="    model = keras.saving.load_model(\"model/model.keras\")", predict=predict)
    predict = ("    predicted = model.predict(x)" if task == "regression" else
               "    probabilities = model.predict_proba(x)  # columns in the order of info[\"class_names\"]\n"
               "    predicted = [info[\"class_names\"][i] for i in model.predict(x)]")
    return HOW_TO_LOAD.format(
        model_line="model.skops        the trained scikit-learn model", keras_pip="", keras_import="",
        zip_name=zip_name,
        load_model="    model = sio.load(\"model/model.skops\", trusted=sio.get_untrusted_types(file=\"model/model.skops\"))",
        predict=predict)


def _image_info(dataset) -> dict:
    """For a model of images: the largest pixel value it was trained on (16 for the built-in digits, 255
    for files), so images read from files can be put on the same scale (mllab.training.prediction)."""
    if dataset.kind != "image" or dataset.image_shape is None:
        return {}
    import numpy as np

    height, width, channels = dataset.image_shape
    pixels = dataset.frame.iloc[:, :height * width * channels].to_numpy(dtype=float, na_value=np.nan)
    top = float(np.nanmax(pixels)) if pixels.size else 0.0
    return {"pixel_max": top} if np.isfinite(top) and top > 0 else {}


def _signal_info(dataset, inputs: list[str]) -> dict:
    """For a model of spectra or light curves: which inputs are the signal, and their wavelengths, so a
    single new spectrum can be laid out as its inputs (mllab.io.single_objects)."""
    if dataset.kind != "signal":
        return {}
    from mllab.prepare.cleaning import structural_columns

    used = set(inputs)
    columns = [str(c) for c in structural_columns(dataset) if str(c) in used]
    axis = getattr(dataset, "axis", None)
    if not columns:
        return {}
    info = {"signal_columns": columns}
    if axis is not None and len(axis) >= len(columns):
        positions = {str(c): i for i, c in enumerate(dataset.frame.columns)}
        info["signal_axis"] = [float(axis[positions[c]]) for c in columns]
    return info


def export_model(spec, data, outcome, metrics: dict) -> ModelFile:
    """Pack the run's fitted preprocessing and model (`outcome.model`) with a description.

    `spec` is the run's TrainingSpec, `data` its PreparedData (with the fitted preprocessor), `metrics`
    the headline figures of the evaluation. Returns a ModelFile with `refused` set when it is too large.
    """
    family = FAMILIES[spec.family]
    keras = family.deep
    zip_name = f"mllab-{_safe_name(spec.family)}-{_safe_name(spec.target)}.zip"
    info = {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "mllab_version": __version__,
        "dataset": spec.dataset.name,
        "target": spec.target,
        "task": spec.task,
        "model": family.label,
        "hyperparameters": {k: list(v) if isinstance(v, tuple) else v for k, v in spec.params.items()},
        "preprocessing": spec.preprocessing.as_dict(),
        "input_columns": data.input_columns,
        "model_inputs": data.feature_names,
        "class_names": data.class_names,
        "class_values": data.class_values,  # the target's own values, class by class (1 for "red clump")
        # What mllab's Predict page checks new rows against (mllab.training.prediction).
        "kind": spec.dataset.kind,
        "image_shape": list(spec.dataset.image_shape) if spec.dataset.image_shape else None,
        "redshift": bool(getattr(spec, "redshift", False)),
        **_signal_info(spec.dataset, data.input_columns),
        **_image_info(spec.dataset),
        "test_metrics": metrics,
    }
    if outcome.target_scale is not None:
        info["target_scale"] = list(outcome.target_scale)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("model_info.json", json.dumps(info, indent=2, default=str))
        archive.writestr("README.txt", _instructions(zip_name, keras, spec.task, outcome.target_scale))
        archive.writestr("preprocessing.skops", _skops_bytes(data.preprocessor))
        if keras:
            archive.writestr("model.keras", _keras_bytes(outcome.model))
        else:
            archive.writestr("model.skops", _skops_bytes(outcome.model))
    packed = buffer.getvalue()
    if len(packed) > MAX_MODEL_BYTES:
        return ModelFile(refused=f"The trained model takes {len(packed) / 1024 ** 2:,.0f} MB, more than the "
                                 f"{MAX_MODEL_BYTES // 1024 ** 2} MB offered for download. Fewer trees, a depth "
                                 "limit or a larger minimum leaf make a forest smaller.")
    return ModelFile(filename=zip_name, data=packed)
