"""The code export of a run tested on the supplied test part: the script reads both files, splits by
their parts and prints the page's test figures."""

import hashlib
import re
import subprocess
import sys

from mllab.export import export_run
from mllab.io import read_uploads
from mllab.prepare.cleaning import apply_cleaning, default_choices
from mllab.prepare.preprocessing import PreprocessConfig
from mllab.training.holdout import run_training
from mllab.training.runs import new_run
from mllab.training.schemes import ValidationConfig
from mllab.training.spec import LocalReporter, TrainingSpec, validate_spec

SDSS = "/work/shared/datasets/sdss_mgs/"


def test_the_script_of_a_supplied_part_run_prints_the_same_test_figures(tmp_path):
    files = [(name, open(SDSS + name, "rb").read()) for name in ("SDSS_MGS.train", "SDSS_MGS.test")]
    raw = read_uploads(files)
    choices = default_choices(raw, "zs")
    cleaned = apply_cleaning(raw, choices).dataset
    spec = validate_spec(TrainingSpec(dataset=cleaned, target="zs", preprocessing=PreprocessConfig(),
                                      family="random_forest", params={"n_estimators": 10}, task="regression",
                                      redshift=True, validation=ValidationConfig(scheme="supplied")))
    result = run_training(spec, LocalReporter())
    source = {"kind": "upload", "files": [{"name": n, "sha256": hashlib.sha256(d).hexdigest(), "size": len(d)}
                                          for n, d in files]}
    run = new_run(1, "supplied", spec, data_source=source, cleaning=choices.as_dict())
    run.result, run.status = result, result.status
    export = export_run(run, raw, dict(files))
    assert set(export.data_files) == {"SDSS_MGS.train", "SDSS_MGS.test"}
    assert 'is_test = (part == "test")' in export.script
    export.write_to(tmp_path)
    done = subprocess.run([sys.executable, export.script_name], cwd=tmp_path, capture_output=True, text=True,
                          timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "5,000 training rows, 5,000 test rows (the supplied test part)" in done.stdout
    summary = result.evaluation.summary()
    assert re.search(r"^R²: (\S+)", done.stdout, re.M).group(1) == f"{summary['r2']:.3f}"
    assert re.search(r"^NMAD: (\S+)", done.stdout, re.M).group(1) == f"{summary['nmad']:.4f}"
