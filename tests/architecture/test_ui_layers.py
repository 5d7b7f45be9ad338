"""The Streamlit side is layered as the core is: the foundation (the page list, figures converted once),
then state, widgets, panels, the page frame, the pages (views/) and app.py. A module imports only its own
layer and those below it; no import circle anywhere (imports inside functions count); only ui/state writes
`st.session_state`, and a page is named by its key in ui/pages.py, never by a file path.
"""

import ast
from pathlib import Path

from test_layout import MAX_LINES, import_cycles

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ["foundation", "state", "widgets", "panels", "frame", "views", "app"]
FOUNDATION = {"ui", "ui.pages", "ui.prebuilt"}
SESSION_WRITES = {"pop", "setdefault", "update", "clear", "__setitem__", "__delitem__"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def ui_modules() -> dict[str, Path]:
    paths = [*(ROOT / "ui").rglob("*.py"), *(ROOT / "views").glob("*.py"), ROOT / "app.py"]
    return {module_name(p): p for p in paths}


def layer_of(module: str) -> str:
    if module in FOUNDATION:
        return "foundation"
    if module in ("app", "ui.frame"):
        return module.split(".")[-1]
    if module.startswith("views."):
        return "views"
    return module.split(".")[1]


def imported(path: Path, modules: dict[str, Path]) -> set[str]:
    """The ui, views and app modules a file imports, inside functions too."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:  # `from ui.state import session` names a module
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in modules else node.module)
    return {m for m in found if m in modules}


def test_every_module_is_in_a_layer():
    assert {layer_of(m) for m in ui_modules()} <= set(LAYERS)
    assert len(ui_modules()) > 30


def test_layers_import_only_their_own_layer_and_those_below():
    modules = ui_modules()
    wrong = [f"{m} imports {t}" for m, p in modules.items() for t in imported(p, modules)
             if LAYERS.index(layer_of(t)) > LAYERS.index(layer_of(m))]
    assert not wrong, "an import upward: " + "; ".join(sorted(wrong))


def test_no_page_imports_another_page():
    modules = ui_modules()
    wrong = [f"{m} imports {t}" for m, p in modules.items() if m.startswith("views.")
             for t in imported(p, modules) if t.startswith("views.")]
    assert not wrong, "; ".join(wrong)


def test_no_import_cycle_anywhere_on_the_streamlit_side():
    modules = ui_modules()
    cycles = import_cycles({m: imported(p, modules) - {m} for m, p in modules.items()})
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def _is_session_state(node) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "session_state"


def session_state_writes(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        targets = []
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        elif isinstance(node, ast.Delete):
            targets = node.targets
        for target in targets:
            if isinstance(target, (ast.Subscript, ast.Attribute)) and _is_session_state(target.value):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SESSION_WRITES \
                and _is_session_state(node.func.value):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_only_the_state_layer_writes_session_state():
    modules = ui_modules()
    assert session_state_writes(ROOT / "ui" / "state" / "session.py"), "the check finds the state layer's writes"
    wrong = [w for m, p in modules.items() if layer_of(m) != "state" for w in session_state_writes(p)]
    assert not wrong, "st.session_state written outside ui/state: " + ", ".join(wrong)


def test_widgets_and_panels_never_write_a_named_key():
    # A widget's own key goes through ui.state.widget_keys; the state layer's named keys only through its
    # named functions.
    from ui.state.keys import NAMED

    writers = {"set", "start", "forget", "forget_prefixed"}
    wrong = []
    for m, p in ui_modules().items():
        if layer_of(m) == "state":
            continue
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in writers \
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "widget_keys" and node.args \
                    and isinstance(node.args[0], ast.Constant) and node.args[0].value in NAMED:
                wrong.append(f"{p.relative_to(ROOT)}:{node.lineno}: {node.args[0].value}")
    assert not wrong, "; ".join(wrong)


def test_pages_are_named_by_key_not_by_file():
    wrong = []
    for m, p in ui_modules().items():
        if m == "ui.pages":
            continue
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.endswith(".py") \
                    and ("/" in node.value or node.value == "app.py"):
                wrong.append(f"{p.relative_to(ROOT)}:{node.lineno}: {node.value}")
    assert not wrong, "a page path outside ui/pages.py: " + "; ".join(wrong)


def test_every_page_file_is_listed_once_and_every_listed_file_exists():
    from ui.pages import PAGES

    files = [spec.file for spec in PAGES]
    assert len(set(files)) == len(files)
    assert sorted(files) == sorted(f"views/{p.name}" for p in (ROOT / "views").glob("*.py"))
    assert not (ROOT / "pages").exists(), "a pages/ folder beside st.navigation mixes in Streamlit's own menu"


def test_no_ui_module_is_past_about_600_lines():
    long = {m: n for m, p in ui_modules().items() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"
