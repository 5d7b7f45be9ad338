"""Share links and classroom rooms in the store, on a real SQLite file and a real PostgreSQL server:
a link opens only what it names (and is kept as its hash), a lecturer's secret is the only way to
run a room, and the leaderboard holds each student's best run on the pushed split."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, select, update

from mllab.datasets import load_builtin
from mllab.models import FAMILIES
from mllab.prepare import PreprocessConfig
from mllab.store import Store, create_run, delete_run, finish_run
from mllab.store.rooms import (ROOM_HOURS, RoomError, RoomFrozen, check_can_train, class_view, create_room, join_room,
                               leaderboard, leave_room, link_run, membership, normalise_code, push, room_for_lecturer,
                               room_signal, set_status)
from mllab.store.schema import LATEST, V1_TABLES, metadata, rooms, run_links, schema_version, shared_settings
from mllab.store.shares import LinkError, open_settings, open_shared_run, share_run, share_settings
from mllab.training import LocalReporter, TrainingSpec, new_run, run_training

PREPROCESSING = {**PreprocessConfig().as_dict(), "seed": 7, "test_fraction": 0.3}
SETTINGS = {"title": "Iris, a small forest", "data": {"kind": "builtin", "key": "iris"}, "target": "species",
            "task": "classification", "redshift": False, "cleaning": None, "family": "random_forest",
            "params": {**FAMILIES["random_forest"].defaults(), "n_estimators": 10}, "preprocessing": PREPROCESSING,
            "validation": {"scheme": "holdout"}}


@pytest.fixture(scope="module")
def trained():
    """Two real forests on iris on the pushed split (seed 7, 30 % test): one tree and twenty."""
    dataset = load_builtin("iris")
    results = []
    for trees in (1, 20):
        spec = TrainingSpec(dataset=dataset, target=dataset.target, preprocessing=PreprocessConfig(**PREPROCESSING),
                            family="random_forest", params={**SETTINGS["params"], "n_estimators": trees})
        results.append((spec, run_training(spec, LocalReporter())))
    return results


def _stored_run(store, workspace, spec, result, number=1):
    run = new_run(number, f"job{number}", spec, {"kind": "builtin", "key": "iris"}, {})
    run_id = create_run(store, workspace, run)
    finish_run(store, workspace, run_id, "completed", result.history, result, None, None)
    return run_id


def _workspace(store):
    token = store.new_workspace()
    return token, store.open_workspace(token)


def test_a_settings_link_copies_settings_and_opens_nothing_else(store):
    _, sharer = _workspace(store)
    _, opener = _workspace(store)
    link = share_settings(store, sharer, SETTINGS)
    assert len(link) == 24  # 144 random bits
    assert open_settings(store, link, opener) == SETTINGS
    with store.engine.connect() as conn:  # the database keeps the link's hash, never the link
        stored = conn.execute(select(shared_settings.c.id_hash)).scalars().all()
    assert link not in stored and len(stored) == 1
    tampered = link[:-1] + ("A" if link[-1] != "A" else "B")
    for bad in (tampered, link[:-2], "", "../../etc", "<script>x</script>", None, 42):
        with pytest.raises(LinkError, match="opens nothing"):
            open_settings(store, bad, opener)
    with pytest.raises(LinkError, match="Load a dataset"):
        share_settings(store, sharer, {**SETTINGS, "data": {}})


def test_a_settings_link_hands_the_uploaded_file_to_the_opener(store):
    _, sharer = _workspace(store)
    _, opener = _workspace(store)
    data = b"a,b,label\n1,2,x\n3,4,y\n"
    sha = store.put_file(sharer, "stars.csv", data, "upload")
    settings = {**SETTINGS, "data": {"kind": "upload", "files": [{"name": "stars.csv", "sha256": sha,
                                                                   "size": len(data)}]}}
    link = share_settings(store, sharer, settings)
    with pytest.raises(Exception):
        store.read_file(opener, sha)  # not the opener's before the link is opened
    open_settings(store, link, opener)
    assert store.read_file(opener, sha) == data
    assert open_settings(store, link, opener)["data"]["files"][0]["sha256"] == sha  # a second opening is the same
    # Once the sharer no longer keeps it, a new opener is told so in a sentence.
    store.forget_file(sharer, sha)
    _, late = _workspace(store)
    with pytest.raises(LinkError, match="no longer kept"):
        open_settings(store, link, late)
    assert store.read_file(opener, sha) == data  # the first opener's copy stays


def test_a_run_link_shows_one_run_read_only(store, trained):
    (spec, result), (other_spec, other_result) = trained
    owner_token, owner = _workspace(store)
    _, stranger = _workspace(store)
    run_id = _stored_run(store, owner, spec, result)
    _stored_run(store, owner, other_spec, other_result, number=2)
    with pytest.raises(LinkError, match="not kept in this workspace"):
        share_run(store, stranger, run_id)  # nobody shares another's run
    link = share_run(store, owner, run_id)
    assert owner_token not in link
    shown = open_shared_run(store, link)
    assert shown.result.evaluation.accuracy == result.evaluation.accuracy
    assert shown.params["n_estimators"] == 1 and shown.history
    assert shown.store_id is None  # nothing can be written back through it
    with store.engine.connect() as conn:
        assert link not in conn.execute(select(run_links.c.id_hash)).scalars().all()
    with pytest.raises(LinkError, match="opens nothing"):
        open_shared_run(store, link[:-1] + ("A" if link[-1] != "A" else "B"))
    delete_run(store, stranger, run_id)  # a stranger's delete changes nothing
    assert open_shared_run(store, link).number == 1
    delete_run(store, owner, run_id)
    with pytest.raises(LinkError, match="opens nothing"):
        open_shared_run(store, link)


def test_a_room_joins_by_code_and_only_the_lecturer_secret_runs_it(store):
    lecturer_token, lecturer = _workspace(store)
    student_token, student = _workspace(store)
    room, secret = create_room(store, lecturer)
    assert normalise_code(room.code) == room.code and room.code.split("-")[1].isdigit()
    assert len(secret) == 24 and room_for_lecturer(store, secret).id == room.id
    word, digits = room.code.split("-")
    joined = join_room(store, f" {word.lower()} {digits} ", student, "Ada")
    assert joined.room.id == room.id and membership(store, student).nickname == "Ada"
    # Nothing a student holds opens the lecturer's page: their token, the code, the room's id.
    for guess in (student_token, room.code, room.id, lecturer_token, secret[:-1] + "x"):
        assert room_for_lecturer(store, guess) is None
        with pytest.raises(RoomError, match="opens no room"):
            push(store, guess, "step", SETTINGS, [])
    with pytest.raises(RoomError, match="No open room has the code"):
        join_room(store, "NOPE-99", student, "Ada")
    with pytest.raises(RoomError, match="already called"):
        join_room(store, room.code, lecturer, "ada")
    html = '<img src=x onerror="alert(1)">'
    _, other = _workspace(store)
    with pytest.raises(RoomError, match="at most 24"):
        join_room(store, room.code, other, html)
    assert join_room(store, room.code, other, "<b>Bo</b>").nickname == "<b>Bo</b>"  # kept as text, shown escaped

    assert room_signal(store, room.id) == ("open", 0)
    assert push(store, secret, "Iris forest", SETTINGS, ["n_estimators"]) == 1
    assert room_signal(store, room.id) == ("open", 1)
    assert membership(store, student).room.push_settings == SETTINGS
    with pytest.raises(RoomError, match="hold-out"):
        push(store, secret, "folds", {**SETTINGS, "validation": {"scheme": "kfold"}}, [])

    set_status(store, secret, "frozen")
    with pytest.raises(RoomFrozen, match="paused new runs"):
        check_can_train(store, student)
    set_status(store, secret, "closed")
    assert membership(store, student) is None and room_signal(store, room.id)[0] == "closed"
    with pytest.raises(RoomError, match="No open room has the code"):
        join_room(store, room.code, student, "Ada")
    with pytest.raises(RoomError, match="closed"):
        push(store, secret, "again", SETTINGS, [])
    leave_room(store, student)
    check_can_train(store, student)  # out of every room: nothing refused


def test_an_expired_room_code_opens_nothing(store):
    _, lecturer = _workspace(store)
    _, student = _workspace(store)
    room, _ = create_room(store, lecturer)
    with store.engine.begin() as conn:
        conn.execute(update(rooms).where(rooms.c.id == room.id).values(expires_at=time.time() - 1))
    with pytest.raises(RoomError, match="No open room"):
        join_room(store, room.code, student, "Ada")
    assert room_signal(store, room.id)[0] == "closed"
    assert ROOM_HOURS >= 8  # a lecture day


def test_the_leaderboard_holds_each_students_best_run_on_the_pushed_split(store, trained):
    (one_spec, one_tree), (many_spec, many_trees) = trained
    _, lecturer = _workspace(store)
    room, secret = create_room(store, lecturer)
    seq = push(store, secret, "Iris forest", SETTINGS, [])
    students = {}
    for nickname in ("Ada", "Bo", "Cy"):
        _, workspace = _workspace(store)
        join_room(store, room.code, workspace, nickname)
        students[nickname] = workspace
    # Ada trains twice (her best counts), Bo once, Cy not yet.
    link_run(store, students["Ada"], room.id, seq, _stored_run(store, students["Ada"], one_spec, one_tree, 1))
    link_run(store, students["Ada"], room.id, seq, _stored_run(store, students["Ada"], many_spec, many_trees, 2))
    link_run(store, students["Bo"], room.id, seq, _stored_run(store, students["Bo"], one_spec, one_tree, 1))
    board, label = leaderboard(store, secret)
    assert label == "Test accuracy"
    rows = {r.nickname: r for r in board}
    best_ada = max(one_tree.evaluation.accuracy, many_trees.evaluation.accuracy)
    assert rows["Ada"].score == best_ada and rows["Ada"].runs == 2
    assert rows["Bo"].score == one_tree.evaluation.accuracy and rows["Bo"].runs == 1
    baseline = [r for r in board if r.is_baseline]
    assert len(baseline) == 1 and baseline[0].score == one_tree.baseline.score("accuracy")
    assert "Cy" not in rows and [r.score for r in board] == sorted((r.score for r in board), reverse=True)
    watched = {r.nickname: r for r in class_view(store, secret)}
    assert watched["Ada"].latest_status == "completed" and watched["Cy"].runs == 0
    # A run on another split never reaches the board; a frozen room takes no run.
    off_split = {**PREPROCESSING, "seed": 8}
    spec = TrainingSpec(dataset=one_spec.dataset, target=one_spec.target,
                        preprocessing=PreprocessConfig(**off_split), family="random_forest", params=one_spec.params)
    off_run = _stored_run(store, students["Cy"], spec, one_tree, 1)
    with pytest.raises(RoomError, match="not the pushed one"):
        link_run(store, students["Cy"], room.id, seq, off_run)
    set_status(store, secret, "frozen")
    with pytest.raises(RoomFrozen):
        link_run(store, students["Bo"], room.id, seq, _stored_run(store, students["Bo"], one_spec, one_tree, 2))
    assert len(leaderboard(store, secret)[0]) == 3  # Ada, Bo, baseline


def test_a_version_1_store_is_brought_up_to_date(tmp_path):
    path = tmp_path / "data" / "mllab.sqlite3"
    path.parent.mkdir(parents=True)
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:  # the first release's database
        metadata.create_all(conn, tables=[schema_version, *V1_TABLES])
        conn.execute(schema_version.insert().values(version=1))
    engine.dispose()
    store = Store(data_dir=tmp_path / "data")
    with store.engine.connect() as conn:
        assert conn.execute(select(schema_version.c.version)).scalar() == LATEST == 2
    _, workspace = _workspace(store)
    assert create_room(store, workspace)[0].status == "open"
    store.close()
