"""Page tests with Streamlit's AppTest: what a user sees after each interaction."""

import gzip
import io
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from mllab.datasets.model import markdown_escape

from conftest import ROOT
from idx_samples import fashion_idx
from page_support import UPLOAD, new_app, plotly_array, plotly_specs, regression_done, texts, train_until_done


def test_data_page_opens_on_built_in_data_with_description_and_class_balance():
    at = new_app()
    assert not at.exception
    assert at.selectbox(key="builtin-choice").value == "digits"
    assert "Handwritten digits" in texts(at) or "digits" in texts(at).lower()
    assert any(m.label == "Rows" and m.value == "1,797" for m in at.metric)
    assert any(s["data"][0]["type"] == "bar" for s in plotly_specs(at))


def test_a_cold_start_draws_the_data_page_without_importing_scikit_learn_or_tensorflow():
    # Importing scikit-learn (scipy with it) took 1.8 s of a cold start's first page, for the default
    # digits, which the page now reads from scikit-learn's file without importing the package.
    code = ("import os, sys; from streamlit.testing.v1 import AppTest; "
            f"at = AppTest.from_file({str(ROOT / 'app.py')!r}, default_timeout=120).run(); "
            "bad = [m for m in ('sklearn', 'scipy', 'tensorflow', 'keras') if m in sys.modules]; "
            "print('exceptions', len(at.exception), 'imported', bad, flush=True); "
            "os._exit(1 if bad or at.exception else 0)")  # no wait for the engine's start at exit
    env = {**os.environ, "MLLAB_SCHEDULER_ADDRESS": "tcp://127.0.0.1:9"}  # no local cluster: nothing listens there
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "exceptions 0 imported []" in result.stdout


def test_choosing_another_built_in_dataset_shows_its_citation():
    at = new_app()
    at.selectbox(key="builtin-choice").set_value("ogle3").run()
    assert "Udalski" in texts(at)
    assert at.session_state.target == "Type"
    balance = next(s for s in plotly_specs(at) if s["data"][0]["type"] == "bar")
    assert len(balance["data"][0]["x"] if balance["data"][0].get("orientation") != "h" else
               balance["data"][0]["y"]) >= 6


@pytest.mark.parametrize("content,expected", [
    (b"", "empty"),
    (b"\x00\x01\x02\xff" * 200, "not"),
])
def test_bad_uploads_give_a_message_and_keep_the_previous_dataset(content, expected):
    at = new_app()
    at.selectbox(key="builtin-choice").set_value("iris").run()
    at.radio(key="data-source").set_value(UPLOAD).run()
    at.file_uploader[0].set_value(("bad.csv", content, "text/csv"))
    at.run()
    assert not at.exception
    messages = " ".join(e.value for e in at.error).lower()
    assert expected in messages, messages
    assert "Still using the previous dataset: Iris" in texts(at)
    assert at.session_state.dataset.name.lower().startswith("iris")


def test_a_target_with_one_class_is_explained_and_train_is_not_offered():
    at = new_app()
    at.radio(key="data-source").set_value(UPLOAD).run()
    at.file_uploader[0].set_value(("one.csv", b"a,b\n1,x\n2,x\n3,x\n4,x\n", "text/csv"))
    at.run()
    at.selectbox(key="target-one.csv").set_value("b").run()
    assert not at.exception
    assert "only one class" in " ".join(e.value for e in at.error)
    at.switch_page("views/train.py").run()
    assert "only one class" in " ".join(e.value for e in at.error)
    assert not at.button


def test_a_good_upload_becomes_the_dataset():
    csv = "mag,colour,cls\n" + "".join(f"{10 + i % 7},{i % 3 * 0.5},{'A' if i % 2 else 'B'}\n" for i in range(60))
    at = new_app()
    at.radio(key="data-source").set_value(UPLOAD).run()
    at.file_uploader[0].set_value(("stars.csv", csv.encode(), "text/csv"))
    at.run()
    assert not at.exception
    assert at.session_state.dataset.name == "stars.csv"
    assert any(m.label == "Rows" and m.value == "60" for m in at.metric)


def test_mnist_files_chosen_together_become_one_image_dataset_and_a_file_chosen_next_is_read_alone():
    data = ROOT / "mllab" / "datasets" / "files"
    pair = [(f"train-{kind}-idx{d}-ubyte.gz", (data / f"fashion_mnist_subset-{kind}-idx{d}-ubyte.gz").read_bytes(),
             "application/gzip") for kind, d in (("images", 3), ("labels", 1))]
    at = new_app()
    at.radio(key="data-source").set_value(UPLOAD).run()
    assert at.file_uploader[0].accept_multiple_files
    at.file_uploader[0].set_value(pair).run()
    assert not at.exception and not at.error
    dataset = at.session_state["raw-dataset"]
    assert dataset.name == "train-images-idx3-ubyte.gz and 1 other file" and dataset.kind == "image"
    assert any(m.label == "Rows" and m.value == "10,000" for m in at.metric)
    assert at.session_state.target == "label"
    # The uploader keeps every file chosen: a CSV picked next is the file meant, and the page says so.
    csv = "mag,cls\n" + "".join(f"{i % 9},{'A' if i % 2 else 'B'}\n" for i in range(40))
    at.file_uploader[0].set_value([*pair, ("stars.csv", csv.encode(), "text/csv")]).run()
    assert not at.exception and not at.error
    note = " ".join(w.value for w in at.warning)
    assert "3 files are chosen" in note and "reads the one chosen last, 'stars.csv'" in note and "✕" in note
    assert at.session_state["raw-dataset"].name == "stars.csv"
    assert any(m.label == "Rows" and m.value == "40" for m in at.metric)


def test_idx_files_chosen_after_others_of_the_same_names_are_the_dataset_with_a_note():
    # A lecturer picks Fashion-MNIST's files, then MNIST's, which have the same names.
    data = ROOT / "mllab" / "datasets" / "files"
    first = [(f"train-{kind}-idx{d}-ubyte.gz", (data / f"fashion_mnist_subset-{kind}-idx{d}-ubyte.gz").read_bytes(),
              "application/gzip") for kind, d in (("images", 3), ("labels", 1))]
    images, labels, _, _ = fashion_idx(300)
    later = [(name, gzip.compress(content), kind) for (name, _, kind), content in zip(first, (images, labels))]
    at = new_app()
    at.radio(key="data-source").set_value(UPLOAD).run()
    at.file_uploader[0].set_value([*first, *later]).run()
    assert not at.exception and not at.error
    note = " ".join(w.value for w in at.warning)
    assert "2 files chosen earlier have the same name as a file chosen later" in note and "✕" in note
    assert any(m.label == "Rows" and m.value == "300" for m in at.metric)
    assert at.session_state["raw-dataset"].kind == "image"


def test_train_page_without_data_points_to_the_data_page():
    at = new_app()
    at.session_state["dataset"] = None  # as on a deep link to /Train in a new browser session
    at.switch_page("views/train.py").run()
    assert not at.exception
    assert "Choose a dataset" in texts(at)
    assert not at.button


def test_train_a_forest_see_curves_and_evaluation_then_compare_in_runs():
    at = new_app()
    at.selectbox(key="builtin-choice").set_value("iris").run()
    at.switch_page("views/train.py").run()
    assert not at.exception
    at.selectbox(key="family").set_value("random_forest").run()
    # Sliders come from the schema: the forest's number of trees is one of them.
    at.slider(key="hp-random_forest-n_estimators").set_value(50).run()
    at.button(key="train-button").click().run()
    train_until_done(at)
    accuracy = next(m for m in at.metric if m.label == "Test accuracy")
    assert float(accuracy.value) >= 0.85
    titles = [s["layout"]["title"]["text"] for s in plotly_specs(at)]
    assert any("Error rate" in t for t in titles) and any("Confusion" in t or "confusion" in t for t in titles)
    assert any("ROC" in t for t in titles)
    at.slider(key="hp-random_forest-n_estimators").set_value(300).run()
    at.switch_page("views/runs.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["Run"]) == ["Run 1"] and table["Model"][0] == "Random forest"
    assert table["Test accuracy"][0] >= 0.85
    # Reopening the run puts its settings back on the Train page.
    at.button(key="reopen-settings").click().run()
    assert not at.exception
    assert at.slider(key="hp-random_forest-n_estimators").value == 50


def test_invalid_hyperparameters_give_a_message_not_a_traceback():
    at = new_app()
    at.selectbox(key="builtin-choice").set_value("pima").run()
    at.switch_page("views/train.py").run()
    at.selectbox(key="family").set_value("mlp").run()
    at.text_input(key="hp-mlp-hidden_layers").set_value("twelve").run()
    at.button(key="train-button").click().run()
    assert not at.exception
    assert "whole numbers separated by commas" in " ".join(e.value for e in at.error)


def test_switching_from_an_image_dataset_to_a_table_drops_the_cnn_choice():
    at = new_app()
    at.switch_page("views/train.py").run()
    at.selectbox(key="family").set_value("cnn").run()
    assert any("Convolution blocks" == s.label for s in at.slider)
    at.switch_page("views/data.py").run()
    at.selectbox(key="builtin-choice").set_value("wine").run()
    at.switch_page("views/train.py").run()
    assert not at.exception
    assert at.selectbox(key="family").options == ["Random forest", "Logistic regression", "MLP (neural network)",
                                                  "k-nearest neighbours", "Support vector machine",
                                                  "Gaussian naive Bayes", "Decision tree", "Gradient boosting"]
    assert at.selectbox(key="family").value in ("random_forest", "logistic_regression", "mlp")


# ---- uploads of every kind, bad ones included --------------------------------------------------


def _unescaped(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _upload(at, name: str, data: bytes):
    if at.radio(key="data-source").value != UPLOAD:
        at.radio(key="data-source").set_value(UPLOAD).run()
    at.file_uploader[0].set_value((name, data, "application/octet-stream"))
    return at.run()


def test_every_bad_input_gives_a_plain_message_and_keeps_the_previous_dataset():
    import bad_inputs

    at = new_app()
    at.selectbox(key="builtin-choice").set_value("iris").run()
    at.radio(key="data-source").set_value(UPLOAD).run()
    # The uploader takes any file, so every file gets mllab's own sentence, not the browser's refusal.
    assert not at.file_uploader[0].allowed_type
    checked = 0
    ids = set()
    for case in bad_inputs.cases():
        ids.add(case.id)
        previous = at.session_state["raw-dataset"]
        _upload(at, case.filename, case.data)
        assert not at.exception, (case.id, at.exception)
        current = at.session_state["raw-dataset"]
        if case.expect == "error" and not case.kwargs:
            messages = [e.value for e in at.error]
            assert messages and all(m.strip() for m in messages), case.id
            assert "Traceback" not in " ".join(messages), case.id
            assert current is previous, case.id
            assert at.session_state.dataset.name == previous.name, case.id
            assert f"Still using the previous dataset: {markdown_escape(previous.name)}" in texts(at), case.id
        else:
            # Loads (a bad target choice, if any, is a message on the page, not an exception).
            assert current.name == case.filename, case.id
        checked += 1
    assert checked >= 70
    assert {"unknown-extension-binary", "arff-malformed", "arff-weather"} <= ids


def _catalogue_csv() -> bytes:
    rng = np.random.default_rng(0)
    rows = ["ID,RAJ2000,DEJ2000,I,V,P_1,Type"]
    for i in range(80):
        kind = "RRLyr" if i % 2 else "Cep"
        period = rng.uniform(0.3, 0.8) if kind == "RRLyr" else rng.uniform(3, 30)
        i_mag = rng.uniform(14, 19)
        v_mag = -99.99 if i % 16 == 3 else i_mag + rng.uniform(0.3, 1.0)
        label = "" if i in (10, 11) else kind
        rows.append(f"OGLE-LMC-{i:05d},{rng.uniform(70, 90):.5f},{rng.uniform(-72, -65):.5f},{i_mag:.3f},"
                    f"{v_mag:.3f},{period:.5f},{label}")
    return ("\n".join(rows) + "\n").encode()


def test_catalogue_cleaning_markers_identifiers_new_columns_and_the_train_page_sees_them():
    at = _upload(new_app(), "ogle.csv", _catalogue_csv())
    assert not at.exception and not at.error
    assert at.session_state.target == "Type"
    marker = next(c for c in at.checkbox if "-99.99" in _unescaped(c.label))
    assert _unescaped(marker.label) == ("Column V has 5 values of -99.99, which look like a 'missing' marker — "
                                        "treat as missing?")
    assert marker.value is True
    used = at.session_state.dataset.frame
    assert used["V"].isna().sum() == 5 and (used["V"] > 0).all() is not True
    assert at.multiselect(key="clean-excluded").value == ["ID", "RAJ2000", "DEJ2000"]
    assert not {"ID", "RAJ2000", "DEJ2000"} & set(used.columns)
    assert "2 rows with no value in the target column Type were left out." in [w.value for w in at.warning]
    assert len(used) == 78

    marker.uncheck().run()
    assert (at.session_state.dataset.frame["V"] == -99.99).sum() == 5
    marker = next(c for c in at.checkbox if "-99.99" in _unescaped(c.label))
    marker.check().run()

    at.text_input(key="clean-derived-name").input("V_minus_I")
    at.text_input(key="clean-derived-expr").input("V - Imag")
    at.button(key="clean-derived-add").click().run()
    assert "There is no column called Imag" in " ".join(e.value for e in at.error)
    assert "V_minus_I" not in at.session_state.dataset.frame
    at.text_input(key="clean-derived-expr").input("V - I")
    at.button(key="clean-derived-add").click().run()
    at.text_input(key="clean-derived-name").input("logP")
    at.text_input(key="clean-derived-expr").input("log10(`P_1`)")
    at.button(key="clean-derived-add").click().run()
    assert not at.exception and not at.error
    used = at.session_state.dataset.frame
    assert used["V_minus_I"].isna().sum() == 5
    np.testing.assert_allclose(used["logP"], np.log10(used["P_1"]))
    at.multiselect(key="clean-excluded").select("P_1").run()
    assert "P_1" not in at.session_state.dataset.frame

    at.switch_page("views/train.py").run()
    assert not at.exception
    assert "78 rows" in texts(at)
    dataset = at.session_state.dataset
    assert dataset.feature_columns("Type") == ["I", "V", "V_minus_I", "logP"]
    at.selectbox(key="family").set_value("logistic_regression").run()
    at.button(key="train-button").click().run()
    train_until_done(at)
    assert float(next(m for m in at.metric if m.label == "Test accuracy").value) >= 0.8
    # Back on the Data page, the choices are as they were left.
    at.switch_page("views/data.py").run()
    assert not at.exception
    assert at.multiselect(key="clean-excluded").value == ["ID", "RAJ2000", "DEJ2000", "P_1"]
    assert list(at.session_state.dataset.frame.columns) == ["I", "V", "Type", "V_minus_I", "logP"]


def _spectra_fits(n: int = 24, m: int = 300) -> bytes:
    from astropy.table import Table

    rng = np.random.default_rng(2)
    loglam = 3.58 + 1e-3 * np.arange(m)
    wave = 10 ** loglam
    classes = np.array(["STAR", "GALAXY", "QSO"])[np.arange(n) % 3]
    flux = rng.normal(0, 0.1, (n, m)) + np.where(classes[:, None] == "QSO", np.exp(-((wave - 5000) / 40) ** 2), 0)
    buffer = io.BytesIO()
    Table({"FLUX": flux.astype(">f4"), "LOGLAM": np.tile(loglam, (n, 1)), "OBJID": np.arange(n) + 10_000,
           "CLASS": classes}).write(buffer, format="fits")
    return buffer.getvalue()


def test_fits_spectra_are_drawn_against_wavelength_with_the_class_as_target():
    at = _upload(new_app(), "spectra.fits", _spectra_fits())
    assert not at.exception and not at.error
    assert at.session_state.target == "CLASS"
    assert at.checkbox(key="clean-signal").value is True
    assert at.multiselect(key="clean-excluded").value == ["OBJID"]
    spectra = next(s for s in plotly_specs(at) if s["layout"]["title"]["text"].startswith("Sample spectra"))
    assert "wavelength" in spectra["layout"]["xaxis"]["title"]["text"]
    assert {t["name"] for t in spectra["data"]} == {"GALAXY", "QSO", "STAR"}
    assert len(spectra["data"]) == 9  # three per class
    assert at.session_state.dataset.feature_columns("CLASS") == [f"flux_{i:04d}" for i in range(300)]
    assert any("Showing 30 of 301 columns" in c.value for c in at.caption)


def test_images_show_a_grid_and_no_signal_choice():
    at = new_app()
    assert at.session_state.dataset.kind == "image"
    assert not [c for c in at.checkbox if "ordered signal" in c.label]
    assert any(s["layout"]["title"]["text"].startswith("Sample images") for s in plotly_specs(at))


def test_exploration_tabs_show_statistics_histogram_missing_values_correlations_and_pca():
    at = new_app()
    at.selectbox(key="builtin-choice").set_value("ogle3").run()
    numbers, text = at.dataframe[1].value, at.dataframe[2].value
    assert {"Column", "Mean", "Std", "Min", "25%", "Median", "75%", "Max", "Missing"} <= set(numbers.columns)
    assert list(numbers["Column"]) == ["log_P", "I_mag", "V_minus_I", "amplitude_I"]  # ID is left out
    assert list(text["Column"]) == ["Type"] and text["Most common"][0] == "Cep (2,000)"
    titles = {}
    for tab in ("Histogram", "Missing values", "Correlations", "PCA map"):
        at.session_state["explore-tab"] = tab
        at.run()
        assert not at.exception, tab
        titles[tab] = [s["layout"]["title"]["text"] for s in plotly_specs(at)]
    assert "Distribution of log_P by class" in titles["Histogram"]
    assert any("principal components" in t for t in titles["PCA map"])
    assert "Correlation between features" in titles["Correlations"]
    at.session_state["explore-tab"] = "Histogram"
    at.run()
    at.radio(key="explore-histogram-share").set_value("Share of each class").run()
    histogram = next(s for s in plotly_specs(at) if s["layout"]["title"]["text"].startswith("Distribution"))
    assert histogram["layout"]["yaxis"]["title"]["text"].startswith("Share")
    at.session_state["explore-tab"] = "Missing values"
    at.run()
    assert any("No missing values" in s.value for s in at.success)


def test_server_folder_is_off_by_default_and_lists_and_reads_only_its_own_files(tmp_path, monkeypatch):
    monkeypatch.delenv("MLLAB_DATA_FOLDER", raising=False)
    at = new_app()
    assert "File on the server" not in at.radio(key="data-source").options

    shared = tmp_path / "shared"
    (shared / "lmc").mkdir(parents=True)
    (shared / "lmc" / "ogle.csv").write_bytes(_catalogue_csv())
    (shared / "notes.docx").write_bytes(b"not data")
    (shared / ".hidden.csv").write_bytes(_catalogue_csv())
    (tmp_path / "secret.csv").write_text("a,b\n1,2\n3,4\n")
    (shared / "link.csv").symlink_to(tmp_path / "secret.csv")
    monkeypatch.setenv("MLLAB_DATA_FOLDER", str(shared))
    at = new_app()
    at.radio(key="data-source").set_value("File on the server").run()
    assert at.selectbox(key="server-file").options == ["lmc/ogle.csv  (0.0 MB)"]
    at.button(key="server-load").click().run()
    assert not at.exception and not at.error
    assert at.session_state["raw-dataset"].name == "lmc/ogle.csv"
    assert at.session_state.target == "Type"
    # A name that is not in the list is never read, even if a request carries one.
    at.session_state["server-request"] = "../secret.csv"
    at.run()
    assert at.session_state["raw-dataset"].name == "lmc/ogle.csv"


def test_a_value_chosen_by_hand_becomes_missing_like_the_zeros_of_pima():
    at = new_app()
    at.selectbox(key="builtin-choice").set_value("pima").run()
    assert not [c for c in at.checkbox if "marker" in c.label]   # nothing looks like a catalogue marker
    at.selectbox(key="clean-marker-column").set_value("Insulin").run()
    at.text_input(key="clean-marker-value").input("zero")
    at.button(key="clean-marker-add").click().run()
    assert "'zero' is not a number" in " ".join(e.value for e in at.error)
    at.text_input(key="clean-marker-value").input("-1")
    at.button(key="clean-marker-add").click().run()
    assert "has no value -1, so nothing changes" in _unescaped(" ".join(w.value for w in at.warning))
    at.text_input(key="clean-marker-value").input("0")
    at.button(key="clean-marker-add").click().run()
    assert not at.exception and not at.error
    box = next(c for c in at.checkbox if _unescaped(c.label).startswith("Column Insulin: treat its 374 values of 0"))
    assert box.value is True
    assert at.session_state.dataset.frame["Insulin"].isna().sum() == 374
    assert at.text_input(key="clean-marker-value").value == ""
    box.uncheck().run()
    assert at.session_state.dataset.frame["Insulin"].isna().sum() == 0


def test_sdss_photo_z_regression_forest_shows_r2_nmad_and_predicted_against_true():
    at = new_app()
    at.selectbox(key="builtin-choice").set_value("sdss_mgs").run()
    assert not at.exception
    name = at.session_state.dataset.name
    # The built-in says its target is a redshift: regression and the redshift box come ticked.
    assert at.radio(key=f"task-{name}-redshift").value == "regression"
    assert at.checkbox(key=f"redshift-{name}-redshift").value is True
    assert any(m.label == "Target range" for m in at.metric)
    assert any(s["layout"]["title"]["text"].startswith("Distribution of the target") for s in plotly_specs(at))
    at.switch_page("views/train.py").run()
    assert not at.exception
    families = at.selectbox(key="family").options
    assert "Logistic regression" not in families and "Linear / ridge regression" in families
    at.selectbox(key="family").set_value("random_forest").run()
    # Class weight means nothing to a regression: hidden, and the page says why.
    assert not [s for s in at.selectbox if s.key == "hp-random_forest-class_weight"]
    assert "Not used for regression: Class weight" in texts(at)
    at.slider(key="hp-random_forest-n_estimators").set_value(50).run()
    at.button(key="train-button").click().run()
    regression_done(at)
    metrics = {m.label: m.value for m in at.metric}
    assert float(metrics["R²"]) >= 0.8
    assert float(metrics["NMAD"]) <= 0.015
    specs = plotly_specs(at)
    scatter = next(s for s in specs if s["layout"]["title"]["text"].startswith("Predicted against true redshift"))
    names = [trace.get("name") for trace in scatter["data"]]
    assert names[:2] == ["Test rows", "Perfect prediction (y = x)"]
    true, predicted = plotly_array(scatter["data"][0]["x"]), plotly_array(scatter["data"][0]["y"])
    assert len(true) == len(predicted) == 2000  # every test row of the 10,000 galaxies at a 0.2 test fraction
    assert 0.0 <= true.min() and true.max() <= 0.31 and np.corrcoef(true, predicted)[0, 1] > 0.9
    titles = [s["layout"]["title"]["text"] for s in specs]
    assert "Mean squared error" in titles and "Mean absolute error" in titles
    assert any(t.startswith("Scaled error Δz/(1+z)") for t in titles)
    at.switch_page("views/runs.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert table["Task"][0] == "Regression" and "Test accuracy" not in table.columns
    assert table["R²"][0] >= 0.8 and table["NMAD"][0] <= 0.015
    # Reopening the run shows its regression charts again, and its settings go back to the Train page.
    assert any(m.label == "NMAD" for m in at.metric)
    at.button(key="reopen-settings").click().run()
    assert not at.exception
    assert at.slider(key="hp-random_forest-n_estimators").value == 50
    assert "task **regression** (a redshift)" in texts(at)


def test_a_numeric_upload_target_is_offered_as_regression_and_the_user_can_override_it():
    rng = np.random.default_rng(0)
    area = rng.uniform(30, 200, 120)
    rooms = rng.integers(1, 6, 120)
    price = 2.5 * area + 10 * rooms + rng.normal(0, 5, 120)
    csv = "area,rooms,price\n" + "".join(f"{a:.1f},{r},{p:.2f}\n" for a, r, p in zip(area, rooms, price))
    at = new_app()
    at.radio(key="data-source").set_value(UPLOAD).run()
    at.file_uploader[0].set_value(("flats.csv", csv.encode(), "text/csv"))
    at.run()
    at.selectbox(key="target-flats.csv").set_value("price").run()
    assert not at.exception
    task = at.radio(key="task-flats.csv-price")
    assert task.value == "regression"  # 120 different decimal prices: a number to predict
    assert not [c for c in at.checkbox if c.key == "redshift-flats.csv-price" and c.value]  # not a redshift
    # The user says it is classification: the page explains why that cannot work, and Train is not offered.
    task.set_value("classification").run()
    assert "Choose Regression as the task" in " ".join(e.value for e in at.error)
    at.switch_page("views/train.py").run()
    assert "Choose Regression as the task" in " ".join(e.value for e in at.error)
    assert not at.button
    at.switch_page("views/data.py").run()
    # The choice survived the visit to the Train page; back to regression.
    assert at.radio(key="task-flats.csv-price").value == "classification"
    at.radio(key="task-flats.csv-price").set_value("regression").run()
    at.switch_page("views/train.py").run()
    at.selectbox(key="family").set_value("linear_regression").run()
    # Ordinary least squares: price is a straight line in area and rooms plus noise.
    at.slider(key="hp-linear_regression-alpha").set_value(0.0).run()
    at.button(key="train-button").click().run()
    regression_done(at)
    metrics = {m.label: m.value for m in at.metric}
    assert float(metrics["R²"]) >= 0.95 and "NMAD" not in metrics
    assert any("Ordinary least squares" in i.value for i in at.info)
    titles = [s["layout"]["title"]["text"] for s in plotly_specs(at)]
    assert "Residuals against true price" in titles


def test_a_second_session_on_the_same_data_draws_the_same_first_page():
    # The class balance, sample images and preview are built once for every session (ui/state/loading.py's
    # shared caches): a new session must still see exactly what the first one saw.
    from mllab.datasets import load_builtin

    first, second = new_app(), new_app()
    assert not first.exception and not second.exception
    assert plotly_specs(second) == plotly_specs(first)
    assert [s["data"][0]["type"] for s in plotly_specs(second)] == ["bar", "heatmap"]
    frame = load_builtin("digits").frame
    expected = frame[list(frame.columns[:29]) + ["digit"]].head(200)  # the first columns and the target
    for at in (first, second):
        shown = at.dataframe[0].value
        assert list(shown.columns) == list(expected.columns)
        assert list(shown.index) == list(range(200))
        assert (shown.to_numpy() == expected.to_numpy()).all()
