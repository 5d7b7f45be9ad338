"""A trained model kept for download: a zip whose skops / .keras files load and predict as the run did."""

import io
import json
import zipfile

import numpy as np
import pytest
import skops.io as sio

from mllab.datasets.builtin import load_builtin
from mllab.prepare.preprocessing import PreprocessConfig
from mllab.training import model_export
from mllab.training.holdout import run_training
from mllab.training.spec import LocalReporter, TrainingSpec, validate_spec


def _run(key: str, family: str, params: dict, task: str = "classification", keep_model: bool = True):
    dataset = load_builtin(key)
    spec = validate_spec(TrainingSpec(dataset=dataset, target=dataset.target, preprocessing=PreprocessConfig(),
                                      family=family, params=params, task=task, keep_model=keep_model))
    return dataset, run_training(spec, LocalReporter())


def _unpack(model_file, folder):
    with zipfile.ZipFile(io.BytesIO(model_file.data)) as archive:
        names = set(archive.namelist())
        archive.extractall(folder)
    return names, json.loads((folder / "model_info.json").read_text())


def _load_skops(path):
    return sio.load(path, trusted=sio.get_untrusted_types(file=path))


def test_a_kept_forest_loads_from_skops_and_predicts_like_the_run(tmp_path):
    dataset, result = _run("breast_cancer", "random_forest", {"n_estimators": 50})
    model_file = result.model_file
    assert model_file.refused is None and model_file.filename.endswith(".zip")
    names, info = _unpack(model_file, tmp_path)
    assert names == {"model_info.json", "README.txt", "preprocessing.skops", "model.skops"}
    assert info["target"] == "diagnosis" and info["class_names"] == ["benign", "malignant"]
    assert info["test_metrics"]["accuracy"] == pytest.approx(result.evaluation.accuracy)
    # No pickle anywhere: the files are skops zips, loaded with only the types listed as trusted.
    assert all(not n.endswith((".pkl", ".pickle", ".joblib")) for n in names)
    preprocessing = _load_skops(str(tmp_path / "preprocessing.skops"))
    forest = _load_skops(str(tmp_path / "model.skops"))
    x = preprocessing.transform(dataset.frame[info["input_columns"]])
    predicted = np.asarray(info["class_names"])[forest.predict(x)]
    assert np.mean(predicted == dataset.frame["diagnosis"].astype(str).to_numpy()) >= 0.95
    assert "sio.load" in (tmp_path / "README.txt").read_text()


def test_a_kept_network_regression_loads_with_keras_and_predicts_in_target_units(tmp_path):
    import keras

    dataset, result = _run("sdss_mgs", "mlp", {"hidden_layers": "32", "epochs": 5, "batch_size": 64},
                           task="regression")
    names, info = _unpack(result.model_file, tmp_path)
    assert "model.keras" in names and len(info["target_scale"]) == 2
    preprocessing = _load_skops(str(tmp_path / "preprocessing.skops"))
    network = keras.saving.load_model(tmp_path / "model.keras")
    x = preprocessing.transform(dataset.frame[info["input_columns"]])
    scale, offset = info["target_scale"]
    predicted = network.predict(x, verbose=0)[:, 0] * scale + offset
    truth = dataset.frame["redshift"].to_numpy()
    r2 = 1 - np.sum((truth - predicted) ** 2) / np.sum((truth - truth.mean()) ** 2)
    assert r2 >= result.evaluation.r2 - 0.1 and r2 > 0.5


def test_a_model_over_the_size_limit_is_refused_with_a_sentence(monkeypatch):
    monkeypatch.setattr(model_export, "MAX_MODEL_BYTES", 1000)
    _, result = _run("iris", "random_forest", {"n_estimators": 20})
    assert result.model_file.data == b""
    assert "offered for download" in result.model_file.refused and "Fewer trees" in result.model_file.refused


def test_a_run_that_does_not_ask_keeps_no_model():
    _, result = _run("iris", "logistic_regression", {}, keep_model=False)
    assert result.model_file is None
