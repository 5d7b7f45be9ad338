"""A family's starting values fit the data (rows, features, classes); the Pima tutorial's network stays its step's."""

from mllab.datasets.builtin import load_builtin
from mllab.models import FAMILIES, DataShape
from mllab.presets import PIMA_MLP

MLP = FAMILIES["mlp"]


def test_a_network_is_wider_for_more_inputs_and_takes_bigger_batches_for_more_rows():
    pima = MLP.defaults_for(DataShape(768, 8, 2))
    digits = MLP.defaults_for(DataShape(1_797, 64, 10))
    fashion = MLP.defaults_for(DataShape(70_000, 784, 10))
    assert pima["hidden_layers"] == (16, 8) and digits["hidden_layers"] == (128, 64)
    assert fashion["hidden_layers"] == (256, 128)
    assert pima["batch_size"] < fashion["batch_size"] and fashion["epochs"] < pima["epochs"]
    # None of them is the tutorial's 12-8, batch 10, 150 epochs.
    for values in (pima, digits, fashion):
        assert (values["hidden_layers"], values["batch_size"], values["epochs"]) != ((12, 8), 10, 150)


def test_fitted_values_are_valid_settings_within_the_schema_for_any_shape():
    for shape in (DataShape(10, 1, 2), DataShape(5_000_000, 20_000, 1_000), DataShape(506, 13, 0)):
        values = MLP.defaults_for(shape)
        assert MLP.validate(values) == values
        second = values["hidden_layers"][1]
        assert second >= min(shape.classes, 128)  # the last hidden layer is no narrower than the output


def test_the_shape_comes_from_the_dataset_and_the_schema_drawn_carries_it():
    iris = load_builtin("iris")
    shape = DataShape.of(iris, iris.target, "classification")
    assert (shape.rows, shape.features, shape.classes, shape.kind) == (150, 4, 3, "table")
    drawn = {p.name: p.default for p in MLP.params_for(shape)}
    assert drawn["hidden_layers"] == MLP.defaults_for(shape)["hidden_layers"] == (8, 4)
    assert DataShape.of(iris, iris.target, "regression").classes == 0


def test_families_without_data_rules_keep_their_schema_defaults_and_pima_keeps_the_tutorials_network():
    forest = FAMILIES["random_forest"]
    assert forest.defaults_for(DataShape(768, 8, 2)) == forest.defaults()
    assert (PIMA_MLP["hidden_layers"], PIMA_MLP["batch_size"], PIMA_MLP["epochs"]) == ((12, 8), 10, 150)
