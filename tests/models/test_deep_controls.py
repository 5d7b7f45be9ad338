"""Deep-learning controls of the MLP and CNN: each setting is declared, validated, and changes the
model or the fit as it says; the layer summary worked out without TensorFlow matches Keras's own."""

import math
import re
import subprocess
import sys

import numpy as np
import pytest

from mllab.datasets.builtin import load_builtin
from mllab.errors import ParamError
from mllab.models import FAMILIES
from mllab.models.base import DataInfo, Device
from mllab.models.keras_common import learning_rate_at
from mllab.models.summary import summarise
from mllab.params import is_active
from mllab.prepare.preprocessing import PreprocessConfig, prepare
from mllab.training.holdout import run_training
from mllab.training.spec import LocalReporter, TrainingSpec, validate_spec

from conftest import ROOT

TABLE = DataInfo(kind="table", n_features=8, n_classes=2)
DIGITS = DataInfo(kind="image", n_features=64, n_classes=10, image_shape=(8, 8, 1))
SPECTRA = DataInfo(kind="signal", n_features=120, n_classes=3)
DEEP = [FAMILIES["mlp"], FAMILIES["cnn"]]


def _spec(dataset_key, family, params, **preprocessing):
    dataset = load_builtin(dataset_key)
    return validate_spec(TrainingSpec(dataset=dataset, target=dataset.target,
                                      preprocessing=PreprocessConfig(**preprocessing), family=family, params=params))


def _fit(spec):
    """Train as a worker does and return (test probabilities, history, outcome notes, prepared data)."""
    data = prepare(spec.dataset.frame, spec.target, spec.feature_columns(), spec.preprocessing)
    from mllab.training.spec import data_info

    reporter = LocalReporter()
    outcome = FAMILIES[spec.family].train(spec.params, data, data_info(spec), reporter, Device(), spec.seed)
    return outcome.test_proba, reporter.history, outcome.notes, data


# ---- the schema ---------------------------------------------------------------------------------


@pytest.mark.parametrize("family", DEEP, ids=lambda f: f.key)
def test_every_applies_when_looks_at_an_earlier_setting_with_a_valid_value(family):
    # The page draws settings in order and greys one out from the values drawn above it.
    seen = {}
    for param in family.params:
        condition = param.applies_when
        if condition is not None:
            assert condition.setting in seen, (param.name, condition.setting)
            controlling = seen[condition.setting]
            for value in condition.values:
                assert controlling.validate(value) == value
            assert condition.reason.endswith(".")
        seen[param.name] = param


@pytest.mark.parametrize("family", DEEP, ids=lambda f: f.key)
def test_both_families_offer_the_deep_learning_controls(family):
    names = {p.name for p in family.params}
    assert {"optimiser", "learning_rate", "momentum", "nesterov", "lr_schedule", "lr_drop_factor", "lr_drop_every",
            "lr_decay_rate", "initialiser", "l1", "l2", "dropout", "batch_norm", "early_stopping", "patience",
            "restore_best", "class_weight", "validation_split"} <= names
    params = {p.name: p for p in family.params}
    assert set(params["optimiser"].options) == {"sgd", "rmsprop", "adam", "adagrad"}
    assert set(params["lr_schedule"].options) == {"constant", "step", "exponential", "cosine"}
    assert set(params["initialiser"].options) == {"glorot_uniform", "he_normal", "random_normal", "random_uniform"}


def test_momentum_and_nesterov_apply_to_sgd_only_and_schedule_settings_to_their_schedule():
    params = {p.name: p for p in FAMILIES["mlp"].params}
    adam = FAMILIES["mlp"].defaults()
    sgd = {**adam, "optimiser": "sgd"}
    for name in ("momentum", "nesterov"):
        assert not is_active(params[name], adam)
        assert params[name].inactive_reason(adam) == "Used by SGD only; choose SGD as the optimiser to change it."
        assert is_active(params[name], sgd)
    for schedule, active in [("constant", set()), ("step", {"lr_drop_factor", "lr_drop_every"}),
                             ("exponential", {"lr_decay_rate"}), ("cosine", set())]:
        values = {**adam, "lr_schedule": schedule}
        assert {n for n in ("lr_drop_factor", "lr_drop_every", "lr_decay_rate") if is_active(params[n], values)} \
            == active
    assert not is_active(params["patience"], adam)
    assert is_active(params["patience"], {**adam, "early_stopping": True})


def test_augmentation_is_offered_for_images_only():
    augmentation = [p for p in FAMILIES["cnn"].params if p.name.startswith("augment_")]
    assert {p.name for p in augmentation} == {"augment_flip", "augment_rotation", "augment_shift", "augment_zoom"}
    for param in augmentation:
        assert param.offered_for("image") and not param.offered_for("signal") and not param.offered_for("table")
    assert all(p.offered_for("table") for p in FAMILIES["mlp"].params)


def test_new_settings_are_validated_with_their_label():
    mlp = FAMILIES["mlp"]
    with pytest.raises(ParamError, match="Optimiser must be one of sgd, rmsprop, adam, adagrad"):
        mlp.validate({"optimiser": "adadelta"}, TABLE)
    with pytest.raises(ParamError, match="Patience \\(epochs\\) must be between 1 and 100"):
        mlp.validate({"patience": 0}, TABLE)
    with pytest.raises(ParamError, match="Nesterov momentum must be on or off"):
        mlp.validate({"nesterov": "yes"}, TABLE)
    with pytest.raises(ParamError, match="Drop factor must be between 0.05 and 0.95"):
        mlp.validate({"lr_drop_factor": 1.5}, TABLE)
    with pytest.raises(ParamError, match="Augmentation: random rotation \\(degrees\\) must be between 0 and 180"):
        FAMILIES["cnn"].validate({"augment_rotation": 270}, DIGITS)
    assert mlp.validate({"optimiser": "sgd", "nesterov": True, "momentum": 0.95}, TABLE)["nesterov"] is True


# ---- learning-rate schedules --------------------------------------------------------------------


def test_schedules_follow_their_formulas():
    base = {"learning_rate": 0.1, "epochs": 20, "lr_drop_factor": 0.5, "lr_drop_every": 3, "lr_decay_rate": 0.9}
    for epoch in range(20):
        assert learning_rate_at({**base, "lr_schedule": "constant"}, epoch) == 0.1
        assert learning_rate_at({**base, "lr_schedule": "step"}, epoch) == pytest.approx(0.1 * 0.5 ** (epoch // 3))
        assert learning_rate_at({**base, "lr_schedule": "exponential"}, epoch) == pytest.approx(0.1 * 0.9 ** epoch)
        assert learning_rate_at({**base, "lr_schedule": "cosine"}, epoch) == pytest.approx(
            0.05 * (1 + math.cos(math.pi * epoch / 20)))
    assert learning_rate_at({**base, "lr_schedule": "cosine"}, 19) > 0


@pytest.mark.parametrize("schedule", ["step", "exponential", "cosine"])
def test_the_optimisers_learning_rate_at_each_epoch_is_the_schedules(schedule):
    params = {"epochs": 6, "batch_size": 32, "optimiser": "sgd", "learning_rate": 0.05, "lr_schedule": schedule,
              "lr_drop_every": 2, "lr_drop_factor": 0.5, "lr_decay_rate": 0.8}
    _, history, _, _ = _fit(_spec("iris", "mlp", params))
    checked = validate_spec(TrainingSpec(dataset=load_builtin("iris"), target="species",
                                         preprocessing=PreprocessConfig(), family="mlp", params=params)).params
    rates = [event["learning_rate"] for event in history]
    expected = [learning_rate_at(checked, epoch) for epoch in range(6)]
    assert rates == pytest.approx(expected, rel=1e-6)
    assert rates[-1] < rates[0]


# ---- optimisers, initialisers, penalties --------------------------------------------------------


def test_each_optimiser_choice_builds_that_keras_optimiser():
    from mllab.models.keras_common import make_optimiser

    base = {"learning_rate": 0.01, "momentum": 0.8, "nesterov": True}
    sgd = make_optimiser({**base, "optimiser": "sgd"})
    assert type(sgd).__name__ == "SGD" and sgd.nesterov is True and sgd.momentum == pytest.approx(0.8)
    for choice, name in [("rmsprop", "RMSprop"), ("adam", "Adam"), ("adagrad", "Adagrad")]:
        optimiser = make_optimiser({**base, "optimiser": choice})
        assert type(optimiser).__name__ == name
        assert float(optimiser.learning_rate) == pytest.approx(0.01)


def _built(family_key, info, overrides, seed=1):
    import keras

    from mllab.models.keras_common import LayerSeeds, build_model

    family = FAMILIES[family_key]
    values = family.validate(overrides, info)
    input_shape, layers = family.architecture(values, info)
    keras.backend.clear_session()
    return build_model("model", input_shape, layers, values, LayerSeeds(seed), info.n_classes, info.task), values


@pytest.mark.parametrize("initialiser,keras_class", [("glorot_uniform", "GlorotUniform"), ("he_normal", "HeNormal"),
                                                      ("random_normal", "RandomNormal"),
                                                      ("random_uniform", "RandomUniform")])
def test_initialisers_reach_every_hidden_layer_seeded(initialiser, keras_class):
    for family_key, info in (("mlp", TABLE), ("cnn", DIGITS)):
        model, _ = _built(family_key, info, {"initialiser": initialiser})
        weighted = [layer for layer in model.layers if hasattr(layer, "kernel_initializer") and layer.name != "output"]
        assert weighted
        for layer in weighted:
            assert type(layer.kernel_initializer).__name__ == keras_class
            assert layer.kernel_initializer.seed is not None
        again, _ = _built(family_key, info, {"initialiser": initialiser})
        for a, b in zip(model.get_weights(), again.get_weights()):
            np.testing.assert_array_equal(a, b)
    uniform, _ = _built("mlp", TABLE, {"initialiser": "random_uniform"})
    assert np.abs(uniform.layers[0].get_weights()[0]).max() <= 0.05


def test_l1_and_l2_penalties_are_added_to_the_loss():
    plain, _ = _built("mlp", TABLE, {})
    assert all(getattr(layer, "kernel_regularizer", None) is None for layer in plain.layers)
    penalised, _ = _built("cnn", DIGITS, {"l1": 0.01, "l2": 0.002})
    penalised_layers = [layer for layer in penalised.layers if getattr(layer, "kernel_regularizer", None)]
    assert [layer.name for layer in penalised_layers] == ["conv_1", "conv_2", "dense"]
    config = penalised_layers[0].kernel_regularizer.get_config()
    assert config["l1"] == pytest.approx(0.01) and config["l2"] == pytest.approx(0.002)
    x = np.zeros((1, 8, 8, 1), dtype="float32")
    penalised(x)
    assert len(penalised.losses) == 3 and all(float(loss) > 0 for loss in penalised.losses)


# ---- augmentation ------------------------------------------------------------------------------


AUGMENTED = {"augment_flip": "horizontal", "augment_rotation": 20, "augment_shift": 0.1, "augment_zoom": 0.2}


def test_augmentation_layers_come_first_for_images_and_never_for_signals():
    values = FAMILIES["cnn"].validate(AUGMENTED, DIGITS)
    _, image_layers = FAMILIES["cnn"].architecture(values, DIGITS)
    assert [layer.kind for layer in image_layers[:4]] == ["RandomFlip", "RandomRotation", "RandomTranslation",
                                                          "RandomZoom"]
    assert image_layers[1].options["factor"] == pytest.approx(20 / 360)
    _, signal_layers = FAMILIES["cnn"].architecture(FAMILIES["cnn"].validate(AUGMENTED, SPECTRA), SPECTRA)
    assert not [layer for layer in signal_layers if layer.kind.startswith("Random")]
    _, plain = FAMILIES["cnn"].architecture(FAMILIES["cnn"].validate({}, DIGITS), DIGITS)
    assert not [layer for layer in plain if layer.kind.startswith("Random")]


def test_augmentation_changes_training_images_and_leaves_predictions_alone():
    model, _ = _built("cnn", DIGITS, AUGMENTED)
    images = load_builtin("digits").frame.drop(columns="digit").to_numpy("float32")[:16].reshape(16, 8, 8, 1) / 16
    for layer in model.layers[:4]:
        assert layer.name.startswith("random_")
        np.testing.assert_array_equal(np.asarray(layer(images, training=False)), images)
        assert not np.allclose(np.asarray(layer(images, training=True)), images), layer.name
    first = model.predict(images, verbose=0)
    np.testing.assert_array_equal(first, model.predict(images, verbose=0))


def test_cnn_with_augmentation_and_batch_norm_learns_digits_and_repeats_with_the_seed():
    # Mild changes only: an 8×8 digit shifted by a pixel or flipped is often another digit.
    params = {"augment_rotation": 10, "augment_zoom": 0.1, "batch_norm": True, "epochs": 12}
    spec = _spec("digits", "cnn", params, scaling="minmax")
    first = run_training(spec, LocalReporter())
    assert first.evaluation.accuracy >= 0.95
    assert "RandomRotation" in first.model_summary and "BatchNormalization" in first.model_summary
    second = run_training(spec, LocalReporter())
    assert first.history == second.history and first.evaluation.accuracy == second.evaluation.accuracy


# ---- early stopping and class weights on real data ----------------------------------------------


def test_early_stopping_stops_before_the_limit_and_restores_the_best_epochs_weights():
    params = {"hidden_layers": "64, 64", "epochs": 200, "batch_size": 32, "learning_rate": 0.01,
              "early_stopping": True, "patience": 5}
    proba, history, notes, _ = _fit(_spec("breast_cancer", "mlp", params))
    assert len(history) < 200
    match = re.search(r"stopped after epoch (\d+) of 200\. The weights of epoch (\d+), the lowest validation loss, "
                      r"were restored\.", notes[0])
    assert match, notes
    stopped, best = int(match.group(1)), int(match.group(2))
    assert stopped == len(history) == best + 5
    losses = [event["val_loss"] for event in history]
    assert losses[best - 1] == min(losses)
    # Training is deterministic: the restored model is the one a run of exactly `best` epochs ends with.
    best_only, _, _, _ = _fit(_spec("breast_cancer", "mlp", {**params, "early_stopping": False, "epochs": best}))
    np.testing.assert_allclose(proba, best_only, rtol=1e-5, atol=1e-6)
    last_weights, _, _, _ = _fit(_spec("breast_cancer", "mlp", {**params, "restore_best": False}))
    assert not np.allclose(proba, last_weights)


def test_early_stopping_without_a_validation_split_watches_the_training_loss_and_says_so():
    params = {"epochs": 40, "batch_size": 32, "early_stopping": True, "patience": 2, "validation_split": 0.0,
              "learning_rate": 0.5, "optimiser": "sgd"}
    _, history, notes, _ = _fit(_spec("iris", "mlp", params))
    assert "training loss (the validation split is 0)" in notes[0]
    assert "val_loss" not in history[-1]


def test_balanced_class_weights_find_more_of_a_rare_class():
    from mllab.models.keras_common import balanced_class_weights

    assert balanced_class_weights(np.array([0, 0, 0, 1]), 2) == {0: pytest.approx(4 / 6), 1: pytest.approx(2.0)}
    # Pima made strongly imbalanced: every diabetic row but one in six dropped.
    import pandas as pd

    from mllab.datasets.model import Dataset

    pima = load_builtin("pima")
    frame = pima.frame
    rare = frame[frame["Outcome"] == 1].iloc[::6]
    imbalanced = pd.concat([frame[frame["Outcome"] == 0], rare]).reset_index(drop=True)
    dataset = Dataset(name="imbalanced pima", frame=imbalanced, target="Outcome", source="upload")
    recalls = {}
    for weighting in ("none", "balanced"):
        spec = validate_spec(TrainingSpec(dataset=dataset, target="Outcome", preprocessing=PreprocessConfig(),
                                          family="mlp", params={"epochs": 20, "batch_size": 32,
                                                                "class_weight": weighting}))
        proba, _, _, data = _fit(spec)
        predicted = proba.argmax(axis=1)
        recalls[weighting] = (predicted[data.y_test == 1] == 1).mean()
    assert recalls["balanced"] > recalls["none"] + 0.2, recalls


def test_sgd_with_nesterov_momentum_trains_iris():
    result = run_training(_spec("iris", "mlp", {"optimiser": "sgd", "nesterov": True, "momentum": 0.9,
                                                "learning_rate": 0.05, "epochs": 40, "batch_size": 16,
                                                "lr_schedule": "cosine"}), LocalReporter())
    assert result.evaluation.accuracy >= 0.9


# ---- the layer summary, worked out without TensorFlow ------------------------------------------


SUMMARY_CASES = [
    ("mlp", TABLE, {}),
    ("mlp", DataInfo(kind="table", n_features=30, n_classes=3), {"hidden_layers": "64, 32, 16", "dropout": 0.3,
                                                                  "batch_norm": True}),
    ("mlp", DataInfo(kind="image", n_features=784, n_classes=10, image_shape=(28, 28, 1)),
     {"hidden_layers": "128", "activation": "tanh"}),
    ("cnn", DIGITS, {}),
    ("cnn", DIGITS, {**AUGMENTED, "batch_norm": True, "pooling": "average", "conv_blocks": 3}),
    ("cnn", DataInfo(kind="image", n_features=28 * 28 * 3, n_classes=2, image_shape=(28, 28, 3)),
     {"pooling": "none", "kernel_size": 5, "filters": 8, "dropout": 0.0}),
    ("cnn", SPECTRA, {"conv_blocks": 4, "kernel_size": 7, "batch_norm": True}),
    ("cnn", DataInfo(kind="signal", n_features=33, n_classes=2), {"pooling": "max", "conv_blocks": 3}),
    # A regression ends in one linear unit, whatever the number of distinct target values.
    ("mlp", DataInfo(kind="table", n_features=5, n_classes=9000, task="regression"), {"hidden_layers": "32, 32"}),
    ("cnn", DataInfo(kind="signal", n_features=200, n_classes=3000, task="regression"), {}),
]


@pytest.mark.parametrize("family_key,info,overrides", SUMMARY_CASES)
def test_summary_matches_keras_layer_by_layer(family_key, info, overrides):
    model, values = _built(family_key, info, overrides)
    input_shape, layers = FAMILIES[family_key].architecture(values, info)
    summary = summarise(input_shape, layers)
    assert [row.name for row in summary.rows] == [layer.name for layer in model.layers]
    assert [row.kind for row in summary.rows] == [type(layer).__name__ for layer in model.layers]
    assert [row.output_shape for row in summary.rows] == [tuple(layer.output.shape[1:]) for layer in model.layers]
    assert [row.params for row in summary.rows] == [layer.count_params() for layer in model.layers]
    assert summary.total_params == model.count_params()
    assert summary.trainable_params == sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    if info.task == "regression":
        assert summary.rows[-1].output_shape == (1,) and model.layers[-1].get_config()["activation"] == "linear"
    keras_text = []
    model.summary(print_fn=lambda line, *a, **k: keras_text.append(line))
    assert f"{summary.total_params:,}" in "\n".join(keras_text)


def test_summary_of_the_classic_12_8_1_network():
    values = FAMILIES["mlp"].validate({}, TABLE)
    summary = summarise(*FAMILIES["mlp"].architecture(values, TABLE))
    table = summary.table()
    assert list(table["Layer"]) == ["dense_1", "dense_2", "output"]
    assert list(table["Output shape"]) == ["12", "8", "1"]
    assert list(table["Parameters"]) == [8 * 12 + 12, 12 * 8 + 8, 8 + 1]
    assert summary.total_params == 221 and summary.non_trainable_params == 0


def test_the_summary_never_imports_tensorflow():
    code = ("import sys\n"
            "from mllab.models import FAMILIES\n"
            "from mllab.models.base import DataInfo\n"
            "from mllab.models.summary import summarise\n"
            "info = DataInfo(kind='image', n_features=64, n_classes=10, image_shape=(8, 8, 1))\n"
            "values = FAMILIES['cnn'].validate({'batch_norm': True, 'augment_zoom': 0.1}, info)\n"
            "print(summarise(*FAMILIES['cnn'].architecture(values, info)).total_params)\n"
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > 0


def test_a_runs_description_leaves_out_settings_that_did_not_act():
    from mllab.training.runs import describe_params

    adam = describe_params("mlp", FAMILIES["mlp"].defaults())
    assert "Optimiser Adam" in adam and "Batch normalisation off" in adam
    assert "Momentum" not in adam and "Drop factor" not in adam and "Patience" not in adam
    sgd = describe_params("cnn", {**FAMILIES["cnn"].defaults(), "optimiser": "sgd", "augment_zoom": 0.1,
                                  "early_stopping": True, "lr_schedule": "step"})
    assert "Momentum 0.9 · Nesterov momentum off" in sgd and "Patience (epochs) 10" not in sgd
    assert "Patience 10" in sgd and "Drop every 10" in sgd and "Decay per epoch" not in sgd
    assert "Augmentation: random zoom 0.1" in sgd and "random flip" not in sgd
