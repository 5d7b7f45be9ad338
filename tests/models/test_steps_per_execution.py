"""Several batches per Keras call for small networks: faster, the same weights, Stop still heard."""

import pytest

from mllab.datasets.builtin import load_builtin
from mllab.prepare.preprocessing import PreprocessConfig
from mllab.training.holdout import run_training
from mllab.training.spec import LocalReporter, TrainingSpec, validate_spec

PIMA_12_8_1 = {"hidden_layers": "12,8", "epochs": 6, "batch_size": 10}


def _run(dataset_key: str, family: str, params: dict):
    dataset = load_builtin(dataset_key)
    spec = validate_spec(TrainingSpec(dataset=dataset, target=dataset.target, preprocessing=PreprocessConfig(seed=3),
                                      family=family, params=params))
    return run_training(spec, LocalReporter())


def test_small_networks_run_many_batches_per_call_and_large_ones_few():
    from mllab.models.keras_common import MAX_STEPS_PER_EXECUTION, import_tensorflow, steps_per_execution

    _, keras = import_tensorflow()
    pima = keras.Sequential([keras.Input((8,)), keras.layers.Dense(12), keras.layers.Dense(8), keras.layers.Dense(1)])
    assert steps_per_execution(pima, 10) == MAX_STEPS_PER_EXECUTION
    # 784-128-10 in batches of 32: about 0.02 s a batch at the assumed rate, so five per call.
    mnist = keras.Sequential([keras.Input((784,)), keras.layers.Dense(128), keras.layers.Dense(10)])
    assert steps_per_execution(mnist, 32) == 5
    conv = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(64, 3, padding="same"),
                             keras.layers.Conv2D(64, 3, padding="same"), keras.layers.Flatten(), keras.layers.Dense(10)])
    assert steps_per_execution(conv, 32) == 1


@pytest.mark.parametrize("dataset_key,family,params", [
    ("pima", "mlp", PIMA_12_8_1),
    ("digits", "cnn", {"epochs": 2, "batch_size": 8}),
])
def test_several_batches_per_call_give_the_same_curve_and_model_as_one(monkeypatch, dataset_key, family, params):
    import mllab.models.keras_common as keras_common

    batched = _run(dataset_key, family, params)
    monkeypatch.setattr(keras_common, "MAX_STEPS_PER_EXECUTION", 1)
    one_at_a_time = _run(dataset_key, family, params)
    assert batched.history == one_at_a_time.history
    assert batched.evaluation.accuracy == one_at_a_time.evaluation.accuracy
