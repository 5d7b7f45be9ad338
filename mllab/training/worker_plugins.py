"""Dask worker plugins, in a module of their own so that importing mllab.training.engine (every page does)
does not import Dask distributed before the page has drawn anything."""

from __future__ import annotations

import threading

from distributed import WorkerPlugin

# The scikit-learn modules a training job uses (preprocessing, models, evaluation). mllab imports
# them inside functions so pages never pay for them; workers import them once, at start.
WORKER_SKLEARN_MODULES = ("sklearn.compose", "sklearn.impute", "sklearn.pipeline", "sklearn.preprocessing",
                          "sklearn.model_selection", "sklearn.decomposition", "sklearn.ensemble",
                          "sklearn.linear_model", "sklearn.metrics")


class WarmImports(WorkerPlugin):
    """Worker plugin: import scikit-learn and TensorFlow when a worker starts (and restarts), off its
    event loop.

    The imports cost seconds (scikit-learn about one, TensorFlow several); doing them at start
    makes Train -> first step fast. A background thread keeps the worker responsive meanwhile: a
    job that needs a module still being imported simply waits on Python's import lock.
    scikit-learn comes first, as forests and logistic regression need nothing else.
    """

    idempotent = True
    name = "mllab-warm-imports"

    def setup(self, worker=None):
        def load():
            import importlib

            for module in WORKER_SKLEARN_MODULES:
                importlib.import_module(module)
            from mllab.models.keras_common import import_tensorflow

            import_tensorflow()

        threading.Thread(target=load, name="mllab-warm-imports", daemon=True).start()
