"""Weka's ARFF files, read through liac-arff: numeric, nominal, string and date attributes, sparse
rows, `?` for missing values. The last attribute is the suggested target, as in Weka.

The three functions before `_read_arff` use nothing of mllab: the code export (mllab.export)
copies their source into the script it writes, so the script reads the file exactly as mllab did.
"""

from __future__ import annotations

import re

import arff
import pandas as pd

from mllab.datasets import Dataset, markdown_escape
from mllab.errors import DataError
from mllab.io.common import _plural, _require_rows, _shown
from mllab.io.limits import _Context


def arff_lines_with_dates_as_strings(text):
    """The file's lines with each date attribute declared as a string, and each date column's Java format.

    liac-arff refuses date attributes; read as strings, they are parsed afterwards. Lines keep their
    numbers, so liac-arff's line numbers in error messages stay right.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    dates = {}
    for number, line in enumerate(lines):
        stripped = line.strip()
        if stripped.lower().startswith("@data"):
            break
        found = re.match(r"""@attribute\s+('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s{]+)\s+date\b\s*(.*)$""",
                         stripped, re.IGNORECASE)
        if found:
            # Weka's default date format is ISO 8601, as Java's SimpleDateFormat writes it.
            dates[found.group(1).strip("\"'")] = found.group(2).strip().strip("\"'") or "yyyy-MM-dd'T'HH:mm:ss"
            lines[number] = f"@attribute {found.group(1)} string"
    return lines, dates


def python_date_format(java_format):
    """A Java SimpleDateFormat pattern ("yyyy-MM-dd HH:mm") as a strptime format, or None when it uses
    letters this translation does not know (the dates are then kept as written)."""
    parts = {"yyyy": "%Y", "yy": "%y", "MM": "%m", "dd": "%d", "HH": "%H", "mm": "%M", "ss": "%S", "SSS": "%f",
             "Z": "%z", "XXX": "%z", "X": "%z"}
    translated = []
    for match in re.finditer(r"'[^']*'|([A-Za-z])\1*|[^A-Za-z']+", java_format):
        part = match.group(0)
        if part.startswith("'"):
            translated.append(part[1:-1].replace("%", "%%") or "'")
        elif part[0].isalpha():
            if part not in parts:
                return None
            translated.append(parts[part])
        else:
            translated.append(part.replace("%", "%%"))
    return "".join(translated)


def arff_frame(decoded, dates):
    """The table liac-arff decoded: nominal attributes as categories in their declared order, numbers as
    floats (integers as int64 when none is missing), strings as text, dates as ISO 8601 text.

    Returns the frame and the date columns kept as written because their format or values did not parse.
    """
    rows = decoded["data"]
    columns = {}
    kept_as_written = []
    for index, (name, kind) in enumerate(decoded["attributes"]):
        values = [row[index] for row in rows]
        if isinstance(kind, list):
            columns[name] = pd.Categorical(values, categories=kind)
        elif kind == "STRING":
            column = pd.Series(values, dtype="str")
            if name in dates:
                fmt = python_date_format(dates[name])
                parsed = pd.to_datetime(column, format=fmt, errors="coerce") if fmt else None
                if parsed is None or (parsed.isna() & column.notna()).any():
                    kept_as_written.append(name)
                else:
                    # Dates alone when no value has a time of day: "2020-01-02", not "2020-01-02T00:00:00".
                    with_time = bool((parsed.dropna() != parsed.dropna().dt.normalize()).any())
                    column = parsed.dt.strftime("%Y-%m-%dT%H:%M:%S" if with_time else "%Y-%m-%d").astype("str")
            columns[name] = column
        else:
            column = pd.Series(values, dtype="float64")
            if kind == "INTEGER" and column.notna().all():
                column = column.astype("int64")
            columns[name] = column
    return pd.DataFrame(columns, index=pd.RangeIndex(len(rows))), kept_as_written


# liac-arff's errors, as what the user should check; the line number is added from the error.
_PLAIN_ERRORS = {
    "BadRelationFormat": "the @relation line should be '@relation name'",
    "BadAttributeFormat": "an @attribute line should be '@attribute name type'",
    "BadAttributeType": ("an attribute's type is not one ARFF defines (numeric, integer, real, string, date or a "
                         "list of values in braces)"),
    "BadAttributeName": "two attributes have the same name",
    "BadNominalValue": "a value is not one of those its nominal attribute lists",
    "BadNominalFormatting": "a value with spaces or commas is not in quotes",
    "BadNumericalValue": "a value of a numeric attribute is not a number",
    "BadStringValue": "a string value is not properly quoted",
    "BadLayout": "the file does not follow ARFF's layout (@relation, then @attribute lines, then @data and the rows)",
    "BadDataFormat": "a data row does not have one value per attribute",
}
_RELATIONAL = re.compile(r"""^\s*@attribute\s+('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|\S+)\s+relational\b""",
                         re.IGNORECASE | re.MULTILINE)


def _text_of(name: str, data: bytes) -> str:
    if b"\x00" in data[:65536]:
        raise DataError(f"'{_shown(name)}' is named like an ARFF file but holds binary data, and ARFF is text. "
                        "Export the data from Weka again (File > Save as ARFF) and upload that.")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")  # never fails: every byte is a character


def _read_arff(name: str, data: bytes, ctx: _Context) -> Dataset:
    text = _text_of(name, data)
    header_end = re.search(r"^\s*@data\b", text, re.IGNORECASE | re.MULTILINE)
    relational = _RELATIONAL.search(text[:header_end.start() if header_end else len(text)])
    if relational:
        raise DataError(f"'{_shown(name)}' declares the relational attribute {_shown(relational.group(1))} "
                        "(multi-instance data: a table inside each row), which mllab cannot read. In Weka, flatten "
                        "it first (for example with the filter MultiInstanceToPropositional) and save that as ARFF.")
    lines, dates = arff_lines_with_dates_as_strings(text)
    del text
    try:
        decoded = arff.loads(lines)
    except arff.ArffException as err:
        plain = _PLAIN_ERRORS.get(type(err).__name__, "the file is not valid ARFF")
        # liac-arff keeps the offending value only in its message.
        found = re.match(r"Data value (.*) not found", str(getattr(err, "message", "") or ""))
        detail = found.group(1) if found else None
        raise DataError(f"'{_shown(name)}' could not be read as an ARFF file: on line {err.line}, {plain}"
                        f"{f' (the value {_shown(str(detail), 40)!r})' if detail is not None else ''}. Correct "
                        "that line, or save the data from Weka again, and upload the file again.") from None
    if not decoded["attributes"]:
        raise DataError(f"'{_shown(name)}' declares no attributes. An ARFF file needs @attribute lines before "
                        "@data.")
    frame, kept_as_written = arff_frame(decoded, dates)
    _require_rows(name, len(frame))
    if frame.shape[1] < 2:
        raise DataError(f"'{_shown(name)}' has a single attribute. A dataset needs at least one feature and a "
                        "target to learn to predict.")
    target, kind = decoded["attributes"][-1]
    task = "classification" if isinstance(kind, list) else ("regression" if kind in ("NUMERIC", "REAL", "INTEGER")
                                                             and target not in dates else None)
    n_rows, n_cols = frame.shape
    notes = [f"The last attribute, {markdown_escape(target)}, is the suggested target, as in Weka."]
    if dates:
        notes.append(f"Dates are shown as ISO 8601 text ({_plural(len(dates), 'date attribute')}).")
    if kept_as_written:
        notes.append("The dates of " + ", ".join(markdown_escape(c) for c in kept_as_written)
                     + " did not match their declared format and are kept as written.")
    relation = decoded.get("relation") or ""
    return Dataset(
        name=name, frame=frame, target=target, kind="table", task=task, source="upload",
        description=(f"Uploaded ARFF file {markdown_escape(name)}"
                     f"{f' (relation {markdown_escape(relation)})' if relation else ''}: {n_rows:,} rows and "
                     f"{n_cols} attributes. " + " ".join(notes)),
        read_as={"format": "arff"},
    )
