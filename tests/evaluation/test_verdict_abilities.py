"""The verdict and the worker's judging ask a family's declared abilities, never its key: a new family is
its own file plus one line in the registry, verdict included."""

import ast
from pathlib import Path

import pytest

from mllab.evaluation.baseline import Baseline
from mllab.evaluation.verdict import VerdictFacts, write_verdict
from mllab.models import FAMILIES
from mllab.models.base import Abilities, Remedy

ROOT = Path(__file__).resolve().parents[2]
JUDGES = [ROOT / "mllab" / "evaluation" / "verdict.py", ROOT / "mllab" / "training" / "judging.py"]


def _strings(node: ast.AST) -> list[str]:
    """The string literals an expression is or holds ("mlp", ("mlp", "cnn"))."""
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _names(node: ast.AST) -> set[str]:
    found = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            found.add(n.id)
        elif isinstance(n, ast.Attribute):
            found.add(n.attr)
    return found


@pytest.mark.parametrize("path", JUDGES, ids=lambda p: p.name)
def test_no_family_key_is_compared_to_a_string_literal(path):
    tree = ast.parse(path.read_text())
    keys = set(FAMILIES)
    wrong = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            mentions_family = any("family" in name.lower() for side in sides for name in _names(side))
            if mentions_family and any(_strings(side) for side in sides):
                wrong.append(f"line {node.lineno}: {ast.unparse(node)}")
        # A key spelled out anywhere (a tuple of keys kept for a later `in`) is the same branch in disguise.
        if isinstance(node, ast.Constant) and node.value in keys:
            wrong.append(f"line {node.lineno}: the family key {node.value!r}")
    assert not wrong, f"{path.name} branches on family keys; ask family.abilities instead:\n" + "\n".join(wrong)


def _facts(abilities: Abilities, **changes) -> VerdictFacts:
    base = dict(task="classification", abilities=abilities, family_label="Gradient boosting", score_name="accuracy",
                score_label="test accuracy", score=0.55, baseline=Baseline("classification", "the prior",
                                                                             {"accuracy": 0.5}),
                train_score=0.56, history=[{"step": i, "loss": 1.0 / i ** 2} for i in range(1, 21)],
                step_label="Iteration", params={"max_iter": 50})
    return VerdictFacts(**{**base, **changes})


def test_a_new_family_gets_its_own_fixes_from_its_declaration_alone():
    # A family the verdict has never heard of: it names its own settings and words.
    longer = Remedy(" Grow more trees: {value} iterations.", "max_iter", lambda v: 2 * v["max_iter"],
                    "Set iterations to {value}")
    shrink = Remedy(" Lower the learning rate to {value:g}.", "learning_rate", lambda v: 0.05, "Set it to {value:g}")
    abilities = Abilities(scale_sensitive=False, validation_loss_curve=False, train_gap_tells=True,
                          training_score_in_history=False, live_boundary_map=False, overfit_remedy=shrink,
                          underfit_evidence="loss_still_falling", underfit_remedy=longer)
    under = write_verdict(_facts(abilities))
    finding = next(f for f in under.findings if f.rule == "underfit")
    assert finding.sentence.endswith("iterations). Grow more trees: 100 iterations.")
    assert finding.action.label == "Set iterations to 100" and finding.action.params == (("max_iter", 100),)
    over = write_verdict(_facts(abilities, score=0.7, train_score=0.99))
    finding = next(f for f in over.findings if f.rule == "overfit")
    assert finding.sentence.endswith(" Lower the learning rate to 0.05.")
    assert finding.action.params == (("learning_rate", 0.05),)
    # The same facts without the train-gap ability: no over-fitting sentence, and the all-clear does not claim it.
    quiet = write_verdict(_facts(Abilities(**{**abilities.__dict__, "train_gap_tells": False}), score=0.95,
                                 train_score=0.99))
    assert "overfit" not in quiet.rules() and "scores alike" not in quiet.text()
