"""Parquet files and Excel workbooks (.xlsx, first sheet).
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from mllab.datasets import Dataset, markdown_escape
from mllab.errors import DataError
from mllab.io.arrays import _signal_from_arrays, _split_object_arrays
from mllab.io.common import _shown, _table_dataset
from mllab.io.limits import _Context, _open_zip


def _read_parquet(name: str, data: bytes, ctx: _Context) -> Dataset:
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(io.BytesIO(data))
    meta = parquet.metadata
    unpacked = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    ctx.budget.take(unpacked, f"'{_shown(name)}'")
    frame = parquet.read().to_pandas()
    notes: list[str] = []
    frame, arrays = _split_object_arrays(frame, notes)
    if arrays:
        return _signal_from_arrays(name, "Parquet", frame, arrays, notes=notes)
    return _table_dataset(name, "Parquet", frame, notes=notes)


def _read_excel(name: str, data: bytes, ctx: _Context) -> Dataset:
    zf, infos = _open_zip(name, data, ctx)
    ctx.budget.take(sum(i.file_size for i in infos), f"'{_shown(name)}'")
    workbook = pd.ExcelFile(io.BytesIO(data), engine="openpyxl")
    sheets = workbook.sheet_names
    if not sheets:
        raise DataError(f"'{_shown(name)}' has no sheets. Put the table on the first sheet and upload it again.")
    raw = workbook.parse(sheets[0], header=None, dtype=object)
    raw = raw.dropna(how="all").dropna(axis=1, how="all")
    if raw.empty:
        raise DataError(f"The first sheet of '{_shown(name)}' ('{_shown(sheets[0], 40)}') is empty. Put the table "
                        "on the first sheet, with a header row, and upload it again.")
    header = raw.iloc[0].tolist()
    names = []
    for i, value in enumerate(header):
        if value is None or (isinstance(value, float) and np.isnan(value)):
            names.append(f"column_{i + 1}")
        elif isinstance(value, float) and value.is_integer():
            names.append(str(int(value)))
        else:
            names.append(str(value))
    frame = raw.iloc[1:].copy()
    frame.columns = names
    frame = frame.reset_index(drop=True).infer_objects()
    for column in frame.columns:
        values = frame[column]
        if values.dtype == object:
            present = values.dropna()
            if len(present) and present.map(lambda v: isinstance(v, (int, float, str)) and not isinstance(v, bool)
                                           ).all():
                converted = pd.to_numeric(present.astype(str).str.strip(), errors="coerce")
                if converted.notna().all():
                    frame[column] = pd.to_numeric(values.map(lambda v: str(v).strip() if v is not None else v),
                                                  errors="coerce")
    notes = []
    if len(sheets) > 1:
        notes.append(f"Only the first sheet ({markdown_escape(str(sheets[0]))}) of {len(sheets)} was read.")
    return _table_dataset(name, "Excel", frame, notes=notes)
