"""A trained run goes into the store and comes back with everything its panels show."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from mllab.datasets import load_builtin
from mllab.models import FAMILIES
from mllab.prepare import PreprocessConfig
from mllab.store import (StoreError, create_run, delete_run, finish_run, load_runs, next_run_number, update_run_meta)
from mllab.store.codec import encode
from mllab.training import LocalReporter, TrainingSpec, new_run, run_training


@pytest.fixture(scope="module")
def trained():
    """One real forest on iris, kept model included: the record every test here stores."""
    dataset = load_builtin("iris")
    spec = TrainingSpec(dataset=dataset, target=dataset.target, preprocessing=PreprocessConfig(),
                        family="random_forest", params={**FAMILIES["random_forest"].defaults(), "n_estimators": 20}, keep_model=True, boundary="pca")
    result = run_training(spec, LocalReporter())
    return spec, result


def _run(spec, number=1):
    return new_run(number, f"job{number}", spec, {"kind": "builtin", "key": "iris"}, {"target": spec.target})


def test_a_finished_run_comes_back_as_it_was(store, trained):
    spec, result = trained
    workspace = store.open_workspace(store.new_workspace())
    run = _run(spec)
    run_id = create_run(store, workspace, run)
    finish_run(store, workspace, run_id, "completed", result.history, result, None, result.model_summary)

    [back] = load_runs(store, workspace)
    assert back.store_id == run_id and back.status == "completed" and back.name == "Run 1"
    assert back.data_source == {"kind": "builtin", "key": "iris"} and back.params == run.params
    assert [h["step"] for h in back.history] == [h["step"] for h in result.history]
    assert back.history[-1] == pytest.approx(result.history[-1])
    got, want = back.result.evaluation, result.evaluation
    assert got.summary() == pytest.approx(want.summary(), nan_ok=True)
    assert np.array_equal(got.confusion, want.confusion)
    assert back.result.verdict.text() == result.verdict.text()
    assert np.array_equal(back.result.predictions.proba, result.predictions.proba)
    assert back.result.model_file.data == result.model_file.data and back.result.model_file.filename
    # Every other result, whole: the boundary map, importance, baseline, predictions, notes …
    for field in dataclasses.fields(result):
        if field.name not in ("history", "model_file"):
            assert encode(getattr(back.result, field.name)) == encode(getattr(result, field.name)), field.name
    assert result.boundary is not None and result.importance is not None  # so the loop above compared them
    assert next_run_number(store, workspace) == 2


def test_a_workspace_sees_only_its_own_runs(store, trained):
    spec, result = trained
    mine, theirs = (store.open_workspace(store.new_workspace()) for _ in range(2))
    run_id = create_run(store, mine, _run(spec))
    finish_run(store, mine, run_id, "completed", result.history, result, None, None)
    assert load_runs(store, theirs) == []
    with pytest.raises(StoreError):
        update_run_meta(store, theirs, run_id, title="taken")
    delete_run(store, theirs, run_id)  # names a run of another workspace: nothing happens
    assert [r.store_id for r in load_runs(store, mine)] == [run_id]
    with pytest.raises(StoreError):  # the kept model is not readable from the other workspace either
        store.read_file(theirs, load_runs(store, mine)[0].result and _model_sha(store, run_id))


def _model_sha(store, run_id):
    from sqlalchemy import select

    from mllab.store.schema import runs

    with store.engine.connect() as conn:
        return conn.execute(select(runs.c.model_sha256).where(runs.c.id == run_id)).scalar()


def test_edits_and_delete(store, trained):
    spec, result = trained
    workspace = store.open_workspace(store.new_workspace())
    run_id = create_run(store, workspace, _run(spec))
    finish_run(store, workspace, run_id, "completed", result.history, result, None, None)
    update_run_meta(store, workspace, run_id, title="Forest, 20 trees", note="first try", tags=["iris", "baseline"])
    [back] = load_runs(store, workspace)
    assert (back.title, back.note, back.tags) == ("Forest, 20 trees", "first try", ("iris", "baseline"))
    sha = _model_sha(store, run_id)
    assert store._path(sha).exists()
    delete_run(store, workspace, run_id)
    assert load_runs(store, workspace) == []
    assert not store._path(sha).exists()  # nobody else kept that model: its file is gone too


def test_nothing_a_page_shows_opens_another_workspace(store, trained):
    """Tokens are 144 random bits; the database keeps only their SHA-256; run ids are random too, so
    neither a run's number, its job id, nor a neighbour's token leads to another workspace."""
    from mllab.store import valid_token, workspace_id_of
    from mllab.store.schema import workspaces

    spec, result = trained
    tokens = [store.new_workspace() for _ in range(50)]
    assert len(set(tokens)) == 50 and all(valid_token(t) and len(t) == 24 for t in tokens)
    with store.engine.connect() as conn:
        kept = {row[0] for row in conn.execute(workspaces.select().with_only_columns(workspaces.c.id))}
    assert not kept & set(tokens)  # the tokens themselves are nowhere in the database
    assert {workspace_id_of(t) for t in tokens} <= kept
    workspace = store.open_workspace(tokens[0])
    ids = {create_run(store, workspace, _run(spec, n)) for n in range(1, 6)}
    assert len(ids) == 5 and all(len(i) == 32 and int(i, 16) for i in ids)  # 128 random bits each
    assert store.open_workspace(tokens[0][:-1] + ("A" if tokens[0][-1] != "A" else "B")) is None


def test_one_run_can_be_read_back_alone(store, trained):
    spec, result = trained
    workspace = store.open_workspace(store.new_workspace())
    first = create_run(store, workspace, _run(spec, 1))
    second = create_run(store, workspace, _run(spec, 2))
    finish_run(store, workspace, second, "completed", result.history, result, None, None)
    [alone] = load_runs(store, workspace, second)
    assert alone.store_id == second and alone.status == "completed" and alone.result is not None
    assert load_runs(store, store.open_workspace(store.new_workspace()), first) == []  # not another workspace's
