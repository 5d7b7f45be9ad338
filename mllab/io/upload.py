"""Entry points: `read_upload` for one file, `read_uploads` for what the uploader holds, and the
dispatch to each format's reader, archives (zip, gzip) included since their members are read by
the same dispatch.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence

import pandas as pd

from mllab.datasets import PART_TEST, PART_TRAIN, Dataset, markdown_escape, part_column_name
from mllab.errors import DataError
from mllab.io.arff import _read_arff
from mllab.io.astropy_tables import _read_ecsv, _read_votable
from mllab.io.common import _ext, _listed, _plural, _reason, _shown, _size_text
from mllab.io.fits import _read_fits
from mllab.io.hdf5 import _read_hdf5
from mllab.io.image_folders import _FITS_EXTS, _IMAGE_EXTS, _class_of, _read_image_folders, _read_spectrum_folders
from mllab.io.limits import (DEFAULT_IMAGE_SIZE, MAX_UNPACKED_BYTES, MAX_UPLOAD_BYTES, _Budget, _Context, _gunzip,
                             _gunzip_head, _is_junk, _member, _open_zip)
from mllab.io.numpy_idx import _idx_header, _read_idx_members, _read_npy, _read_npz_members, _read_single_idx
from mllab.io.parquet_excel import _read_excel, _read_parquet
from mllab.io.sniff import _ARCHIVE_EXTS, _BINARY_KINDS, _EXTENSION_KINDS, _is_idx, _kind_of
from mllab.io.text import _read_csv, read_csv_upload


def read_upload(filename: str, data: bytes, max_bytes: int = MAX_UPLOAD_BYTES, *,
                image_size: int | tuple[int, int] = DEFAULT_IMAGE_SIZE) -> Dataset:
    """Read an uploaded file of any supported format into a Dataset (a SignalDataset for spectra).

    `image_size` is the (height, width), or one number for both, that images in a zip are scaled
    to. Raises DataError, with a message meant for the user, when the file cannot be used.
    """
    if len(data) > max_bytes:
        raise DataError(f"'{_shown(filename)}' is {_size_text(len(data))}, more than the {_size_text(max_bytes)} "
                        "this app accepts. Upload a smaller file, for example a sample of the rows.")
    if not data[:4096].strip() and not data.strip():  # looks at the start first: no 200 MB copy
        raise DataError(f"The file '{_shown(filename)}' is empty. Upload a file with a header row (or named "
                        "columns) and at least two rows of data.")
    size = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
    if len(size) != 2 or not all(isinstance(s, int) and 4 <= s <= 256 for s in size):
        raise ValueError("image_size must be an int or a (height, width) pair between 4 and 256")
    ctx = _Context(_Budget(MAX_UNPACKED_BYTES), size)
    dataset = _read_any(filename, data, ctx)
    dataset.name = filename
    dataset.source = "upload"
    return dataset


def pick_uploads(files: Sequence[tuple[str, bytes]]) -> tuple[list[int], str | None]:
    """Which of the files in the uploader to read (their positions), and a note for the user when
    not all of them.

    The uploader keeps every file chosen, oldest first, so a file chosen last is the one meant.
    IDX files go together (images and labels); a lecturer who picks MNIST's four files after
    Fashion-MNIST's, which have the same names, means the new ones. Any other kind of file is read
    one at a time: the last one.
    """
    files = list(files)
    if len(files) <= 1:
        return list(range(len(files))), None
    if all(_is_idx(data) for _, data in files):
        newest = {name: position for position, (name, _) in enumerate(files)}
        kept = sorted(newest.values())
        if len(kept) == len(files):
            return kept, None
        older = len(files) - len(kept)
        return kept, (f"{_plural(older, 'file')} chosen earlier {'has' if older == 1 else 'have'} the same name as "
                      "a file chosen later, so mllab reads the later ones. Remove the earlier files with "
                      "their ✕ in the uploader.")
    last_two = [len(files) - 2, len(files) - 1]
    if _train_test_pair([files[i] for i in last_two]) is not None:
        # A table published as a training part and a test part (X.train and X.test): read both.
        if len(files) == 2:
            return last_two, None
        return last_two, (f"{len(files)} files are chosen. mllab reads the two chosen last, "
                          f"'{_shown(files[-2][0])}' and '{_shown(files[-1][0])}', as a training part and a test "
                          "part. Remove the others with their ✕ in the uploader.")
    name = files[-1][0]
    return [len(files) - 1], (f"{len(files)} files are chosen. mllab reads one data file at a time (only MNIST-style "
                              f"IDX images and labels go together), so it reads the one chosen last, "
                              f"'{_shown(name)}'. Remove the others with their ✕ in the uploader.")


def read_uploads(files: Sequence[tuple[str, bytes]], max_bytes: int = MAX_UPLOAD_BYTES, *,
                 image_size: int | tuple[int, int] = DEFAULT_IMAGE_SIZE) -> Dataset:
    """Read what the user chose in the uploader: one file of any supported format, several IDX
    files chosen together, the way MNIST is distributed (train and test images and labels, each
    file perhaps gzipped), or two text tables whose names differ only by train/test (X.train and
    X.test), read as the data's training part and test part. Several files of any other kind are
    refused with a message saying why.
    """
    if not files:
        raise ValueError("read_uploads needs at least one file")
    if len(files) == 1:
        return read_upload(files[0][0], files[0][1], max_bytes, image_size=image_size)
    names = [name for name, _ in files]
    listed = _listed(names)
    if len(set(names)) < len(names):
        twice = next(n for n in names if names.count(n) > 1)
        raise DataError(f"'{_shown(twice)}' was chosen twice. Remove one copy with its ✕ in the uploader.")
    total = sum(len(data) for _, data in files)
    if total > max_bytes:
        raise DataError(f"The {len(files)} files chosen are {_size_text(total)} together, more than the "
                        f"{_size_text(max_bytes)} this app accepts at once. Upload fewer or smaller files.")
    pair = _train_test_pair(files)
    if pair is not None:
        return _read_text_pair(files[pair[0]], files[pair[1]], max_bytes)
    ctx = _Context(_Budget(MAX_UNPACKED_BYTES), (DEFAULT_IMAGE_SIZE, DEFAULT_IMAGE_SIZE))
    members = {}
    for name, data in files:
        # Only the start is unpacked to recognise the file: a CSV chosen by mistake costs nothing.
        head = _gunzip_head(name, data) if data[:2] == b"\x1f\x8b" else data[:64]
        if _idx_header(head) is None:
            raise DataError(f"{len(files)} files are chosen ({listed}). mllab reads one data file at a time; only "
                            f"MNIST-style IDX files (images and labels) are read together, and '{_shown(name)}' is "
                            "not one. Remove the files you do not want with their ✕ in the uploader.")
        members[name] = _gunzip(name, data, ctx.inside("gzip")) if data[:2] == b"\x1f\x8b" else data
    # Named after the training images, as MNIST's own files would be read first.
    lead = min(names, key=lambda n: ("train" not in n.lower(), "label" in n.lower(), n))
    label = f"{lead} and {_plural(len(names) - 1, 'other file')}"
    origin = f"Uploaded IDX files {markdown_escape(', '.join(names))}"
    dataset = _read_idx_members(label, members, among="among the chosen files",
                                together="(choose both in the file dialog)", origin=origin)
    dataset.name = label
    dataset.source = "upload"
    return dataset


def _train_test_pair(files: Sequence[tuple[str, bytes]]) -> tuple[int, int] | None:
    """(position of the training file, position of the test file) when `files` are two text tables
    whose names differ only by "train" and "test" (X.train / X.test, X_train.csv / X_test.csv), else None."""
    if len(files) != 2:
        return None
    names = [name.lower() for name, _ in files]

    def blanked(name: str, word: str) -> set[str]:
        # The name with one occurrence of the word taken out, for each place the word occurs.
        return {name[:m.start()] + "\0" + name[m.end():] for m in re.finditer(word, name)}

    for train, test in ((0, 1), (1, 0)):
        if blanked(names[train], "train") & blanked(names[test], "test"):
            if all(_kind_of(name, data) == "csv" for name, data in files):
                return train, test
    return None


def _read_text_pair(train_file: tuple[str, bytes], test_file: tuple[str, bytes], max_bytes: int) -> Dataset:
    """A table published in two files, a training part and a test part: each read as it would be
    alone, their columns checked to agree, the rows put one after the other with the part column."""
    (train_name, train_data), (test_name, test_data) = train_file, test_file
    train = read_upload(train_name, train_data, max(max_bytes, len(train_data)))
    test = read_upload(test_name, test_data, max(max_bytes, len(test_data)))
    notes = ""
    for headless, other, other_name in ((train, test, test_name), (test, train, train_name)):
        if headless.read_as.get("header_in_body") and list(headless.frame.columns) != list(other.frame.columns):
            # SDSS_MGS.train's '#' line names 18 columns for rows of 19 values, so its first row was taken
            # as the header: the test part's names fit, and they are the names the data has.
            name, data = (train_name, train_data) if headless is train else (test_name, test_data)
            again = read_csv_upload(name, data, max(max_bytes, len(data)), names_if_headless=list(other.frame.columns))
            if not again.read_as.get("header_in_body"):
                again.name, again.source = name, "upload"
                notes = (f" No line of {markdown_escape(name)} names as many columns as its rows have values, "
                         f"so its columns are named as in {markdown_escape(other_name)}.")
                train, test = (again, test) if headless is train else (train, again)
                break
    train_columns, test_columns = [str(c) for c in train.frame.columns], [str(c) for c in test.frame.columns]
    if train_columns != test_columns:
        only_train = [c for c in train_columns if c not in test_columns]
        only_test = [c for c in test_columns if c not in train_columns]
        if not only_train and not only_test:
            difference = "the same columns in another order"
        else:
            difference = "; ".join(
                [f"only '{_shown(train_name)}' has {_listed(only_train, 5)}"] * bool(only_train)
                + [f"only '{_shown(test_name)}' has {_listed(only_test, 5)}"] * bool(only_test))
        raise DataError(f"'{_shown(train_name)}' and '{_shown(test_name)}' are read together as a training part "
                        f"and a test part, so they need the same columns, but they have {difference}. Give both "
                        "files the same header, or upload one of them alone.")
    column = part_column_name(train_columns)
    frame = pd.concat([train.frame, test.frame], ignore_index=True)
    frame[column] = [PART_TRAIN] * len(train.frame) + [PART_TEST] * len(test.frame)
    name = f"{train_name} and {test_name}"
    dataset = Dataset(
        name=name, frame=frame, target=None, kind="table", source="upload", part_column=column,
        description=(f"Uploaded files {markdown_escape(train_name)} ({len(train.frame):,} rows, the training part) "
                     f"and {markdown_escape(test_name)} ({len(test.frame):,} rows, the test part), "
                     f"{len(train_columns)} columns. The column {markdown_escape(column)} says which part each row "
                     "comes from; the Train page offers the supplied test part as the hold-out." + notes))
    formats = {train.read_as.get("format"), test.read_as.get("format")}
    if formats == {"text"}:
        # For the code export: each file read as mllab read it alone, then put together.
        dataset.read_as = {"format": "text pair", "names": list(train.read_as.get("names", train_columns)),
                           "files": {PART_TRAIN: train_name, PART_TEST: test_name},
                           "parts": {PART_TRAIN: train.read_as, PART_TEST: test.read_as}}
    return dataset


def _read_any(name: str, data: bytes, ctx: _Context) -> Dataset:
    kind = _kind_of(name, data)
    readers = {
        "csv": _read_csv, "parquet": _read_parquet, "xlsx": _read_excel, "fits": _read_fits,
        "votable": _read_votable, "ecsv": _read_ecsv, "hdf5": _read_hdf5, "npz": _read_zip,
        "npy": _read_npy, "idx": _read_single_idx, "zip": _read_zip, "gzip": _read_gzip, "arff": _read_arff,
    }
    what = {"csv": "a text table", "votable": "a VOTable", "ecsv": "an ECSV table", "idx": "an IDX file",
            "xlsx": "an Excel workbook", "hdf5": "an HDF5 file",
            "arff": "an ARFF file"}.get(kind, f"a {_BINARY_KINDS.get(kind, kind)} file")
    try:
        with warnings.catch_warnings():
            # astropy and friends warn about every non-standard keyword; none of it is for the user.
            warnings.simplefilter("ignore")
            return readers[kind](name, data, ctx)
    except DataError:
        raise
    except MemoryError:
        raise DataError(f"'{_shown(name)}' is too large to hold in memory once read. Upload a smaller sample "
                        "of the data.") from None
    except RecursionError:
        raise DataError(f"'{_shown(name)}' is nested too deeply to be read as {what}. Export the data "
                        "again as a plain table.") from None
    except Exception as err:  # noqa: BLE001 - every library raises its own errors for damaged files
        raise DataError(f"'{_shown(name)}' could not be read as {what}: {_reason(err)}. Check that the file is "
                        "complete and not damaged, or export the data again (CSV works everywhere).") from None


def _read_gzip(name: str, data: bytes, ctx: _Context) -> Dataset:
    if "gzip" in ctx.layers:
        raise DataError(f"'{_shown(name)}' is compressed twice; mllab unpacks one layer. Upload it compressed once.")
    inner_name = name[:-3] if name.lower().endswith(".gz") else (name[:-4] + ".tar" if name.lower().endswith(".tgz")
                                                                  else name + ".unpacked")
    inner = _gunzip(name, data, ctx)
    if not inner.strip():
        raise DataError(f"'{_shown(name)}' holds an empty file. Upload a file with data in it.")
    kind = _kind_of(inner_name, inner)
    if kind in ("zip", "gzip", "npz"):
        raise DataError(f"'{_shown(name)}' holds another archive; mllab does not unpack archives inside archives. "
                        "Upload the inner file itself.")
    return _read_any(inner_name, inner, ctx.inside("gzip"))


def _read_zip(name: str, data: bytes, ctx: _Context) -> Dataset:
    if "zip" in ctx.layers or "gzip" in ctx.layers:
        raise DataError(f"'{_shown(name)}' is an archive inside an archive; mllab does not unpack nested archives. "
                        "Upload the inner files in one zip.")
    zf, infos = _open_zip(name, data, ctx)
    names = {i.filename for i in infos}
    if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
        return _read_excel(name, data, ctx)
    if any(n.startswith(("word/", "ppt/")) for n in names) and "[Content_Types].xml" in names:
        raise DataError(f"'{_shown(name)}' is a Word or PowerPoint document, not data. Upload the data as CSV, "
                        "Excel or FITS.")
    files = [i for i in infos if not i.is_dir() and not _is_junk(i.filename)]
    if _ext(name) == "npz" or (files and all(i.filename.endswith(".npy") for i in files)):
        return _read_npz_members(name, zf, [i for i in infos if not i.is_dir()], ctx.inside("zip"))
    if not files:
        raise DataError(f"'{_shown(name)}' holds no files{' (only system files such as .DS_Store)' if infos else ''}. "
                        "Put the data files in the zip and upload it again.")
    nested = [i.filename for i in files if _ext(i.filename) in _ARCHIVE_EXTS]
    if nested and all(_ext(n) == "xlsx" for n in nested):
        raise DataError(f"'{_shown(name)}' holds an Excel workbook ({_listed(nested, 3)}), which is itself a zip; "
                        "mllab does not unpack archives inside archives. Upload the .xlsx file itself.")
    if nested:
        raise DataError(f"'{_shown(name)}' holds other archives ({_listed(nested, 3)}); mllab does not unpack "
                        "archives inside archives. Unpack them and put their files in one zip.")
    inner_ctx = ctx.inside("zip")
    idx = [i for i in files if re.search(r"idx\d|ubyte", i.filename.lower())]
    if idx:
        members = {}
        for info in idx:
            content = _member(name, zf, info, inner_ctx)
            if content.startswith(b"\x1f\x8b"):
                content = _gunzip(info.filename, content, inner_ctx)
            members[info.filename] = content
        return _read_idx_members(name, members)
    images = [i for i in files if _ext(i.filename) in _IMAGE_EXTS]
    spectra = [i for i in files if _ext(i.filename) in _FITS_EXTS
               or (i.filename.lower().endswith(".gz") and _ext(i.filename[:-3]) in _FITS_EXTS)]
    if images or (spectra and any(_class_of(i.filename) for i in spectra) and len(spectra) > 1):
        chosen = images or spectra
        ignored = [i.filename for i in files if i not in chosen]
        if images:
            return _read_image_folders(name, zf, chosen, ignored, inner_ctx)
        return _read_spectrum_folders(name, zf, chosen, ignored, inner_ctx)
    data_files = [i for i in files if _ext(i.filename) in _EXTENSION_KINDS and _ext(i.filename) != "zip"]
    if len(data_files) == 1:
        info = data_files[0]
        content = _member(name, zf, info, inner_ctx)
        dataset = _read_any(info.filename, content, inner_ctx)
        dataset.description += f" Read from {markdown_escape(info.filename)} inside the zip."
        return dataset
    if len(data_files) > 1:
        listed = _listed(i.filename for i in data_files)
        raise DataError(f"'{_shown(name)}' holds {len(data_files)} data files ({listed}"
                        "). Upload one of them, or a zip with one folder of images (or spectra) per class.")
    raise DataError(f"'{_shown(name)}' holds no file mllab can read (found {_listed(i.filename for i in files)}). "
                    "Upload a zip with one folder of images per class, or a data file.")
