"""Helpers every reader shares: sizes, names and counts in messages, and a read table checked and
made into a Dataset.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import PurePosixPath

import numpy as np
import pandas as pd

from mllab.datasets import Dataset, markdown_escape
from mllab.errors import DataError


def _size_text(n_bytes: int) -> str:
    if n_bytes >= 1024 * 1024:
        return f"{n_bytes / (1024 * 1024):,.0f} MB"
    if n_bytes >= 1024:
        return f"{n_bytes / 1024:,.0f} KB"
    return f"{n_bytes} bytes"


def _shown(text: str, limit: int = 80) -> str:
    """A user-supplied name as it appears in a message: printable, and not endless."""
    text = "".join(ch if ch.isprintable() else "?" for ch in str(text))
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _reason(err: BaseException) -> str:
    text = _shown(str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__, 160)
    return text.rstrip(".") or type(err).__name__


def _ext(name: str) -> str:
    suffix = PurePosixPath(name.replace("\\", "/")).suffix
    return suffix[1:].lower() if suffix else ""


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (plural or word + 's')}"


def _listed(names, limit: int = 5) -> str:
    names = list(names)
    shown = ", ".join(f"'{_shown(n, 60)}'" for n in names[:limit])
    return shown + (f" and {len(names) - limit:,} more" if len(names) > limit else "")


def _native(array: np.ndarray) -> np.ndarray:
    """The array in the machine's byte order: pandas cannot sort or query big-endian columns."""
    if array.dtype.byteorder not in ("=", "|") and array.dtype.names is None:
        return array.astype(array.dtype.newbyteorder("="))
    return array


def _matches(name: str, names: tuple[str, ...]) -> bool:
    return name.lower() in names


def _signal_prefix(name: str) -> str:
    prefix = re.sub(r"\W+", "_", name.lower()).strip("_")
    return prefix or "x"


def _signal_names(prefix: str, n: int) -> list[str]:
    width = max(4, len(str(n - 1)))
    return [f"{prefix}_{i:0{width}d}" for i in range(n)]


def _pixel_names(height: int, width: int, channels: int) -> list[str]:
    if channels == 1:
        return [f"px_{r}_{c}" for r in range(height) for c in range(width)]
    return [f"px_{r}_{c}_{ch}" for r in range(height) for c in range(width) for ch in range(channels)]


def _require_rows(name: str, n_rows: int, what: str = "data row") -> None:
    if n_rows < 2:
        raise DataError(f"'{_shown(name)}' has {_plural(n_rows, what)}; at least 2 are needed (one to train on, "
                        "one to test on), and many more to learn anything. Upload a file with more rows.")


def _clean_frame(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Text column names, no duplicates, and object columns pandas and Arrow can show."""
    names = [str(c).strip() if c is not None else "" for c in frame.columns]
    names = [n or f"column_{i + 1}" for i, n in enumerate(names)]
    duplicates = [n for n, k in Counter(names).items() if k > 1]
    if duplicates:
        raise DataError(f"'{_shown(name)}' names the column{'s' if len(duplicates) > 1 else ''} "
                        f"{_listed(duplicates)} more than once. Give every column a different name and upload "
                        "the file again.")
    frame = frame.set_axis(names, axis=1).reset_index(drop=True)
    for column in names:
        values = frame[column]
        if values.dtype != object:
            continue
        present = values.dropna()
        if present.empty:
            continue
        if present.map(lambda v: isinstance(v, (bytes, np.bytes_))).all():
            frame[column] = values.map(lambda v: v.decode("utf-8", "replace") if isinstance(v, bytes) else v)
            continue
        if len({type(v) for v in present}) == 1:
            continue
        if present.map(lambda v: isinstance(v, (int, float, np.integer, np.floating))
                       and not isinstance(v, (bool, np.bool_))).all():
            frame[column] = pd.to_numeric(values)
        else:
            # Mixed numbers and words (or dates): as text, as a CSV reader would give them.
            frame[column] = values.map(lambda v: v if _missing(v) else str(v))
    return frame


def _missing(value) -> bool:
    return value is None or (not isinstance(value, (list, tuple, np.ndarray)) and bool(pd.isna(value)))


def _units_text(units: dict[str, str]) -> str:
    if not units:
        return ""
    items = [f"{markdown_escape(c)} [{markdown_escape(u)}]" for c, u in list(units.items())[:20]]
    more = f" and {len(units) - 20} more" if len(units) > 20 else ""
    return " Units: " + ", ".join(items) + more + "."


def _notes_text(notes) -> str:
    return "".join(f" {note}" for note in notes)


def _table_dataset(name: str, fmt: str, frame: pd.DataFrame, units: dict[str, str] | None = None,
                   notes=()) -> Dataset:
    frame = _clean_frame(name, frame)
    _require_rows(name, len(frame))
    if frame.shape[1] < 2:
        raise DataError(f"'{_shown(name)}' holds a single column. A dataset needs at least one feature column "
                        "and a target column to learn to predict.")
    units = {c: u for c, u in (units or {}).items() if c in frame.columns}
    if units:
        frame.attrs["units"] = units
    n_rows, n_cols = frame.shape
    return Dataset(
        name=name, frame=frame, target=None, kind="table",
        description=(f"Uploaded {fmt} file {markdown_escape(name)}: {n_rows:,} rows and {n_cols} columns."
                     f"{_units_text(units)}{_notes_text(notes)}"),
        source="upload",
    )
