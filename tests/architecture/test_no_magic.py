"""Streamlit's "magic" is off (.streamlit/config.toml, runner.magicEnabled): a bare expression on a page
would silently draw nothing. Every page, and every ui module a page calls, draws with st.* calls only."""

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _bare_expressions(path: Path) -> list[str]:
    found = []
    for parent in ast.walk(ast.parse(path.read_text())):
        for field in ("body", "orelse", "finalbody"):
            body = getattr(parent, field, None)
            if not isinstance(body, list):
                continue
            for i, node in enumerate(body):
                if not isinstance(node, ast.Expr) or isinstance(node.value, (ast.Call, ast.Await, ast.Yield,
                                                                              ast.YieldFrom)):
                    continue
                docstring = (i == 0 and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
                             and isinstance(parent, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)))
                if not docstring:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)[:60]}")
    return found


def test_magic_is_off_and_no_page_relies_on_it():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["magicEnabled"] is False
    scripts = [ROOT / "app.py", *sorted((ROOT / "views").glob("*.py")), *sorted((ROOT / "ui").rglob("*.py"))]
    assert len(scripts) > 30
    found = [line for path in scripts for line in _bare_expressions(path)]
    assert not found, "bare expressions, which magic would have drawn: " + "; ".join(found)
