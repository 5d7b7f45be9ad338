"""Dask worker plugins, in a module of their own so that importing mllab.engine (every page does)
does not import Dask distributed before the page has drawn anything."""

from __future__ import annotations

import os
import threading

from distributed import WorkerPlugin


class ImportTensorFlow(WorkerPlugin):
    """Worker plugin: import TensorFlow when a worker starts (and restarts), off its event loop.

    The import costs seconds; doing it at start makes Train -> first epoch fast. A background
    thread keeps the worker responsive meanwhile: forest and logistic-regression jobs run at
    once, and a Keras job simply waits on the import lock.
    """

    idempotent = True
    name = "mllab-import-tensorflow"

    def setup(self, worker=None):
        def load():
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
            from mllab.models.keras_common import import_tensorflow

            import_tensorflow()

        threading.Thread(target=load, name="mllab-import-tf", daemon=True).start()
