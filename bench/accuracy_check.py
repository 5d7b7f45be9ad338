"""The foundation issue's accuracy checks, printed: the settings a user would try, on built-in data.

Run: .venv/bin/python bench/accuracy_check.py

Each line trains through mllab.training.run_training (what a worker runs) with the app's
default preprocessing (standard scaling, stratified 20 % test split, seed 42).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CHECKS = [
    ("pima", "mlp", {"hidden_layers": "12, 8", "activation": "relu", "optimiser": "adam", "epochs": 150,
                     "batch_size": 10}, 0.72),
    ("digits", "cnn", {}, 0.95),
    ("digits", "random_forest", {}, 0.95),
    ("digits", "logistic_regression", {}, 0.94),
    ("ogle3", "random_forest", {}, 0.95),
]


def main() -> None:
    from mllab.datasets.builtin import load_builtin
    from mllab.prepare.preprocessing import PreprocessConfig
    from mllab.training.holdout import run_training
    from mllab.training.spec import LocalReporter, TrainingSpec, validate_spec

    print(f"{'dataset':8} {'model':20} {'test acc':>8} {'bar':>5} {'time':>7}")
    for key, family, params, bar in CHECKS:
        dataset = load_builtin(key)
        spec = validate_spec(TrainingSpec(dataset=dataset, target=dataset.target,
                                          preprocessing=PreprocessConfig(), family=family, params=params))
        started = time.perf_counter()
        result = run_training(spec, LocalReporter())
        accuracy = result.evaluation.accuracy
        print(f"{key:8} {family:20} {accuracy:8.3f} {bar:5.2f} {time.perf_counter() - started:6.1f}s"
              f"{'' if accuracy >= bar else '  BELOW BAR'}")


if __name__ == "__main__":
    main()
