"""Page tests (AppTest) for validation and search: a K-fold run on the Train page shows its per-fold
scores and appears in the Runs table with mean ± std; the Search page runs a grid search, shows the
table and the best, and "Train with these settings" puts them on the Train page; Stop keeps finished candidates."""

import json
import re

from streamlit.testing.v1 import AppTest

from conftest import ROOT
from page_support import wait_for

TIMEOUT = 120


def _app_on(dataset_key: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    at.selectbox(key="builtin-choice").set_value(dataset_key).run()
    return at


def test_a_stratified_kfold_run_shows_per_fold_scores_and_mean_std_in_runs():
    at = _app_on("wine")
    at.switch_page("views/train.py").run()
    at.selectbox(key="family").set_value("random_forest").run()
    at.slider(key="hp-random_forest-n_estimators").set_value(50).run()
    at.selectbox(key="val-scheme").set_value("stratified_kfold").run()
    at.slider(key="val-n_folds").set_value(4).run()
    at.button(key="train-button").click().run()
    wait_for(at, lambda at: any(m.label == "Mean accuracy" for m in at.metric))
    mean = next(m for m in at.metric if m.label == "Mean accuracy").value
    assert mean.startswith("0.9") and "±" in mean
    assert next(m for m in at.metric if m.label == "Folds").value == "4 of 4"
    fold_table = next(d.value for d in at.dataframe if "Fold" in d.value.columns)
    assert list(fold_table["Fold"]) == [1, 2, 3, 4] and (fold_table["Accuracy"] > 0.8).all()
    fold_chart = next(json.loads(c.proto.spec) for c in at.get("plotly_chart")
                      if "each fold" in json.loads(c.proto.spec)["layout"]["title"]["text"])
    assert [t["type"] for t in fold_chart["data"]] == ["bar", "scatter"] and len(fold_chart["data"][0]["x"]) == 4
    at.switch_page("views/runs.py").run()
    runs = at.dataframe[0].value
    assert runs["Validation"][0].startswith("Stratified 4-fold: accuracy 0.9") and "±" in runs["Validation"][0]
    # The Search page starts its fixed settings from the latest run of the family.
    at.switch_page("views/search.py").run()
    at.selectbox(key="search-family").set_value("random_forest").run()
    assert at.slider(key="search-random_forest-fixed-n_estimators").value == 50


def test_search_page_grid_search_table_best_and_train_with_these_settings():
    at = _app_on("iris")
    at.switch_page("views/search.py").run()
    assert not at.exception
    at.selectbox(key="search-family").set_value("random_forest").run()
    at.checkbox(key="search-random_forest-vary-max_depth").check().run()
    at.slider(key="search-random_forest-max_depth-range").set_value((1, 5)).run()
    at.checkbox(key="search-random_forest-vary-max_features").check().run()
    at.multiselect(key="search-random_forest-options-max_features").set_value(["sqrt", "log2"]).run()
    at.slider(key="search-random_forest-fixed-n_estimators").set_value(30).run()
    at.selectbox(key="search-val-scheme").set_value("kfold").run()
    at.slider(key="search-val-n_folds").set_value(3).run()
    assert any(c.value == "6 candidates × 3 models each" for c in at.caption)
    at.button(key="search-run").click().run()
    wait_for(at, lambda at: any(b.key == "search-train-best" for b in at.button))
    table = next(d.value for d in at.dataframe if "Best" in d.value.columns)
    assert len(table) == 6 and set(table["Max depth"]) == {"1", "3", "5"}
    assert table["Best"].sum() == 1 and table.iloc[0]["Best"]  # sorted best first
    best_depth, best_features = table.iloc[0]["Max depth"], table.iloc[0]["Max features per split"]
    assert table.iloc[0]["Mean accuracy"] >= 0.9
    assert any(s.value.startswith("Best of 6 candidates (3-fold)") for s in at.success)
    at.button(key="search-train-best").click().run()
    assert not at.exception
    assert at.selectbox(key="family").value == "random_forest"
    assert at.slider(key="hp-random_forest-max_depth").value == int(best_depth)
    assert at.slider(key="hp-random_forest-n_estimators").value == 30
    chosen = at.selectbox(key="hp-random_forest-max_features")
    assert chosen.format_func(chosen.value) == best_features


def test_search_page_refuses_a_search_with_nothing_to_vary_and_a_bad_layer_list():
    at = _app_on("pima")
    at.switch_page("views/search.py").run()
    at.selectbox(key="search-family").set_value("mlp").run()
    at.button(key="search-run").click().run()
    assert not at.exception
    assert "Tick Vary next to at least one hyperparameter" in " ".join(e.value for e in at.error)
    at.checkbox(key="search-mlp-vary-hidden_layers").check().run()
    at.text_input(key="search-mlp-options-hidden_layers").set_value("12, 8; twelve").run()
    at.button(key="search-run").click().run()
    assert not at.exception
    assert "whole numbers separated by commas" in " ".join(e.value for e in at.error)


def test_a_log_scaled_range_stays_a_range_across_reruns_and_counts_its_grid():
    at = _app_on("iris")
    at.switch_page("views/search.py").run()
    at.selectbox(key="search-family").set_value("logistic_regression").run()
    at.checkbox(key="search-logistic_regression-vary-C").check().run()
    assert at.select_slider(key="search-logistic_regression-C-range").value == (0.1, 10.0)  # a decade either side
    at.select_slider(key="search-logistic_regression-C-range").set_value((0.01, 100.0)).run()
    at.number_input(key="search-logistic_regression-C-count").set_value(5).run()
    at.run()
    assert not at.exception
    assert at.select_slider(key="search-logistic_regression-C-range").value == (0.01, 100.0)
    assert any(c.value == "5 candidates × 5 models each" for c in at.caption)


def test_a_running_search_shows_candidate_progress_and_stop_keeps_the_finished_ones():
    at = _app_on("pima")
    at.switch_page("views/search.py").run()
    at.selectbox(key="search-family").set_value("mlp").run()
    at.slider(key="search-mlp-fixed-epochs").set_value(30).run()  # long enough that Stop lands mid-search
    at.checkbox(key="search-mlp-vary-batch_size").check().run()
    at.slider(key="search-mlp-batch_size-range").set_value((8, 64)).run()
    at.number_input(key="search-mlp-batch_size-count").set_value(4).run()
    at.selectbox(key="search-val-scheme").set_value("holdout").run()
    at.button(key="search-run").click().run()
    wait_for(at, lambda at: any(d.value.shape[0] >= 1 and "Batch size" in d.value.columns for d in at.dataframe))
    progress = at.get("progress")[0]
    assert re.match(r"Candidate \d of 4", progress.proto.text)
    at.button(key="search-stop").click().run()
    wait_for(at, lambda at: any(b.key == "search-train-best" for b in at.button) or at.warning)
    infos = " ".join(i.value for i in at.info)
    table = next(d.value for d in at.dataframe if "Best" in d.value.columns)
    assert 1 <= len(table) < 4 and f"Stopped after {len(table)} of 4 candidates" in infos


def _specs(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def test_a_kfold_photo_z_run_on_the_train_page_shows_fold_scores_and_out_of_fold_metrics():
    at = _app_on("sdss_mgs")
    at.switch_page("views/train.py").run()
    at.selectbox(key="family").set_value("random_forest").run()
    at.slider(key="hp-random_forest-n_estimators").set_value(30).run()
    # No classes to stratify by: stratified K-fold is not offered for a regression.
    assert at.selectbox(key="val-scheme").options == ["Hold-out (one test split)", "K-fold (shuffled)",
                                                      "Repeated K-fold (reshuffled each repeat)"]
    at.selectbox(key="val-scheme").set_value("kfold").run()
    at.slider(key="val-n_folds").set_value(3).run()
    at.button(key="train-button").click().run()
    wait_for(at, lambda at: any(m.label == "Out-of-fold R²" for m in at.metric))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Mean R²"].startswith("0.8") and "±" in metrics["Mean R²"]
    assert float(metrics["Mean NMAD"].split(" ± ")[0]) <= 0.016 and metrics["Folds"] == "3 of 3"
    assert float(metrics["Out-of-fold R²"]) >= 0.8 and float(metrics["Out-of-fold NMAD"]) <= 0.016
    assert "R²" not in metrics and "NMAD" not in metrics  # no figure claims a single test split
    assert any("10,000 out-of-fold predictions" in c.value for c in at.caption)
    assert any("about 6,667 training rows per fold, 10,000 rows each predicted by the fold that did not train on it"
               in c.value for c in at.caption)
    fold_table = next(d.value for d in at.dataframe if "Fold" in d.value.columns)
    assert list(fold_table["Fold"]) == [1, 2, 3] and (fold_table["NMAD"] < 0.02).all()
    fold_chart = next(s for s in _specs(at) if s["layout"]["title"]["text"] == "R² of each fold")
    assert [t["name"] for t in fold_chart["data"]][0] == "R² per fold"
    scatter = next(s for s in _specs(at) if s["layout"]["title"]["text"].startswith("Predicted against true"))
    assert [t["name"] for t in scatter["data"]][:2] == ["Out-of-fold predictions", "Perfect prediction (y = x)"]
    at.switch_page("views/runs.py").run()
    runs = at.dataframe[0].value
    assert runs["Validation"][0].startswith("3-fold: R² 0.8") and runs["NMAD"][0] <= 0.016


def test_search_page_on_a_photo_z_regression_ranks_by_r2_and_trains_the_best_as_a_regression():
    at = _app_on("sdss_mgs")
    at.switch_page("views/search.py").run()
    assert not at.exception
    assert [i.value for i in at.info][0].startswith("Tick Vary")  # the search form, not a refusal
    assert "Logistic regression" not in at.selectbox(key="search-family").options
    at.selectbox(key="search-family").set_value("random_forest").run()
    assert not [c for c in at.checkbox if c.key == "search-random_forest-vary-class_weight"]
    assert at.selectbox(key="search-val-scheme").value == "kfold"  # stratified folds need classes
    assert at.selectbox(key="search-metric").options == ["R²", "RMSE", "MAE", "NMAD"]
    at.slider(key="search-random_forest-fixed-n_estimators").set_value(20).run()
    at.checkbox(key="search-random_forest-vary-max_depth").check().run()
    at.slider(key="search-random_forest-max_depth-range").set_value((2, 12)).run()
    at.number_input(key="search-random_forest-max_depth-count").set_value(2).run()
    at.selectbox(key="search-val-scheme").set_value("holdout").run()
    assert any(c.value == "2 candidates × 1 model each" for c in at.caption)
    at.button(key="search-run").click().run()
    wait_for(at, lambda at: any(b.key == "search-train-best" for b in at.button))
    table = next(d.value for d in at.dataframe if "Best" in d.value.columns)
    assert "Mean R²" in table.columns and len(table) == 2
    assert table.iloc[0]["Best"] and table.iloc[0]["Max depth"] == "12"
    assert table.iloc[0]["Mean R²"] == table["Mean R²"].max() >= 0.75
    assert any(s.value.startswith("Best of 2 candidates (Hold-out): Max depth 12") and "mean R² 0." in s.value
               for s in at.success)
    # Meanwhile the redshift box is unticked on the Data page: the best settings come back with the task
    # and redshift figures they were scored with.
    name = at.session_state.dataset.name
    at.session_state["task-choices"] = {(name, "redshift"): ("regression", False)}
    at.button(key="search-train-best").click().run()
    assert not at.exception
    assert at.slider(key="hp-random_forest-max_depth").value == 12
    assert at.slider(key="hp-random_forest-n_estimators").value == 20
    assert any("task **regression** (a redshift)" in c.value for c in at.caption)


def test_the_score_help_speaks_of_the_task_at_hand():
    at = _app_on("iris")
    at.switch_page("views/search.py").run()
    help_text = at.selectbox(key="search-metric").help
    assert "accuracy" in help_text and "R²" not in help_text  # a classification: no regression score named
    at.switch_page("views/data.py").run()
    at.selectbox(key="builtin-choice").set_value("sdss_mgs").run()
    at.switch_page("views/search.py").run()
    assert "NMAD" in at.selectbox(key="search-metric").help  # a redshift
