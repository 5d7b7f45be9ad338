"""A kept Keras network opened again, for the Predict page's jobs (mllab.training.prediction).

Here, with the deep models, because TensorFlow is imported only where networks run. Loaded in
Keras's safe mode: a file whose layers would run arbitrary code (a Lambda layer) is refused.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from mllab.models.keras_common import class_probabilities, import_tensorflow


def load_keras_model(data: bytes):
    import_tensorflow()
    import keras

    with tempfile.TemporaryDirectory(prefix="mllab-kept-model-") as folder:
        path = Path(folder) / "model.keras"
        path.write_bytes(data)
        return keras.saving.load_model(path, compile=False, safe_mode=True)


def keras_output(model, x: np.ndarray, n_classes: int) -> np.ndarray:
    """Class probabilities (rows × classes), or the network's single output for a regression
    (n_classes 0), of preprocessed rows `x`, reshaped to the network's input (images for a CNN)."""
    shape = tuple(model.input_shape[1:])
    output = np.asarray(model.predict(np.asarray(x, dtype=np.float32).reshape((len(x), *shape)), verbose=0,
                                      batch_size=1024), dtype=np.float64)
    return output[:, 0] if n_classes == 0 else class_probabilities(output, n_classes)
