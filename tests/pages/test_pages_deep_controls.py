"""Train page: the deep-learning controls and the layer summary shown before training (AppTest)."""

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT

TIMEOUT = 120


def _train_page(dataset_key: str, family: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    at.selectbox(key="builtin-choice").set_value(dataset_key).run()
    at.switch_page("views/train.py").run()
    at.selectbox(key="family").set_value(family).run()
    assert not at.exception, at.exception
    return at


def _layer_table(at):
    tables = [d.value for d in at.dataframe if "Layer" in d.value.columns]
    assert len(tables) == 1
    return tables[0]


def _captions(at) -> list[str]:
    return [c.value for c in at.caption]


def test_mlp_layer_summary_appears_before_training_and_follows_the_hidden_layers():
    at = _train_page("pima", "mlp")
    table = _layer_table(at)
    assert list(table.columns) == ["Layer", "Type", "Output shape", "Parameters"]
    assert list(table["Layer"]) == ["dense_1", "dense_2", "output"]
    # The network fitted to Pima's 8 columns (mllab.models.mlp.data_defaults): 16-8-1.
    assert list(table["Parameters"]) == [144, 136, 9]
    assert any(c.startswith("Input 8 · **289 parameters**, 289 trained.") for c in _captions(at))
    assert [e.label for e in at.expander if e.label.startswith("Network layers")] == ["Network layers · 289 parameters"]

    at.text_input(key="hp-mlp-hidden_layers").set_value("32, 16, 8").run()
    table = _layer_table(at)
    assert list(table["Output shape"]) == ["32", "16", "8", "1"]
    assert list(table["Parameters"]) == [8 * 32 + 32, 32 * 16 + 16, 16 * 8 + 8, 9]
    at.checkbox(key="hp-mlp-batch_norm").check().run()
    table = _layer_table(at)
    assert list(table["Type"]).count("BatchNormalization") == 3
    assert any("not trained (the running means and variances of batch normalisation)" in c for c in _captions(at))

    at.text_input(key="hp-mlp-hidden_layers").set_value("twelve").run()
    assert not at.exception
    assert not [d for d in at.dataframe if "Layer" in d.value.columns]
    assert any(c.startswith("The layer summary appears once the settings are valid.") and
               "whole numbers separated by commas" in c for c in _captions(at))


def test_cnn_layer_summary_on_images_with_augmentation_and_no_augmentation_for_signals():
    at = _train_page("digits", "cnn")
    table = _layer_table(at)
    assert list(table["Type"][:2]) == ["Conv2D", "MaxPooling2D"]
    assert table["Output shape"].iloc[0] == "8 × 8 × 32"
    at.slider(key="hp-cnn-augment_rotation").set_value(15).run()
    at.selectbox(key="hp-cnn-augment_flip").set_value("horizontal").run()
    table = _layer_table(at)
    assert list(table["Layer"][:3]) == ["random_flip", "random_rotation", "conv_1"]
    assert list(table["Parameters"][:2]) == [0, 0]

    at.switch_page("views/data.py").run()
    at.selectbox(key="builtin-choice").set_value("stellar_spectra_simulated").run()
    at.switch_page("views/train.py").run()
    at.selectbox(key="family").set_value("cnn").run()
    assert not at.exception
    assert not [s for s in at.slider if s.label.startswith("Augmentation")]
    assert not [s for s in at.selectbox if s.label.startswith("Augmentation")]
    assert _layer_table(at)["Type"].iloc[0] == "Conv1D"


def test_sgd_only_and_schedule_settings_are_greyed_out_with_the_reason_until_they_apply():
    at = _train_page("iris", "mlp")
    momentum, nesterov = at.slider(key="hp-mlp-momentum"), at.checkbox(key="hp-mlp-nesterov")
    assert momentum.disabled and nesterov.disabled
    assert _captions(at).count("Used by SGD only; choose SGD as the optimiser to change it.") == 1
    assert at.slider(key="hp-mlp-lr_drop_every").disabled
    at.selectbox(key="hp-mlp-optimiser").set_value("sgd").run()
    assert not at.slider(key="hp-mlp-momentum").disabled and not at.checkbox(key="hp-mlp-nesterov").disabled
    assert "Used by SGD only; choose SGD as the optimiser to change it." not in _captions(at)
    at.slider(key="hp-mlp-momentum").set_value(0.5).run()
    # Greyed out and back again, the value the user chose is kept.
    at.selectbox(key="hp-mlp-optimiser").set_value("adam").run()
    at.selectbox(key="hp-mlp-optimiser").set_value("sgd").run()
    assert at.slider(key="hp-mlp-momentum").value == pytest.approx(0.5)
    at.selectbox(key="hp-mlp-lr_schedule").set_value("step").run()
    assert not at.slider(key="hp-mlp-lr_drop_every").disabled
    assert at.slider(key="hp-mlp-lr_decay_rate").disabled
    at.checkbox(key="hp-mlp-early_stopping").check().run()
    assert not at.slider(key="hp-mlp-patience").disabled
    assert "Early stopping will watch the validation loss." in _captions(at)
    at.slider(key="hp-mlp-validation_split").set_value(0.0).run()
    assert "Early stopping will watch the training loss, because the validation split is 0." in _captions(at)
