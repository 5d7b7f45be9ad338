"""Every registered family declares its abilities (models.base.Abilities), and they agree with its schema:
the verdict trusts them in place of the family's key."""

import pytest

from mllab.models import FAMILIES
from mllab.models.base import UNDERFIT_EVIDENCE, Abilities, Remedy


def _setting_names(family) -> set[str]:
    return {p.name for p in family.params}


@pytest.mark.parametrize("key", sorted(FAMILIES))
def test_each_family_declares_its_abilities(key):
    abilities = FAMILIES[key].abilities
    assert isinstance(abilities, Abilities)
    for name in ("scale_sensitive", "validation_loss_curve", "train_gap_tells", "training_score_in_history",
                 "live_boundary_map"):
        assert isinstance(getattr(abilities, name), bool), name
    assert abilities.underfit_evidence in UNDERFIT_EVIDENCE


@pytest.mark.parametrize("key", sorted(FAMILIES))
def test_each_remedy_sets_one_of_the_familys_own_settings_to_a_value_its_schema_accepts(key):
    family = FAMILIES[key]
    abilities = family.abilities
    for remedy in (abilities.overfit_remedy, abilities.underfit_remedy):
        if remedy is None:
            continue
        assert isinstance(remedy, Remedy) and remedy.advice
        if remedy.new_value is None:
            continue
        assert remedy.setting in _setting_names(family), (key, remedy.setting)
        assert remedy.button, f"{key}: a remedy with a new value needs a button label"
        value = remedy.new_value(family.defaults())
        if value is not None:  # the button's settings must pass the family's own checks
            family.validate({**family.defaults(), remedy.setting: value})
            assert remedy.button.format(value=value) and remedy.advice.format(value=value, current=value)


@pytest.mark.parametrize("key", sorted(FAMILIES))
def test_the_abilities_agree_with_the_family(key):
    family = FAMILIES[key]
    abilities = family.abilities
    if abilities.validation_loss_curve:  # the verdict's early-stopping button sets these, per epoch
        assert {"early_stopping", "patience", "restore_best", "validation_split"} <= _setting_names(family)
        assert family.step_label == "Epoch"
    if abilities.live_boundary_map:  # a map of classes, drawn while the epochs run
        assert "classification" in family.tasks and family.pausable
    if abilities.underfit_evidence == "loss_still_falling":
        assert abilities.underfit_remedy is not None, f"{key}: say what to do when the loss is still falling"
    if abilities.underfit_evidence == "capacity_limit":
        remedy = abilities.underfit_remedy
        assert remedy is not None and remedy.setting in _setting_names(family)
        assert not family.defaults()[remedy.setting] or remedy.new_value(family.defaults()) is not None
    if abilities.underfit_evidence == "none":
        assert abilities.underfit_remedy is None
    if not abilities.train_gap_tells:  # the gap is never read, so no fix for it is ever offered
        assert abilities.overfit_remedy is None


def test_the_declared_abilities_are_the_ones_the_verdict_used_to_hard_code():
    # The verdict and judging branched on these keys before the abilities existed; the same families keep them.
    declared = {key: family.abilities for key, family in FAMILIES.items()}
    assert {k for k, a in declared.items() if a.scale_sensitive} == {"mlp", "logistic_regression", "knn", "svm"}
    assert {k for k, a in declared.items() if a.validation_loss_curve} == {"mlp", "cnn"}
    assert {k for k, a in declared.items() if not a.train_gap_tells} == {"random_forest"}
    assert {k for k, a in declared.items() if a.training_score_in_history} == {"random_forest", "knn", "svm",
                                                                              "naive_bayes", "gradient_boosting"}
    assert {k for k, a in declared.items() if a.live_boundary_map} == {"mlp"}
