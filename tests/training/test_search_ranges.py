"""A search's starting range gives values that differ in effect (not a tree depth of 0, 25 and 50: all "no limit")."""

from mllab.models import FAMILIES
from mllab.params import FloatParam, IntParam
from mllab.training.search import dimension_for, suggested_range


def test_every_numeric_setting_starts_from_three_distinct_values():
    for family in FAMILIES.values():
        for param in family.params:
            if isinstance(param, (IntParam, FloatParam)) and not getattr(param, "log", False):
                values = dimension_for(param, suggested_range(param)).grid_values()
                assert len(set(values)) == len(values) >= 2, (family.label, param.name, values)
                assert all(param.low <= v <= param.high for v in values), (param.name, values)


def test_a_forest_depth_search_tries_limited_depths_of_different_effect():
    depth = next(p for p in FAMILIES["random_forest"].params if p.name == "max_depth")
    values = dimension_for(depth, suggested_range(depth)).grid_values()
    assert 0 not in values  # 0 means no limit: the same forest as a depth trees never reach
    assert values == sorted(values) and values[-1] <= 20 and len(values) == 3
