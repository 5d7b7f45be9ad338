"""HDF5 files: astropy tables, X/y arrays and groups of column datasets, read with h5py. A file may
not point outside itself (external links, external storage, virtual datasets).
"""

from __future__ import annotations

import io
from collections import Counter

import numpy as np

from mllab.datasets import Dataset, markdown_escape
from mllab.errors import DataError
from mllab.io.arrays import _X_NAMES, _Y_NAMES, _from_arrays, _pick
from mllab.io.astropy_tables import _from_astropy
from mllab.io.common import _native, _shown, _size_text
from mllab.io.limits import MAX_HDF5_NODES, MAX_RATIO, RATIO_FLOOR_BYTES, _Context

# ---- HDF5 ----------------------------------------------------------------------------------------


def _hdf5_datasets(name: str, handle) -> list[tuple[str, object]]:
    """Every dataset reachable by hard links, refusing anything that points outside the file."""
    import h5py

    found = []
    stack = [("", handle, 0)]
    visited = 0
    while stack:
        path, group, depth = stack.pop(0)
        for key in group.keys():
            visited += 1
            if visited > MAX_HDF5_NODES:
                raise DataError(f"'{_shown(name)}' holds more than {MAX_HDF5_NODES:,} objects. Upload a file with "
                                "one table in it.")
            link = group.get(key, getlink=True)
            if isinstance(link, h5py.ExternalLink):
                raise DataError(f"'{_shown(name)}' links to another file ('{_shown(key, 40)}' points outside it), "
                                "which mllab does not follow. Upload a self-contained HDF5 file.")
            if isinstance(link, h5py.SoftLink):
                continue
            item = group[key]
            child = f"{path}/{key}" if path else key
            if isinstance(item, h5py.Group):
                if depth < 16:
                    stack.append((child, item, depth + 1))
            elif isinstance(item, h5py.Dataset):
                if item.external or item.is_virtual:
                    raise DataError(f"The dataset '{_shown(child, 60)}' in '{_shown(name)}' stores its values in "
                                    "other files, which mllab does not read. Upload a self-contained HDF5 file.")
                found.append((child, item))
    return found


def _check_hdf5_ratio(name: str, path: str, n_bytes: int, ctx: _Context) -> None:
    if n_bytes > RATIO_FLOOR_BYTES and n_bytes > MAX_RATIO * ctx.file_bytes:
        raise DataError(f"The dataset '{_shown(path, 60)}' in '{_shown(name)}' expands to {_size_text(n_bytes)}, "
                        f"more than {MAX_RATIO} times the file's size, which is how decompression bombs look, so it "
                        "was not read. Save it without extreme compression.")


def _hdf5_values(name: str, path: str, dataset, ctx: _Context) -> np.ndarray | None:
    import h5py

    n_bytes = int(dataset.size) * int(dataset.dtype.itemsize or 1)
    _check_hdf5_ratio(name, path, n_bytes, ctx)
    ctx.budget.take(n_bytes, f"The dataset '{_shown(path, 60)}' in '{_shown(name)}'")
    if h5py.check_string_dtype(dataset.dtype) is not None:
        return np.asarray(dataset.asstr(errors="replace")[()], dtype=str)
    if dataset.dtype.kind not in "biufS" or dataset.shape is None:
        return None
    return _native(np.asarray(dataset[()]))


def _read_hdf5(name: str, data: bytes, ctx: _Context) -> Dataset:
    import h5py
    from astropy.table import Table

    ctx.file_bytes = len(data)
    with h5py.File(io.BytesIO(data), "r") as handle:
        datasets = _hdf5_datasets(name, handle)
        if not datasets:
            raise DataError(f"'{_shown(name)}' is an HDF5 file with no datasets in it. Upload a file that holds a "
                            "table.")
        if any(d.attrs.get("pandas_type") is not None or d.attrs.get("pandas_version") is not None
               for _, d in datasets) or "pandas_version" in handle.attrs or any(
                "pandas_type" in g.attrs for g in handle.values() if isinstance(g, h5py.Group)):
            raise DataError(f"'{_shown(name)}' was written by pandas (HDFStore), a layout mllab does not read. Save "
                            "the table with DataFrame.to_parquet or to_csv and upload that.")
        tables = [(p, d) for p, d in datasets if d.dtype.names and d.ndim == 1
                  and not p.endswith(".__table_column_meta__")]
        if tables:
            path, dataset = tables[0]
            _check_hdf5_ratio(name, path, int(dataset.size) * dataset.dtype.itemsize, ctx)
            ctx.budget.take(int(dataset.size) * dataset.dtype.itemsize, f"The table in '{_shown(name)}'")
            table = Table.read(handle, path=path, format="hdf5", character_as_bytes=False)
            notes = [f"The file holds {len(tables)} tables; the first ({markdown_escape(path)}) was read."] \
                if len(tables) > 1 else []
            return _from_astropy(name, "HDF5", table, notes=notes)
        groups: dict[str, dict[str, object]] = {}
        for path, dataset in datasets:
            parent, _, leaf = path.rpartition("/")
            groups.setdefault(parent, {})[leaf] = dataset
        # The group with X and y, else the one with the most columns of one length (the root first).
        chosen = None
        for parent, members in groups.items():
            if _pick(members, _X_NAMES) and _pick(members, _Y_NAMES):
                chosen = parent
                break
        if chosen is None:
            def score(item):
                lengths = Counter(d.shape[0] for d in item[1].values() if d.ndim == 1)
                return (max(lengths.values(), default=0), -item[0].count("/"), item[0] == "")
            chosen = max(groups.items(), key=score)[0]
        arrays = {}
        for leaf, dataset in groups[chosen].items():
            values = _hdf5_values(name, f"{chosen}/{leaf}", dataset, ctx)
            if values is not None and values.ndim >= 1:
                arrays[leaf] = values
        notes = [f"The columns were read from the group {markdown_escape(chosen)}."] if chosen else []
        return _from_arrays(name, "HDF5", arrays, notes)
