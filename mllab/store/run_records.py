"""Runs in the store: created when Train is pressed, steps appended as they arrive, results once.

A run's settings are written once, when it is created. Its curve is appended step by step by the
app's writer (`recorder.py`), so a server killed mid-run leaves the curve up to its last step.
When the run ends, its final history replaces the live rows (a K-fold run's curve is its last
fold's, as the page shows it) in the same transaction that stores its results: a reader sees the
run either running or finished, never half of each.

Every read and write names the workspace: a run id from another workspace finds nothing.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import secrets
import time
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from mllab.store.codec import CodecError, decode, encode
from mllab.store.database import StoreError, StoreFault, reading, writing
from mllab.store.schema import run_metrics, run_results, runs, workspace_files
from mllab.store.store import Store, WorkspaceFull
from mllab.training.runs import Run
from mllab.training.spec import TrainingResult

log = logging.getLogger(__name__)

SETTINGS_FIELDS = ("dataset_name", "target", "family", "params", "preprocessing", "device_requested", "validation",
                   "task", "redshift", "data_source", "cleaning")
# Result fields not stored as results: the history lives in run_metrics, the model file on disk.
_NOT_RESULTS = {"history", "model_file"}


def _number(value) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(float(value)) else None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _metric_rows(run_id: str, part: int, first_seq: int, events: list[dict], now: float) -> list[dict]:
    rows = []
    for seq, event in enumerate(events, start=first_seq):
        step = int(event.get("step", seq + 1))
        for key, value in event.items():
            if key in ("step", "type") or isinstance(value, (str, dict, list, tuple)) or value is None:
                continue
            number = _number(value)
            rows.append({"run_id": run_id, "part": part, "seq": seq, "step": step, "key": key, "value": number,
                         "timestamp": now})
    return rows


def new_run_id() -> str:
    return secrets.token_hex(16)


def create_run(store: Store, workspace: str, run: Run) -> str:
    """Store a new run (its settings, once); returns its id, set on `run.store_id` before the write. Written
    again (a write-back after a fault whose first try may have gone through), the run is stored once."""
    run.store_id = run.store_id or new_run_id()
    settings = {name: getattr(run, name) for name in SETTINGS_FIELDS}
    now = time.time()
    with writing(store.engine) as conn:
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        conn.execute(dialect.insert(runs).values(
            id=run.store_id, workspace_id=workspace, number=run.number, job_id=run.job_id, server_id=store.server_id,
            status=run.status, title=getattr(run, "title", None), note=getattr(run, "note", "") or "",
            tags=json.dumps(list(getattr(run, "tags", ()) or ())), settings=json.dumps(settings),
            created_at=run.started.timestamp(), updated_at=now).on_conflict_do_nothing(index_elements=["id"]))
    return run.store_id


def next_run_number(store: Store, workspace: str) -> int:
    from sqlalchemy import func

    with reading(store.engine) as conn:
        return int(conn.execute(select(func.coalesce(func.max(runs.c.number), 0))
                                .where(runs.c.workspace_id == workspace)).scalar()) + 1


def append_steps(store: Store, run_id: str, part: int, first_seq: int, events: list[dict],
                 status: str | None = None) -> None:
    append_many(store, [(run_id, part, first_seq, events, status)])


def append_many(store: Store, batches: list[tuple[str, int, int, list[dict], str | None]]) -> None:
    """Steps of several runs, (run id, part, first seq, events, new status or None) each, in one
    transaction: the writer thread sends everything that arrived since its last write at once."""
    now = time.time()
    rows = [row for run_id, part, first, events, _ in batches for row in _metric_rows(run_id, part, first, events, now)]
    with writing(store.engine) as conn:
        if rows:
            conn.execute(run_metrics.insert(), rows)
        for run_id in dict.fromkeys(b[0] for b in batches):
            values = {"updated_at": now}
            for _, _, _, _, status in (b for b in batches if b[0] == run_id and b[4] is not None):
                values["status"] = status
                if status == "running":
                    values["started_at"] = now
            conn.execute(update(runs).where(runs.c.id == run_id, runs.c.status.in_(("queued", "running")))
                         .values(**values))


def finish_run(store: Store, workspace: str, run_id: str, status: str, history: list[dict],
               result: TrainingResult | None, error: str | None, model_summary: str | None) -> None:
    """The run's end: its status, final curve, results and kept model, in one transaction."""
    payloads = {}
    model_sha = model_name = None
    if result is not None:
        for f in dataclasses.fields(result):
            if f.name not in _NOT_RESULTS:
                payloads[f.name] = encode(getattr(result, f.name))
    model_file = result.model_file if result is not None else None
    if model_file is not None:
        payloads["model_file"] = encode(dataclasses.replace(model_file, data=b""))
    full = None
    try:
        store.check_room(workspace, sum(len(p) for p in payloads.values()))
        if model_file is not None and model_file.data:
            model_sha = store.put_file(workspace, model_file.filename, model_file.data, "model")
            model_name = model_file.filename
    except WorkspaceFull as err:  # the run still ends in the store, with its curve; its results stay in the tab
        full, payloads, model_sha, model_name = err, {}, None, None
        error = error or "Its results were not stored: the workspace is full."
    now = time.time()
    with writing(store.engine) as conn:
        conn.execute(delete(run_metrics).where(run_metrics.c.run_id == run_id))
        conn.execute(delete(run_results).where(run_results.c.run_id == run_id))  # an end written twice: once
        rows = _metric_rows(run_id, 0, 0, history, now)
        if rows:
            conn.execute(run_metrics.insert(), rows)
        if payloads:
            conn.execute(run_results.insert(), [{"run_id": run_id, "kind": k, "payload": p}
                                                for k, p in payloads.items()])
        conn.execute(update(runs).where(runs.c.id == run_id, runs.c.workspace_id == workspace).values(
            status=status, ended_at=now, updated_at=now, error=error, model_summary=model_summary,
            model_sha256=model_sha, model_filename=model_name))
    if full is not None:
        raise full


def put_run_result(store: Store, workspace: str, run_id: str, kind: str, value) -> None:
    """One part of a finished run's results written afterwards, over the same part if there was one (a
    decision-boundary map drawn from the kept model); read back with the run's other results."""
    payload = encode(value)
    store.check_room(workspace, len(payload))
    with writing(store.engine) as conn:
        if conn.execute(select(runs.c.id).where(runs.c.id == run_id, runs.c.workspace_id == workspace)).first() is None:
            raise StoreError("That run is not in this workspace.")
        conn.execute(delete(run_results).where(run_results.c.run_id == run_id, run_results.c.kind == kind))
        conn.execute(run_results.insert(), [{"run_id": run_id, "kind": kind, "payload": payload}])


def update_run_meta(store: Store, workspace: str, run_id: str, *, title: str | None = None, note: str | None = None,
                    tags: list[str] | None = None) -> None:
    values = {"updated_at": time.time()}
    if title is not None:
        values["title"] = title or None
    if note is not None:
        values["note"] = note
    if tags is not None:
        values["tags"] = json.dumps(list(tags))
    with writing(store.engine) as conn:
        found = conn.execute(update(runs).where(runs.c.id == run_id, runs.c.workspace_id == workspace)
                             .values(**values)).rowcount
    if not found:
        raise StoreError("That run is not in this workspace.")


def delete_run(store: Store, workspace: str, run_id: str) -> None:
    """Delete a run with its curve and results; its kept model too, unless another of the workspace's runs
    kept the same bytes."""
    with writing(store.engine) as conn:
        model = conn.execute(select(runs.c.model_sha256).where(runs.c.id == run_id,
                                                                runs.c.workspace_id == workspace)).scalar()
        conn.execute(delete(runs).where(runs.c.id == run_id, runs.c.workspace_id == workspace))
        if model is not None and conn.execute(select(runs.c.id).where(
                runs.c.workspace_id == workspace, runs.c.model_sha256 == model)).first() is None:
            conn.execute(delete(workspace_files).where(workspace_files.c.workspace_id == workspace,
                                                       workspace_files.c.sha256 == model,
                                                       workspace_files.c.purpose == "model"))
    store.collect_garbage()


def _history(rows) -> list[dict]:
    """Steps in the order they came; for live rows of a run made of parts, only the latest part."""
    if not rows:
        return []
    last_part = max(r.part for r in rows)
    steps: dict[int, dict] = {}
    for r in rows:
        if r.part != last_part:
            continue
        event = steps.setdefault(r.seq, {"step": r.step})
        event[r.key] = float("nan") if r.value is None else r.value
    return [steps[seq] for seq in sorted(steps)]


def load_runs(store: Store, workspace: str, run_id: str | None = None) -> list[Run]:
    """Every run of the workspace, oldest first, with its curve and results; with `run_id`, only that
    run (a page following one run need not decode all the others)."""
    try:
        store.mark_interrupted(bookkeeping=True)
    except StoreError as err:  # bookkeeping: a store that cannot write still shows its runs
        log.info("runs read without marking interrupted ones: %s", err)
    chosen = runs.c.workspace_id == workspace
    if run_id is not None:
        chosen = chosen & (runs.c.id == run_id)
    try:
        with reading(store.engine) as conn:
            records, metric_rows, result_rows = _rows(conn, chosen)
    except StoreFault as err:
        if "damaged" not in str(err):
            raise
        store.found_damaged(err)
        return _salvaged_runs(store, workspace, chosen)
    return _runs_of(store, workspace, records, metric_rows, result_rows)


def _rows(conn, chosen):
    records = conn.execute(select(runs).where(chosen).order_by(runs.c.number)).all()
    ids = [r.id for r in records]
    if not ids:
        return records, [], []
    metric_rows = conn.execute(select(run_metrics).where(run_metrics.c.run_id.in_(ids))
                               .order_by(run_metrics.c.run_id, run_metrics.c.part, run_metrics.c.seq)).all()
    result_rows = conn.execute(select(run_results).where(run_results.c.run_id.in_(ids))).all()
    return records, metric_rows, result_rows


def _runs_of(store: Store, workspace: str, records, metric_rows, result_rows) -> list[Run]:
    by_run_metrics: dict[str, list] = {}
    for row in metric_rows:
        by_run_metrics.setdefault(row.run_id, []).append(row)
    by_run_results: dict[str, dict] = {}
    for row in result_rows:
        by_run_results.setdefault(row.run_id, {})[row.kind] = row.payload
    return [_run_of(store, workspace, record, _history(by_run_metrics.get(record.id, [])),
                    by_run_results.get(record.id, {})) for record in records]


def _salvaged_runs(store: Store, workspace: str, chosen) -> list[Run]:
    """From a damaged database, the runs whose rows can still be read, one at a time; the others are skipped
    (and counted in the log). Nothing is written."""
    with reading(store.engine) as conn:
        ids = [row.id for row in conn.execute(select(runs.c.id).where(chosen).order_by(runs.c.number))]
    loaded, lost = [], 0
    for run_id in ids:
        try:
            with reading(store.engine) as conn:
                loaded.extend(_runs_of(store, workspace, *_rows(conn, runs.c.id == run_id)))
        except StoreFault:
            lost += 1
    if lost:
        log.warning("%d of %d runs could not be read from the damaged run store", lost, len(ids))
    return loaded


def _run_of(store: Store, workspace: str, record, history: list[dict], payloads: dict) -> Run:
    settings = json.loads(record.settings)
    run = Run(number=record.number, job_id=record.job_id, started=datetime.fromtimestamp(record.created_at),
              status=record.status, history=history, error=record.error, model_summary=record.model_summary,
              **{k: settings[k] for k in SETTINGS_FIELDS if k in settings})
    run.store_id = record.id
    for name, value in (("title", record.title), ("note", record.note or ""),
                        ("tags", tuple(json.loads(record.tags or "[]")))):
        if hasattr(run, name):
            setattr(run, name, value)
    if payloads:
        try:
            run.result = _result_of(store, workspace, record, history, payloads)
        except (CodecError, KeyError, TypeError, ValueError) as err:
            run.error = f"This run's results could not be read back ({err}); its settings and curve are kept."
    return run


def _result_of(store: Store, workspace: str, record, history: list[dict], payloads: dict) -> TrainingResult:
    values = {kind: decode(text) for kind, text in payloads.items()}
    model_file = values.pop("model_file", None)
    if model_file is not None and record.model_sha256:
        try:
            model_file = dataclasses.replace(model_file, data=store.read_file(workspace, record.model_sha256))
        except StoreError as err:
            model_file = dataclasses.replace(model_file, refused=str(err))
    known = {f.name for f in dataclasses.fields(TrainingResult)}
    return TrainingResult(history=history, model_file=model_file,
                          **{k: v for k, v in values.items() if k in known})
