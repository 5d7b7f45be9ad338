"""The Predict page: mark a class as not known yet, train on the others, classify those rows with the
kept model, see the counts and how sure it is, download them; a refresh shows the prediction again;
rows the model cannot read get a sentence."""

from __future__ import annotations


from streamlit.testing.v1 import AppTest

from conftest import ROOT
from page_support import TIMEOUT, new_app, plotly_specs, predict_until_done, texts, train_until_done


def test_rows_whose_class_is_not_known_are_left_out_then_classified_and_kept_in_the_workspace(tmp_path, monkeypatch):
    from mllab.datasets.builtin import load_builtin

    # The deployment's shared folder holds a catalogue of stars to classify (no class column at all).
    monkeypatch.setenv("MLLAB_DATA_FOLDER", str(tmp_path))
    load_builtin("ogle3").frame.drop(columns=["Type"]).head(50).to_csv(tmp_path / "new_stars.csv", index=False)
    at = new_app()
    token = at.query_params["ws"]
    at.selectbox(key="builtin-choice").set_value("ogle3").run()
    unknown = at.multiselect(key="target-unknown")
    assert "RRLyr" in unknown.options
    unknown.select("RRLyr").run()
    notes = [w.value for w in at.warning]
    assert any("rows whose Type is not known yet (RRLyr) are left out of training" in n for n in notes), notes
    not_known = int(next(n for n in notes if "not known yet" in n).split()[0].replace(",", ""))
    at.switch_page("views/train.py").run()
    at.selectbox(key="family").set_value("random_forest").run()
    assert at.checkbox(key="keep-model").value is True  # kept by default, for this page
    at.button(key="train-button").click().run()
    train_until_done(at)

    # The run's "Model & settings" tab opens the Predict page with this run chosen.
    at.button(key="predict-with-1").click().run()
    # AppTest draws the page st.switch_page opens but runs the clicked page's script next: follow the switch.
    at.switch_page("views/predict.py").run()
    assert at.title[0].value == "Predict" and at.selectbox(key="predict-run").value == 1
    source = at.radio(key="predict-source")
    assert source.value == "not-known"
    assert f"The {not_known:,} rows of" in source.format_func("not-known")
    at.button(key="predict-button").click().run()
    predict_until_done(at)
    assert not at.error, [e.value for e in at.error]
    assert f"Predicted {not_known:,} rows with Run 1" in texts(at)
    specs = plotly_specs(at)
    counts = next(s for s in specs if s["layout"]["title"]["text"] == "Rows predicted in each class")
    assert "RRLyr" not in counts["data"][0]["y"]  # a class the model never learned is never predicted
    assert any(s["data"][0]["type"] == "histogram" for s in specs)  # how sure it is
    table = at.dataframe[0].value
    assert "ID" in table.columns and "predicted_Type" in table.columns
    assert table["Type"].eq("RRLyr").all()  # the rows' own columns carried along
    assert len(at.get("download_button")) == 4

    # A refresh (or the link on another device) shows the same prediction, read back from the store.
    again = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    again.query_params["ws"] = token
    again.run()
    again.switch_page("views/predict.py").run()
    assert f"Predicted {not_known:,} rows with Run 1" in texts(again)
    assert list(again.dataframe[0].value["ID"]) == list(table["ID"])

    # A file on the server: its 50 stars, with no class column, are predicted.
    at.radio(key="predict-source").set_value("server").run()
    assert at.selectbox(key="predict-server-file").value == "new_stars.csv"
    at.button(key="predict-button").click().run()
    predict_until_done(at)
    assert "Predicted 50 rows with Run 1" in texts(at) and not at.error

    # Rows without the model's columns: a sentence, and the prediction shown before stays.
    at.radio(key="predict-source").set_value("builtin").run()
    at.selectbox(key="predict-builtin").set_value("iris").run()
    at.button(key="predict-button").click().run()
    predict_until_done(at)
    assert any("lack 4 columns the model was trained on" in e.value for e in at.error)
    assert "Predicted 50 rows with Run 1" in texts(at)


def test_the_page_says_how_to_get_a_model_to_predict_with():
    at = new_app()
    at.switch_page("views/predict.py").run()
    assert not at.exception
    assert "No run has kept its trained model yet" in texts(at)
    # A run that did not keep its model is named as such, not offered.
    at.switch_page("views/train.py").run()
    at.checkbox(key="keep-model").uncheck().run()
    at.button(key="train-button").click().run()
    train_until_done(at)
    at.switch_page("views/predict.py").run()
    assert "No finished run of this workspace (1) kept its trained model" in texts(at)


def _digits_as_pngs(count: int = 60) -> tuple[bytes, list[str]]:
    """Built-in digits drawn as 32 × 32 PNG files (0–255, as a scanner writes them) in one folder per digit."""
    import io
    import zipfile

    import numpy as np
    from PIL import Image

    from mllab.datasets.builtin import load_builtin

    frame = load_builtin("digits").frame.sample(count, random_state=5)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i, (_, row) in enumerate(frame.iterrows()):
            pixels = (row.iloc[:64].to_numpy(dtype=float).reshape(8, 8) * 255 / 16).astype(np.uint8)
            out = io.BytesIO()
            Image.fromarray(pixels, "L").resize((32, 32), Image.Resampling.NEAREST).save(out, format="PNG")
            archive.writestr(f"{row['digit']}/{i}.png", out.getvalue())
    return buffer.getvalue(), [str(d) for d in frame["digit"]]


def test_image_files_are_read_at_the_models_size_and_scale_and_classified():
    at = new_app()  # the built-in digits: 8 × 8 images holding 0–16
    at.switch_page("views/train.py").run()
    at.selectbox(key="family").set_value("random_forest").run()
    at.button(key="train-button").click().run()
    train_until_done(at)
    at.switch_page("views/predict.py").run()
    at.radio(key="predict-source").set_value("upload").run()
    data, _ = _digits_as_pngs()
    at.file_uploader[0].set_value(("scanned_digits.zip", data, "application/zip")).run()
    assert not at.error, [e.value for e in at.error]
    at.button(key="predict-button").click().run()
    predict_until_done(at)
    assert not at.error, [e.value for e in at.error]
    assert "Predicted 60 rows with Run 1" in texts(at)
    assert any("scaled from 0–255 to the 0–16" in i.value for i in at.info)
    table = at.dataframe[0].value
    right = (table["predicted_digit"].astype(str) == table["label"].astype(str)).mean()
    assert right >= 0.85, f"only {right:.2f} of the scanned digits recognised"
