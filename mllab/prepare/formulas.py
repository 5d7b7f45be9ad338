"""New columns from a formula (`V - I`, `log10(P_1)`), evaluated safely.

`evaluate_expression` parses the formula with Python's `ast` and evaluates a small whitelist of
operations on NumPy arrays. No Python code is ever run: names can only be columns, functions only
those in `FUNCTIONS`, and the formula's length and size are capped.
"""

from __future__ import annotations

import ast
import difflib
import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mllab.errors import DataError

MAX_EXPRESSION_CHARS = 300
MAX_EXPRESSION_NODES = 120
MAX_NAME_CHARS = 60


@dataclass(frozen=True)
class DerivedColumn:
    """A new column computed from a formula over the other columns."""

    name: str
    expression: str


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
