"""The core's tree is the pipeline: stages import only the stages below them, no module imports
itself back through others, no module is past about 600 lines, and `import mllab` stays cheap.

Every import counts, including those inside functions and under TYPE_CHECKING: a cycle hidden in
a function is still a cycle in the design.
"""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "mllab"

# The stages, lowest first. A module may import its own stage and those before it in this list;
# errors and params (the settings schema) are the foundation every stage stands on.
STAGES = ["foundation", "datasets", "io", "prepare", "models", "evaluation", "charts", "training", "store", "export",
          "presets"]
FOUNDATION = {"mllab", "mllab.errors", "mllab.params"}
MAX_LINES = 600


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def core_modules() -> dict[str, Path]:
    return {module_name(p): p for p in CORE.rglob("*.py")}


def imported_modules(path: Path, modules: dict[str, Path]) -> set[str]:
    """The mllab modules a file imports, each named as precisely as the import names it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "mllab"}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "mllab":
            for alias in node.names:  # `from mllab.charts import validation` names a module
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in modules else node.module)
    return {m for m in found if m in modules}


def stage_of(module: str) -> str:
    if module in FOUNDATION:
        return "foundation"
    return module.split(".")[1]


def test_every_module_belongs_to_a_stage():
    assert {stage_of(m) for m in core_modules()} <= set(STAGES)


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The cycles of an import graph (module -> the modules it imports), each as a path that closes."""
    cycles, state = [], {}

    def visit(node, trail):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(trail[trail.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = "done"

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    return cycles


def test_no_import_cycle_between_modules():
    modules = core_modules()
    cycles = import_cycles({m: imported_modules(p, modules) - {m} for m, p in modules.items()})
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_stages_import_only_the_stages_below_them():
    modules = core_modules()
    wrong = []
    for m, p in modules.items():
        rank = STAGES.index(stage_of(m))
        for target in imported_modules(p, modules):
            if STAGES.index(stage_of(target)) > rank:
                wrong.append(f"{m} imports {target}")
    assert not wrong, "a lower stage imports a higher one: " + "; ".join(sorted(wrong))


def test_a_subpackage_imports_its_own_modules_not_its_own_package():
    # Inside a stage, siblings are imported by module path: importing the stage's own __init__
    # (which re-exports its modules) from one of them would be a cycle at start-up.
    modules = core_modules()
    wrong = [f"{m} imports {t}" for m, p in modules.items() if p.name != "__init__.py"
             for t in imported_modules(p, modules) if "." in m and t == m.rsplit(".", 1)[0] and t != "mllab"]
    assert not wrong, "; ".join(wrong)


def test_no_module_is_past_about_600_lines():
    long = {module_name(p): n for p in CORE.rglob("*.py") if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_nothing_in_the_core_imports_the_code_export():
    # The export writes a finished run out as code: only the pages call it.
    modules = core_modules()
    wrong = [f"{m} imports {t}" for m, p in modules.items() if stage_of(m) != "export"
             for t in imported_modules(p, modules) if stage_of(t) == "export"]
    assert not wrong, "; ".join(wrong)


def test_every_stage_says_what_lives_there_and_what_it_may_import():
    for package in sorted(p.parent for p in CORE.glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text())) or ""
        assert "import" in doc.lower() and len(doc.split()) >= 15, f"{package.name}/__init__.py: {doc!r}"


def test_the_core_never_imports_streamlit_and_tensorflow_only_where_deep_models_run():
    for path in CORE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert "streamlit" not in names, path
        if {"tensorflow", "keras"} & names:
            assert path.parent.name == "models", f"{path} imports TensorFlow outside the deep-model code"


def test_importing_any_stage_pulls_in_neither_streamlit_nor_tensorflow():
    code = ("import sys, mllab, mllab.datasets, mllab.io, mllab.prepare, mllab.models, mllab.evaluation, "
            "mllab.charts, mllab.training, mllab.export, mllab.presets; "
            "bad = [m for m in ('streamlit', 'tensorflow', 'keras') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
