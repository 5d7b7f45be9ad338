"""The hyperparameter schemas: every family's defaults are valid and every bound is enforced."""

import math
from dataclasses import replace

import pytest

from mllab.errors import ParamError
from mllab.models import FAMILIES, DataInfo
from mllab.params import BoolParam, ChoiceParam, FloatParam, IntListParam, IntParam, validate_values
from mllab.prepare.preprocessing import PREPROCESSING_SCHEMA, PreprocessConfig

TABLE = DataInfo(kind="table", n_features=8, n_classes=2)
DIGITS = DataInfo(kind="image", n_features=64, n_classes=10, image_shape=(8, 8, 1))


@pytest.mark.parametrize("family", FAMILIES.values(), ids=FAMILIES.keys())
def test_defaults_validate_and_every_param_is_documented(family):
    info = DIGITS if "image" in family.data_kinds and "table" not in family.data_kinds else TABLE
    if "classification" not in family.tasks:
        info = replace(info, n_classes=0, task="regression")
    assert family.validate(family.defaults(), info) == family.defaults()
    for param in family.params:
        assert param.label and param.help, param.name


@pytest.mark.parametrize("family", FAMILIES.values(), ids=FAMILIES.keys())
def test_out_of_range_values_are_refused_with_the_label_in_the_message(family):
    for param in family.params:
        if isinstance(param, (IntParam, FloatParam)):
            with pytest.raises(ParamError, match=r"between"):
                family.validate({param.name: param.high + (1 if isinstance(param, IntParam) else param.high + 1)})
            with pytest.raises(ParamError) as err:
                family.validate({param.name: param.low - 1})
            assert param.label in str(err.value)
        elif isinstance(param, ChoiceParam):
            with pytest.raises(ParamError, match="must be one of"):
                family.validate({param.name: "no-such-option"})


def test_int_and_float_params_reject_non_numbers():
    count = IntParam("n", "Count", "h", 5, 1, 10)
    assert count.validate(7.0) == 7
    for bad in ("7", 7.5, True, math.nan, None):
        with pytest.raises(ParamError, match="whole number"):
            count.validate(bad)
    rate = FloatParam("lr", "Rate", "h", 0.1, 0.0, 1.0)
    for bad in ("x", math.inf, math.nan):
        with pytest.raises(ParamError):
            rate.validate(bad)


def test_hidden_layers_are_typed_as_text():
    layers = IntListParam("h", "Hidden layers", "h", (12, 8), 1, 3, 1, 100)
    assert layers.validate("12, 8") == (12, 8)
    assert layers.validate("12-8-4") == (12, 8, 4)
    with pytest.raises(ParamError, match="whole numbers separated by commas"):
        layers.validate("twelve")
    with pytest.raises(ParamError, match="between 1 and 3 numbers"):
        layers.validate("1,2,3,4")
    with pytest.raises(ParamError, match="between 1 and 100"):
        layers.validate("500")


def test_log_grid_spans_the_range_and_holds_the_default():
    rate = FloatParam("lr", "Learning rate", "h", 0.001, 1e-5, 1.0, log=True)
    grid = rate.grid()
    assert grid[0] == pytest.approx(1e-5) and grid[-1] == pytest.approx(1.0)
    assert 0.001 in grid and grid == sorted(grid)


def test_unknown_settings_and_bool_type_are_refused():
    schema = (BoolParam("flag", "Flag", "h", True),)
    with pytest.raises(ParamError, match="Unknown setting"):
        validate_values(schema, {"other": 1})
    with pytest.raises(ParamError, match="on or off"):
        validate_values(schema, {"flag": "yes"})


def test_logistic_regression_solver_rules_explain_the_fix():
    family = FAMILIES["logistic_regression"]
    with pytest.raises(ParamError, match="lbfgs solver does not support the l1 penalty.*saga"):
        family.validate({"penalty": "l1", "solver": "lbfgs"}, TABLE)
    with pytest.raises(ParamError, match="liblinear solver handles only two classes"):
        family.validate({"solver": "liblinear"}, DataInfo(kind="table", n_features=64, n_classes=10))
    assert family.validate({"penalty": "l1", "solver": "saga"}, TABLE)["penalty"] == "l1"


def test_cnn_is_only_for_images_and_signals_and_checks_pooling_fits():
    cnn = FAMILIES["cnn"]
    with pytest.raises(ParamError, match="needs image or signal data"):
        cnn.validate({}, TABLE)
    with pytest.raises(ParamError, match="at most 3 pooling blocks fit"):
        cnn.validate({"conv_blocks": 4}, DIGITS)
    assert cnn.validate({"conv_blocks": 4, "pooling": "none"}, DIGITS)["conv_blocks"] == 4
    with pytest.raises(ParamError, match="turn PCA off"):
        cnn.validate({}, DataInfo(kind="image", n_features=64, n_classes=10, image_shape=(8, 8, 1),
                                  pca_components=5))


def test_preprocessing_schema_matches_the_config():
    config = PreprocessConfig.from_values({})
    assert config == PreprocessConfig()
    assert {p.name for p in PREPROCESSING_SCHEMA} == set(config.as_dict())
    with pytest.raises(ParamError, match="Test fraction must be between"):
        PreprocessConfig.from_values({"test_fraction": 0.9})
