"""A run written out as code: the exported script, run in a fresh folder with this Python, prints the
run's own test figures; every notebook is valid and one runs; a changed data file stops the script."""

import hashlib
import io
import os
import re
import subprocess
import sys
import zipfile

import nbformat
import numpy as np
import pytest

from mllab.datasets.builtin import load_builtin
from mllab.export import export_run
from mllab.io.upload import read_upload
from mllab.models import FAMILIES
from mllab.models.base import DataInfo
from mllab.prepare import DerivedColumn
from mllab.prepare.cleaning import apply_cleaning
from mllab.prepare.preprocessing import PreprocessConfig
from mllab.presets import clean_with_defaults
from mllab.training.holdout import run_training
from mllab.training.runs import new_run
from mllab.training.schemes import ValidationConfig
from mllab.training.scoring import scorers_for
from mllab.training.spec import LocalReporter, TrainingSpec, validate_spec

SCRIPT_TIMEOUT_S = 240


def _train(dataset, choices, source, family, params, task="classification", target=None, validation=None,
           frame=None):
    cleaned = apply_cleaning(dataset, choices).dataset
    spec = validate_spec(TrainingSpec(dataset=cleaned, target=target or choices.target,
                                      preprocessing=PreprocessConfig(), family=family, params=params, task=task,
                                      validation=validation or ValidationConfig()))
    result = run_training(spec, LocalReporter())
    run = new_run(1, f"{family}-{task}", spec, data_source=source, cleaning=choices.as_dict())
    run.result, run.status = result, result.status
    return run


def _builtin(key, family, params, task="classification", target=None, validation=None):
    raw = load_builtin(key)
    target = target or raw.target
    choices = clean_with_defaults(raw, target).choices
    return _train(raw, choices, {"kind": "builtin", "key": key}, family, params, task, target, validation)


def _catalogue_csv() -> bytes:
    """Pima as an astronomer's upload: '#' comment lines, semicolons, -99.99 for missing values."""
    frame = load_builtin("pima").frame.copy()
    frame["BMI"] = frame["BMI"].where(frame["BMI"] > 0, -99.99)
    body = frame.to_csv(index=False, sep=";")
    return ("# Pima diabetes, as a catalogue\n# written for the mllab export test\n" + body).encode()


def _upload(name: str, data: bytes, family: str, params: dict, target: str, task="classification", choices=None):
    raw = read_upload(name, data)
    choices = choices(raw) if choices else clean_with_defaults(raw, target).choices
    described = {"name": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    source = {"kind": "upload", "files": [described]}
    run = _train(raw, choices, source, family, params, task, target)
    return run, raw, {name: data}


def _fits_catalogue() -> bytes:
    """Wine as a FITS binary table: float32 columns, an identifier column, -99.99 for three missing values."""
    from astropy.table import Table

    table = Table.from_pandas(load_builtin("wine").frame)
    for column in table.colnames[:13]:
        table[column] = table[column].astype(np.float32)
    table["alcohol"][[3, 7, 11]] = -99.99
    table["OBJID"] = [f"W{i:04d}" for i in range(len(table))]
    buffer = io.BytesIO()
    table.write(buffer, format="fits")
    return buffer.getvalue()


def _parquet_table() -> bytes:
    buffer = io.BytesIO()
    load_builtin("iris").frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def _idx_run():
    """Fashion-MNIST as MNIST comes: training and test images and labels, the training pair gzipped."""
    import gzip

    from idx_samples import fashion_idx
    from mllab.io.upload import read_uploads

    train_images, train_labels, _, _ = fashion_idx(300)
    test_images, test_labels, _, _ = fashion_idx(100, skip=300)
    files = {"train-images-idx3-ubyte.gz": gzip.compress(train_images, mtime=0),
             "train-labels-idx1-ubyte.gz": gzip.compress(train_labels, mtime=0),
             "t10k-images-idx3-ubyte": test_images, "t10k-labels-idx1-ubyte": test_labels}
    raw = read_uploads(list(files.items()))
    choices = clean_with_defaults(raw, "label").choices
    source = {"kind": "upload", "files": [{"name": n, "sha256": hashlib.sha256(d).hexdigest(), "size": len(d)}
                                          for n, d in files.items()]}
    return _train(raw, choices, source, "random_forest", {"n_estimators": 30}, target="label"), raw, files


def _with_formula(raw):
    choices = clean_with_defaults(raw, "Outcome").choices
    return choices.replace(missing=tuple(sorted(set(choices.missing) | {("BMI", -99.99)})),
                           derived=(DerivedColumn("glucose_per_bmi", "Glucose / BMI"),))


def _not_known_and_left_out():
    """OGLE-III with one class marked 'not known yet' and one left out: the script drops the same rows."""
    raw = load_builtin("ogle3")
    choices = clean_with_defaults(raw, "Type").choices.replace(unknown=("RRLyr",), left_out=("DSCT",))
    return (_train(raw, choices, {"kind": "builtin", "key": "ogle3"}, "random_forest", {"n_estimators": 30}),)


CASES = {
    "forest_not_known_and_left_out": _not_known_and_left_out,
    "forest_classification": lambda: (_builtin("iris", "random_forest", {"n_estimators": 40}),),
    # A format the script does not read itself (Parquet): the table as mllab read it travels beside it.
    "forest_regression_parquet": lambda: _upload("iris.parquet", _parquet_table(), "random_forest",
                                                 {"n_estimators": 30}, "petal_width_cm", "regression"),
    "fits_catalogue": lambda: _upload("wine.fits", _fits_catalogue(), "logistic_regression", {}, "cultivar"),
    "logistic_kfold": lambda: (_builtin("wine", "logistic_regression", {},
                                        validation=ValidationConfig(scheme="stratified_kfold", n_folds=3)),),
    "linear_regression": lambda: (_builtin("iris", "linear_regression", {}, "regression", "petal_width_cm"),),
    "mlp_classification": lambda: (_builtin("pima", "mlp", {"epochs": 3}),),
    "cnn_images": lambda: (_builtin("digits", "cnn", {"epochs": 1, "conv_blocks": 1, "filters": 4,
                                                     "dense_units": 8}),),
    "idx_images": _idx_run,
    "upload_csv_markers_formula": lambda: _upload("pima_catalogue.csv", _catalogue_csv(), "random_forest",
                                                  {"n_estimators": 30}, "Outcome", choices=_with_formula),
}
KERAS = {"mlp_classification", "cnn_images"}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Every case trained here and exported into a fresh folder of its own; each script starts as soon as
    its run is exported (the networks first: their scripts take longest), so they run while the rest train."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "", "PYTHONPATH": ""}
    cases, started = {}, {}
    for name in sorted(CASES, key=lambda n: n not in KERAS):
        run, *given = CASES[name]()
        raw, files = given if given else (None, None)
        export = export_run(run, raw=raw, files=files)
        folder = tmp_path_factory.mktemp(name)
        with zipfile.ZipFile(io.BytesIO(export.zip_bytes())) as archive:
            for member in archive.namelist():  # the zip as a user unpacks it: one folder, flat
                (folder / member.split("/", 1)[1]).write_bytes(archive.read(member))
        cases[name] = {"run": run, "export": export, "folder": folder}
        started[name] = subprocess.Popen([sys.executable, export.script_name], cwd=folder, env=env,
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for name, process in started.items():
        out, err = process.communicate(timeout=SCRIPT_TIMEOUT_S)
        cases[name].update(returncode=process.returncode, stdout=out, stderr=err)
    return cases


def _printed(stdout: str, label: str) -> str:
    found = re.findall(rf"^{re.escape(label)}: (\S+)", stdout, re.MULTILINE)
    assert found, f"'{label}' not printed:\n{stdout[-2000:]}"
    return found[-1]


def _page_figures(run) -> dict[str, str]:
    """The figures the page shows for the run, by label, formatted as the page formats them."""
    result, evaluation = run.result, run.result.evaluation
    summary = evaluation.summary()
    if evaluation.task == "regression":
        prefix = "Out-of-fold " if result.cross_validation else ""
        return {f"{prefix}R²": f"{summary['r2']:.3f}", f"{prefix}RMSE": f"{summary['rmse']:.4g}",
                f"{prefix}MAE": f"{summary['mae']:.4g}"}
    figures = {("Out-of-fold accuracy" if result.cross_validation else "Test accuracy"): f"{summary['accuracy']:.3f}",
               "Macro F1": f"{summary['macro_f1']:.3f}", "ROC AUC": f"{summary['roc_auc']:.3f}",
               "Balanced accuracy": f"{summary['balanced_accuracy']:.3f}", "MCC": f"{summary['mcc']:.3f}",
               "Cohen's kappa": f"{summary['kappa']:.3f}", "Brier score": f"{summary['brier']:.3f}"}
    return figures


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_exported_script_prints_the_runs_test_figures(exported, name):
    case = exported[name]
    assert case["returncode"] == 0, case["stderr"][-3000:]
    for label, expected in _page_figures(case["run"]).items():
        printed = _printed(case["stdout"], label)
        if name in KERAS:  # Keras on the CPU with the same seed: within 0.01
            assert abs(float(printed) - float(expected)) <= 0.01, (label, printed, expected)
        else:  # scikit-learn: equal to the page's three decimals
            assert printed == expected, (label, printed, expected)


def test_a_kfold_script_prints_each_mean_and_spread_as_the_page_does(exported):
    case = exported["logistic_kfold"]
    summary = case["run"].result.cross_validation
    for scorer in scorers_for("classification"):
        assert f"Mean {scorer.in_text}: {summary.mean_and_std(scorer)}" in case["stdout"]
    assert case["stdout"].count("Fold ") == 3


def test_the_script_prints_the_confusion_matrix_and_uses_no_mllab(exported):
    case = exported["forest_classification"]
    confusion = case["run"].result.evaluation.confusion
    lines = case["stdout"].split("Confusion matrix")[1].splitlines()[2:2 + len(confusion)]
    assert [[int(v) for v in line.split()[1:]] for line in lines] == confusion.tolist()
    for item in exported.values():
        assert "mllab" not in re.sub(r"#.*|\"\"\"[\s\S]*?\"\"\"", "", item["export"].script).replace(
            "of mllab", "").lower().replace("mllab read", "")


def test_an_upload_is_read_again_from_its_own_file_with_its_markers_and_formula(exported):
    case = exported["upload_csv_markers_formula"]
    script = case["export"].script
    assert "sep=';'" in script and "MISSING = [('BMI', -99.99)" in script
    assert "np.divide(column('Glucose'), column('BMI'))" in script
    assert set(case["export"].data_files) == {"pima_catalogue.csv"}
    assert "BMI: 11 values of -99.99 made missing." in case["stdout"]


def test_astropy_and_other_formats_are_read_as_mllab_read_them(exported):
    fits = exported["fits_catalogue"]
    assert 'Table.read(path, hdu=1, format="fits"' in fits["export"].script
    assert "alcohol: 3 values of -99.99 made missing." in fits["stdout"]
    assert "EXCLUDED = ['OBJID']" in fits["export"].script
    idx = exported["idx_images"]
    assert set(idx["export"].data_files) == {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                                             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}
    assert "Read 400 images of 28x28 pixels." in idx["stdout"]
    parquet = exported["forest_regression_parquet"]
    assert set(parquet["export"].data_files) == {"iris_as_read.csv"}
    assert "iris.parquet (SHA-256" in parquet["export"].script


def test_a_data_file_changed_by_one_byte_stops_the_script_naming_the_file(exported, tmp_path):
    case = exported["upload_csv_markers_formula"]
    for name in ("pima_catalogue.csv", case["export"].script_name):
        (tmp_path / name).write_bytes((case["folder"] / name).read_bytes())
    data = bytearray((tmp_path / "pima_catalogue.csv").read_bytes())
    where = data.index(b"148")  # the first row's glucose 148 becomes 149
    data[where + 2] = ord("9")
    (tmp_path / "pima_catalogue.csv").write_bytes(bytes(data))
    result = subprocess.run([sys.executable, case["export"].script_name], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1
    assert "The data file pima_catalogue.csv is not the one this run was trained on" in result.stderr
    assert "accuracy" not in result.stdout.lower()


def test_every_notebook_is_valid_with_a_markdown_cell_before_each_step(exported):
    for case in exported.values():
        notebook = nbformat.reads(case["export"].notebook, as_version=4)
        nbformat.validate(notebook)
        kinds = [cell.cell_type for cell in notebook.cells]
        assert kinds == ["markdown", "code"] * (len(kinds) // 2)
        assert any("Learning curve" in cell.source for cell in notebook.cells if cell.cell_type == "markdown")


def test_one_notebook_runs_and_prints_the_same_figures(exported, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.delenv("MPLBACKEND", raising=False)  # importing streamlit sets Agg, which a notebook cannot show

    case = exported["linear_regression"]
    notebook = nbformat.reads(case["export"].notebook, as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(case["folder"])}}).execute()
    printed = "".join(output.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                      for output in cell.outputs)
    for label, expected in _page_figures(case["run"]).items():
        assert _printed(printed, label) == expected
    images = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs
              if "image/png" in o.get("data", {})]
    assert images, "the learning-curve cell drew nothing"


def test_the_zip_holds_script_notebook_requirements_readme_and_data(exported):
    case = exported["mlp_classification"]
    export = case["export"]
    with zipfile.ZipFile(io.BytesIO(export.zip_bytes())) as archive:
        names = {n.split("/", 1)[1] for n in archive.namelist()}
    assert names == {export.script_name, export.notebook_name, "requirements.txt", "README.md", "pima.csv"}
    import keras
    import sklearn

    requirements = export.requirements.splitlines()
    assert f"scikit-learn=={sklearn.__version__}" in requirements and f"keras=={keras.__version__}" in requirements
    assert "pip install -r requirements.txt" in export.readme


def test_every_model_family_writes_its_own_part_of_the_export():
    for family in FAMILIES.values():
        assert family.export is not None, f"{family.key} has no export function next to its schema"
        kind = "image" if "table" not in family.data_kinds else "table"
        task = "classification" if "classification" in family.tasks else "regression"
        info = DataInfo(kind=kind, n_features=64, n_classes=3 if task == "classification" else 0,
                        image_shape=(8, 8, 1) if kind == "image" else None, task=task)
        code = family.export(family.validate(family.defaults()), info)
        namespace = {"np": np, "N_CLASSES": info.n_classes}
        tree = compile(code, family.key, "exec")
        assert "train_model" in tree.co_names or "def train_model(" in code
        assert "mllab" not in code.replace("as mllab", "")
        del namespace


def test_names_from_the_user_stay_text_in_the_code(exported):
    import ast
    import copy

    run = copy.copy(exported["upload_csv_markers_formula"]["run"])
    run.dataset_name = 'evil"""\nimport os\nos.system("echo owned")\n"""'
    run.cleaning = {**run.cleaning, "derived": [{"name": "x", "expression": "Glucose\rimport os"}]}
    script = export_run(run).script
    tree = ast.parse(script)
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert "os" not in imported
    assert not any(isinstance(node, ast.Attribute) and node.attr == "system" for node in ast.walk(tree))
