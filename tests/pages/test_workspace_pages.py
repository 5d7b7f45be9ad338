"""The workspace in the pages: a new browser session opened with the workspace's link (a refresh,
a bookmark, another device) shows the same data, cleaning, settings and runs; a link that opens
nothing says so; a second workspace sees none of the first one's runs."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from conftest import ROOT
from mllab.store import workspace_id_of
from page_support import TIMEOUT, new_app, texts, train_until_done


def _reopen(token: str, page: str = "app.py") -> AppTest:
    """What a refresh or the link on another device does: a new session with the token in the URL."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params["ws"] = token
    at.run()
    if page != "app.py":
        at.switch_page(page).run()
    return at


def test_a_refresh_shows_the_same_data_settings_and_runs():
    at = new_app()
    token = at.query_params["ws"]
    assert len(token) == 24  # 144 random bits
    at.selectbox(key="builtin-choice").set_value("wine").run()
    excluded = at.multiselect(key="clean-excluded")
    column = [o for o in excluded.options if o not in excluded.value][0]
    excluded.select(column).run()
    at.switch_page("views/train.py").run()
    at.selectbox(key="family").set_value("logistic_regression").run()
    at.button(key="train-button").click().run()
    train_until_done(at)
    accuracy = next(m.value for m in at.metric if m.label == "Test accuracy")
    at.slider(key="hp-logistic_regression-max_iter").set_value(150).run()  # a setting changed after the run

    train = _reopen(token, "views/train.py")
    assert not train.exception
    assert "Wine" in texts(train)
    assert train.selectbox(key="family").value == "logistic_regression"
    assert train.slider(key="hp-logistic_regression-max_iter").value == 150
    assert next(m.value for m in train.metric if m.label == "Test accuracy") == accuracy
    data = _reopen(token)
    assert column in data.multiselect(key="clean-excluded").value  # the cleaning choice came back
    runs = _reopen(token, "views/runs.py")
    table = runs.dataframe[0].value
    assert list(table["Run"]) == ["Run 1"] and list(table["Status"]) == ["Completed"]
    # The user's name, note and tags are the workspace's too.
    runs.text_input(key="run-title-1").set_value("Wine, logistic").run()
    runs.text_area(key="run-note-1").set_value("one column left out").run()
    runs.multiselect(key="run-tags-1").set_value(["lecture"]).run()
    again = _reopen(token, "views/runs.py")
    assert list(again.dataframe[0].value["Run"]) == ["Wine, logistic"]
    assert again.text_area(key="run-note-1").value == "one column left out"
    assert again.multiselect(key="run-tags-1").value == ["lecture"]
    # A deleted run stays deleted.
    again.button(key="delete-run").click().run()
    again.button(key="delete-yes").click().run()
    assert "No runs yet" in texts(_reopen(token, "views/runs.py"))

    # Another workspace (a classmate's) sees none of it.
    other = new_app()
    assert other.query_params["ws"] != token
    other.switch_page("views/runs.py").run()
    assert "No runs yet" in texts(other)


def test_a_link_that_opens_nothing_starts_a_new_workspace_and_says_so():
    for bad in ("A" * 24, "not-a-token", "<script>alert(1)</script>"):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
        at.query_params["ws"] = bad
        at.run()
        assert not at.exception
        assert any("opens nothing" in i.value for i in at.info)
        assert at.query_params["ws"] != bad and len(at.query_params["ws"]) == 24


def _with_store_at(monkeypatch, **env):
    """Point the app's store elsewhere for one test (the store is one per process, so it is made again)."""
    from ui.state import workspace

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    workspace._store.clear()


def test_a_damaged_store_gives_a_sentence_and_the_app_works_in_memory(tmp_path, monkeypatch):
    from ui.state import workspace

    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "mllab.sqlite3").write_bytes(b"somebody else's bytes, not a database" * 100)
    _with_store_at(monkeypatch, MLLAB_DATA_DIR=str(damaged))
    try:
        at = new_app()
        assert not at.exception
        assert any("damaged" in w.value and "this browser tab" in w.value for w in at.warning)
        assert "Handwritten digits" in texts(at)
        at.selectbox(key="builtin-choice").set_value("iris").run()
        at.switch_page("views/train.py").run()
        at.selectbox(key="family").set_value("logistic_regression").run()
        at.button(key="train-button").click().run()
        train_until_done(at)  # training and its figures work without the store
        assert (damaged / "mllab.sqlite3").read_bytes().startswith(b"somebody else's bytes")
    finally:
        workspace._store.clear()


def _read_only_store_with(monkeypatch, folder, key: str, value) -> str:
    """A store in `folder` holding one workspace with this value, then the app's store opened on it read-only;
    returns the workspace's token. Root ignores permission bits, so the database is opened read-only the way
    a read-only mount would make it: SQLite's own read-only mode gives the same error."""
    from mllab.store import Store

    kept = Store(data_dir=folder)
    token = kept.new_workspace()
    kept.put_value(kept.open_workspace(token), key, value)
    kept.close()
    _with_store_at(monkeypatch, MLLAB_DATA_DIR=str(folder),
                   MLLAB_DATABASE_URL=f"sqlite:///file:{folder / 'mllab.sqlite3'}?mode=ro&uri=true")
    return token


def test_a_read_only_store_gives_a_sentence_and_loses_nothing(tmp_path, monkeypatch):
    from mllab.store import Store
    from ui.state import workspace

    folder = tmp_path / "read-only"
    token = _read_only_store_with(monkeypatch, folder, "target", "species")
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
        at.query_params["ws"] = token
        at.run()
        assert not at.exception
        assert any("cannot be written" in w.value for w in [*at.warning, *at.info])
        assert "Handwritten digits" in texts(at)
    finally:
        workspace._store.clear()
    assert Store(data_dir=folder).values(workspace_id_of(token)) == {"target": "species"}


def test_a_read_only_store_opens_saved_work_and_tells_a_new_visitor_where_work_is_kept(tmp_path, monkeypatch):
    from ui.state import keys, workspace

    token = _read_only_store_with(monkeypatch, tmp_path / "read-only", "train-settings",
                                  {"family": "logistic_regression"})
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
        at.query_params["ws"] = token
        at.run()
        assert not at.exception
        assert at.session_state[keys.WORKSPACE] == (token, workspace_id_of(token))  # opened, though nothing writes
        assert at.query_params["ws"] == token
        visitor = new_app()  # no token: its workspace is made once the store can write, with what was done meanwhile
        assert not visitor.exception
        assert workspace.made_during_fault(visitor.query_params["ws"])
        assert any("cannot be written" in w.value and "saved as soon as the store can be written again" in w.value
                   for w in visitor.warning)
    finally:
        workspace._store.clear()


def test_settings_chosen_on_train_and_search_survive_every_page_a_refresh_and_another_device():
    # Streamlit drops a widget's key on a page that does not draw it: the session holds the settings instead
    # (ui.state.settings), so the trees and depth chosen here came back as 200 and 0 after a visit to the Data
    # page, and the workspace then stored the defaults.
    at = new_app()
    token = at.query_params["ws"]
    at.switch_page("views/train.py").run()
    at.selectbox(key="family").set_value("mlp").run()
    at.slider(key="hp-mlp-epochs").set_value(40).run()  # another family's setting is kept too
    at.selectbox(key="family").set_value("random_forest").run()
    at.slider(key="hp-random_forest-n_estimators").set_value(10).run()
    at.slider(key="hp-random_forest-max_depth").set_value(3).run()
    at.switch_page("views/search.py").run()
    at.radio(key="search-strategy").set_value("random").run()
    at.slider(key="search-budget").set_value(7).run()
    for page in ("views/data.py", "views/runs.py", "views/predict.py", "views/workflows.py", "views/classroom.py",
                 "views/search.py", "views/train.py"):
        at.switch_page(page).run()
        assert not at.exception, page

    def same_settings(app):
        app.switch_page("views/train.py").run()
        assert app.selectbox(key="family").value == "random_forest"
        assert app.slider(key="hp-random_forest-n_estimators").value == 10
        assert app.slider(key="hp-random_forest-max_depth").value == 3
        app.selectbox(key="family").set_value("mlp").run()
        assert app.slider(key="hp-mlp-epochs").value == 40
        app.selectbox(key="family").set_value("random_forest").run()
        app.switch_page("views/search.py").run()
        assert app.radio(key="search-strategy").value == "random"
        assert app.slider(key="search-budget").value == 7

    same_settings(at)
    same_settings(_reopen(token))  # a refresh, or the workspace link on another device
