"""Stage 8, the store: workspaces opened by a token, what they keep (the loaded data, cleaning,
page settings), every run with its curve and results, and kept files, in SQLite (WAL) or
PostgreSQL through SQLAlchemy. Session state on the pages is only a cache of it.

May import every stage below (the run records are mllab.training's); never charts or the pages.
"""

from mllab.store.database import DATA_DIR_ENV, DATABASE_URL_ENV, StoreError, StoreFault
from mllab.store.recorder import Pending, RunRecorder, StoreWriter
from mllab.store.run_records import (append_steps, create_run, delete_run, finish_run, load_runs, new_run_id,
                                     next_run_number, update_run_meta)
from mllab.store.store import RETENTION_DAYS_ENV, Store, WorkspaceFull, new_token, valid_token, workspace_id_of

__all__ = [
    "append_steps", "create_run", "DATA_DIR_ENV", "DATABASE_URL_ENV", "delete_run", "finish_run", "load_runs",
    "new_run_id", "new_token", "next_run_number", "Pending", "RETENTION_DAYS_ENV", "RunRecorder", "Store", "StoreError",
    "StoreFault", "StoreWriter", "update_run_meta", "valid_token", "WorkspaceFull", "workspace_id_of",
]
