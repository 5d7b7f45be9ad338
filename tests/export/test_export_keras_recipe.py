"""The Keras families' exported script carries the very helpers the worker trains with (models/keras_recipe.py),
so a change to the live recipe changes the script; the recipe itself stands alone."""

import ast
import inspect

import pytest

from mllab.models import FAMILIES, keras_common, keras_recipe
from mllab.models.base import DataInfo

HELPERS = [obj for _, obj in inspect.getmembers(keras_recipe, lambda o: inspect.isfunction(o) or inspect.isclass(o))
           if obj.__module__ == keras_recipe.__name__]


def _export(key: str) -> str:
    family = FAMILIES[key]
    info = (DataInfo(kind="table", n_features=8, n_classes=2) if key == "mlp"
            else DataInfo(kind="image", n_features=64, n_classes=3, image_shape=(8, 8, 1)))
    return family.export(family.validate(family.defaults()), info)


@pytest.mark.parametrize("key", ["mlp", "cnn"])
def test_the_script_holds_each_live_helper_verbatim(key):
    code = _export(key)
    assert len(HELPERS) >= 10
    for helper in HELPERS:
        assert inspect.getsource(helper) in code, helper.__name__
    defined = {node.name for node in ast.parse(code).body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    assert defined == {h.__name__ for h in HELPERS} | {"train_model"}  # no second, template copy


def test_the_worker_trains_with_the_same_helpers():
    for name in ("LayerSeeds", "make_optimiser", "learning_rate_at", "output_layer_and_loss", "compile_model",
                 "training_callbacks", "balanced_class_weights", "class_probabilities", "TargetScale"):
        assert getattr(keras_common, name) is getattr(keras_recipe, name)


def test_the_recipe_imports_nothing_from_mllab_nor_tensorflow_at_import():
    tree = ast.parse(inspect.getsource(keras_recipe))
    top = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    names = {alias.name for node in top for alias in node.names} | {getattr(node, "module", None) for node in top}
    assert not {n for n in names if n and (n.startswith("mllab") or n in ("keras", "tensorflow"))}
    assert all(not (isinstance(n, ast.ImportFrom) and (n.module or "").startswith("mllab")) for n in ast.walk(tree))
    assert "mllab" not in keras_common._recipe_source()  # the copied part names nothing of the app
