"""Datasets built from arrays: tables whose cells hold a spectrum, X/y arrays (npz, IDX, HDF5),
images with their labels, and signals with their axis (wavelength, time).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from mllab.datasets import Dataset, SignalDataset, markdown_escape, suggest_target
from mllab.errors import DataError
from mllab.io.common import (_clean_frame, _listed, _matches, _native, _notes_text, _pixel_names, _plural,
                             _require_rows, _shown, _signal_names, _signal_prefix, _table_dataset, _units_text)
from mllab.io.limits import MAX_IMAGE_FEATURES

MIN_SIGNAL_LENGTH = 8                     # shorter array columns are split into ordinary columns


LABEL = "label"


# Names (lower case) that say what an array or column holds.
_SIGNAL_NAMES = ("flux", "spectrum", "spec", "signal", "counts", "intensity", "lightcurve", "light_curve",
                 "mag", "magnitude", "data", "x", "values")
_LOGLAM_NAMES = ("loglam", "log_lambda", "loglambda", "log_wave", "logwave")
_WAVE_NAMES = ("wavelength", "wave", "lambda", "lam", "wavelengths", "frequency", "freq", "time", "times",
               "phase", "mjd", "wl")
_IVAR_NAMES = ("ivar", "inverse_variance", "invvar")
_X_NAMES = ("x", "data", "images", "image", "features", "inputs", "input")
_Y_NAMES = ("y", "labels", "label", "target", "targets", "classes", "class")


def _stack_object_column(values: pd.Series) -> np.ndarray | None:
    """A column holding one array per row, as an (n, m) matrix; None when the rows differ in length."""
    rows = values.to_list()
    if any(r is None or np.ndim(r) != 1 for r in rows):
        return None
    lengths = {len(r) for r in rows}
    if len(lengths) != 1 or 0 in lengths:
        return None
    try:
        matrix = np.vstack([np.ma.filled(np.ma.asarray(r, dtype=float), np.nan) for r in rows])
    except (TypeError, ValueError):
        return None
    return matrix


def _split_object_arrays(frame: pd.DataFrame, notes: list[str]) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Columns holding an array per row (Parquet lists, VOTable arrays) taken out as matrices."""
    arrays = {}
    dropped = []
    for column in list(frame.columns):
        values = frame[column]
        if values.dtype != object:
            continue
        first = next((v for v in values if v is not None), None)
        if not isinstance(first, (np.ndarray, list, tuple)):
            continue
        matrix = _stack_object_column(values)
        if matrix is None:
            dropped.append(column)
        else:
            arrays[column] = matrix
        frame = frame.drop(columns=column)
    if dropped:
        listed = ", ".join(markdown_escape(str(d)) for d in dropped)
        notes.append(f"The column{'s' if len(dropped) > 1 else ''} {listed} "
                     "held arrays of different lengths and were left out.")
    return frame, arrays


def _as_float_matrix(array) -> np.ndarray:
    array = np.ma.asarray(array)
    kind = array.dtype.kind
    if kind not in "biuf":
        raise TypeError("not numeric")
    dtype = np.float32 if kind == "f" and array.dtype.itemsize <= 4 else np.float64
    return np.ma.filled(array.astype(dtype), np.nan)


def _axis_from_rows(name: str, matrix: np.ndarray, log: bool, notes: list[str]) -> np.ndarray | None:
    """One axis from a per-row coordinate array, when every row has the same coordinates."""
    first = np.asarray(matrix[0], dtype=float)
    if not np.allclose(matrix, first[None, :], equal_nan=True, rtol=1e-7, atol=0):
        notes.append(f"The coordinates in {markdown_escape(name)} differ from row to row, so the signal columns are "
                     "pixel positions, not one common axis.")
        return None
    return 10.0 ** first if log else first


def _signal_from_arrays(name: str, fmt: str, scalars: pd.DataFrame, arrays: dict[str, np.ndarray], *,
                        units: dict[str, str] | None = None, notes: list[str] | None = None,
                        axis_hint: tuple[np.ndarray, str] | None = None) -> Dataset:
    """A table with array columns: a signal dataset (one spectrum per row) or an image dataset.

    The signal is the array column named like a flux (else the first numeric 2-D one). A per-row
    coordinate array (loglam, wavelength) gives the axis; an inverse-variance array marks bad
    pixels (ivar == 0 -> NaN). The scalar columns stay beside the signal, as identifier columns so
    that the features are the signal alone; one of them is the label.
    """
    notes = list(notes or [])
    units = dict(units or {})
    two_d = {k: v for k, v in arrays.items() if np.ndim(v) == 2 and np.shape(v)[1] > 1}
    picture = {k: v for k, v in arrays.items() if np.ndim(v) in (3, 4)}
    used = set()
    axis: np.ndarray | None = None
    axis_label = ""
    signal_key = None
    candidates = [k for k in two_d if not _matches(k, _LOGLAM_NAMES + _WAVE_NAMES + _IVAR_NAMES)
                  and np.asarray(two_d[k]).dtype.kind in "biuf" and np.shape(two_d[k])[1] >= MIN_SIGNAL_LENGTH]
    for preferred in _SIGNAL_NAMES:
        signal_key = next((k for k in candidates if k.lower() == preferred), None)
        if signal_key:
            break
    signal_key = signal_key or next(iter(candidates), None)
    if signal_key is None and picture:
        key = next(iter(picture))
        notes.append(f"The images are the column {markdown_escape(key)}.")
        return _image_dataset(name, fmt, np.asarray(picture[key]), scalars, notes=notes)
    if signal_key is None:
        # Short arrays (magnitudes in three apertures, say) are ordinary columns: one per element.
        small = {k: v for k, v in two_d.items() if np.asarray(v).dtype.kind in "biuf"}
        if small:
            scalars = scalars.copy()
            for key, values in small.items():
                matrix = _as_float_matrix(values)
                for i in range(matrix.shape[1]):
                    scalars[f"{key}_{i}"] = matrix[:, i]
            arrays = {k: v for k, v in arrays.items() if k not in small}
        if arrays:
            listed = ", ".join(markdown_escape(k) for k in arrays)
            notes.append(f"The array column{'s' if len(arrays) > 1 else ''} {listed}"
                         " could not be used as a signal and were left out.")
        return _table_dataset(name, fmt, scalars, units, notes)
    matrix = _as_float_matrix(two_d[signal_key])
    used.add(signal_key)
    n, m = matrix.shape
    for key, values in two_d.items():
        if key in used or np.shape(values)[1] != m:
            continue
        if axis is None and _matches(key, _LOGLAM_NAMES):
            axis = _axis_from_rows(key, np.asarray(values, dtype=float), True, notes)
            axis_label = "wavelength [Angstrom]" if axis is not None else ""
            used.add(key)
        elif axis is None and _matches(key, _WAVE_NAMES):
            axis = _axis_from_rows(key, np.asarray(values, dtype=float), False, notes)
            unit = units.get(key, "")
            axis_label = f"{key.lower()} [{unit}]" if unit and axis is not None else (key.lower() if axis is not None
                                                                                     else "")
            used.add(key)
        elif _matches(key, _IVAR_NAMES):
            bad = np.asarray(np.ma.filled(np.ma.asarray(values), 0)) == 0
            matrix = matrix.copy()
            matrix[bad] = np.nan
            used.add(key)
            notes.append(f"Pixels whose {markdown_escape(key)} is 0 are marked missing ({int(bad.sum()):,} values).")
    if axis is None and axis_hint is not None and len(axis_hint[0]) == m:
        axis, axis_label = axis_hint
    left_out = [k for k in arrays if k not in used]
    if left_out:
        listed = ", ".join(markdown_escape(k) for k in left_out)
        notes.append(f"The other array column{'s' if len(left_out) > 1 else ''} ({listed}) "
                     f"{'were' if len(left_out) > 1 else 'was'} left out.")
    scalars = _clean_frame(name, scalars)
    if scalars.shape[1] == 0:
        raise DataError(f"'{_shown(name)}' holds {_plural(n, 'spectrum', 'spectra')} (column {_shown(signal_key)}) "
                        "but no other column to use as the class label. Add a column giving each row's class "
                        "(for example CLASS) and upload the file again.")
    _require_rows(name, n, "spectrum")
    columns = _signal_names(_signal_prefix(signal_key), m)
    clash = set(columns) & set(scalars.columns)
    if clash:
        raise DataError(f"'{_shown(name)}' has a column named {_listed(sorted(clash))}, the name mllab gives a "
                        "signal column. Rename that column and upload the file again.")
    frame = pd.concat([pd.DataFrame(matrix, columns=columns), scalars], axis=1)
    unit = units.get(signal_key)
    units = {c: u for c, u in units.items() if c in scalars.columns}
    if units:
        frame.attrs["units"] = units
    described_axis = ""
    if axis is not None:
        described_axis = (f" Axis: {markdown_escape(axis_label or 'coordinate')} from {axis[0]:.6g} to "
                          f"{axis[-1]:.6g}.")
    description = (
        f"Uploaded {fmt} file {markdown_escape(name)}: {_plural(n, 'signal')} of {m:,} values each (column "
        f"{markdown_escape(signal_key)}{f' [{markdown_escape(unit)}]' if unit else ''}), stored as the columns "
        f"{markdown_escape(columns[0])} to {markdown_escape(columns[-1])} in order.{described_axis} The other columns "
        f"({', '.join(markdown_escape(c) for c in list(scalars.columns)[:10])}"
        f"{' …' if scalars.shape[1] > 10 else ''}) are kept beside the signal but not used as features; pick "
        f"the class label among them.{_units_text(units)}{_notes_text(notes)}"
    )
    return SignalDataset(
        name=name, frame=frame, target=suggest_target(scalars), kind="signal", description=description,
        source="upload", id_columns=tuple(scalars.columns), axis=None if axis is None else np.asarray(axis, float),
        axis_label=axis_label,
    )


def _labels(name: str, y: np.ndarray, n: int, class_names: np.ndarray | None) -> np.ndarray:
    y = _native(np.asarray(y))
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    elif y.ndim == 2 and y.shape[0] == n and y.dtype.kind in "biuf":
        ones = (y == 1).sum(axis=1)
        if not (np.all(ones == 1) and np.all((y == 0) | (y == 1))):
            raise DataError(f"The labels in '{_shown(name)}' are a {y.shape[0]:,}×{y.shape[1]:,} table that is not "
                            "one-hot (one 1 per row). Save one label per sample: a 1-D array y.")
        y = y.argmax(axis=1)
    if y.ndim != 1:
        raise DataError(f"The labels in '{_shown(name)}' have shape {y.shape}; they must be one label per sample, "
                        "a 1-D array y.")
    if len(y) != n:
        raise DataError(f"'{_shown(name)}' has {_plural(n, 'sample')} but {_plural(len(y), 'label')}; there must "
                        "be exactly one label per sample. Save the images (or features) and labels together again.")
    if y.dtype.kind == "S":
        y = np.char.decode(y, "utf-8", "replace")
    if y.dtype.kind not in "biufU":
        raise DataError(f"The labels in '{_shown(name)}' are of type {y.dtype}; use integers or text.")
    if y.dtype.kind == "f" and np.all(np.isnan(y) | (np.mod(np.nan_to_num(y), 1) == 0)) and not np.isnan(y).any():
        y = y.astype(np.int64)
    if class_names is not None and y.dtype.kind in "iu":
        names = np.asarray(class_names)
        if names.dtype.kind == "S":
            names = np.char.decode(names, "utf-8", "replace")
        if names.ndim == 1 and y.size and 0 <= y.min() and y.max() < len(names):
            y = names.astype(str)[y]
    return y


def _image_dataset(name: str, fmt: str, images: np.ndarray, labels: pd.DataFrame | np.ndarray, *,
                   notes=(), class_names=None, origin: str | None = None) -> Dataset:
    images = _native(np.asarray(images))
    if images.dtype.kind not in "biuf":
        raise DataError(f"The images in '{_shown(name)}' hold values of type {images.dtype}, not numbers.")
    if images.ndim == 3:
        images = images[..., None]
    elif images.ndim == 4 and images.shape[1] in (1, 3) and images.shape[3] not in (1, 3, 4):
        images = np.transpose(images, (0, 2, 3, 1))  # channels first (PyTorch style) -> channels last
    if images.ndim != 4 or images.shape[3] not in (1, 3, 4):
        raise DataError(f"The images in '{_shown(name)}' have shape {images.shape}; mllab reads images as "
                        "(samples, height, width) or (samples, height, width, channels) with 1, 3 or 4 channels.")
    n, height, width, channels = images.shape
    if height * width * channels > MAX_IMAGE_FEATURES:
        raise DataError(f"The images in '{_shown(name)}' are {height}×{width} pixels with {channels} channel(s), "
                        f"{height * width * channels:,} values each, more than the {MAX_IMAGE_FEATURES:,} mllab "
                        "can train on. Scale them down (for example to 64×64) and upload them again.")
    _require_rows(name, n, "image")
    frame = pd.DataFrame(images.reshape(n, -1), columns=_pixel_names(height, width, channels))
    if isinstance(labels, pd.DataFrame):
        target = suggest_target(labels) if labels.shape[1] else None
        if labels.shape[1] == 0:
            raise DataError(f"'{_shown(name)}' holds {_plural(n, 'image')} but no column to use as the class "
                            "label. Add one and upload the file again.")
        frame = pd.concat([frame, _clean_frame(name, labels)], axis=1)
    else:
        frame[LABEL] = _labels(name, labels, n, class_names)
        target = LABEL
    classes = frame[target].nunique() if target else 0
    origin = origin or f"Uploaded {fmt} file {markdown_escape(name)}"
    description = (f"{origin}: {_plural(n, 'image')} of {height}×{width} "
                   f"pixels{' in colour' if channels >= 3 else ''}, stored row by row as the columns "
                   f"{markdown_escape(frame.columns[0])} to "
                   f"{markdown_escape(frame.columns[height * width * channels - 1])}"
                   f"{f', with {classes:,} classes in the column label' if target == LABEL else ''}."
                   f"{_notes_text(notes)}")
    return Dataset(name=name, frame=frame, target=target, kind="image", image_shape=(height, width, channels),
                   description=description, source="upload")


def _from_xy(name: str, fmt: str, x: np.ndarray, y: np.ndarray, *, feature_names=None, class_names=None,
             axis=None, notes=()) -> Dataset:
    x = _native(np.asarray(x))
    notes = list(notes)
    if x.dtype.kind not in "biuf":
        raise DataError(f"The array X in '{_shown(name)}' holds values of type {x.dtype}, not numbers. Encode "
                        "text features as numbers, or upload the table as CSV.")
    if x.ndim in (3, 4):
        return _image_dataset(name, fmt, x, y, notes=notes, class_names=class_names)
    if x.ndim != 2:
        raise DataError(f"The array X in '{_shown(name)}' has shape {x.shape}; it must be (samples, features) "
                        "for a table, or (samples, height, width[, channels]) for images.")
    n, m = x.shape
    labels = _labels(name, y, n, class_names)
    if axis is not None and len(axis) == m:
        scalars = pd.DataFrame({LABEL: labels})
        axis_values, axis_label = axis
        return _signal_from_arrays(name, fmt, scalars, {"x": x}, notes=notes, axis_hint=(axis_values, axis_label))
    if feature_names is not None:
        names = np.asarray(feature_names)
        if names.dtype.kind == "S":
            names = np.char.decode(names, "utf-8", "replace")
        names = [str(v) for v in names.ravel()]
        if len(names) != m:
            raise DataError(f"'{_shown(name)}' gives {len(names)} feature names for the {m} columns of X. "
                            "Give one name per column.")
    else:
        names = [f"x_{i}" for i in range(m)]
    frame = pd.DataFrame(x, columns=names)
    target = LABEL if LABEL not in names else "label_"
    frame[target] = labels
    dataset = _table_dataset(name, fmt, frame, notes=notes)
    dataset.target = target
    return dataset


def _pick(arrays: dict[str, np.ndarray], names: tuple[str, ...]) -> str | None:
    lower = {k.lower(): k for k in arrays}
    return next((lower[n] for n in names if n in lower), None)


def _from_arrays(name: str, fmt: str, arrays: dict[str, np.ndarray], notes=()) -> Dataset:
    """A dict of named arrays (an npz, an HDF5 group) as a dataset: X and y, or equal-length columns."""
    notes = list(notes)
    lower = {k.lower(): k for k in arrays}
    if "x_train" in lower and "y_train" in lower:
        # Keras-style files (mnist.npz): training and test parts, put together (mllab splits itself).
        xs, ys, parts = [], [], []
        for part in ("train", "test", "val", "valid", "validation"):
            if f"x_{part}" in lower and f"y_{part}" in lower:
                xs.append(np.asarray(arrays[lower[f"x_{part}"]]))
                ys.append(np.asarray(arrays[lower[f"y_{part}"]]))
                parts.append(f"{part} ({len(xs[-1]):,})")
                if len(xs[-1]) != len(ys[-1]):
                    raise DataError(f"In '{_shown(name)}', x_{part} has {len(xs[-1]):,} samples but y_{part} has "
                                    f"{len(ys[-1]):,} labels; there must be one label per sample.")
        if len({x.shape[1:] for x in xs}) != 1:
            raise DataError(f"The parts of '{_shown(name)}' ({', '.join(parts)}) have samples of different shapes.")
        notes.append(f"The parts {', '.join(parts)} were put together; mllab makes its own train/test split.")
        return _from_xy(name, fmt, np.concatenate(xs), np.concatenate(ys), notes=notes)
    x_key = _pick(arrays, _X_NAMES)
    y_key = _pick(arrays, _Y_NAMES)
    if x_key is not None and np.ndim(arrays[x_key]) >= 2:
        if y_key is None:
            raise DataError(f"'{_shown(name)}' holds the samples ({_shown(x_key)}) but no labels. Save the labels "
                            "with them as y, for example np.savez('data.npz', X=X, y=y).")
        axis = None
        m = np.shape(arrays[x_key])[1] if np.ndim(arrays[x_key]) == 2 else None
        loglam = _pick(arrays, _LOGLAM_NAMES)
        wave = _pick(arrays, _WAVE_NAMES)
        if loglam is not None and np.ndim(arrays[loglam]) == 1 and len(arrays[loglam]) == m:
            axis = (10.0 ** np.asarray(arrays[loglam], float), "wavelength [Angstrom]")
        elif wave is not None and np.ndim(arrays[wave]) == 1 and len(arrays[wave]) == m:
            axis = (np.asarray(arrays[wave], float), wave.lower())
        feature_key = _pick(arrays, ("feature_names", "columns", "feature_name"))
        class_key = _pick(arrays, ("class_names", "target_names", "classes_names", "label_names"))
        return _from_xy(name, fmt, arrays[x_key], arrays[y_key],
                        feature_names=arrays[feature_key] if feature_key else None,
                        class_names=arrays[class_key] if class_key else None, axis=axis, notes=notes)
    # Columns saved one array each (np.savez(f, a=a, b=b, label=label), an HDF5 group of columns).
    return _columns_dataset(name, fmt, arrays, notes)


def _columns_dataset(name: str, fmt: str, arrays: dict[str, np.ndarray], notes: list[str]) -> Dataset:
    one_d = {k: v for k, v in arrays.items() if np.ndim(v) == 1}
    if not one_d:
        shapes = ", ".join(f"{_shown(k, 40)} {np.shape(v)}" for k, v in list(arrays.items())[:6])
        raise DataError(f"'{_shown(name)}' holds no table mllab recognises (arrays: {shapes or 'none'}). Save the "
                        "samples as X and the labels as y, or one 1-D array per column.")
    # Rows: the length most arrays share (a 2-D array counts by its first axis: one signal per row).
    lengths = Counter(len(v) for v in arrays.values() if np.ndim(v) >= 1)
    n, count = max(lengths.items(), key=lambda item: (item[1], item[0]))
    if count < 2 or not any(len(v) == n for v in one_d.values()):
        listed = ", ".join(f"{_shown(k, 40)}: {len(v):,}" for k, v in list(one_d.items())[:6])
        raise DataError(f"The columns in '{_shown(name)}' have different lengths ({listed}), so they do not make "
                        "a table. Every column must have one value per row.")
    columns = {}
    for key, values in one_d.items():
        if len(values) != n:
            continue
        values = _native(np.asarray(values))
        if values.dtype.kind == "S":
            values = np.char.decode(values, "utf-8", "replace")
        if values.dtype.kind not in "biufUMm":
            continue
        columns[key] = values
    other = [k for k in arrays if k not in columns]
    arrays_2d = {k: np.asarray(v) for k, v in arrays.items() if np.ndim(v) in (2, 3, 4) and len(v) == n}
    axis_hint = None
    for key in other:
        values = arrays[key]
        if np.ndim(values) == 1 and len(values) != n:
            if _matches(key, _LOGLAM_NAMES):
                axis_hint = (10.0 ** np.asarray(values, float), "wavelength [Angstrom]")
            elif _matches(key, _WAVE_NAMES):
                axis_hint = (np.asarray(values, float), key.lower())
    skipped = [k for k in other if k not in arrays_2d and not (axis_hint and _matches(k, _LOGLAM_NAMES + _WAVE_NAMES))]
    if skipped:
        notes.append(f"The arrays {', '.join(markdown_escape(k) for k in skipped[:10])} do not fit the table's "
                     f"{n:,} rows and were left out.")
    frame = pd.DataFrame(columns)
    if arrays_2d:
        return _signal_from_arrays(name, fmt, frame, arrays_2d, notes=notes, axis_hint=axis_hint)
    return _table_dataset(name, fmt, frame, notes=notes)
