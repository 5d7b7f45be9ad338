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

import ast
import dataclasses
import difflib
import math
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mllab.datasets import Dataset
from mllab.errors import DataError

# Values catalogues use for "no measurement". Detected only when they lie outside the range of
# the column's other values, so a real -99 among values from -200 to 200 is never flagged.
SENTINELS: tuple[float, ...] = (-99.0, -99.99, -999.0, -9999.0, 99.99)
MARKER_GROUP_LIMIT = 6        # more columns than this with one marker value: offered as one group
MAX_EXPRESSION_CHARS = 300
MAX_EXPRESSION_NODES = 120
MAX_NAME_CHARS = 60
_CHUNK_COLUMNS = 256          # columns converted to floats at a time when scanning wide data
_DISTINCT_MIN_ROWS = 20       # "every value distinct" says nothing about a handful of rows


# --------------------------------------------------------------------------------------------
# Choices and results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DerivedColumn:
    """A new column computed from a formula over the other columns."""

    name: str
    expression: str


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

    def replace(self, **changes) -> "CleaningChoices":
        return dataclasses.replace(self, **changes)


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


# --------------------------------------------------------------------------------------------
# Detecting missing-value markers
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Identifier and coordinate columns
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# Formulas for new columns
# --------------------------------------------------------------------------------------------

FUNCTIONS: dict[str, tuple[object, int]] = {
    "log10": (np.log10, 1), "log": (np.log, 1), "ln": (np.log, 1), "log2": (np.log2, 1), "exp": (np.exp, 1),
    "sqrt": (np.sqrt, 1), "abs": (np.abs, 1), "sin": (np.sin, 1), "cos": (np.cos, 1), "tan": (np.tan, 1),
    "arcsin": (np.arcsin, 1), "arccos": (np.arccos, 1), "arctan": (np.arctan, 1), "sinh": (np.sinh, 1),
    "cosh": (np.cosh, 1), "tanh": (np.tanh, 1), "floor": (np.floor, 1), "ceil": (np.ceil, 1),
    "round": (np.round, 1), "sign": (np.sign, 1), "radians": (np.radians, 1), "degrees": (np.degrees, 1),
    "min": (np.fmin, 2), "max": (np.fmax, 2), "hypot": (np.hypot, 2), "arctan2": (np.arctan2, 2),
}
CONSTANTS = {"pi": math.pi, "e": math.e}
_BINARY = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide,
           ast.Pow: np.power, ast.Mod: np.mod, ast.FloorDiv: np.floor_divide}
_UNARY = {ast.USub: np.negative, ast.UAdd: np.positive}
_SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.Mod: "%",
            ast.FloorDiv: "//"}
_ALLOWED_TEXT = ("column names, numbers, + - * / ** ( ) and the functions "
                 + ", ".join(f for f in FUNCTIONS if f != "ln"))
_BACKTICKED = re.compile(r"`([^`]*)`")


def _shown(text, limit: int = 60) -> str:
    text = "".join(ch if ch.isprintable() else "?" for ch in str(text))
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _describe_node(node: ast.AST) -> str:
    if isinstance(node, ast.Compare):
        return "a comparison (<, >, ==)"
    if isinstance(node, ast.BoolOp):
        return "'and' / 'or'"
    if isinstance(node, ast.Attribute):
        return "a dot (.)"
    if isinstance(node, ast.Subscript):
        return "square brackets"
    if isinstance(node, (ast.List, ast.Tuple, ast.Set, ast.Dict)):
        return "a list or tuple"
    if isinstance(node, ast.Lambda):
        return "lambda"
    if isinstance(node, ast.IfExp):
        return "'if ... else'"
    if isinstance(node, ast.Constant):
        return f"the text {_shown(repr(node.value), 30)}"
    if isinstance(node, ast.BinOp):
        return "the operator @" if isinstance(node.op, ast.MatMult) else "a bitwise operator (& | ^ << >>)"
    if isinstance(node, ast.UnaryOp):
        return "'not' or '~'"
    return f"{type(node).__name__}"


class _Evaluator:
    def __init__(self, frame: pd.DataFrame, names: dict[str, str]):
        self.frame = frame
        self.names = names          # identifier in the parsed text -> column name
        self.used: list[str] = []
        self.n = len(frame)

    def column(self, name: str) -> np.ndarray:
        values = self.frame[name]
        if pd.api.types.is_bool_dtype(values):
            values = values.astype(float)
        elif not pd.api.types.is_numeric_dtype(values):
            raise DataError(f"The column {_shown(name)} holds text, not numbers, so it cannot be used in a formula.")
        if name not in self.used:
            self.used.append(name)
        return values.to_numpy(dtype=float, na_value=np.nan)

    def eval(self, node: ast.AST):
        if isinstance(node, ast.Expression):
            return self.eval(node.body)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise DataError(f"The formula uses {_describe_node(node)}; use {_ALLOWED_TEXT}.")
            # Floats, never Python integers: 9**9**9 must overflow to inf at once, not compute for hours.
            return np.float64(node.value)
        if isinstance(node, ast.Name):
            if node.id in self.names:
                return self.column(self.names[node.id])
            if node.id in CONSTANTS:
                return np.float64(CONSTANTS[node.id])
            if node.id in FUNCTIONS:
                raise DataError(f"{node.id} is a function: write it with brackets, like {node.id}(x).")
            raise DataError(self.unknown(node.id))
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return _BINARY[type(node.op)](self.eval(node.left), self.eval(node.right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            return _UNARY[type(node.op)](self.eval(node.operand))
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name):
                raise DataError(f"The formula calls something that is not a function name; use {_ALLOWED_TEXT}.")
            name = node.func.id
            if name not in FUNCTIONS:
                close = difflib.get_close_matches(name, list(FUNCTIONS), n=1)
                hint = f" Did you mean {close[0]}?" if close else ""
                raise DataError(f"{_shown(name)} is not a function mllab knows.{hint} The functions are: "
                                f"{', '.join(f for f in FUNCTIONS if f != 'ln')}.")
            function, arity = FUNCTIONS[name]
            if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
                raise DataError(f"Give {name} its value{'s' if arity > 1 else ''} in brackets, without names: "
                                f"{name}({', '.join(['x', 'y'][:arity])}).")
            if len(node.args) != arity:
                raise DataError(f"{name} takes {'one value' if arity == 1 else 'two values'}: "
                                f"{name}({', '.join(['x', 'y'][:arity])}).")
            return function(*(self.eval(a) for a in node.args))
        raise DataError(f"The formula uses {_describe_node(node)}, which is not allowed; use {_ALLOWED_TEXT}.")

    def unknown(self, name: str) -> str:
        column = self.names.get(name, name)
        close = difflib.get_close_matches(column, [str(c) for c in self.frame.columns], n=3, cutoff=0.6)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        return (f"There is no column called {_shown(column)}.{hint} Put a column name that has spaces or symbols "
                "in backticks, like `V-I`.")


def _parse(expression: str, frame: pd.DataFrame) -> tuple[ast.Expression, dict[str, str]]:
    text = str(expression).strip()
    if not text:
        raise DataError("Type a formula, for example V - I or log10(P_1).")
    if len(text) > MAX_EXPRESSION_CHARS:
        raise DataError(f"The formula is {len(text):,} characters long; keep it under {MAX_EXPRESSION_CHARS}.")
    if text.count("`") % 2:
        raise DataError("A backtick (`) is not closed. Put column names with spaces or symbols between two "
                        "backticks, like `V-I`.")
    names: dict[str, str] = {}
    columns = {str(c): c for c in frame.columns}

    def placeholder(match: re.Match) -> str:
        column = match.group(1)
        if column not in columns:
            stripped = column.strip()
            if stripped in columns:
                column = stripped
            else:
                close = difflib.get_close_matches(column, list(columns), n=3, cutoff=0.6)
                hint = f" Did you mean {', '.join(close)}?" if close else ""
                raise DataError(f"There is no column called {_shown(column)}.{hint}")
        key = f"_bq{len(names)}_"
        names[key] = columns[column]
        return f" {key} "

    text = _BACKTICKED.sub(placeholder, text).replace("−", "-").replace("×", "*").replace("^", "**").strip()
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as err:
        where = f" near character {err.offset}" if err.offset else ""
        raise DataError(f"The formula could not be read{where}. Check the brackets and operators, and put a column "
                        "name that has spaces or symbols in backticks, like `V-I`.") from None
    except (ValueError, RecursionError, MemoryError):
        raise DataError("The formula could not be read. Write it with column names, numbers and + - * / ( ).") \
            from None
    n_nodes = sum(1 for _ in ast.walk(tree))
    if n_nodes > MAX_EXPRESSION_NODES:
        raise DataError(f"The formula is too complicated ({n_nodes} parts); split it into several new columns.")
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in names and node.id in columns:
            names[node.id] = columns[node.id]
    return tree, names


def evaluate_expression(frame: pd.DataFrame, expression: str) -> tuple[np.ndarray, list[str]]:
    """Evaluate a formula over the frame's columns: the values (float, one per row) and notes.

    Infinite results (a division by zero, log10(0)) and impossible ones (sqrt of a negative number)
    become missing values, and the notes say in how many rows. Raises DataError for anything
    that is not a formula over existing numeric columns.
    """
    tree, names = _parse(expression, frame)
    evaluator = _Evaluator(frame, names)
    with np.errstate(all="ignore"):
        try:
            result = evaluator.eval(tree)
        except DataError:
            raise
        except RecursionError:
            raise DataError("The formula is nested too deeply; split it into several new columns.") from None
        except (TypeError, ValueError, OverflowError, ZeroDivisionError) as err:
            raise DataError(f"The formula could not be computed ({_shown(err, 80)}).") from None
    if not evaluator.used:
        raise DataError("The formula does not use any column. Use at least one column name, for example V - I.")
    values = np.asarray(result, dtype=float)
    if values.shape != (len(frame),):
        values = np.broadcast_to(values, (len(frame),)).copy()
    inputs_present = np.ones(len(frame), dtype=bool)
    for column in evaluator.used:
        inputs_present &= frame[column].notna().to_numpy()
    notes = []
    infinite = np.isinf(values)
    if not np.isfinite(values).any():
        why = (" (a division by zero, the logarithm of 0, or a number too large)" if infinite.any()
               else ". Check the columns it uses and the functions applied to them")
        raise DataError(f"The formula gives no usable value in any row{why}.")
    if infinite.any():
        notes.append(f"The formula gives an infinite value in {int(infinite.sum()):,} row"
                     f"{'s' if infinite.sum() != 1 else ''} (a division by zero, or the logarithm of 0); "
                     "those rows get a missing value.")
        values = np.where(infinite, np.nan, values)
    impossible = np.isnan(values) & inputs_present & ~infinite
    if impossible.any():
        count = int(impossible.sum())
        notes.append(f"The formula has no value in {count:,} row{'s' if count != 1 else ''} (for example 0/0, or the "
                     "logarithm or square root of a negative number); those rows get a missing value.")
    return values, notes


def check_new_column_name(frame: pd.DataFrame, name: str) -> str:
    """The name for a new column, stripped; DataError if it is empty, too long or already used."""
    cleaned = str(name).strip()
    if not cleaned:
        raise DataError("Give the new column a name, for example V_minus_I.")
    if len(cleaned) > MAX_NAME_CHARS:
        raise DataError(f"Keep the new column's name under {MAX_NAME_CHARS} characters.")
    if not cleaned.isprintable():
        raise DataError("The new column's name holds characters that cannot be shown; use letters, digits and _.")
    if cleaned in {str(c) for c in frame.columns}:
        raise DataError(f"There is already a column called {_shown(cleaned)}. Choose another name.")
    return cleaned


def add_derived_column(frame: pd.DataFrame, column: DerivedColumn) -> tuple[pd.DataFrame, list[str]]:
    """The frame with the new column appended (a new frame), and the formula's notes."""
    name = check_new_column_name(frame, column.name)
    values, notes = evaluate_expression(frame, column.expression)
    return frame.assign(**{name: values}), notes


# --------------------------------------------------------------------------------------------
# Defaults and applying the choices
# --------------------------------------------------------------------------------------------


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
    return [c for c in dataset.frame.columns if c != target and c not in fixed]


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
    excluded = [c for c in choices.excluded if c in frame.columns and c != target]
    if excluded:
        frame = frame.drop(columns=excluded)
    dropped = 0
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
    cleaned = dataclasses.replace(dataset, frame=frame, id_columns=(), kind=kind)
    if target is not None:
        cleaned.target = target
    return CleaningResult(dataset=cleaned, replaced=replaced, dropped_rows=dropped, notes=notes)

