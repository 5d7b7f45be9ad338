"""The Keras families' input pipeline: built once per fit, the rows Keras's own array path would use."""

import dataclasses

import numpy as np

from mllab.datasets.builtin import load_builtin
from mllab.prepare.preprocessing import PreprocessConfig
from mllab.training.holdout import run_training
from mllab.training.spec import LocalReporter, TrainingSpec, validate_spec


def _rows(dataset) -> list[list[int]]:
    return [batch[0].numpy()[:, 0].astype(int).tolist() for batch in dataset]


def test_each_epoch_draws_every_training_row_once_in_a_new_order_and_validates_on_the_last_rows():
    from mllab.models.keras_common import import_tensorflow, training_batches

    tf, _ = import_tensorflow()
    x = np.arange(10, dtype="float32").reshape(10, 1)  # each row holds its own index
    training, validation = training_batches(tf, x, np.zeros(10, "float32"), 3, validation_split=0.25, seed=1)
    first, second = _rows(training), _rows(training)
    # Keras's validation_split: the last ceil-complement share of the rows, taken before any shuffling.
    assert _rows(validation) == [[8, 9]]
    assert [len(batch) for batch in first] == [3, 3, 2]
    assert sorted(sum(first, [])) == sorted(sum(second, [])) == list(range(8))
    assert first != second  # reshuffled every epoch
    assert training_batches(tf, x, np.zeros(10, "float32"), 3, validation_split=0.0, seed=1)[1] is None


def _pima_run(rows: int = 200):
    pima = load_builtin("pima")
    small = dataclasses.replace(pima, frame=pima.frame.sample(rows, random_state=0).reset_index(drop=True))
    # One batch holds every training row, so the order of the rows cannot change the weights.
    spec = validate_spec(TrainingSpec(dataset=small, target="Outcome", preprocessing=PreprocessConfig(),
                                      family="mlp", params={"epochs": 5, "batch_size": 512, "validation_split": 0.25}))
    return run_training(spec, LocalReporter())


def test_the_pipeline_trains_and_validates_on_the_same_rows_as_keras_array_path(monkeypatch):
    import mllab.models.keras_common as keras_common

    pipeline = _pima_run()
    # Arrays over the size limit go through Keras's own array adapter: the limit at zero sends every fit there.
    monkeypatch.setattr(keras_common, "PIPELINE_MAX_BYTES", 0)
    arrays = _pima_run()
    assert len(pipeline.history) == len(arrays.history) == 5
    for ours, keras_own in zip(pipeline.history, arrays.history):
        assert set(ours) == set(keras_own) >= {"loss", "val_loss", "accuracy", "val_accuracy"}
        for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
            assert abs(ours[key] - keras_own[key]) < 1e-5, key
    assert pipeline.evaluation.accuracy == arrays.evaluation.accuracy
