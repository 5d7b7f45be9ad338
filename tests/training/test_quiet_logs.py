"""The terminal stays for bugs: a user's mistake in a job logs no traceback, and TensorFlow on a machine without
a GPU driver logs no cuInit error."""

import os
import subprocess
import sys
import time

from mllab.datasets.builtin import load_builtin
from mllab.models.keras_common import gpu_driver_present
from mllab.prepare.preprocessing import PreprocessConfig
from mllab.training.engine import Engine
from mllab.training.spec import TrainingSpec

from conftest import ROOT


def test_a_user_mistake_in_a_job_is_a_sentence_on_the_page_and_no_traceback_in_the_logs():
    engine = Engine(n_workers=1)
    try:
        assert engine.wait_ready(120), engine.start_error
        data = load_builtin("iris")
        # 6 PCA components on iris's 4 features passes the quick checks but fails on the worker (a UserError).
        spec = TrainingSpec(dataset=data, target=data.target, preprocessing=PreprocessConfig(pca_components=6),
                            family="random_forest", params={})
        job_id = engine.submit(spec, owner="erin")
        deadline = time.monotonic() + 120
        while not engine.job(job_id, "erin").finished and time.monotonic() < deadline:
            engine.touch("erin")
            time.sleep(0.05)
        state = engine.job(job_id, "erin")
        assert state.status == "failed" and state.error.startswith("PCA cannot keep 6 components")
        logged = [message for records in engine._client.get_worker_logs().values() for _, message in records]
        assert not [m for m in logged if "Compute Failed" in m or "Traceback" in m], logged
    finally:
        engine.close()


def test_tensorflow_says_nothing_about_cuinit_on_a_machine_without_a_gpu_driver():
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    code = ("import os; from mllab.models.keras_common import import_tensorflow; tf, _ = import_tensorflow(); "
            "tf.config.list_physical_devices(); print(os.environ['TF_CPP_MIN_LOG_LEVEL'])")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    if gpu_driver_present():  # a GPU that fails to start must still be heard of
        assert done.stdout.strip() == "2"
    else:
        assert done.stdout.strip() == "3"
        assert "cuInit" not in done.stderr, done.stderr
