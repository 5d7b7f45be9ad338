"""The user's edits of a run on the Runs page: its name, note and tags, and deleting it.

Each function checks what the user typed, changes the in-memory `Run` (or the session's list of runs,
`ui.state.session.runs()`), then calls `_persist` once. Input that cannot be used raises `UserError` with a
plain sentence and changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from mllab.errors import UserError
from mllab.training import Run, run_labels
from ui.state import session, widget_keys, workspace

MAX_TITLE = 80
MAX_TAG = 30
MAX_TAGS = 20
MAX_NOTE = 5000
# Widget keys of the Runs page that name runs: the run opened and the runs compared.
OPEN_KEY = "open-run"
COMPARE_KEY = "compare-runs"
CURVE_FIGURES = "curve-figures"

_SPACES = re.compile(r"\s+")
_NUMBERED = re.compile(r"run\s*\d+", re.IGNORECASE)


def _persist(run: Run, deleted: bool) -> None:
    """Where an edit becomes lasting: the run's title, note and tags are written to the workspace store,
    or the run is removed from it. A store that cannot be written leaves a sentence for the page
    (ui.state.workspace) and the edit stands in this tab."""
    if deleted:
        workspace.forget_run(run)
    else:
        workspace.save_run_meta(run)


def _one_line(text: str) -> str:
    return _SPACES.sub(" ", text or "").strip()


def rename_run(run: Run, title: str | None) -> None:
    """Give the run the user's name; an empty one brings back "Run N"."""
    title = _one_line(title or "")
    if len(title) > MAX_TITLE:
        raise UserError(f"A run's name can be at most {MAX_TITLE} characters; this one has {len(title)}.")
    default = f"Run {run.number}"
    if title and title != default:
        if _NUMBERED.fullmatch(title):
            raise UserError(f"Names such as “{title}” belong to the runs' numbers; choose another name.")
        taken = next((other for other in session.runs()
                      if other is not run and other.name.casefold() == title.casefold()), None)
        if taken is not None:
            raise UserError(f"Run {taken.number} is already called “{title}”; choose another name.")
    old_name = run.name
    run.title = title if title and title != default else None
    _follow_rename(old_name, run)
    _persist(run, deleted=False)


def set_note(run: Run, note: str | None) -> None:
    """The user's note about the run (any text, kept as typed apart from surrounding blank lines)."""
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise UserError(f"A note can be at most {MAX_NOTE:,} characters; this one has {len(note):,}.")
    run.note = note
    _persist(run, deleted=False)


def clean_tags(tags: Iterable[str] | str) -> tuple[str, ...]:
    """Tags as the user means them: split at commas, stripped, empty ones dropped, each once (ignoring case,
    the first spelling kept). Raises UserError for a tag over MAX_TAG characters or more than MAX_TAGS."""
    parts = [tags] if isinstance(tags, str) else list(tags)
    kept: dict[str, str] = {}
    for part in parts:
        for tag in str(part).split(","):
            tag = _one_line(tag)
            if not tag:
                continue
            if len(tag) > MAX_TAG:
                raise UserError(f"A tag can be at most {MAX_TAG} characters; “{tag[:MAX_TAG]}…” has {len(tag)}.")
            kept.setdefault(tag.casefold(), tag)
    if len(kept) > MAX_TAGS:
        raise UserError(f"A run can have at most {MAX_TAGS} tags; these are {len(kept)}.")
    return tuple(kept.values())


def set_tags(run: Run, tags: Iterable[str] | str) -> None:
    run.tags = clean_tags(tags)
    _persist(run, deleted=False)


def delete_run(run: Run) -> None:
    """Take the run out of the session's list (the page has asked for a confirmation first)."""
    if not run.finished:
        raise UserError(f"{run.name} is still training; stop it on the Train page first, then delete it.")
    runs = session.runs()
    runs[:] = [other for other in runs if other is not run]
    if widget_keys.get(OPEN_KEY) == run.name:
        widget_keys.forget(OPEN_KEY)
    compared = widget_keys.get(COMPARE_KEY)
    if compared is not None:
        widget_keys.set(COMPARE_KEY, [n for n in compared if n != run.number])
    cache = widget_keys.session_cache(CURVE_FIGURES)  # ui.panels.results keeps one figure per (job, metric)
    for key in [k for k in cache if k[0] == run.job_id]:
        del cache[key]
    _persist(run, deleted=True)


def _follow_rename(old_name: str, run: Run) -> None:
    """Keep the renamed run opened: the Runs page's selector names runs by their names."""
    if widget_keys.get(OPEN_KEY) == old_name:
        widget_keys.set(OPEN_KEY, run.name)


def open_on_runs_page(run: Run) -> None:
    """Have the Runs page open `run` when it is next drawn (its selector names runs as run_labels does)."""
    runs = session.runs()
    widget_keys.set(OPEN_KEY, run_labels(runs)[next(i for i, r in enumerate(runs) if r.number == run.number)])
