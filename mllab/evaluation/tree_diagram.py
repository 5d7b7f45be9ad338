"""A fitted decision tree as a small structure the page can draw and the store can keep: each node's question in the
column's own words ("log_P ≤ 0.42"), the training rows that reached it with their classes (or mean value), what it
predicts, and how the test rows that passed through it were classified. Built on the worker, where the tree is."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mllab.prepare import PreparedData, PreprocessConfig

# Past this depth the boxes would be a few pixels wide: the diagram is refused with a sentence, and only its top
# levels are drawn. Depth 6 is at most 64 leaves across the page.
MAX_DRAWN_DEPTH = 6
# The levels drawn of a tree too deep to draw whole (the root's depth is 0): as many as the default depth-4 tree.
TOP_LEVELS = 4
# Test rows kept per node, for the table under a clicked node.
EXAMPLE_ROWS = 20


@dataclass
class TreeNode:
    id: int  # scikit-learn's node number (tree_.children_left and the like)
    depth: int  # the root is 0
    parent: int  # -1 for the root
    yes_branch: bool  # reached by answering yes (≤) to the parent's question
    leaf: bool
    split: str  # "log_P ≤ 0.42" for a question, "" for a leaf
    samples: int  # training rows that reached it
    counts: np.ndarray  # training rows of each class (classification; empty for a regression)
    value: float  # the mean target of its training rows (regression; NaN for classification)
    predicted: str  # the class it votes for, or the value it predicts
    hidden_leaves: int  # leaves below it that are not drawn (a node at the foot of a tree drawn in part)
    test_rows: int  # test rows that passed through it
    test_right: int  # of those, classified right by the whole tree (classification)
    test_counts: np.ndarray  # those test rows by true class (classification)
    test_mae: float  # their mean absolute error (regression; NaN without test rows or for classification)
    # Up to EXAMPLE_ROWS test rows through it: position in the dataset's frame, true and predicted class index
    # (or value).
    example_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    example_true: np.ndarray = field(default_factory=lambda: np.zeros(0))
    example_predicted: np.ndarray = field(default_factory=lambda: np.zeros(0))


@dataclass
class TreeDiagram:
    task: str
    class_names: list[str]
    nodes: list[TreeNode]  # those drawn, parents before children
    n_nodes: int  # in the whole tree
    n_leaves: int
    depth: int
    drawn_depth: int  # the deepest level drawn
    too_big: str  # the sentence saying why only the top levels are drawn; "" when the tree is drawn whole
    units: str  # what the thresholds are measured in, when that is not simply each column's own units
    n_test: int

    @property
    def whole(self) -> bool:
        return not self.too_big


def too_big_sentence(n_leaves: int, depth: int) -> str:
    """Why a tree this size is not drawn whole, and what to set; "" when it can be."""
    if depth <= MAX_DRAWN_DEPTH:
        return ""
    return (f"This tree has {n_leaves:,} leaves and depth {depth}; a diagram that size cannot be read. Set Max depth "
            f"to {MAX_DRAWN_DEPTH} or less to draw it whole. The top {TOP_LEVELS + 1} levels are drawn here.")


def tree_diagram(tree, data: PreparedData, config: PreprocessConfig) -> TreeDiagram:
    """The diagram of `tree`, fitted on `data.x_train`, with its test rows `data.x_test`."""
    structure = tree.tree_
    regression = data.task == "regression"
    n_leaves, depth = int(tree.get_n_leaves()), int(tree.get_depth())
    sentence = too_big_sentence(n_leaves, depth)
    drawn_depth = depth if not sentence else TOP_LEVELS
    node_depth = _node_depths(structure)
    drawn = np.flatnonzero(node_depth <= drawn_depth)  # numbered depth first: every parent before its children
    parents = np.full(structure.node_count, -1)
    left, right = structure.children_left, structure.children_right
    inner = np.flatnonzero(left >= 0)
    parents[left[inner]], parents[right[inner]] = inner, inner
    leaves_below = _leaves_below(structure)

    train_path = tree.decision_path(data.x_train).tocsc()[:, drawn]
    test_path = tree.decision_path(data.x_test).tocsc()[:, drawn]
    test_predicted = tree.predict(data.x_test)
    y_test = np.asarray(data.y_test)
    k = len(data.class_names)
    if regression:
        counts = test_counts = np.zeros((len(drawn), 0))
        right = np.zeros(len(drawn), dtype=np.int64)
        errors = np.abs(test_predicted - y_test)
        error_sums = np.asarray(test_path.T @ errors).reshape(-1)
    else:
        counts = np.asarray(train_path.T @ _one_hot(data.y_train, k))
        test_counts = np.asarray(test_path.T @ _one_hot(y_test, k))
        right = np.asarray(test_path.T @ (test_predicted == y_test).astype(np.int64)).reshape(-1)
    test_rows = np.diff(test_path.indptr)
    frame_rows = np.arange(len(y_test)) if data.test_rows is None else np.asarray(data.test_rows)

    nodes = []
    for column, node in enumerate(drawn):
        is_leaf = bool(left[node] < 0)
        at_foot = not is_leaf and node_depth[node] == drawn_depth
        through = test_path.indices[test_path.indptr[column]:test_path.indptr[column + 1]][:EXAMPLE_ROWS]
        value = structure.value[node]
        nodes.append(TreeNode(
            id=int(node), depth=int(node_depth[node]), parent=int(parents[node]),
            yes_branch=bool(parents[node] >= 0 and left[parents[node]] == node), leaf=is_leaf,
            split="" if is_leaf else _question(data, config, int(structure.feature[node]),
                                               float(structure.threshold[node])),
            samples=int(structure.n_node_samples[node]),
            counts=np.asarray(counts[column], dtype=np.int64),
            value=float(value[0, 0]) if regression else float("nan"),
            predicted=f"{value[0, 0]:.4g}" if regression else data.class_names[int(tree.classes_[value[0].argmax()])],
            hidden_leaves=int(leaves_below[node]) if at_foot else 0,
            test_rows=int(test_rows[column]), test_right=int(right[column]),
            test_counts=np.asarray(test_counts[column], dtype=np.int64),
            test_mae=float(error_sums[column] / test_rows[column]) if regression and test_rows[column] else float("nan"),
            example_rows=np.asarray(frame_rows[through], dtype=np.int64),
            example_true=np.asarray(y_test[through]), example_predicted=np.asarray(test_predicted[through]),
        ))
    return TreeDiagram(task=data.task, class_names=list(data.class_names), nodes=nodes,
                       n_nodes=int(structure.node_count), n_leaves=n_leaves, depth=depth, drawn_depth=int(drawn_depth),
                       too_big=sentence, units=_units(config, data), n_test=len(y_test))


def _node_depths(structure) -> np.ndarray:
    depths = np.zeros(structure.node_count, dtype=np.int64)
    for node in range(structure.node_count):  # scikit-learn numbers a child after its parent
        for child in (structure.children_left[node], structure.children_right[node]):
            if child >= 0:
                depths[child] = depths[node] + 1
    return depths


def _leaves_below(structure) -> np.ndarray:
    leaves = (structure.children_left < 0).astype(np.int64)
    for node in range(structure.node_count - 1, -1, -1):  # children first
        if structure.children_left[node] >= 0:
            leaves[node] = leaves[structure.children_left[node]] + leaves[structure.children_right[node]]
    return leaves


def _one_hot(labels: np.ndarray, k: int) -> np.ndarray:
    encoded = np.zeros((len(labels), k), dtype=np.int64)
    encoded[np.arange(len(labels)), np.asarray(labels, dtype=np.int64)] = 1
    return encoded


def _question(data: PreparedData, config: PreprocessConfig, column: int, threshold: float) -> str:
    """"log_P ≤ 0.42", with the threshold in the column's own units where the scaling can be undone."""
    return f"{data.feature_names[column]} ≤ {original_threshold(data, config, column, threshold):.4g}"


def original_threshold(data: PreparedData, config: PreprocessConfig, column: int, threshold: float) -> float:
    """A threshold on the `column`-th prepared column, in that column's units before scaling. Scaling keeps the
    order of the values (every scaler multiplies by a positive number), so "≤" still holds; a principal
    component or a one-hot column keeps its prepared value."""
    if config.pca_components or config.scaling == "none" or data.preprocessor is None:
        return threshold
    columns = data.preprocessor.named_steps["columns"]
    numeric = columns.output_indices_.get("numeric")
    if numeric is None or not numeric.start <= column < numeric.stop:
        return threshold
    scaler = columns.named_transformers_["numeric"].named_steps["scale"]
    row = np.full((1, numeric.stop - numeric.start), threshold, dtype=np.float64)
    return float(scaler.inverse_transform(row)[0, column - numeric.start])


def _units(config: PreprocessConfig, data: PreparedData) -> str:
    if config.pca_components:
        return ("The questions are about the principal components (PC1, PC2, …) of the prepared columns, not about "
                "the columns themselves, so their thresholds have no units of their own.")
    if config.scaling != "none" and data.preprocessor is not None:
        return ("The tree split the scaled columns; each threshold is shown converted back to its column's own "
                "units. The exported code's rules are in the scaled units.")
    return ""


def node_sentence(diagram: TreeDiagram, node: TreeNode) -> str:
    """What a clicked node holds, in one or two sentences."""
    where = "The root" if node.parent < 0 else ("A leaf" if node.leaf else "A node")
    text = f"{where}: {node.samples:,} training rows reach it"
    if node.split:
        text += f", and it asks whether {node.split} (yes: left, no: right)"
    text += "." if diagram.task == "regression" or not node.leaf else f"; it predicts {node.predicted}."
    if diagram.task == "regression":
        text += f" Their mean target is {node.value:.4g}."
        if node.test_rows:
            text += f" {node.test_rows:,} test rows pass through it, predicted with mean absolute error {node.test_mae:.4g}."
    elif node.test_rows:
        text += (f" {node.test_rows:,} of the {diagram.n_test:,} test rows pass through it: the tree classified "
                 f"{node.test_right:,} of them right and {node.test_rows - node.test_right:,} wrong.")
    else:
        text += " No test row passes through it."
    if node.hidden_leaves:
        text += f" Below it are {node.hidden_leaves:,} leaves that are not drawn."
    return text


def class_mix(diagram: TreeDiagram, node: TreeNode) -> pd.DataFrame:
    """Per class: the training rows that reached the node and the test rows that passed through it."""
    return pd.DataFrame({"class": diagram.class_names, "training rows": node.counts, "test rows": node.test_counts})


def example_table(diagram: TreeDiagram, node: TreeNode, frame_index) -> pd.DataFrame:
    """The test rows kept for the node (at most EXAMPLE_ROWS): their row in the data, true and predicted."""
    row = [frame_index[int(r)] if frame_index is not None else int(r) for r in node.example_rows]
    if diagram.task == "regression":
        return pd.DataFrame({"row": row, "true": node.example_true, "predicted": node.example_predicted})
    names = diagram.class_names
    true = [names[int(c)] for c in node.example_true]
    predicted = [names[int(c)] for c in node.example_predicted]
    return pd.DataFrame({"row": row, "true class": true, "predicted class": predicted,
                         "right": [t == p for t, p in zip(true, predicted)]})
