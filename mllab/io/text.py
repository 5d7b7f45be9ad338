"""Text tables: CSV, TSV, semicolon, pipe or whitespace-separated, with the delimiter, header row,
`#` comment lines and decimal commas detected.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass

import pandas as pd

from mllab.datasets import Dataset, markdown_escape
from mllab.errors import DataError
from mllab.io.common import _size_text
from mllab.io.limits import MAX_UPLOAD_BYTES, _Context


_DELIMITERS = (",", ";", "\t", "|")
_WHITESPACE = r"\s+"
_SNIFF_LINES = 200
# Signatures of files people upload by mistake, to say what the file is rather than "not a table".
_MAGIC = (
    (b"PK\x03\x04", "an Excel workbook (.xlsx) or a zip archive"),
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls)"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"PAR1", "a Parquet file"),
    (b"\x89HDF", "an HDF5 file"),
    (b"SIMPLE  =", "a FITS file"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
)
_COMMENT_LINE = re.compile(r"^#[^\n]*(?:\n|\Z)", re.MULTILINE)
_NUMBER_WITH_DECIMAL_COMMA = re.compile(r"^\s*[+-]?\d*,?\d+(?:[eE][+-]?\d+)?\s*$")


def _decode(data: bytes, filename: str) -> tuple[str, str]:
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise DataError(f"'{filename}' looks like {what}, not a CSV text file. Save or export the data "
                            "as CSV (for example File > Save As > CSV in a spreadsheet) and upload that.")
    # Excel's "Unicode text" export is UTF-16 with a byte-order mark; it legitimately contains NUL bytes.
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            encoding = "utf-16"
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise DataError(f"'{filename}' starts like a UTF-16 text file but cannot be decoded as one. "
                            "Save it again as CSV (UTF-8) and upload that.") from None
    elif b"\x00" in data:
        raise DataError(f"'{filename}' is not a text file (it contains binary data), so it cannot be read as "
                        "a table. Upload a CSV file: plain text with one row per line and a header row.")
    else:
        # UTF-8 (with or without BOM) first; then Windows-1252, which is what spreadsheets on Windows
        # write and agrees with Latin-1 on every letter; Latin-1 last because it accepts any bytes.
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            encoding = "latin-1"
            text = data.decode("latin-1")  # never fails: every byte is a character
    sample = text[:65536]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f\v")
    if controls > max(2, len(sample) // 200):
        raise DataError(f"'{filename}' does not look like a text file (it is full of control characters), "
                        "so it cannot be read as a table. Upload a CSV file.")
    return text, encoding


@dataclass
class _Layout:
    """Where things are in an uploaded text: found by looking at its first lines only."""

    leading_comments: list[str]   # '#' lines before the first data or header line
    sample: list[str]             # the first non-blank, non-comment lines (header included)
    body_start: int               # offset in the text of the first non-comment line
    line_ends: list[int]          # offset just past each sample line


def _scan(text: str) -> _Layout:
    # Only the beginning is walked in Python: the rest of a 200 MB file goes straight to pandas.
    leading: list[str] = []
    sample: list[str] = []
    ends: list[int] = []
    body_start = len(text)
    pos = 0
    while pos < len(text) and len(sample) < _SNIFF_LINES:
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        line = text[pos:end]
        if line.startswith("#"):
            if not sample:
                leading.append(line)
        elif line.strip():
            if not sample:
                body_start = pos
            sample.append(line)
            ends.append(end + 1)
        pos = end + 1
    return _Layout(leading, sample, body_start, ends)


def _split_row(line: str, sep: str) -> list[str]:
    if sep == _WHITESPACE:
        return line.split()
    return next(csv.reader([line], delimiter=sep, skipinitialspace=True), [])


def _sniff_delimiter(lines: list[str]) -> str | None:
    """The delimiter that splits the first lines into the same number (>= 2) of fields most consistently.

    csv.Sniffer is easily fooled (by decimal commas in a semicolon file, for one), so each candidate is
    scored directly: the share of sample lines whose field count equals the most common count.
    """
    sample = lines[:_SNIFF_LINES]
    best: tuple[float, int] | None = None
    best_sep: str | None = None
    for sep in (*_DELIMITERS, _WHITESPACE):
        if sep == _WHITESPACE:
            # Whitespace only counts when no real delimiter works: "New York,3" must not split on the space.
            if best is not None:
                break
            counts = [len(line.split()) for line in sample]
        else:
            if not any(sep in line for line in sample):
                continue
            counts = [len(row) for row in csv.reader(sample, delimiter=sep, skipinitialspace=True)]
        width, frequency = Counter(counts).most_common(1)[0]
        if width < 2:
            continue
        # Prose splits on spaces too; a whitespace table has the same number of fields on every line.
        if sep == _WHITESPACE and frequency < len(counts):
            continue
        score = (frequency / len(counts), width)
        if best is None or score > best:
            best, best_sep = score, sep
    return best_sep


def _is_number(field: str) -> bool:
    try:
        float(field.replace(",", "."))  # a decimal comma counts: "1,5" is a number in a semicolon file
    except ValueError:
        return False
    return True


def _looks_like_data(first: list[str], second: list[str] | None) -> bool:
    """Whether the first non-comment line is a row of data rather than a header.

    A header has names where the data has numbers. So the first line is data if it holds numbers,
    and, when there is a second line to compare with, it holds a number in every column where the
    second line does.
    """
    numeric = [_is_number(f) for f in first if f.strip()]
    if not any(numeric):
        return False
    if second is None or len(second) != len(first):
        return all(numeric)
    return all(_is_number(a) for a, b in zip(first, second) if _is_number(b))


def _header(leading_comments: list[str], body: list[str], sep: str) -> tuple[list[str], bool]:
    """The column names, and whether they came from the first body line (True) or a comment line.

    Astronomical tables often put the column names on the last '#' line ("# ID<tab>Field<tab>...")
    and start the data right after. That line is used when it splits into exactly as many fields
    as the data and the first non-comment line looks like data rather than a header.
    """
    first = _split_row(body[0], sep)
    if leading_comments:
        candidate = _split_row(leading_comments[-1].lstrip("#"), sep)
        second = _split_row(body[1], sep) if len(body) > 1 else None
        if (len(candidate) == len(first) and not all(_is_number(f) for f in candidate)
                and _looks_like_data(first, second)):
            return candidate, False
    return first, True


def _clean_names(raw: list[str]) -> list[str]:
    names = [str(name).strip() for name in raw]
    # An empty header cell still needs a name the user can recognise in the column list.
    names = [name or f"column_{i + 1}" for i, name in enumerate(names)]
    counts = Counter(names)
    duplicates = [name for name, n in counts.items() if n > 1]
    if duplicates:
        listed = ", ".join(f"'{name}'" for name in duplicates[:5])
        raise DataError(f"The header row names the column{'s' if len(duplicates) > 1 else ''} {listed} more than "
                        "once. Give every column a different name and upload the file again.")
    return names


def _fix_decimal_commas(frame: pd.DataFrame) -> None:
    """Turn text columns like "1,5" into numbers: European spreadsheets write decimals with a comma."""
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            continue
        present = values.dropna().astype(str)
        if present.empty or not present.str.contains(",", regex=False).any():
            continue
        if present.str.match(_NUMBER_WITH_DECIMAL_COMMA).all():
            frame[column] = pd.to_numeric(values.astype("str").str.replace(",", ".", regex=False))


def _require_rows(filename: str, n_rows: int) -> None:
    if n_rows < 2:
        raise DataError(f"'{filename}' has {n_rows} data row{'' if n_rows == 1 else 's'} under its header; "
                        "at least 2 are needed (one to train on, one to test on), and many more to learn "
                        "anything. Upload a file with more rows.")


def read_csv_upload(filename: str, data: bytes, max_bytes: int = 200 * 1024 * 1024,
                    names_if_headless: list[str] | None = None) -> Dataset:
    """Read an uploaded CSV (or TSV, semicolon- or whitespace-separated) file into a Dataset.

    Lines starting with '#' are comments. The first other line is the header, unless it looks like
    data and the last comment line before it holds the column names (as astronomical tables do), or,
    failing both, `names_if_headless` gives as many names as the first line has values. Raises
    DataError with a message meant for the user when the file cannot be used.
    """
    if len(data) > max_bytes:
        raise DataError(f"'{filename}' is {_size_text(len(data))}, more than the {_size_text(max_bytes)} this app "
                        "accepts. Upload a smaller file, for example a sample of the rows.")
    if not data.strip():
        raise DataError(f"The file '{filename}' is empty. Upload a CSV file with a header row and at least two "
                        "rows of data.")
    text, encoding = _decode(data, filename)
    # One kind of line end from here on, so lines can be found with "\n" and the comment pattern
    # below works. Windows "\r\n" files are common, old Mac "\r"-only files rare.
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    layout = _scan(text)
    if not layout.sample:
        raise DataError(f"'{filename}' holds only comment lines (starting with '#') and no data. Upload a CSV "
                        "file with a header row and at least two rows of data.")
    sep = _sniff_delimiter(layout.sample)
    if sep is None:
        raise DataError(f"'{filename}' does not look like a table: no line could be split into two or more "
                        "columns by commas, semicolons, tabs, '|' or spaces. A dataset needs at least one feature "
                        "column and a target column.")
    raw_names, header_in_body = _header(layout.leading_comments, layout.sample, sep)
    if (names_if_headless is not None and header_in_body and len(raw_names) == len(names_if_headless)
            and all(_is_number(f) for f in raw_names)):
        # No line of this file names its columns (the first is data), and the caller knows the names:
        # the other part of a train/test pair whose header fits.
        raw_names, header_in_body = list(names_if_headless), False
    names = _clean_names(raw_names)
    data_start = layout.line_ends[0] if header_in_body else layout.body_start
    _require_rows(filename, len(layout.sample) - int(header_in_body))
    body = text[data_start:]
    del text  # the upload can be 200 MB: keep at most two copies of it alive
    if body.startswith("#") or "\n#" in body:
        # Whole comment lines only: pandas' comment="#" would also cut "#ff0000" out of a value.
        body = _COMMENT_LINE.sub("", body)
    payload = body.encode("utf-8")
    del body
    try:
        # Bytes rather than a StringIO: pandas' C parser reads them directly, and a StringIO would
        # hold the text as 4 bytes per character.
        frame = pd.read_csv(io.BytesIO(payload), encoding="utf-8", sep=sep, header=None, names=names,
                            index_col=False, skipinitialspace=True, low_memory=False)
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame(columns=names)
    except pd.errors.ParserError as err:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(err))
        detail = (f"data row {found.group(2)} has {found.group(3)} values but the header names "
                  f"{found.group(1)} columns" if found else "the rows do not split into the same columns")
        raise DataError(f"'{filename}' could not be read as a table: {detail}. Check that every row has as "
                        "many values as the header row (a value containing the separator must be in "
                        "double quotes).") from None
    # Counted again on the parsed table: quoted values can span lines.
    _require_rows(filename, len(frame))
    if sep != ",":
        _fix_decimal_commas(frame)
    n_rows, n_cols = frame.shape
    return Dataset(
        name=filename, frame=frame, target=None, kind="table",
        description=f"Uploaded file {markdown_escape(filename)}: {n_rows:,} rows and {n_cols} columns.",
        source="upload",
        read_as={"format": "text", "encoding": encoding, "sep": sep, "names": names,
                 "header_in_body": header_in_body},
    )


def _read_csv(name: str, data: bytes, ctx: _Context) -> Dataset:
    return read_csv_upload(name, data, max_bytes=max(len(data), MAX_UPLOAD_BYTES))
