"""The decision tree: the same tree as plain scikit-learn's, its diagram counting what the fitted tree counts, its
exported script printing the same figures and rules, the diagram kept by the store, and a tree too big to draw
refused in a sentence with its top levels drawn."""

import io
import re
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor, export_text

from mllab.charts.tree import NODE_TRACE_NAME, tree_figure
from mllab.datasets.builtin import load_builtin
from mllab.evaluation.tree_diagram import (MAX_DRAWN_DEPTH, TOP_LEVELS, class_mix, node_sentence,
                                           original_threshold, too_big_sentence)
from mllab.export import export_run
from mllab.models import FAMILIES
from mllab.prepare import prepare
from mllab.prepare.preprocessing import PreprocessConfig
from mllab.store import Store, create_run, finish_run, load_runs
from mllab.training import LocalReporter, TrainingSpec, new_run, run_training
from mllab.training.prediction import TRUSTED_SKOPS_TYPES, load_kept_model, predict_inputs

FAMILY = FAMILIES["decision_tree"]


def _trained(key, params, task="classification", target=None):
    dataset = load_builtin(key)
    target = target or dataset.target
    spec = TrainingSpec(dataset=dataset, target=target, preprocessing=PreprocessConfig(), family="decision_tree",
                        params={**FAMILY.defaults(), **params}, task=task, keep_model=True)
    result = run_training(spec, LocalReporter())
    data = prepare(dataset.frame, target, spec.feature_columns(), spec.preprocessing, task=task)
    return spec, result, data


@pytest.fixture(scope="module")
def wine():
    """A depth-3 tree on wine (standardised columns), and scikit-learn's own tree on the same prepared rows."""
    spec, result, data = _trained("wine", {"max_depth": 3})
    plain = DecisionTreeClassifier(max_depth=3, random_state=spec.seed).fit(data.x_train, data.y_train)
    return spec, result, data, plain


def test_the_tree_scores_what_plain_scikit_learn_scores_with_the_same_settings_and_split(wine):
    spec, result, data, plain = wine
    assert result.evaluation.accuracy == pytest.approx(np.mean(plain.predict(data.x_test) == data.y_test))
    assert result.evaluation.accuracy > 0.8


def test_the_diagram_counts_what_the_fitted_tree_counts(wine):
    spec, result, data, plain = wine
    diagram, structure = result.tree, plain.tree_
    assert diagram.whole and diagram.n_nodes == structure.node_count == len(diagram.nodes)
    rules = export_text(plain, feature_names=data.feature_names, class_names=data.class_names)
    assert diagram.n_leaves == plain.get_n_leaves() == len(re.findall(r"class: ", rules))
    for node in diagram.nodes:
        assert node.samples == structure.n_node_samples[node.id] == node.counts.sum()
        np.testing.assert_allclose(node.counts / node.samples, structure.value[node.id, 0])
        assert node.predicted == data.class_names[int(structure.value[node.id, 0].argmax())]
        if not node.leaf:  # the question in the column's own units: the standardisation undone
            name = data.feature_names[structure.feature[node.id]]
            column = load_builtin("wine").frame[name]
            threshold = original_threshold(data, spec.preprocessing, int(structure.feature[node.id]),
                                           float(structure.threshold[node.id]))
            assert node.split == f"{name} ≤ {threshold:.4g}"
            train_values = column.to_numpy()[data.train_rows]
            assert node.id != 0 or (train_values <= threshold).sum() == diagram.nodes[1].samples
    root = diagram.nodes[0]
    assert rules.startswith(f"|--- {data.feature_names[structure.feature[0]]} <= ")
    assert root.test_rows == len(data.y_test) and root.test_right == round(result.evaluation.accuracy * len(data.y_test))
    leaves = [node for node in diagram.nodes if node.leaf]
    assert sum(node.test_rows for node in leaves) == len(data.y_test)
    assert "classified" in node_sentence(diagram, root) and class_mix(diagram, root)["training rows"].sum() == root.samples
    figure = tree_figure(diagram)
    [points] = [trace for trace in figure.data if trace.name == NODE_TRACE_NAME]
    assert len(points.x) == structure.node_count


def test_the_exported_script_prints_the_figures_and_the_rules_of_the_same_tree(wine, tmp_path):
    spec, result, data, plain = wine
    run = new_run(1, "tree", spec, data_source={"kind": "builtin", "key": "wine"}, cleaning={"target": spec.target})
    run.result, run.status = result, result.status
    export = export_run(run)
    with zipfile.ZipFile(io.BytesIO(export.zip_bytes())) as archive:
        for member in archive.namelist():
            (tmp_path / member.split("/", 1)[1]).write_bytes(archive.read(member))
    done = subprocess.run([sys.executable, export.script_name], cwd=tmp_path, capture_output=True, text=True,
                          timeout=240, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": ""})
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"Test accuracy: {result.evaluation.accuracy:.3f}" in done.stdout
    rules = export_text(plain, feature_names=data.feature_names, class_names=data.class_names, max_depth=1000)
    assert rules in done.stdout


def test_the_kept_tree_holds_only_trusted_types_and_predicts_as_the_run_did(wine):
    import skops.io as sio

    spec, result, data, plain = wine
    with zipfile.ZipFile(io.BytesIO(result.model_file.data)) as archive:
        for name in archive.namelist():
            if name.endswith(".skops"):
                assert set(sio.get_untrusted_types(data=archive.read(name))) <= TRUSTED_SKOPS_TYPES
    kept = load_kept_model(result.model_file.data)
    np.testing.assert_array_equal(predict_inputs(kept, data.x_test), plain.predict_proba(data.x_test))


def test_a_regression_tree_is_scikit_learns_and_its_leaves_give_the_mean_target():
    spec, result, data = _trained("wine", {"max_depth": 2}, task="regression", target="alcohol")
    plain = DecisionTreeRegressor(max_depth=2, random_state=spec.seed).fit(data.x_train, data.y_train)
    assert result.evaluation.r2 == pytest.approx(1 - np.sum((plain.predict(data.x_test) - data.y_test) ** 2)
                                                 / np.sum((data.y_test - data.y_test.mean()) ** 2))
    for node in result.tree.nodes:
        assert node.value == pytest.approx(plain.tree_.value[node.id, 0, 0])
        assert len(node.counts) == 0
    assert "mean target" in node_sentence(result.tree, result.tree.nodes[0])


def test_a_tree_too_big_to_read_is_refused_in_a_sentence_and_its_top_levels_drawn():
    assert too_big_sentence(10_000, 30) == (
        f"This tree has 10,000 leaves and depth 30; a diagram that size cannot be read. Set Max depth to "
        f"{MAX_DRAWN_DEPTH} or less to draw it whole. The top {TOP_LEVELS + 1} levels are drawn here.")
    assert too_big_sentence(16, 4) == ""
    spec, result, data = _trained("digits", {"max_depth": 0})
    diagram = result.tree
    assert diagram.depth > MAX_DRAWN_DEPTH and diagram.too_big.startswith(f"This tree has {diagram.n_leaves:,} leaves")
    assert diagram.drawn_depth == TOP_LEVELS == max(node.depth for node in diagram.nodes)
    drawn_leaves = sum(node.leaf for node in diagram.nodes)
    assert drawn_leaves + sum(node.hidden_leaves for node in diagram.nodes) == diagram.n_leaves
    assert len(tree_figure(diagram).layout.annotations) >= len(diagram.nodes)


def test_the_store_keeps_the_diagram_of_a_run_reopened_later(wine, tmp_path):
    spec, result, data, plain = wine
    store = Store(data_dir=tmp_path / "data")
    try:
        token = store.new_workspace()
        workspace = store.open_workspace(token)
        run_id = create_run(store, workspace, new_run(1, "job1", spec, {"kind": "builtin", "key": "wine"},
                                                      {"target": spec.target}))
        finish_run(store, workspace, run_id, "completed", result.history, result, None, None)
    finally:
        store.close()
    reopened = Store(data_dir=tmp_path / "data")  # as after a restart
    try:
        [back] = load_runs(reopened, reopened.open_workspace(token))
    finally:
        reopened.close()
    kept, original = back.result.tree, result.tree
    assert (kept.n_leaves, kept.depth, kept.units, kept.class_names) == \
        (original.n_leaves, original.depth, original.units, original.class_names)
    for again, node in zip(kept.nodes, original.nodes, strict=True):
        assert (again.split, again.samples, again.test_right, again.predicted) == \
            (node.split, node.samples, node.test_right, node.predicted)
        np.testing.assert_array_equal(again.counts, node.counts)
        np.testing.assert_array_equal(again.example_rows, node.example_rows)
