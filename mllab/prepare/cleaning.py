"""Cleaning an astronomer expects before training: missing-value markers, identifier columns, new columns.

The Data page keeps the dataset exactly as the user loaded it plus a `CleaningChoices`, and
`apply_cleaning` turns the two into the dataset that is trained on. Nothing here changes the
loaded dataset, so every choice can be undone.

- Missing-value markers: catalogues write -99.99 (OGLE), -9999 (SDSS) or 99.99 where a value is
  missing. `find_missing_markers` finds such values when they sit outside the range of the
  column's other values; the user decides which become missing (NaN).
- Identifier and coordinate columns (an object ID, RA/Dec, a pixel position) name a row rather
  than describe it. `find_identifier_columns` suggests them; they are left out of the features.
- New columns from a formula (`V - I`, `log10(P_1)`): `evaluate_expression` parses the formula
  with Python's `ast` and evaluates a small whitelist of operations on NumPy arrays. No Python
  code is ever run: names can only be columns, functions only those in `FUNCTIONS`.
- Rows whose target is missing are dropped, and counted.

Everything a user can get wrong raises `DataError` with a plain sentence.
"""

from __future__ import annotations

import dataclasses
import math
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mllab.datasets import Dataset
from mllab.errors import DataError
from mllab.prepare.formulas import DerivedColumn, _shown, add_derived_column

# Values catalogues use for "no measurement". Detected only when they lie outside the range of
# the column's other values, so a real -99 among values from -200 to 200 is never flagged.
SENTINELS: tuple[float, ...] = (-99.0, -99.99, -999.0, -9999.0, 99.99)
MARKER_GROUP_LIMIT = 6        # more columns than this with one marker value: offered as one group


_CHUNK_COLUMNS = 256          # columns converted to floats at a time when scanning wide data
_DISTINCT_MIN_ROWS = 20       # "every value distinct" says nothing about a handful of rows


@dataclass(frozen=True)
class CleaningChoices:
    """What the user decided on the Data page. Frozen and hashable: it is part of cache keys.

    `missing` holds the (column, value) pairs turned into missing values; `offered_markers` the
    pairs the user added by hand (shown beside the detected ones so they can be switched off).
    `kind` overrides the dataset's kind ("table" or "signal") when not None.
    """

    target: str | None = None
    missing: tuple[tuple[str, float], ...] = ()
    offered_markers: tuple[tuple[str, float], ...] = ()
    excluded: tuple[str, ...] = ()
    derived: tuple[DerivedColumn, ...] = ()
    kind: str | None = None
    # Target values, as class names (class_name(value)): those that mean "not known yet" (the Kepler
    # table's -1) and classes left out. Their rows are not trained on; the Predict page offers them.
    unknown: tuple[str, ...] = ()
    left_out: tuple[str, ...] = ()
    # (class name, display name) pairs the user gave the target's values ("1" -> "red clump"): what every
    # chart, verdict and prediction of a run trained on these choices calls the class.
    class_labels: tuple[tuple[str, str], ...] = ()

    def replace(self, **changes) -> "CleaningChoices":
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict:
        """Plain JSON values: what a run records and the workspace store keeps."""
        return {"target": self.target, "missing": [list(pair) for pair in self.missing],
                "offered_markers": [list(pair) for pair in self.offered_markers], "excluded": list(self.excluded),
                "derived": [{"name": d.name, "expression": d.expression} for d in self.derived], "kind": self.kind,
                "unknown": list(self.unknown), "left_out": list(self.left_out),
                "class_labels": [list(pair) for pair in self.class_labels]}

    @classmethod
    def from_dict(cls, values: dict) -> "CleaningChoices":
        return cls(target=values.get("target"),
                   missing=tuple((str(c), float(v)) for c, v in values.get("missing", ())),
                   offered_markers=tuple((str(c), float(v)) for c, v in values.get("offered_markers", ())),
                   excluded=tuple(str(c) for c in values.get("excluded", ())),
                   derived=tuple(DerivedColumn(str(d["name"]), str(d["expression"])) for d in values.get("derived", ())),
                   kind=values.get("kind"), unknown=tuple(str(v) for v in values.get("unknown", ())),
                   left_out=tuple(str(v) for v in values.get("left_out", ())),
                   # Records written before classes could be named have no "class_labels".
                   class_labels=tuple((str(v), str(n)) for v, n in values.get("class_labels") or ()))


@dataclass
class CleaningResult:
    """The dataset to train on, and what cleaning did to get it."""

    dataset: Dataset
    replaced: dict[tuple[str, float], int] = field(default_factory=dict)   # values made missing
    dropped_rows: int = 0                                                 # rows without a target
    notes: list[str] = field(default_factory=list)                        # plain sentences

    @property
    def replaced_total(self) -> int:
        return sum(self.replaced.values())


@dataclass(frozen=True)
class MissingMarker:
    """A value of one column that looks like a 'missing' marker."""

    column: str
    value: float
    count: int


@dataclass(frozen=True)
class MarkerGroup:
    """One marker value, in one column or (when it appears in many) in many columns at once."""

    value: float
    columns: tuple[str, ...]
    count: int

    @property
    def pairs(self) -> tuple[tuple[str, float], ...]:
        return tuple((c, self.value) for c in self.columns)


def format_value(value: float) -> str:
    """-99.0 -> '-99', -99.99 -> '-99.99', 1e-30 -> '1e-30'."""
    return f"{float(value):g}"


def marker_sentence(group: MarkerGroup, detected: bool = True) -> str:
    """The question the Data page asks about a marker. Column names are not escaped here.

    `detected=False` words it for a value the user added by hand.
    """
    value = format_value(group.value)
    plural = group.count != 1
    if not detected:
        return (f"Column {group.columns[0]}: treat its {group.count:,} value{'s' if plural else ''} of {value} "
                "as missing")
    if len(group.columns) == 1:
        return (f"Column {group.columns[0]} has {group.count:,} value{'s' if plural else ''} of {value}, "
                f"which look{'' if plural else 's'} like a 'missing' marker — treat as missing?")
    shown = ", ".join(group.columns[:3]) + (f" and {len(group.columns) - 3:,} more" if len(group.columns) > 3 else "")
    return (f"The value {value} appears {group.count:,} times in {len(group.columns):,} columns ({shown}), "
            "which looks like a 'missing' marker — treat as missing?")


def _is_number_column(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def _matches(values: np.ndarray, value: float) -> np.ndarray:
    # float32 catalogues hold -99.99 as -99.98999786: compare with a tolerance, relative to the marker.
    return np.abs(values - value) <= 1e-5 * max(1.0, abs(value))


def _float_block(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    return np.column_stack([pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
                            for c in columns]) if columns else np.empty((len(frame), 0))


def find_missing_markers(frame: pd.DataFrame, columns: Iterable[str] | None = None,
                         candidates: Sequence[float] = SENTINELS) -> list[MissingMarker]:
    """Values in `candidates` that look like 'missing' markers, per numeric column.

    A value counts when it is present and lies outside the range of the column's other values
    (those that are not candidates either): -99.99 among I magnitudes of 12 to 20, or a column
    holding nothing else. Wide data is scanned in blocks of columns, so memory stays small.
    """
    names = [c for c in (frame.columns if columns is None else columns) if c in frame.columns
             and _is_number_column(frame[c])]
    found: list[MissingMarker] = []
    for start in range(0, len(names), _CHUNK_COLUMNS):
        chunk = names[start:start + _CHUNK_COLUMNS]
        block = _float_block(frame, chunk)
        hits = {v: _matches(block, v) for v in candidates}
        any_hit = np.zeros(block.shape, dtype=bool)
        for mask in hits.values():
            any_hit |= mask
        counts = {v: mask.sum(axis=0) for v, mask in hits.items()}
        if not any(c.any() for c in counts.values()):
            continue
        others = np.where(any_hit, np.nan, block)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # "All-NaN slice": a column of markers only
            low = np.nanmin(others, axis=0)
            high = np.nanmax(others, axis=0)
        for j, column in enumerate(chunk):
            for value in candidates:
                count = int(counts[value][j])
                if not count:
                    continue
                if np.isnan(low[j]) or value < low[j] or value > high[j]:
                    found.append(MissingMarker(column, float(value), count))
    return found


def group_markers(markers: Sequence[MissingMarker], limit: int = MARKER_GROUP_LIMIT) -> list[MarkerGroup]:
    """One entry per column and value, except that a value found in more than `limit` columns
    (a spectrum's pixels, say) becomes one entry for all of them: one question, not thousands."""
    by_value: dict[float, list[MissingMarker]] = {}
    for marker in markers:
        by_value.setdefault(marker.value, []).append(marker)
    groups = []
    for value, items in by_value.items():
        if len(items) > limit:
            groups.append(MarkerGroup(value, tuple(m.column for m in items), sum(m.count for m in items)))
        else:
            groups.extend(MarkerGroup(value, (m.column,), m.count) for m in items)
    order = {m.column: i for i, m in enumerate(markers)}
    return sorted(groups, key=lambda g: (order.get(g.columns[0], 0), g.value))


def count_value(frame: pd.DataFrame, column: str, value: float) -> int:
    """How many rows of `column` hold `value` (with the same float tolerance as the markers)."""
    if column not in frame.columns or not _is_number_column(frame[column]):
        return 0
    values = frame[column].to_numpy(dtype=float, na_value=np.nan)
    return int(_matches(values, float(value)).sum())


def parse_marker_value(text: str) -> float:
    """A value the user typed to mark as missing: a plain number."""
    cleaned = str(text).strip().replace("−", "-")
    try:
        value = float(cleaned)
    except ValueError:
        raise DataError(f"'{_shown(text)}' is not a number. Type the value that means 'missing' in this column, "
                        "for example -99.99 or 0.") from None
    if not math.isfinite(value):
        raise DataError("Type a finite number as the 'missing' marker, for example -99.99 or 0.")
    return value


# Column names (lower case, letters and digits only) that name or locate a row rather than
# describe it. Plain "x", "y", "l", "b" are left alone: too often genuine measurements.
IDENTIFIER_NAMES = frozenset({
    "id", "objid", "objectid", "specobjid", "sourceid", "sourcename", "name", "objname", "objectname",
    "designation", "starid", "starname", "galaxyid", "targetid", "index", "rowid", "rownumber", "unnamed0",
    "oid", "uid", "uuid", "ogleid", "gaiaid", "gaiadr3id", "tic", "ticid", "kic", "kicid", "epic", "epicid",
    "hip", "hd", "simbadname", "mainid", "field", "filename", "file", "path", "plate", "fiberid", "fiber",
    "run", "rerun", "camcol", "tile",
    "ra", "dec", "de", "raj2000", "dej2000", "decj2000", "radeg", "decdeg", "dedeg", "ra2000",
    "dec2000", "raicrs", "deicrs", "decicrs", "glon", "glat", "elon", "elat", "lii", "bii",
    "gall", "galb", "galacticl", "galacticb", "rightascension", "declination",
    "ximage", "yimage", "xpix", "ypix", "xpixel", "ypixel", "xcentroid", "ycentroid", "xcen", "ycen",
    "ccdx", "ccdy", "xccd", "yccd",
})
_ID_SUFFIX = re.compile(r"(?:^|[_\s.\-])(?:id|objid|name)$", re.IGNORECASE)
_ID_PREFIX = re.compile(r"^(?:id|objid)(?:[_\s.\-]|$)", re.IGNORECASE)
_CAMEL_ID = re.compile(r"[a-z0-9]ID$")                      # objID, SpecObjID, sourceID
_RA_DEC = re.compile(r"^_?(?:ra|dec?)(?:[_\s]?(?:j2000|icrs|deg|rad|hms|dms|fk5|b1950|epoch\w*))+$",
                     re.IGNORECASE)


def _normalised(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", str(name).lower())


def looks_like_identifier_name(name: str) -> bool:
    """Whether a column's name says it identifies or locates a row (ID, objid, RAJ2000, glat, ...)."""
    text = str(name).strip()
    return (_normalised(text) in IDENTIFIER_NAMES or bool(_ID_SUFFIX.search(text)) or bool(_ID_PREFIX.search(text))
            or bool(_CAMEL_ID.search(text)) or bool(_RA_DEC.match(text)))


def _all_distinct(values: pd.Series) -> bool:
    present = values.dropna()
    if len(present) < _DISTINCT_MIN_ROWS:
        return False
    head = present.iloc[:2000]
    if head.nunique() < len(head):   # cheap early answer for the usual case
        return False
    return present.nunique() == len(present)


def looks_like_identifier_values(values: pd.Series) -> bool:
    """Every value distinct text, or distinct whole numbers that look like row or catalogue numbers."""
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_float_dtype(values):
        return False
    if pd.api.types.is_integer_dtype(values):
        present = values.dropna()
        if len(present) < _DISTINCT_MIN_ROWS or not _all_distinct(present):
            return False
        low, high = int(present.min()), int(present.max())
        # Row numbers (0..n-1, 1..n) or catalogue numbers (large): not a count that happens to be distinct.
        return high - low + 1 <= 2 * len(present) or low >= 1_000_000
    return _all_distinct(values)


def find_identifier_columns(frame: pd.DataFrame, columns: Iterable[str] | None = None,
                            target: str | None = None) -> list[str]:
    """Columns (among `columns`, default all) that name or locate rows, by name or by content."""
    names = [c for c in (frame.columns if columns is None else columns) if c in frame.columns and c != target]
    return [c for c in names if looks_like_identifier_name(c) or looks_like_identifier_values(frame[c])]


def structural_columns(dataset: Dataset) -> list[str]:
    """The columns that are the data itself and never chosen one by one: an image's pixels and a
    signal's values, in order. Empty for ordinary tables."""
    if dataset.kind == "image" and dataset.image_shape is not None:
        height, width, channels = dataset.image_shape
        return list(dataset.frame.columns[:height * width * channels])
    if dataset.kind == "signal":
        # A SignalDataset's axis gives one coordinate per signal column, and those come first.
        axis = getattr(dataset, "axis", None)
        if axis is not None and 0 < len(axis) <= dataset.frame.shape[1]:
            return list(dataset.frame.columns[:len(axis)])
        if dataset.id_columns:
            return [c for c in dataset.frame.columns if c not in dataset.id_columns]
    return []


def optional_columns(dataset: Dataset, target: str | None) -> list[str]:
    """The columns the user may include or exclude as features (every column but the target and
    the pixels or signal values)."""
    fixed = set(structural_columns(dataset))
    # The supplied train/test part says where a row was published, not what it is: never a feature.
    return [c for c in dataset.frame.columns if c != target and c not in fixed and c != dataset.part_column]


def default_choices(dataset: Dataset, target: str | None, markers: Sequence[MissingMarker] = ()) -> CleaningChoices:
    """What the Data page starts with for a freshly loaded dataset.

    Identifier and coordinate columns are excluded (and the columns the reader already marked as
    not features, such as the catalogue columns beside a table of spectra); for images every
    column but the pixels is excluded. The detected markers are ticked: they were found because
    they sit outside every real value, and the page says so and offers to undo it.
    """
    optional = optional_columns(dataset, target)
    if dataset.kind == "image":
        excluded = optional
    else:
        suggested = set(find_identifier_columns(dataset.frame, optional, target)) | set(dataset.id_columns)
        excluded = [c for c in optional if c in suggested]
    return CleaningChoices(target=target, missing=tuple((m.column, m.value) for m in markers),
                           excluded=tuple(excluded))


def target_names(values: pd.Series) -> np.ndarray:
    """Each target value as its class name (1.0 and 1 are both "1"); missing values as None."""
    from mllab.prepare.preprocessing import class_name

    # Named once per distinct value: a 400,000-row catalogue has a handful of classes.
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    named = np.array([class_name(v) for v in uniques] + [None], dtype=object)
    return named[codes]  # the sentinel -1 picks the trailing None


def not_known_mask(frame: pd.DataFrame, target: str, choices: CleaningChoices) -> np.ndarray:
    """Rows whose target is empty, marked "not known yet", or of a class left out: the rows not trained
    on, which the Predict page offers to classify."""
    names = target_names(frame[target])
    marked = set(choices.unknown) | set(choices.left_out)
    return np.array([name is None or name in marked for name in names], dtype=bool)


def _drop_unknown_and_left_out(frame: pd.DataFrame, target: str, choices: CleaningChoices):
    names = target_names(frame[target])
    unknown = np.isin(names, list(choices.unknown)) if choices.unknown else np.zeros(len(frame), dtype=bool)
    left_out = np.isin(names, list(choices.left_out)) if choices.left_out else np.zeros(len(frame), dtype=bool)
    notes = []
    if unknown.any():
        values = ", ".join(sorted({str(n) for n in names[unknown]}))
        notes.append(f"{int(unknown.sum()):,} rows whose {target} is not known yet ({values}) are left out of training "
                     "and validation; the Predict page classifies them with a trained model.")
    if left_out.any():
        values = ", ".join(sorted({str(n) for n in names[left_out]}))
        notes.append(f"{int(left_out.sum()):,} rows of the classes left out ({values}) are not trained on; the "
                     "Predict page can classify them too.")
    keep = ~(unknown | left_out)
    return frame.loc[keep].reset_index(drop=True), notes


def apply_cleaning(dataset: Dataset, choices: CleaningChoices) -> CleaningResult:
    """The dataset to train on: markers made missing, new columns added, excluded columns and rows
    without a target removed. A new Dataset (`dataclasses.replace`); `dataset` is not changed.

    A new column whose formula no longer works is left out with a note rather than failing.
    """
    frame = dataset.frame
    target = choices.target if choices.target in frame.columns else None
    notes: list[str] = []
    replaced: dict[tuple[str, float], int] = {}
    if choices.missing:
        updates = {}
        for column, value in choices.missing:
            if column not in frame.columns or not _is_number_column(frame[column]):
                continue
            current = updates.get(column, frame[column])
            values = current.to_numpy(dtype=float, na_value=np.nan)
            mask = _matches(values, float(value))
            if mask.any():
                replaced[(column, float(value))] = int(mask.sum())
                updates[column] = pd.Series(np.where(mask, np.nan, values), index=frame.index, name=column)
        if updates:
            frame = frame.copy(deep=False)  # copy-on-write: the loaded dataset's columns stay as they were
            for column, values in updates.items():
                frame[column] = values
    for derived in choices.derived:
        try:
            frame, formula_notes = add_derived_column(frame, derived)
        except DataError as err:
            notes.append(f"The new column {derived.name} was left out: {err}")
            continue
        notes.extend(f"{derived.name}: {note}" for note in formula_notes)
    # The part column is kept whatever is excluded: the Train page splits by it (it is no feature).
    excluded = [c for c in choices.excluded if c in frame.columns and c != target and c != dataset.part_column]
    if excluded:
        frame = frame.drop(columns=excluded)
    dropped = 0
    if target is not None and (choices.unknown or choices.left_out):
        frame, target_notes = _drop_unknown_and_left_out(frame, target, choices)
        notes.extend(target_notes)
    if target is not None:
        has_target = frame[target].notna()
        dropped = int((~has_target).sum())
        if dropped:
            frame = frame.loc[has_target].reset_index(drop=True)
            notes.append(f"{dropped:,} row{'s' if dropped != 1 else ''} with no value in the target column {target} "
                         f"{'were' if dropped != 1 else 'was'} left out.")
    kind = dataset.kind
    if choices.kind in ("table", "signal") and dataset.kind != "image":
        kind = choices.kind
    cleaned = dataclasses.replace(dataset, frame=frame, id_columns=(), kind=kind,
                                  class_labels=choices.class_labels if target is not None else ())
    if target is not None:
        cleaned.target = target
    return CleaningResult(dataset=cleaned, replaced=replaced, dropped_rows=dropped, notes=notes)
