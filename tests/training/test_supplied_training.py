"""A run on the supplied test part: trained on the training part, scored on exactly the test part."""

import pytest

from mllab.errors import ParamError
from mllab.io import read_uploads
from mllab.io.upload import read_upload
from mllab.prepare import PreprocessConfig
from mllab.training import ValidationConfig, scheme_param
from mllab.training.holdout import run_training
from mllab.training.spec import LocalReporter, TrainingSpec, validate_spec

SDSS = "/work/shared/datasets/sdss_mgs/"


def sdss_pair():
    return read_uploads([(name, open(SDSS + name, "rb").read()) for name in ("SDSS_MGS.train", "SDSS_MGS.test")])


def spec_for(dataset, scheme="supplied"):
    return TrainingSpec(dataset=dataset, target="zs", preprocessing=PreprocessConfig(), family="random_forest",
                        params={"n_estimators": 20}, validation=ValidationConfig(scheme=scheme), task="regression",
                        redshift=True)


def test_a_supplied_part_run_tests_on_the_5000_test_rows_with_a_reasonable_nmad():
    result = run_training(validate_spec(spec_for(sdss_pair())), LocalReporter())
    assert result.n_test == 5000 and result.n_train == 5000
    assert result.evaluation.summary()["nmad"] <= 0.03
    assert result.baseline is not None


def test_the_scheme_is_a_holdout_offered_first_only_with_a_part_column():
    assert not ValidationConfig(scheme="supplied").is_kfold
    assert "supplied" not in scheme_param("regression").options
    offered = scheme_param("regression", supplied_part=True)
    assert offered.options[0] == "supplied" and offered.default == "supplied"


def test_the_supplied_scheme_without_a_part_column_is_refused():
    data = "zs,u,g\n" + "".join(f"{i / 100},{i % 7},{i % 5}\n" for i in range(40))
    dataset = read_upload("plain.csv", data.encode())
    with pytest.raises(ParamError, match="did not come with a test part"):
        validate_spec(spec_for(dataset))


def test_an_empty_test_part_is_refused():
    dataset = sdss_pair()
    dataset.frame = dataset.frame.loc[dataset.frame["part"] == "train"].reset_index(drop=True)
    with pytest.raises(ParamError, match="supplied test part has no rows"):
        validate_spec(spec_for(dataset))
