"""The code zip's requirements install what its README runs, every package pinned, even where the app's
environment (scripts/app.sh: requirements.txt only) lacks the notebook's tools."""

import re

from conftest import ROOT
from mllab.export.render import NOTEBOOK_PINS, readme_text, requirements_text
from mllab.export.steps import Step


def _pins(path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        match = re.match(r"([A-Za-z0-9_.-]+)==([^\s;#]+)", line.strip())
        if match:
            found[match.group(1).lower()] = match.group(2)
    return found


def test_every_requirement_is_pinned_and_jupyterlab_is_among_them():
    steps = [Step("Read", "Reads the data.", "import pandas as pd\nimport astropy")]
    lines = [line for line in requirements_text(steps, {"stars.parquet": b""}, deep=False).splitlines()
             if line and not line.startswith("#")]
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+==\d[\w.]*", line) for line in lines), lines
    names = {line.split("==")[0] for line in lines}
    assert {"matplotlib", "ipykernel", "jupyterlab", "astropy", "pyarrow"} <= names


def test_the_notebook_pins_follow_the_projects_dev_requirements():
    dev = _pins(ROOT / "requirements-dev.txt")
    for name in ("matplotlib", "ipykernel"):
        assert NOTEBOOK_PINS[name] == dev[name], name


def test_the_readme_runs_only_what_the_requirements_install():
    class RunLike:
        name, family, target, dataset_name = "Run 1", "random_forest", "class", "Iris"

    steps = [Step("Read", "Reads the data.", "import pandas"), Step("Data", "Put the file beside the script.", "")]
    readme = readme_text(RunLike(), "run_1", {}, steps)
    assert "jupyter lab run_1.ipynb" in readme
    assert "jupyterlab==" in requirements_text(steps, {}, deep=False)
