"""Stage 1, datasets: the Dataset model every stage passes along, the built-in datasets (their
curated files in `files/`, the simulated spectra) and what a target column suggests (task, checks).

May import: mllab.errors, mllab.params. Knows nothing of reading uploads, preparing or training.
"""

from mllab.datasets.builtin import BUILTIN_DATASETS, load_builtin
from mllab.datasets.model import PART_TEST, PART_TRAIN, Dataset, SignalDataset, markdown_escape, part_column_name
from mllab.datasets.targets import (TASKS, TASK_LABELS, check_target, class_balance, class_name, class_sort_key,
                                    looks_like_redshift, sample_images, suggest_target, suggest_task)

__all__ = [
    "BUILTIN_DATASETS", "check_target", "class_balance", "class_name", "class_sort_key", "Dataset", "load_builtin",
    "looks_like_redshift", "markdown_escape", "sample_images", "SignalDataset", "suggest_target", "suggest_task",
    "TASK_LABELS", "TASKS", "PART_TEST", "PART_TRAIN", "part_column_name",
]
