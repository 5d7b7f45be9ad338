"""NumPy .npy/.npz files (never unpickled) and MNIST-style IDX files, alone or together.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import PurePosixPath

import numpy as np

from mllab.datasets import PART_TEST, PART_TRAIN, Dataset, markdown_escape, part_column_name
from mllab.errors import DataError
from mllab.io.arrays import _from_arrays, _image_dataset
from mllab.io.common import _native, _plural, _reason, _shown
from mllab.io.limits import MAX_UNPACKED_BYTES, _Context, _member

_IDX_TYPES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
              0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


# ---- NumPy ---------------------------------------------------------------------------------------


def _npy_header(name: str, stream: io.BytesIO) -> tuple[tuple[int, ...], np.dtype]:
    fmt = np.lib.format
    version = fmt.read_magic(stream)
    if version == (1, 0):
        shape, _, dtype = fmt.read_array_header_1_0(stream)
    elif version == (2, 0):
        shape, _, dtype = fmt.read_array_header_2_0(stream)
    else:
        shape, _, dtype = fmt._read_array_header(stream, version)  # version 3.0 has no public reader
    return shape, dtype


def _read_npy_array(name: str, data: bytes) -> np.ndarray:
    stream = io.BytesIO(data)
    try:
        shape, dtype = _npy_header(name, stream)
    except ValueError as err:
        raise DataError(f"'{_shown(name)}' is not a valid NumPy array file: {_reason(err)}. Save it again with "
                        "np.save or np.savez.") from None
    if dtype.hasobject:
        raise DataError(f"'{_shown(name)}' holds Python objects, which can only be loaded by unpickling, and "
                        "mllab never unpickles uploads (it can run any code). Save plain numeric or text "
                        "arrays (no dtype=object).")
    announced = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if announced > len(data) - stream.tell():
        raise DataError(f"'{_shown(name)}' is cut short: its header announces an array of shape {shape} "
                        f"({announced:,} bytes) but only {len(data) - stream.tell():,} bytes follow. Save it again "
                        "with np.save or np.savez.")
    stream.seek(0)
    try:
        return np.lib.format.read_array(stream, allow_pickle=False)
    except ValueError as err:
        if "pickle" in str(err).lower() or "object" in str(err).lower():
            raise DataError(f"'{_shown(name)}' holds Python objects, which can only be loaded by unpickling, and "
                            "mllab never unpickles uploads (it can run any code). Save plain numeric or text "
                            "arrays (no dtype=object).") from None
        raise DataError(f"'{_shown(name)}' is not a valid NumPy array file: {_reason(err)}. Save it again with "
                        "np.save or np.savez.") from None


def _read_npy(name: str, data: bytes, ctx: _Context) -> Dataset:
    array = _read_npy_array(name, data)
    if array.dtype.names:
        fields = {f: _native(np.asarray(array[f])) for f in array.dtype.names}
        if array.ndim != 1:
            raise DataError(f"'{_shown(name)}' holds a {array.ndim}-D structured array; save one record per row "
                            "(a 1-D structured array).")
        return _from_arrays(name, "NumPy", fields)
    raise DataError(f"'{_shown(name)}' holds a single unnamed array of shape {array.shape}, with no column names "
                    "and no labels. Save the samples and their labels together: np.savez('data.npz', X=X, y=y) "
                    "and upload the .npz file.")


def _read_npz_members(name: str, zf: zipfile.ZipFile, infos, ctx: _Context) -> Dataset:
    arrays = {}
    for info in infos:
        if info.is_dir():
            continue
        key = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
        arrays[key] = _read_npy_array(f"{name}/{info.filename}", _member(name, zf, info, ctx))
    if not arrays:
        raise DataError(f"'{_shown(name)}' holds no arrays. Save the data with np.savez('data.npz', X=X, y=y).")
    return _from_arrays(name, "NumPy", arrays)

# ---- IDX (MNIST) ---------------------------------------------------------------------------------


def _idx_header(data: bytes) -> tuple[np.dtype, tuple[int, ...], int] | None:
    if len(data) < 8 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES or not 1 <= data[3] <= 4:
        return None
    ndim = data[3]
    offset = 4 + 4 * ndim
    if len(data) < offset:
        return None
    dims = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    return _IDX_TYPES[data[2]], dims, offset


def _read_idx_array(name: str, data: bytes) -> np.ndarray:
    header = _idx_header(data)
    if header is None:
        raise DataError(f"'{_shown(name)}' is not an IDX file (it does not start with an IDX header). Upload the "
                        "original MNIST-style files.")
    dtype, dims, offset = header
    expected = int(np.prod(dims, dtype=object)) * dtype.itemsize
    present = len(data) - offset
    if expected > MAX_UNPACKED_BYTES:
        raise DataError(f"The header of '{_shown(name)}' announces {expected:,} bytes of data, more than mllab "
                        "reads from one upload. Upload a smaller file.")
    if present < expected:
        raise DataError(f"'{_shown(name)}' is cut short: its header announces {'×'.join(map(str, dims))} values "
                        f"({expected:,} bytes) but only {present:,} bytes follow. Download the file again.")
    if present > expected:
        raise DataError(f"'{_shown(name)}' has {present - expected:,} bytes more than its header announces, so it "
                        "is damaged or not an IDX file. Download the file again.")
    return _native(np.frombuffer(data, dtype=dtype, count=int(np.prod(dims)), offset=offset).reshape(dims))


def _read_single_idx(name: str, data: bytes, ctx: _Context) -> Dataset:
    array = _read_idx_array(name, data)
    what = "images" if array.ndim >= 3 else "labels" if array.ndim == 1 else "values"
    raise DataError(f"'{_shown(name)}' holds only {what} ({'×'.join(map(str, array.shape))}). IDX images and their "
                    "labels come in separate files: choose the images file and the labels file together in the "
                    "file dialog (hold Ctrl, or ⌘ on a Mac, to pick several), or put them in one .zip.")


def _idx_key(member: str) -> str:
    base = PurePosixPath(member).name.lower()
    base = re.sub(r"\.gz$", "", base)
    return re.sub(r"images?|labels?|idx\d|ubyte|[-_.]", "", base)


def _read_idx_members(name: str, members: dict[str, bytes], *, among: str | None = None,
                      together: str = "in the zip", origin: str | None = None) -> Dataset:
    """Images and labels from IDX files, pairing train-images with train-labels and so on.

    The files came in a zip called `name`, or were uploaded side by side: then `among` says where
    they are in messages ("among the chosen files"), and `together` how to put a pair side by side.
    """
    among = among or f"in '{_shown(name)}'"
    images, labels = {}, {}
    for member, data in members.items():
        array = _read_idx_array(member, data)
        if array.ndim >= 3:
            images[member] = array
        elif array.ndim == 1:
            labels[member] = array
        else:
            raise DataError(f"'{_shown(member)}' {among} is a {array.ndim}-D IDX file; mllab expects "
                            "images (3-D) and labels (1-D).")
    if not images or not labels:
        missing = "labels" if images else "images"
        raise DataError(f"There are IDX {'images' if images else 'labels'} {among} but no {missing} file. Put "
                        f"the images file and the labels file together {together}.")
    if len(images) == 1 and len(labels) == 1:
        pairs = [(next(iter(images)), next(iter(labels)))]
    else:
        by_key = {_idx_key(m): m for m in labels}
        pairs = []
        for member in images:
            match = by_key.get(_idx_key(member))
            if match is None:
                raise DataError(f"No labels file {among} matches the images file '{_shown(member)}'. "
                                "Name them alike (train-images… and train-labels…).")
            pairs.append((member, match))
        # Training files first: the order of the rows does not matter, but it reads better.
        pairs.sort(key=lambda p: (0 if "train" in p[0].lower() else 1, p[0]))
    xs, ys, parts = [], [], []
    for image_member, label_member in pairs:
        x, y = images[image_member], labels[label_member]
        if len(x) != len(y):
            raise DataError(f"'{_shown(image_member)}' holds {_plural(len(x), 'image')} but '{_shown(label_member)}' "
                            f"holds {_plural(len(y), 'label')}; there must be one label per image. Check that the "
                            "two files belong together.")
        xs.append(x)
        ys.append(y)
        parts.append(f"{markdown_escape(PurePosixPath(image_member).name)} ({len(x):,})")
    if len({x.shape[1:] for x in xs}) != 1:
        raise DataError(f"The image files {among} hold images of different sizes.")
    supplied = _supplied_parts(pairs)
    if supplied is None:
        notes = [f"Read from {', '.join(parts)}; mllab makes its own train/test split."]
    else:
        notes = [f"Read from {', '.join(parts)}. The files come as a training part and a test part: the Train "
                 "page offers the supplied test part as the hold-out (the figure the tutorials quote)."]
    dataset = _image_dataset(name, "IDX", np.concatenate(xs), np.concatenate(ys), notes=notes, origin=origin)
    # For the code export: which files were read, in this order (images, labels), gzipped or not.
    dataset.read_as = {"format": "idx", "pairs": [list(pair) for pair in pairs]}
    if supplied is not None:
        column = part_column_name(dataset.frame.columns)
        dataset.frame[column] = np.repeat(supplied, [len(x) for x in xs])
        dataset.part_column = column
        dataset.read_as["parts"] = supplied
    return dataset


def _supplied_parts(pairs: list[tuple[str, str]]) -> list[str] | None:
    """"train" or "test" for each (images, labels) pair when the files are a published training part
    and test part (MNIST's train-… and t10k-…), else None (mllab then splits the rows itself)."""
    parts = []
    for image_member, _ in pairs:
        base = PurePosixPath(image_member).name.lower()
        if "train" in base:
            parts.append(PART_TRAIN)
        elif "t10k" in base or "test" in base:
            parts.append(PART_TEST)
        else:
            return None
    return parts if {PART_TRAIN, PART_TEST} <= set(parts) else None
