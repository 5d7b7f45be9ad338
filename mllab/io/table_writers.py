"""A table written back as a file: CSV, a FITS binary table, a VOTable (both through astropy) or Parquet.

What the Predict page offers for download, so a catalogue comes back in the format it came in.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

# format key -> (label, file extension, MIME type)
TABLE_FORMATS = {
    "csv": ("CSV", "csv", "text/csv"),
    "fits": ("FITS binary table", "fits", "application/fits"),
    "votable": ("VOTable", "vot", "application/x-votable+xml"),
    "parquet": ("Parquet", "parquet", "application/vnd.apache.parquet"),
}


def _astropy_table(frame: pd.DataFrame):
    """An astropy Table of plain columns: text as unicode (FITS and VOTable have no 'object' type),
    missing text as empty strings, category columns as their text."""
    from astropy.table import Table

    columns = {}
    for name in frame.columns:
        values = frame[name]
        if isinstance(values.dtype, pd.CategoricalDtype) or not (
                pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values)):
            columns[str(name)] = np.asarray(values.astype(object).where(values.notna(), "").astype(str), dtype=str)
        elif pd.api.types.is_bool_dtype(values):
            columns[str(name)] = values.to_numpy(dtype=bool, na_value=False)
        elif pd.api.types.is_datetime64_any_dtype(values):
            columns[str(name)] = np.asarray(values.dt.strftime("%Y-%m-%dT%H:%M:%S").fillna(""), dtype=str)
        elif pd.api.types.is_integer_dtype(values) and not values.isna().any():
            columns[str(name)] = values.to_numpy(dtype=np.int64)
        else:
            columns[str(name)] = values.to_numpy(dtype=np.float64, na_value=np.nan)
    return Table(columns)


def table_bytes(frame: pd.DataFrame, fmt: str) -> bytes:
    """`frame` as the bytes of a file in `fmt` (a key of TABLE_FORMATS)."""
    if fmt == "csv":
        return frame.to_csv(index=False).encode("utf-8")
    if fmt == "parquet":
        buffer = io.BytesIO()
        frame.rename(columns=str).to_parquet(buffer, index=False)
        return buffer.getvalue()
    if fmt in ("fits", "votable"):
        import warnings

        table = _astropy_table(frame)
        buffer = io.BytesIO()
        with warnings.catch_warnings():  # astropy warns of column names FITS keywords cannot hold; they are kept
            warnings.simplefilter("ignore")
            table.write(buffer, format="fits" if fmt == "fits" else "votable")
        return buffer.getvalue()
    raise ValueError(f"unknown table format {fmt!r}")
