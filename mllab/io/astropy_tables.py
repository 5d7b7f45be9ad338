"""Tables read through astropy: VOTable and ECSV here, and the conversion every astropy table
(FITS and HDF5 included) goes through: masked values, units, array columns.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd

from mllab.datasets import Dataset, markdown_escape
from mllab.errors import DataError
from mllab.io.arrays import _as_float_matrix, _signal_from_arrays, _stack_object_column
from mllab.io.common import _shown, _table_dataset
from mllab.io.limits import MAX_CELL_VALUES, _Context

# ---- astropy: FITS, VOTable, ECSV, HDF5 tables -------------------------------------------------


def _from_astropy(name: str, fmt: str, table, *, notes=(), axis_hint=None, read_as: dict | None = None) -> Dataset:
    """The Dataset of an astropy table; `read_as` (how it was read, for the code export) is kept only
    for a table of plain columns, whose reading is astropy's own `to_pandas`."""
    notes = list(notes)
    scalar_names, arrays, units = [], {}, {}
    plain = True  # every column a plain 1-D one, so astropy's to_pandas alone repeats this reading
    for column in table.colnames:
        values = table[column]
        unit = getattr(values, "unit", None)
        if unit is not None and str(unit):
            units[column] = str(unit)
        shape = getattr(values, "shape", ())
        is_object = getattr(values, "dtype", None) is not None and values.dtype == object
        plain = plain and len(shape) <= 1 and not is_object
        if len(shape) > 1 and int(np.prod(shape[1:])) > 1:
            arrays[column] = _as_float_matrix(values) if len(shape) == 2 else np.ma.filled(np.ma.asarray(values), 0)
        elif len(shape) > 1:
            table[column] = np.ma.asarray(values).reshape(len(values))
            scalar_names.append(column)
        elif getattr(values, "dtype", None) is not None and values.dtype == object:
            matrix = _stack_object_column(pd.Series(list(values), dtype=object))
            if matrix is not None:
                arrays[column] = matrix
            else:
                notes.append(f"The column {markdown_escape(column)} holds arrays of different lengths and was "
                             "left out.")
        else:
            scalar_names.append(column)
    if scalar_names:
        frame = table[scalar_names].to_pandas(index=False)
    else:
        frame = pd.DataFrame(index=range(len(table)))
    if arrays:
        return _signal_from_arrays(name, fmt, frame, arrays, units=units, notes=notes, axis_hint=axis_hint)
    dataset = _table_dataset(name, fmt, frame, units, notes)
    dataset.read_as = dict(read_as or {}) if plain else {}
    return dataset


def _read_votable(name: str, data: bytes, ctx: _Context) -> Dataset:
    from astropy.io.votable import parse

    if re.search(rb"<!ENTITY", data, re.IGNORECASE):
        raise DataError(f"'{_shown(name)}' declares XML entities, which mllab does not accept (they can make a "
                        "small file expand enormously). Export the VOTable again without a DOCTYPE section.")
    if re.search(rb"<\s*(?:\w+:)?STREAM\b[^>]*\bhref\s*=", data, re.IGNORECASE):
        raise DataError(f"'{_shown(name)}' refers to data stored elsewhere (a STREAM with an href), which mllab "
                        "does not fetch. Export the VOTable with its data inside it (TABLEDATA or BINARY).")
    if not re.search(rb"<\s*(?:\w+:)?VOTABLE\b", data[:65536], re.IGNORECASE):
        raise DataError(f"'{_shown(name)}' is an XML file but not a VOTable. Upload a VOTable, or export the data "
                        "as CSV.")
    for sizes in re.findall(rb"arraysize\s*=\s*[\"']([^\"']*)[\"']", data, re.IGNORECASE):
        numbers = [int(v) for v in re.findall(rb"\d+", sizes)]
        if numbers and np.prod(numbers, dtype=object) > MAX_CELL_VALUES:
            raise DataError(f"'{_shown(name)}' declares a column of {int(np.prod(numbers, dtype=object)):,} values "
                            f"per row, more than the {MAX_CELL_VALUES:,} mllab accepts. Upload a smaller table.")
    votable = parse(io.BytesIO(data), verify="ignore")
    tables = list(votable.iter_tables())
    if not tables:
        raise DataError(f"'{_shown(name)}' is a VOTable without any TABLE. Upload one that holds a table.")
    chosen_index = next((i for i, t in enumerate(tables) if t.array is not None and len(t.array) > 0), 0)
    chosen = tables[chosen_index]
    notes = [f"The file has {len(tables)} tables; the first with rows was read."] if len(tables) > 1 else []
    table = chosen.to_table(use_names_over_ids=True)
    return _from_astropy(name, "VOTable", table, notes=notes, read_as={"format": "votable", "table": chosen_index})


def _read_ecsv(name: str, data: bytes, ctx: _Context) -> Dataset:
    from astropy.table import Table

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(f"'{_shown(name)}' is not UTF-8 text, which ECSV requires. Save it again as UTF-8.") from None
    lines = text.splitlines()
    for line in lines:
        if not line.startswith("#"):
            break
        for dims in re.findall(r"subtype:\s*['\"]?\w+\[([\d,\s]+)\]", line):
            numbers = [int(v) for v in re.findall(r"\d+", dims)]
            if numbers and np.prod(numbers, dtype=object) > MAX_CELL_VALUES:
                raise DataError(f"'{_shown(name)}' declares a column of {int(np.prod(numbers, dtype=object)):,} "
                                f"values per row, more than the {MAX_CELL_VALUES:,} mllab accepts. Upload a smaller "
                                "table.")
    table = Table.read(lines, format="ascii.ecsv")
    return _from_astropy(name, "ECSV", table, read_as={"format": "ecsv"})
