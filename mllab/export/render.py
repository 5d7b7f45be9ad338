"""A run's steps rendered as a script and a notebook (through nbformat), with requirements.txt, a README
and the data file, in one zip."""

from __future__ import annotations

import io
import textwrap
import zipfile
from dataclasses import dataclass, field
from importlib import metadata

from mllab.datasets import Dataset
from mllab.errors import UserError
from mllab.export.data_code import cleaning_steps, data_steps, safe_file_name
from mllab.export.steps import Step
from mllab.export.training_code import settings_code, training_steps
from mllab.models import FAMILIES

PREAMBLE = '''import hashlib
import io
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

# The folder holding this file and its data file.
HERE = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()
'''


@dataclass
class RunExport:
    """What a run's "Download as code" offers: the files, and the zip of all of them."""

    stem: str  # "run_3_random_forest": the files' common name
    script: str
    notebook: str  # the .ipynb as JSON text
    requirements: str
    readme: str
    data_files: dict[str, bytes] = field(default_factory=dict)
    _zip: bytes | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def script_name(self) -> str:
        return f"{self.stem}.py"

    @property
    def notebook_name(self) -> str:
        return f"{self.stem}.ipynb"

    def zip_bytes(self) -> bytes:
        """The zip of every file, in one folder named after the run (made once: the page asks on every rerun)."""
        if self._zip is not None:
            return self._zip
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            folder = self.stem
            archive.writestr(f"{folder}/{self.script_name}", self.script)
            archive.writestr(f"{folder}/{self.notebook_name}", self.notebook)
            archive.writestr(f"{folder}/requirements.txt", self.requirements)
            archive.writestr(f"{folder}/README.md", self.readme)
            for name, data in self.data_files.items():
                archive.writestr(f"{folder}/{name}", data)
        self._zip = buffer.getvalue()
        return self._zip

    def write_to(self, folder) -> None:
        """The files into a folder (as the zip unpacks them), for tests and the command line."""
        from pathlib import Path

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / self.script_name).write_text(self.script, encoding="utf-8")
        (folder / self.notebook_name).write_text(self.notebook, encoding="utf-8")
        (folder / "requirements.txt").write_text(self.requirements, encoding="utf-8")
        (folder / "README.md").write_text(self.readme, encoding="utf-8")
        for name, data in self.data_files.items():
            (folder / name).write_bytes(data)


def run_steps(run, raw: Dataset | None = None, files: dict[str, bytes] | None = None):
    if run.result is None:
        raise UserError("This run has no result to write out as code; export a finished run.")
    family = FAMILIES[run.family]
    if family.export is None:
        raise UserError(f"{family.label} cannot be written out as code yet.")
    read, data_files, clean = data_steps(run, raw, files)
    # The columns the formulas may name: the table as read (or, failing that, what cleaning kept and left out).
    known = raw if raw is not None else run.dataset
    read_names = list((getattr(run.dataset, "read_as", None) or {}).get("names", ()))
    columns = read_names or ([str(c) for c in known.frame.columns] if known is not None else [])
    if run.data_source.get("kind") == "builtin":
        from mllab.datasets import load_builtin

        columns = [str(c) for c in load_builtin(run.data_source["key"]).frame.columns]
    columns += [str(c) for c in (run.cleaning or {}).get("excluded", ()) if str(c) not in columns]
    header = Step(f"{run.name}: {family.label} on {run.dataset_name}",
                  f"This reproduces {run.name} of mllab: {family.label} predicting **{run.target}** "
                  f"({run.task}). It reads the same data, cleans it as the Data page did, splits it with the same "
                  f"seed, and trains and scores the same model, printing the figures the page showed. It uses plain "
                  f"pandas, NumPy, scikit-learn{', astropy' if 'astropy' in read[0].code else ''}"
                  f"{' and Keras' if family.deep else ''}: change anything and run it again."
                  + (" The run was stopped before the end; this code trains to the end of its settings, so its "
                     "figures can differ from the page's." if run.status == "stopped" else ""),
                  PREAMBLE + "\n" + settings_code(run))
    steps = [header, *read, *(cleaning_steps(run, columns) if clean else []), *training_steps(run)]
    return steps, data_files


def _wrapped(text: str, prefix: str = "") -> str:
    """Markdown as plain text lines of at most 100 characters: bold marks dropped, paragraphs kept."""
    lines = []
    # Names from the user (files, columns) reach these comments: no character may end a comment line.
    text = "".join(ch if ch.isprintable() or ch == "\n" else " " for ch in text)
    for paragraph in text.replace("**", "").split("\n"):
        lines += textwrap.wrap(paragraph, 100 - len(prefix)) or [""]
    return "\n".join(f"{prefix}{line}".rstrip() for line in lines)


def render_script(steps: list[Step]) -> str:
    parts = []
    for number, step in enumerate(steps):
        if step.notebook_only:
            continue
        text = _wrapped(step.text, "# ")
        if number == 0:  # comments, not a docstring: a file name may hold three quotes
            parts.append(f"{_wrapped(step.title, '# ')}\n#\n{text}\n\n{step.code}\n")
        else:
            parts.append(f"# {'-' * 96}\n{_wrapped(step.title, '# ')}\n{text}\n# {'-' * 96}\n{step.code}\n")
    return "\n\n".join(parts)


def render_notebook(steps: list[Step]) -> str:
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    cells = []
    for number, step in enumerate(steps):
        heading = "#" if number == 0 else "##"
        cells.append(new_markdown_cell(f"{heading} {step.title}\n\n{step.text}"))
        cells.append(new_code_cell(step.code))
    notebook = new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"}})
    nbformat.validate(notebook)
    return nbformat.writes(notebook)


# The notebook's own packages, pinned where the app's environment lacks them (scripts/app.sh installs only
# requirements.txt, not the notebook's tools): matplotlib and ipykernel as in requirements-dev.txt (a test
# keeps them equal), JupyterLab at the release the README's `jupyter lab` was written for.
NOTEBOOK_PINS = {"matplotlib": "3.11.2", "ipykernel": "7.4.0", "jupyterlab": "4.6.6"}


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return NOTEBOOK_PINS.get(package)


def requirements_text(steps: list[Step], data_files: dict[str, bytes], deep: bool) -> str:
    """The packages the code imports, pinned to the versions installed where the run trained."""
    code = "\n".join(step.code for step in steps)
    wanted = ["numpy", "pandas", "scikit-learn"]
    if "astropy" in code:
        wanted.append("astropy")
    if "import arff" in code:
        wanted.append("liac-arff")
    if any(name.endswith(".parquet") for name in data_files):
        wanted.append("pyarrow")
    if deep:
        wanted += ["tensorflow", "keras"]
    lines = ["# The versions that trained this run."]
    lines += [f"{name}=={version}" if (version := _version(name)) else name for name in wanted]
    lines.append("# For the notebook only: drawing the learning curve, and running it in JupyterLab.")
    lines += [f"{name}=={_version(name)}" for name in NOTEBOOK_PINS]
    return "\n".join(lines) + "\n"


def readme_text(run, stem: str, data_files: dict[str, bytes], steps: list[Step]) -> str:
    missing = [] if data_files else [steps[1].text]
    return f"""# {run.name} of mllab, as code

{FAMILIES[run.family].label} predicting **{run.target}** on {run.dataset_name}.

- `{stem}.py`: the run as a Python script. It prints the figures the page showed.
- `{stem}.ipynb`: the same steps as a notebook, each explained, with the learning curve drawn.
- `requirements.txt`: the package versions that trained the run.
{"".join(f"- `{name}`: the data, checked by its SHA-256 when the script runs.{chr(10)}" for name in data_files)}
## Running it

```bash
python -m venv .venv && . .venv/bin/activate
pip install -r requirements.txt
python {stem}.py          # or: jupyter lab {stem}.ipynb
```

The script first checks the data file's SHA-256: a file changed by even one byte stops it with a sentence
naming the file, rather than giving other figures. {' '.join(missing)}

Same data, settings and seed give the same figures: scikit-learn models to the last printed decimal,
Keras networks on the CPU to about 0.01 (a GPU computes in another order).
"""


def export_run(run, raw: Dataset | None = None, files: dict[str, bytes] | None = None) -> RunExport:
    """A finished run as code. `raw` is the dataset as loaded (before cleaning), when the page still has it;
    `files` the uploaded file's bytes by name, when the page has them (else the script names the file)."""
    steps, data_files = run_steps(run, raw, files)
    stem = safe_file_name(f"run_{run.number}_{run.family}")
    return RunExport(stem=stem, script=render_script(steps), notebook=render_notebook(steps),
                     requirements=requirements_text(steps, data_files, FAMILIES[run.family].deep),
                     readme=readme_text(run, stem, data_files, steps), data_files=data_files)
