"""Predictions written back for an astronomer: an integer class stays an integer column in FITS and VOTable,
the name given to the class sits beside it, the FITS extension is named, and both files say which run, model,
date, test figures and mllab version made them."""

from __future__ import annotations

import dataclasses
import io

import numpy as np
import pandas as pd
import pytest

from mllab import __version__
from mllab.datasets import Dataset
from mllab.io.table_writers import EXTNAME, Provenance, table_bytes
from mllab.models import FAMILIES
from mllab.prepare.cleaning import CleaningChoices, apply_cleaning
from mllab.prepare.preprocessing import PreprocessConfig
from mllab.training import LocalReporter, TrainingSpec, run_training
from mllab.training.prediction import PredictionSpec, run_prediction

LABELS = (("1", "red clump"), ("0", "first-ascent giant"))


@pytest.fixture(scope="module")
def predicted():
    """A small catalogue whose integer class `clump` is -1 ("not known yet") for 30 stars: a forest trained on
    the others with the classes named, then those 30 predicted."""
    rng = np.random.default_rng(3)
    numax = rng.uniform(20, 80, 150)
    clump = (numax > 50).astype(np.int64)
    clump[:30] = -1
    raw = Dataset(name="stars.fits", frame=pd.DataFrame({"KIC": np.arange(1000, 1150), "numax": numax,
                                                          "dnu": numax / 10 + rng.normal(0, 0.1, 150),
                                                          "clump": clump}), target="clump", source="upload")
    choices = CleaningChoices(target="clump", excluded=("KIC",), unknown=("-1",), class_labels=LABELS)
    family = FAMILIES["random_forest"]
    spec = TrainingSpec(dataset=apply_cleaning(raw, choices).dataset, target="clump", preprocessing=PreprocessConfig(),
                        family="random_forest", params=family.validate({**family.defaults(), "n_estimators": 10}),
                        keep_model=True)
    run = run_training(spec, LocalReporter())
    rows = dataclasses.replace(raw, frame=raw.frame.head(30))
    result = run_prediction(PredictionSpec(model_zip=run.model_file.data, rows=rows, cleaning=choices.as_dict(),
                                           family="random_forest"), LocalReporter())
    provenance = Provenance(run="Run 2", model=family.label, target="clump", created="2026-12-07T23:50:00+00:00",
                            dataset="stars.fits", rows="The 30 rows whose clump is not known", n_test=run.n_test,
                            test_figures={"accuracy": run.evaluation.accuracy, "roc_auc": run.evaluation.roc_auc},
                            class_labels=LABELS)
    return run, result, provenance


def test_the_class_is_named_in_training_and_the_prediction_keeps_the_data_type(predicted):
    run, result, _ = predicted
    assert run.evaluation.class_names == ["first-ascent giant", "red clump"]  # 0 then 1, named
    table = result.table
    assert list(table.columns[:3]) == ["predicted_clump", "predicted_clump_name", "predicted_clump_probability"]
    assert table["predicted_clump"].dtype == np.int64
    named = dict(zip(table["predicted_clump"], table["predicted_clump_name"]))
    assert named == {1: "red clump", 0: "first-ascent giant"}
    assert list(table["KIC"]) == list(range(1000, 1030))  # the rows' own columns follow


def test_the_fits_file_has_an_integer_class_a_named_extension_and_provenance_cards(predicted):
    from astropy.io import fits
    from astropy.table import Table

    run, result, provenance = predicted
    data = table_bytes(result.table, "fits", provenance)
    with fits.open(io.BytesIO(data)) as hdus:
        header = hdus[EXTNAME].header
        assert header["EXTNAME"] == "PREDICTIONS"
        assert header["MLRUN"] == "Run 2" and header["MLMODEL"] == "Random forest"
        assert header["MLTARGET"] == "clump" and header["MLDATA"] == "stars.fits"
        assert header["MLLABVER"] == __version__ and header["DATE"] == "2026-12-07T23:50:00"
        assert header["TESTACC"] == pytest.approx(run.evaluation.accuracy)
        assert header["TESTAUC"] == pytest.approx(run.evaluation.roc_auc)
        assert header["TESTROWS"] == run.n_test
        history = " ".join(str(line) for line in header["HISTORY"])
        assert "Predicted by mllab" in history and "Class 1 is called red clump." in history
    table = Table.read(io.BytesIO(data), hdu=EXTNAME)
    assert table["predicted_clump"].dtype.kind == "i"
    assert list(table["predicted_clump"]) == list(result.table["predicted_clump"])
    assert [str(v) for v in table["predicted_clump_name"]] == list(result.table["predicted_clump_name"])


def test_the_votable_has_an_integer_class_and_the_provenance_as_params(predicted):
    from astropy.io.votable import parse

    run, result, provenance = predicted
    votable = parse(io.BytesIO(table_bytes(result.table, "votable", provenance))).get_first_table()
    assert votable.ID == "predictions"
    assert votable.array["predicted_clump"].dtype.kind == "i"
    params = {p.name: p.value for p in votable.params}
    assert params["run"] == "Run 2" and params["model"] == "Random forest" and params["target"] == "clump"
    assert params["mllab_version"] == __version__ and params["date"] == "2026-12-07T23:50:00+00:00"
    assert params["test_accuracy"] == pytest.approx(run.evaluation.accuracy)
    assert params["test_rows"] == run.n_test
    assert "Class 1 is called red clump." in " ".join(votable.description.split())  # the writer wraps lines


def test_a_name_fits_cannot_hold_is_written_in_ascii_not_refused():
    from astropy.table import Table

    frame = pd.DataFrame({"predicted_class": np.array([1, 2]), "predicted_class_name": ["étoile géante", "星"]})
    provenance = Provenance(run="Run 1", model="Random forest", target="class", created="2026-12-07T00:00:00+00:00",
                            class_labels=(("1", "étoile géante"),))
    table = Table.read(io.BytesIO(table_bytes(frame, "fits", provenance)), hdu=EXTNAME)
    assert [str(v) for v in table["predicted_class_name"]] == ["etoile geante", "?"]
