"""A map drawn after training from the kept model (mllab.training.boundary_job) is kept with the run and read back."""

import numpy as np
import pytest

from mllab.datasets.builtin import load_builtin
from mllab.errors import UserError
from mllab.models import FAMILIES
from mllab.prepare.preprocessing import PreprocessConfig
from mllab.store import create_run, finish_run, load_runs
from mllab.store.run_records import put_run_result
from mllab.training import LocalReporter, TrainingSpec, new_run, run_training
from mllab.training.boundary_job import BoundarySpec, run_boundary, validate_boundary


@pytest.fixture(scope="module")
def kept():
    """A forest on wine, its model kept, no map asked for before training."""
    dataset = load_builtin("wine")
    spec = TrainingSpec(dataset=dataset, target=dataset.target, preprocessing=PreprocessConfig(),
                        family="random_forest", params={**FAMILIES["random_forest"].defaults(), "n_estimators": 20},
                        keep_model=True)
    result = run_training(spec, LocalReporter())
    assert result.boundary is None and result.model_file.data
    return spec, result


def test_a_map_over_two_classes_is_drawn_from_the_kept_model_and_kept_with_the_run(store, kept):
    spec, result = kept
    names = [str(n) for n in result.evaluation.per_class["class"]]
    drawn = run_boundary(BoundarySpec(model_zip=result.model_file.data, rows=spec.dataset,
                                      choice=("classes", names[0], names[2])), LocalReporter())
    boundary = drawn.boundary
    assert boundary.note.startswith("A slice through the data") and boundary.points_name == "data"
    assert set(np.unique(boundary.test_points["label"])) == {0, 2}
    workspace = store.open_workspace(store.new_workspace())
    run_id = create_run(store, workspace, new_run(1, "job1", spec, {"kind": "builtin", "key": "wine"},
                                                  {"target": spec.target}))
    finish_run(store, workspace, run_id, "completed", result.history, result, None, None)
    put_run_result(store, workspace, run_id, "boundary", boundary)
    [back] = load_runs(store, workspace)
    assert back.result.boundary.x_label == boundary.x_label == f"from {names[0]} to {names[2]}"
    np.testing.assert_array_equal(back.result.boundary.predicted, boundary.predicted)


def test_a_map_that_cannot_be_drawn_is_refused_in_a_sentence(kept):
    spec, result = kept
    with pytest.raises(UserError, match="The model knows no class nebula"):
        validate_boundary(BoundarySpec(model_zip=result.model_file.data, rows=spec.dataset,
                                       choice=("classes", "nebula", "galaxy")))
    with pytest.raises(UserError, match="Choose two different features"):
        validate_boundary(BoundarySpec(model_zip=result.model_file.data, rows=spec.dataset,
                                       choice=("features", "alcohol", "alcohol")))
