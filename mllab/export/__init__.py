"""Stage 8, export (after training, before presets): a finished run written out as code — a Python
script and a notebook rendered from one list of steps, with its data file, a requirements.txt pinned
to the versions that trained it and a README, in one zip. The code uses plain pandas, NumPy, scikit-learn,
astropy and Keras and never imports mllab; it is built from the run's record (data source,
cleaning, settings), not from widgets. Each model family writes its own part (`ModelFamily.export`,
next to its schema). Nothing here imports TensorFlow: the exporter only writes text.

May import: mllab.datasets, mllab.io, mllab.prepare, mllab.models, mllab.evaluation, mllab.training,
mllab.errors, mllab.params. Nothing in the core imports it; the pages do.
"""

from mllab.export.render import RunExport, export_run
from mllab.export.steps import Step

__all__ = ["RunExport", "Step", "export_run"]
