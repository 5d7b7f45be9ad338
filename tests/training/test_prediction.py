"""A run's kept model applied to new rows: the same figures as the run on its own test rows, the rows'
identifiers carried along, hostile inputs refused in a sentence, and the four download formats open."""

from __future__ import annotations

import dataclasses
import os
import io
import zipfile

import numpy as np
import pandas as pd
import pytest

from mllab.datasets.builtin import load_builtin
from mllab.errors import DataError
from mllab.io.table_writers import TABLE_FORMATS, table_bytes
from mllab.models import FAMILIES
from mllab.prepare.cleaning import CleaningChoices, apply_cleaning
from mllab.prepare.preprocessing import PreprocessConfig
from mllab.training import LocalReporter, TrainingSpec, run_training
from mllab.training.prediction import TRUSTED_SKOPS_TYPES, PredictionSpec, model_info, run_prediction


def _kept_run(dataset_key: str, family: str, params: dict | None = None, cleaning: CleaningChoices | None = None,
              task: str | None = None):
    raw = load_builtin(dataset_key)
    choices = cleaning or CleaningChoices(target=raw.target, excluded=tuple(raw.id_columns))
    data = apply_cleaning(raw, choices).dataset
    values = FAMILIES[family].validate({**FAMILIES[family].defaults(), **(params or {})})
    spec = TrainingSpec(dataset=data, target=data.target, preprocessing=PreprocessConfig(), family=family,
                        params=values, keep_model=True, task=task or raw.task or "classification")
    result = run_training(spec, LocalReporter())
    assert result.model_file is not None and result.model_file.data, result.model_file
    return raw, data, choices, result


@pytest.fixture(scope="module")
def ogle_forest():
    return _kept_run("ogle3", "random_forest", {"n_estimators": 60})


def _predict(model_zip: bytes, rows, cleaning: CleaningChoices, reporter=None):
    return run_prediction(PredictionSpec(model_zip=model_zip, rows=rows, cleaning=cleaning.as_dict(),
                                         family="random_forest"), reporter or LocalReporter())


def test_the_kept_forest_scores_the_runs_own_test_rows_as_the_run_did_and_keeps_their_ids(ogle_forest):
    raw, cleaned, choices, result = ogle_forest
    test_rows = result.predictions.rows
    rows = dataclasses.replace(raw, frame=raw.frame.iloc[test_rows].reset_index(drop=True))
    predicted = _predict(result.model_file.data, rows, choices)
    assert predicted.status == "completed" and predicted.n_rows == len(test_rows)
    # The supplied test set is the run's own: the same accuracy, to the last digit.
    assert predicted.n_evaluated == len(test_rows)
    assert predicted.evaluation.accuracy == pytest.approx(result.evaluation.accuracy, abs=1e-12)
    assert result.evaluation.accuracy >= 0.95
    table = predicted.table
    assert list(table["ID"]) == list(rows.frame["ID"])  # the catalogue's identifiers, in the input's order
    # The answer first (the class, how sure, each class's probability), then the rows' own columns.
    assert list(table.columns[:2]) == [predicted.prediction_column, predicted.sure_column]
    assert list(table.columns[-len(raw.frame.columns):]) == list(raw.frame.columns)
    probabilities = table[predicted.probability_columns].to_numpy()
    assert np.allclose(probabilities.sum(axis=1), 1.0)
    assert set(table[predicted.prediction_column]) <= set(predicted.class_names)
    assert sum(predicted.counts.values()) == len(test_rows)


def test_rows_whose_class_is_not_known_are_predicted_and_left_out_of_the_figures(ogle_forest):
    raw, _, choices, result = ogle_forest
    frame = raw.frame.head(300).copy()
    frame.loc[:99, "Type"] = None  # not known yet
    frame.loc[100:109, "Type"] = "Mira"  # a class this run never saw
    predicted = _predict(result.model_file.data, dataclasses.replace(raw, frame=frame), choices)
    assert predicted.n_rows == 300 and predicted.n_evaluated == 190
    assert any("never saw (Mira)" in note for note in predicted.notes)
    assert predicted.table[predicted.prediction_column].notna().all()


def test_missing_text_and_empty_inputs_are_refused_in_a_sentence(ogle_forest):
    raw, _, choices, result = ogle_forest
    with pytest.raises(DataError, match=r"lack 2 columns the model was trained on: log_P, amplitude_I"):
        _predict(result.model_file.data, dataclasses.replace(raw, frame=raw.frame.drop(columns=["log_P", "amplitude_I"])),
                 choices)
    texts = raw.frame.head(20).assign(I_mag="bright")
    with pytest.raises(DataError, match="The column I_mag holds text here"):
        _predict(result.model_file.data, dataclasses.replace(raw, frame=texts), choices)
    with pytest.raises(DataError, match="no rows to predict"):
        _predict(result.model_file.data, dataclasses.replace(raw, frame=raw.frame.head(0)), choices)
    with pytest.raises(DataError, match="kept model cannot be read"):
        model_info(b"not a zip at all")
    extra = raw.frame.head(50).assign(RA=1.5, Dec=-30.0)  # columns the run never had are carried along
    predicted = _predict(result.model_file.data, dataclasses.replace(raw, frame=extra), choices)
    assert list(predicted.table["RA"]) == [1.5] * 50
    assert any("Carried along" in note and "RA" in note for note in predicted.notes)


def test_a_kept_model_with_types_mllab_does_not_trust_is_refused(ogle_forest):
    import skops.io as sio
    from sklearn.preprocessing import FunctionTransformer

    *_, choices, result = ogle_forest
    source = zipfile.ZipFile(io.BytesIO(result.model_file.data))
    hostile = io.BytesIO()
    with zipfile.ZipFile(hostile, "w") as archive:
        for name in source.namelist():
            data = source.read(name)
            if name == "preprocessing.skops":  # a function call hidden in the preprocessing
                data = sio.dumps(FunctionTransformer(os.system))
            archive.writestr(name, data)
    with pytest.raises(DataError, match="holds types mllab does not load"):
        _predict(hostile.getvalue(), load_builtin("ogle3"), choices)


def test_every_familys_kept_files_hold_only_trusted_types(ogle_forest):
    import skops.io as sio

    zips = [ogle_forest[3].model_file.data, _kept_run("iris", "logistic_regression")[3].model_file.data]
    for data in zips:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                if name.endswith(".skops"):
                    assert set(sio.get_untrusted_types(data=archive.read(name))) <= TRUSTED_SKOPS_TYPES


def test_markers_and_formulas_of_the_run_are_applied_to_the_new_rows():
    from mllab.prepare.formulas import DerivedColumn

    raw = load_builtin("ogle3")
    choices = CleaningChoices(target="Type", excluded=("ID",), missing=(("V_minus_I", -99.99),),
                              derived=(DerivedColumn("colour_ratio", "V_minus_I / (amplitude_I + 1)"),))
    _, _, _, result = _kept_run("ogle3", "random_forest", {"n_estimators": 20}, cleaning=choices)
    frame = raw.frame.head(40).copy()
    frame.loc[:9, "V_minus_I"] = -99.99  # the catalogue's own "missing"
    predicted = _predict(result.model_file.data, dataclasses.replace(raw, frame=frame), choices)
    assert predicted.table.loc[:9, "V_minus_I"].isna().all()  # made missing as in training, not read as a colour
    assert "colour_ratio" in predicted.table.columns and predicted.n_rows == 40


def test_a_kept_network_and_a_regression_predict_new_rows():
    raw, _, choices, network = _kept_run("digits", "mlp", {"epochs": 8})
    rows = dataclasses.replace(raw, frame=raw.frame.iloc[network.predictions.rows].reset_index(drop=True))
    predicted = run_prediction(PredictionSpec(network.model_file.data, rows, choices.as_dict(), family="mlp"),
                               LocalReporter())
    assert predicted.evaluation.accuracy == pytest.approx(network.evaluation.accuracy, abs=0.01)
    assert np.allclose(predicted.table[predicted.probability_columns].sum(axis=1), 1.0, atol=1e-5)
    assert "digit" in predicted.table.columns and "px_0_0" not in predicted.table.columns  # pixels stay behind

    raw, _, choices, forest = _kept_run("sdss_mgs", "random_forest", {"n_estimators": 20}, task="regression")
    rows = dataclasses.replace(raw, frame=raw.frame.iloc[forest.predictions.rows].reset_index(drop=True))
    predicted = _predict(forest.model_file.data, rows, choices)
    assert predicted.task == "regression" and predicted.prediction_column == "predicted_redshift"
    assert predicted.evaluation.rmse == pytest.approx(forest.evaluation.rmse, rel=1e-9)
    assert list(predicted.table["sample"]) == list(rows.frame["sample"])


def test_stop_keeps_the_rows_predicted_so_far(ogle_forest, monkeypatch):
    import mllab.training.prediction as prediction

    raw, _, choices, result = ogle_forest
    monkeypatch.setattr(prediction, "CHUNK_ROWS", 1000)

    class StopAfterTwoChunks(LocalReporter):
        def should_stop(self):
            return sum(1 for e in self.events if "step" in e) >= 2

    predicted = _predict(result.model_file.data, raw, choices, StopAfterTwoChunks())
    assert predicted.status == "stopped" and predicted.n_rows == 2000 and len(predicted.table) == 2000
    assert any("Stopped after 2,000 of 8,829 rows" in note for note in predicted.notes)


@pytest.mark.parametrize("fmt", sorted(TABLE_FORMATS))
def test_the_predictions_download_in_every_format_and_open_again(ogle_forest, fmt, tmp_path):
    from astropy.table import Table

    raw, _, choices, result = ogle_forest
    frame = raw.frame.head(200).copy()
    frame.loc[:49, "Type"] = None
    table = _predict(result.model_file.data, dataclasses.replace(raw, frame=frame), choices).table
    path = tmp_path / f"predictions.{TABLE_FORMATS[fmt][1]}"
    path.write_bytes(table_bytes(table, fmt))
    if fmt == "csv":
        back = pd.read_csv(path)
    elif fmt == "parquet":
        back = pd.read_parquet(path)
    else:
        back = Table.read(path, format="fits" if fmt == "fits" else "votable").to_pandas()
    assert len(back) == 200 and list(back.columns) == [str(c) for c in table.columns]
    text = [v.decode() if isinstance(v, bytes) else str(v) for v in back["ID"]]  # FITS keeps text as ASCII bytes
    assert text == [str(v) for v in table["ID"]]
    probabilities = back[[c for c in back.columns if c.startswith("P_")]].to_numpy(dtype=float)
    assert np.allclose(probabilities.sum(axis=1), 1.0)


def test_values_the_run_marked_not_known_are_predicted_without_a_never_seen_note():
    raw = load_builtin("ogle3")
    frame = raw.frame.copy()
    frame.loc[::10, "Type"] = "unknown"
    rows = dataclasses.replace(raw, frame=frame)
    choices = CleaningChoices(target="Type", excluded=("ID",), unknown=("unknown",))
    values = FAMILIES["random_forest"].validate({**FAMILIES["random_forest"].defaults(), "n_estimators": 20})
    cleaned = apply_cleaning(rows, choices).dataset
    assert len(cleaned.frame) == len(frame) - len(frame[::10])  # not trained on
    result = run_training(TrainingSpec(dataset=cleaned, target="Type", preprocessing=PreprocessConfig(),
                                       family="random_forest", params=values, keep_model=True), LocalReporter())
    predicted = _predict(result.model_file.data, rows, choices)
    assert predicted.n_rows == len(frame) and predicted.n_evaluated == len(cleaned.frame)
    assert not any("never saw" in note for note in predicted.notes)
    assert "unknown" not in set(predicted.table[predicted.prediction_column])


def _shapes_zip(size: int = 24, per_class: int = 30) -> bytes:
    """A zip of two class folders of PNG drawings: discs and bars, at random places and sizes."""
    rng = np.random.default_rng(3)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for shape in ("disc", "bar"):
            for i in range(per_class):
                archive.writestr(f"{shape}/{i}.png", _drawing(shape, size, rng))
    return buffer.getvalue()


def _drawing(shape: str, size: int, rng) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    x, y, r = rng.integers(6, size - 6), rng.integers(6, size - 6), rng.integers(3, 6)
    if shape == "disc":
        draw.ellipse((x - r, y - r, x + r, y + r), fill="black")
    else:
        draw.rectangle((2, y - 1, size - 3, y + 1), fill="black")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_one_image_and_one_spectrum_are_classified_by_models_trained_on_many():
    from astropy.io import fits

    from mllab.io.single_objects import read_single_object
    from mllab.io.upload import read_upload

    images = read_upload("shapes.zip", _shapes_zip(), image_size=16)
    values = FAMILIES["random_forest"].validate({**FAMILIES["random_forest"].defaults(), "n_estimators": 50})
    run = run_training(TrainingSpec(dataset=images, target=images.target, preprocessing=PreprocessConfig(),
                                    family="random_forest", params=values, keep_model=True), LocalReporter())
    info = model_info(run.model_file.data)
    rng = np.random.default_rng(11)
    for shape in ("disc", "bar"):
        picture = read_single_object(f"new-{shape}.png", _drawing(shape, 24, rng), image_shape=info["image_shape"])
        assert picture.frame.shape == (1, 16 * 16) and picture.image_shape == (16, 16, 1)
        predicted = run_prediction(PredictionSpec(run.model_file.data, picture, family="random_forest"),
                                   LocalReporter())
        assert predicted.table[predicted.prediction_column].iloc[0] == shape
        assert predicted.table[predicted.probability_columns].iloc[0].max() > 0.5

    raw = load_builtin("stellar_spectra_simulated")
    scalars = tuple(c for c in load_builtin("stellar_spectra_simulated").frame.columns
                    if not c.startswith("flux_") and c != "spectral_type")
    choices = CleaningChoices(target="spectral_type", excluded=scalars)  # the spectrum alone
    spectra = apply_cleaning(raw, choices).dataset
    values = FAMILIES["random_forest"].validate({**FAMILIES["random_forest"].defaults(), "n_estimators": 60})
    run = run_training(TrainingSpec(dataset=spectra, target="spectral_type", preprocessing=PreprocessConfig(),
                                    family="random_forest", params=values, keep_model=True), LocalReporter())
    info = model_info(run.model_file.data)
    assert len(info["signal_columns"]) == len(info["signal_axis"]) == 500
    row = raw.frame.iloc[run.predictions.rows[0]]
    flux = row[[c for c in raw.frame.columns if c.startswith("flux_")]].to_numpy(dtype=float)
    # Written as a 1-D FITS image on a finer grid of its own, as another instrument would: resampled back.
    fine = np.linspace(raw.axis[0], raw.axis[-1], 1500)
    hdu = fits.PrimaryHDU(np.interp(fine, raw.axis, flux).astype(np.float32))
    hdu.header.update(CRVAL1=float(fine[0]), CDELT1=float(fine[1] - fine[0]), CRPIX1=1, CTYPE1="WAVE",
                      CUNIT1="Angstrom")
    out = io.BytesIO()
    hdu.writeto(out)
    spectrum = read_single_object("one_star.fits", out.getvalue(), signal_columns=info["signal_columns"],
                                  signal_axis=info["signal_axis"])
    assert spectrum.frame.shape == (1, 500) and "Resampled onto the model's 500 wavelengths" in spectrum.description
    predicted = run_prediction(PredictionSpec(run.model_file.data, spectrum, choices.as_dict(),
                                              family="random_forest"), LocalReporter())
    assert predicted.n_rows == 1 and predicted.table[predicted.prediction_column].iloc[0] == row["spectral_type"]
    with pytest.raises(DataError, match="covers .* less than half"):
        short = fits.PrimaryHDU(np.ones(50, dtype=np.float32))
        short.header.update(CRVAL1=9000.0, CDELT1=1.0, CRPIX1=1, CTYPE1="WAVE", CUNIT1="Angstrom")
        buffer = io.BytesIO()
        short.writeto(buffer)
        read_single_object("red_end.fits", buffer.getvalue(), signal_columns=info["signal_columns"],
                           signal_axis=info["signal_axis"])
