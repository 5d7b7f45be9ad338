"""Reading uploaded files of every format mllab accepts into a Dataset: one entry point, `read_upload`.

The reader is picked by the file's first bytes (its "magic"), and by its extension only where the
content has no signature (text formats). Everything a user can get wrong raises `DataError` with a
plain sentence: what is wrong and what to do.

Formats: CSV/TSV/whitespace text (delegated to `mllab.datasets.read_csv_upload`), Excel .xlsx (first
sheet), Parquet, FITS (tables, tables of spectra, single spectra inside a zip of class folders),
VOTable, ECSV, HDF5 (astropy tables and groups of column datasets), NumPy .npz/.npy, MNIST-style IDX
files (an images file and its labels file in one zip, gzip-compressed or not), and zips of images or
FITS spectra in one folder per class. A gzip-compressed file (data.csv.gz, spectra.fits.gz) is
read as the file inside it.

Safety rules, because every byte here comes from a stranger:
- nothing is ever unpickled: NumPy arrays are read with allow_pickle=False, pickles are refused;
- archives are never extracted to disk: zip members are read one by one into memory, with limits
  on their number (MAX_MEMBERS), on the total unpacked size (MAX_UNPACKED_BYTES, shared by every
  layer of one upload) and on each member's compression ratio (MAX_RATIO, checked for members
  larger than RATIO_FLOOR_BYTES: a smaller member cannot be a bomb, and the total limit covers
  many small ones). A zip inside a zip is refused; a gzip-compressed file inside a zip (the
  MNIST .gz files zipped together) is unpacked under the same limits, but nothing deeper;
- an HDF5 file may not point outside itself (external links, external raw storage, virtual
  datasets), and a VOTable may not fetch data from elsewhere (STREAM href) nor declare XML
  entities: both would let an upload make the server read its own files or the network;
- a size announced by a header (IDX dimensions, HDF5 dataset shapes, Parquet row groups, image
  sizes) is checked before anything is allocated.

Images in a zip: every image is scaled to one size (28×28 by default) keeping its aspect ratio,
padded with its own border colour, and kept greyscale unless some image has colour. A few files
that cannot be decoded (at most MAX_BAD_IMAGE_SHARE of them) are left out and counted in the
dataset's description; more than that is a DataError naming them.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

import numpy as np
import pandas as pd

from mllab.datasets import Dataset, markdown_escape, read_csv_upload, suggest_target
from mllab.errors import DataError

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
MAX_MEMBERS = 20_000                      # files in one zip
MAX_UNPACKED_BYTES = 500 * 1024 * 1024    # everything unpacked from one upload, all layers together
MAX_RATIO = 100                           # uncompressed / compressed size of one member
RATIO_FLOOR_BYTES = 1024 * 1024           # members smaller than this are not ratio-checked
MAX_IMAGE_FEATURES = 65_536               # pixels × channels of one image in an image dataset
MAX_IMAGE_PIXELS = 50_000_000             # pixels of one image file before it is scaled down
MAX_BAD_IMAGE_SHARE = 0.10                # undecodable images left out (counted) up to this share
DEFAULT_IMAGE_SIZE = 28
MAX_HDF5_NODES = 20_000
MIN_SIGNAL_LENGTH = 8                     # shorter array columns are split into ordinary columns
MAX_CELL_VALUES = 10_000_000              # values in one cell of a table (an array column's row)
MAX_TOTAL_IMAGE_PIXELS = 2_000_000_000    # pixels decoded from one zip of images, before scaling
LABEL = "label"

# Extension (lower case, no dot) -> reader. Magic bytes win over the extension.
_EXTENSION_KINDS = {
    "csv": "csv", "tsv": "csv", "txt": "csv", "dat": "csv", "tab": "csv",
    "parquet": "parquet", "pq": "parquet",
    "xlsx": "xlsx",
    "fits": "fits", "fit": "fits", "fts": "fits",
    "xml": "votable", "vot": "votable", "votable": "votable",
    "ecsv": "ecsv",
    "h5": "hdf5", "hdf5": "hdf5", "hdf": "hdf5",
    "npz": "npz", "npy": "npy",
    "zip": "zip", "gz": "gzip",
    "idx3-ubyte": "idx", "idx1-ubyte": "idx",  # as in Kaggle's copy of MNIST, train-images.idx3-ubyte
}
SUPPORTED_EXTENSIONS = list(_EXTENSION_KINDS)
_BINARY_KINDS = {"parquet": "Parquet", "xlsx": "Excel (.xlsx)", "fits": "FITS", "hdf5": "HDF5",
                 "npz": "NumPy .npz", "npy": "NumPy .npy", "zip": "zip", "gzip": "gzip", "idx": "IDX"}
_IMAGE_EXTS = {"png", "jpg", "jpeg", "bmp", "gif", "webp", "tif", "tiff"}
_PIL_FORMATS = ["PNG", "JPEG", "BMP", "GIF", "WEBP", "TIFF"]
_FITS_EXTS = {"fits", "fit", "fts"}
_ARCHIVE_EXTS = {"zip", "npz", "jar", "tar", "tgz", "7z", "rar", "bz2", "xz", "whl", "apk", "xlsx", "docx"}

_PICKLE_ADVICE = ("mllab never opens pickles because loading one can run any code. Save the data as CSV, "
                  "Parquet or NumPy .npz instead.")
# Signatures of files mllab does not read, with what to say about them.
_REFUSED = (
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls)",
     "Open it in a spreadsheet and save it as .xlsx or CSV, then upload that."),
    (b"%PDF", "a PDF document", "Upload the data itself as CSV, Excel, FITS or Parquet."),
    (b"\x89PNG", "a single PNG image", "To learn from images, upload a zip holding one folder of images per class."),
    (b"\xff\xd8\xff", "a single JPEG image",
     "To learn from images, upload a zip holding one folder of images per class."),
    (b"GIF8", "a single GIF image", "To learn from images, upload a zip holding one folder of images per class."),
    (b"BZh", "a bzip2-compressed file", "Compress it as .zip or .gz instead, or upload it uncompressed."),
    (b"\xfd7zXZ\x00", "an xz-compressed file", "Compress it as .zip or .gz instead, or upload it uncompressed."),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", "Pack it as a .zip instead."),
    (b"Rar!\x1a\x07", "a RAR archive", "Pack it as a .zip instead."),
    (b"\x80\x02", "a Python pickle", _PICKLE_ADVICE),
    (b"\x80\x03", "a Python pickle", _PICKLE_ADVICE),
    (b"\x80\x04", "a Python pickle", _PICKLE_ADVICE),
    (b"\x80\x05", "a Python pickle", _PICKLE_ADVICE),
)

_IDX_TYPES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
              0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}

# Names (lower case) that say what an array or column holds.
_SIGNAL_NAMES = ("flux", "spectrum", "spec", "signal", "counts", "intensity", "lightcurve", "light_curve",
                 "mag", "magnitude", "data", "x", "values")
_LOGLAM_NAMES = ("loglam", "log_lambda", "loglambda", "log_wave", "logwave")
_WAVE_NAMES = ("wavelength", "wave", "lambda", "lam", "wavelengths", "frequency", "freq", "time", "times",
               "phase", "mjd", "wl")
_IVAR_NAMES = ("ivar", "inverse_variance", "invvar")
_X_NAMES = ("x", "data", "images", "image", "features", "inputs", "input")
_Y_NAMES = ("y", "labels", "label", "target", "targets", "classes", "class")


@dataclass
class SignalDataset(Dataset):
    """A dataset whose features are one ordered signal per row (a spectrum, a light curve).

    `axis` holds the coordinate of each signal column (the wavelength of each pixel, say) when the
    file says what it is, else None; `axis_label` says what it is ("wavelength [Angstrom]").
    """

    axis: np.ndarray | None = None
    axis_label: str = ""


def describe_formats() -> str:
    """One line for the upload page: what can be uploaded."""
    return ("CSV/TSV/text tables, Excel (.xlsx), Parquet, FITS tables and spectra, VOTable, ECSV, HDF5, "
            "NumPy .npz (X and y) or .npy, MNIST-style IDX images with their labels file (choose both, or zip "
            "them), a zip of "
            "images or FITS spectra in one folder per class, or any of these compressed as .gz.")


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


@dataclass
class _Budget:
    """Bytes that may still be unpacked from this upload, across every archive layer."""

    left: int

    def take(self, n_bytes: int, what: str) -> None:
        if n_bytes > self.left:
            raise DataError(f"{what} unpacks to more than the {_size_text(MAX_UNPACKED_BYTES)} mllab unpacks from "
                            "one upload. Upload a smaller sample of the data.")
        self.left -= n_bytes


@dataclass
class _Context:
    budget: _Budget
    image_size: tuple[int, int]
    layers: tuple[str, ...] = ()          # archive kinds this file was found inside
    file_bytes: int = 0                   # size of the file being read (for ratio checks)

    def inside(self, kind: str) -> "_Context":
        return _Context(self.budget, self.image_size, (*self.layers, kind))


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
    name = files[-1][0]
    return [len(files) - 1], (f"{len(files)} files are chosen. mllab reads one data file at a time (only MNIST-style "
                              f"IDX images and labels go together), so it reads the one chosen last, "
                              f"'{_shown(name)}'. Remove the others with their ✕ in the uploader.")


def _is_idx(data: bytes) -> bool:
    try:
        head = _gunzip_head("", data) if data[:2] == b"\x1f\x8b" else data[:64]
    except DataError:
        return False
    return _idx_header(head) is not None


def read_uploads(files: Sequence[tuple[str, bytes]], max_bytes: int = MAX_UPLOAD_BYTES, *,
                 image_size: int | tuple[int, int] = DEFAULT_IMAGE_SIZE) -> Dataset:
    """Read what the user chose in the uploader: one file of any supported format, or several IDX
    files chosen together, the way MNIST is distributed (train and test images and labels, each
    file perhaps gzipped). Several files of any other kind are refused with a message saying why.
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


def _gunzip_head(name: str, data: bytes, n_bytes: int = 64) -> bytes:
    """The first bytes of a gzip file, unpacked without unpacking the rest."""
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data, n_bytes)
    except zlib.error as err:
        raise DataError(f"'{_shown(name)}' is a damaged gzip file ({_reason(err)}). Download it again.") from None


def _read_any(name: str, data: bytes, ctx: _Context) -> Dataset:
    kind = _kind_of(name, data)
    readers = {
        "csv": _read_csv, "parquet": _read_parquet, "xlsx": _read_excel, "fits": _read_fits,
        "votable": _read_votable, "ecsv": _read_ecsv, "hdf5": _read_hdf5, "npz": _read_zip,
        "npy": _read_npy, "idx": _read_single_idx, "zip": _read_zip, "gzip": _read_gzip,
    }
    what = {"csv": "a text table", "votable": "a VOTable", "ecsv": "an ECSV table", "idx": "an IDX file",
            "xlsx": "an Excel workbook", "hdf5": "an HDF5 file"}.get(kind, f"a {_BINARY_KINDS.get(kind, kind)} file")
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


def _kind_of(name: str, data: bytes) -> str:
    head = data[:16]
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"SIMPLE  ="):
        return "fits"
    if head.startswith(b"\x89HDF\r\n\x1a\n"):
        return "hdf5"
    if head.startswith(b"\x93NUMPY"):
        return "npy"
    if _idx_header(data) is not None:
        return "idx"
    if len(data) > 262 and data[257:262] == b"ustar":
        raise DataError(f"'{_shown(name)}' is a tar archive. Pack the files as a .zip instead and upload that.")
    for magic, what, advice in _REFUSED:
        if head.startswith(magic):
            raise DataError(f"'{_shown(name)}' looks like {what}, which mllab cannot read. {advice}")
    ext_kind = _EXTENSION_KINDS.get(_ext(name))
    text_kind = _text_kind(data)
    if text_kind == "html":
        raise DataError(f"'{_shown(name)}' is a web page (HTML), not a data file. Download or export the data "
                        "itself (CSV, FITS, VOTable, ...) and upload that.")
    if text_kind is not None:
        return text_kind
    if ext_kind in _BINARY_KINDS:
        what = _BINARY_KINDS[ext_kind]
        article = "an" if what.startswith(("E", "H", "I")) else "a"
        raise DataError(f"'{_shown(name)}' is named like {article} {what} file but does not start like "
                        "one, so it is damaged or is another kind of file renamed. Export the data again and "
                        "upload the new file.")
    if ext_kind == "votable":
        raise DataError(f"'{_shown(name)}' is named like a VOTable but does not contain a <VOTABLE> element. "
                        "Upload a VOTable (XML) file, or export the data as CSV.")
    return "csv"


def _text_kind(data: bytes) -> str | None:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    lower = head.lower()
    if lower.startswith(b"# %ecsv"):
        return "ecsv"
    if b"<votable" in data[:65536].lower():
        return "votable"
    first_line = lower.split(b"\n", 1)[0]
    if (lower.startswith(b"<!doctype html") or re.match(rb"<html[\s>]", lower)) and not re.search(rb"[,;\t]",
                                                                                                 first_line):
        return "html"
    if lower.startswith(b"<?xml"):
        return "votable"  # refused there with a clear message when it is not a VOTable
    return None


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _size_text(n_bytes: int) -> str:
    if n_bytes >= 1024 * 1024:
        return f"{n_bytes / (1024 * 1024):,.0f} MB"
    if n_bytes >= 1024:
        return f"{n_bytes / 1024:,.0f} KB"
    return f"{n_bytes} bytes"


def _shown(text: str, limit: int = 80) -> str:
    """A user-supplied name as it appears in a message: printable, and not endless."""
    text = "".join(ch if ch.isprintable() else "?" for ch in str(text))
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _reason(err: BaseException) -> str:
    text = _shown(str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__, 160)
    return text.rstrip(".") or type(err).__name__


def _ext(name: str) -> str:
    suffix = PurePosixPath(name.replace("\\", "/")).suffix
    return suffix[1:].lower() if suffix else ""


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (plural or word + 's')}"


def _listed(names, limit: int = 5) -> str:
    names = list(names)
    shown = ", ".join(f"'{_shown(n, 60)}'" for n in names[:limit])
    return shown + (f" and {len(names) - limit:,} more" if len(names) > limit else "")


def _native(array: np.ndarray) -> np.ndarray:
    """The array in the machine's byte order: pandas cannot sort or query big-endian columns."""
    if array.dtype.byteorder not in ("=", "|") and array.dtype.names is None:
        return array.astype(array.dtype.newbyteorder("="))
    return array


def _matches(name: str, names: tuple[str, ...]) -> bool:
    return name.lower() in names


def _signal_prefix(name: str) -> str:
    prefix = re.sub(r"\W+", "_", name.lower()).strip("_")
    return prefix or "x"


def _signal_names(prefix: str, n: int) -> list[str]:
    width = max(4, len(str(n - 1)))
    return [f"{prefix}_{i:0{width}d}" for i in range(n)]


def _pixel_names(height: int, width: int, channels: int) -> list[str]:
    if channels == 1:
        return [f"px_{r}_{c}" for r in range(height) for c in range(width)]
    return [f"px_{r}_{c}_{ch}" for r in range(height) for c in range(width) for ch in range(channels)]


def _require_rows(name: str, n_rows: int, what: str = "data row") -> None:
    if n_rows < 2:
        raise DataError(f"'{_shown(name)}' has {_plural(n_rows, what)}; at least 2 are needed (one to train on, "
                        "one to test on), and many more to learn anything. Upload a file with more rows.")


# --------------------------------------------------------------------------------------------
# Tables: checking and building the Dataset
# --------------------------------------------------------------------------------------------


def _clean_frame(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Text column names, no duplicates, and object columns pandas and Arrow can show."""
    names = [str(c).strip() if c is not None else "" for c in frame.columns]
    names = [n or f"column_{i + 1}" for i, n in enumerate(names)]
    duplicates = [n for n, k in Counter(names).items() if k > 1]
    if duplicates:
        raise DataError(f"'{_shown(name)}' names the column{'s' if len(duplicates) > 1 else ''} "
                        f"{_listed(duplicates)} more than once. Give every column a different name and upload "
                        "the file again.")
    frame = frame.set_axis(names, axis=1).reset_index(drop=True)
    for column in names:
        values = frame[column]
        if values.dtype != object:
            continue
        present = values.dropna()
        if present.empty:
            continue
        if present.map(lambda v: isinstance(v, (bytes, np.bytes_))).all():
            frame[column] = values.map(lambda v: v.decode("utf-8", "replace") if isinstance(v, bytes) else v)
            continue
        if len({type(v) for v in present}) == 1:
            continue
        if present.map(lambda v: isinstance(v, (int, float, np.integer, np.floating))
                       and not isinstance(v, (bool, np.bool_))).all():
            frame[column] = pd.to_numeric(values)
        else:
            # Mixed numbers and words (or dates): as text, as a CSV reader would give them.
            frame[column] = values.map(lambda v: v if _missing(v) else str(v))
    return frame


def _missing(value) -> bool:
    return value is None or (not isinstance(value, (list, tuple, np.ndarray)) and bool(pd.isna(value)))


def _units_text(units: dict[str, str]) -> str:
    if not units:
        return ""
    items = [f"{markdown_escape(c)} [{markdown_escape(u)}]" for c, u in list(units.items())[:20]]
    more = f" and {len(units) - 20} more" if len(units) > 20 else ""
    return " Units: " + ", ".join(items) + more + "."


def _notes_text(notes) -> str:
    return "".join(f" {note}" for note in notes)


def _table_dataset(name: str, fmt: str, frame: pd.DataFrame, units: dict[str, str] | None = None,
                   notes=()) -> Dataset:
    frame = _clean_frame(name, frame)
    _require_rows(name, len(frame))
    if frame.shape[1] < 2:
        raise DataError(f"'{_shown(name)}' holds a single column. A dataset needs at least one feature column "
                        "and a target column to learn to predict.")
    units = {c: u for c, u in (units or {}).items() if c in frame.columns}
    if units:
        frame.attrs["units"] = units
    n_rows, n_cols = frame.shape
    return Dataset(
        name=name, frame=frame, target=None, kind="table",
        description=(f"Uploaded {fmt} file {markdown_escape(name)}: {n_rows:,} rows and {n_cols} columns."
                     f"{_units_text(units)}{_notes_text(notes)}"),
        source="upload",
    )


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


# --------------------------------------------------------------------------------------------
# Arrays with labels: npz, IDX, HDF5 X/y
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Readers
# --------------------------------------------------------------------------------------------


def _read_csv(name: str, data: bytes, ctx: _Context) -> Dataset:
    return read_csv_upload(name, data, max_bytes=max(len(data), MAX_UPLOAD_BYTES))


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


# ---- astropy: FITS, VOTable, ECSV, HDF5 tables -------------------------------------------------


def _from_astropy(name: str, fmt: str, table, *, notes=(), axis_hint=None) -> Dataset:
    notes = list(notes)
    scalar_names, arrays, units = [], {}, {}
    for column in table.colnames:
        values = table[column]
        unit = getattr(values, "unit", None)
        if unit is not None and str(unit):
            units[column] = str(unit)
        shape = getattr(values, "shape", ())
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
    return _table_dataset(name, fmt, frame, units, notes)


@dataclass
class _Spectrum:
    """One spectrum read from a FITS file: flux, and its axis when the file gives one."""

    flux: np.ndarray
    axis: np.ndarray | None
    axis_label: str
    log_axis: bool = False


def _fits_axis(header, n: int) -> tuple[np.ndarray | None, str, bool]:
    """The wavelength (or other) axis of a 1-D FITS image, from its header."""
    i = np.arange(n, dtype=float)
    if "COEFF0" in header and "COEFF1" in header:  # SDSS: log10 wavelength = COEFF0 + COEFF1 * pixel
        return 10.0 ** (float(header["COEFF0"]) + float(header["COEFF1"]) * i), "wavelength [Angstrom]", True
    if "CRVAL1" in header and ("CDELT1" in header or "CD1_1" in header):
        step = float(header.get("CDELT1", header.get("CD1_1")))
        values = float(header["CRVAL1"]) + (i + 1 - float(header.get("CRPIX1", 1))) * step
        log = int(header.get("DC-FLAG", 0) or 0) == 1 or "LOG" in str(header.get("CTYPE1", "")).upper()
        label = str(header.get("CTYPE1", "") or "wavelength").strip().lower() or "wavelength"
        unit = str(header.get("CUNIT1", "") or "").strip()
        if log:
            values, label = 10.0 ** values, "wavelength"
            unit = unit or "Angstrom"
        return values, f"{label} [{unit}]" if unit else label, log
    return None, "", False


def _spectrum_from_row(table) -> _Spectrum | None:
    """A one-row table whose array columns are one spectrum (FLUX and WAVE arrays, say)."""
    lower = {c.lower(): c for c in table.colnames if len(getattr(table[c], "shape", ())) == 2}
    flux = next((lower[n] for n in ("flux", "spectrum", "spec") if n in lower), None)
    if len(table) != 1 or flux is None:
        return None
    values = _as_float_matrix(table[flux])[0].astype(float)
    axis, label, log = None, "", False
    loglam = next((lower[n] for n in _LOGLAM_NAMES if n in lower), None)
    wave = next((lower[n] for n in ("wavelength", "wave", "lambda", "lam") if n in lower), None)
    if loglam is not None and np.shape(table[loglam])[1] == values.size:
        axis, label, log = 10.0 ** _as_float_matrix(table[loglam])[0].astype(float), "wavelength [Angstrom]", True
    elif wave is not None and np.shape(table[wave])[1] == values.size:
        unit = getattr(table[wave], "unit", None)
        axis, label = _as_float_matrix(table[wave])[0].astype(float), f"wavelength [{unit}]" if unit else "wavelength"
    ivar = next((lower[n] for n in _IVAR_NAMES if n in lower), None)
    if ivar is not None and np.shape(table[ivar])[1] == values.size:
        values[np.asarray(np.ma.filled(table[ivar], 0))[0] == 0] = np.nan
    return _Spectrum(values, axis, label, log)


def _spectrum_from_table(table) -> _Spectrum | None:
    """A table whose rows are the pixels of one spectrum (an SDSS spec file's COADD table)."""
    if len(table) == 1:
        return _spectrum_from_row(table)
    lower = {c.lower(): c for c in table.colnames}
    if any(len(getattr(table[c], "shape", ())) > 1 for c in table.colnames) or len(table) < 10:
        return None
    loglam = next((lower[n] for n in _LOGLAM_NAMES if n in lower), None)
    wave = next((lower[n] for n in ("wavelength", "wave", "lambda", "lam") if n in lower), None)
    flux = next((lower[n] for n in ("flux", "spectrum", "spec") if n in lower), None)
    if flux is None or (loglam is None and wave is None):
        return None
    values = _as_float_matrix(table[flux])
    if loglam is not None:
        axis, label, log = 10.0 ** np.asarray(np.ma.filled(table[loglam], np.nan), float), "wavelength [Angstrom]", True
    else:
        unit = getattr(table[wave], "unit", None)
        axis = np.asarray(np.ma.filled(table[wave], np.nan), float)
        label, log = (f"wavelength [{unit}]" if unit else "wavelength"), False
    ivar = next((lower[n] for n in _IVAR_NAMES if n in lower), None)
    if ivar is not None:
        values = values.copy()
        values[np.asarray(np.ma.filled(table[ivar], 0)) == 0] = np.nan
    return _Spectrum(np.asarray(values, dtype=float), axis, label, log)


def _fits_content(name: str, data: bytes) -> Dataset | _Spectrum:
    from astropy.io import fits
    from astropy.table import Table

    hdul = fits.open(io.BytesIO(data), memmap=False)
    hdus = list(hdul)
    tables = [i for i, h in enumerate(hdus) if isinstance(h, (fits.BinTableHDU, fits.TableHDU))]
    with_rows = [i for i in tables if (hdus[i].data is not None and len(hdus[i].data) > 0)]
    if tables and not with_rows:
        raise DataError(f"The table in '{_shown(name)}' has no rows. Upload a FITS table with at least two rows.")
    if with_rows:
        index = with_rows[0]
        table = Table.read(hdul, hdu=index, format="fits", character_as_bytes=False, astropy_native=True)
        spectrum = _spectrum_from_table(table)
        if spectrum is not None:
            return spectrum
        notes = []
        if len(with_rows) > 1:
            extname = hdus[index].name or f"HDU {index}"
            notes.append(f"The file has {len(with_rows)} tables; the first ({markdown_escape(extname)}) was read.")
        return _from_astropy(name, "FITS", table, notes=notes, axis_hint=_fits_axis_elsewhere(hdus, index))
    for hdu in hdus:
        if isinstance(hdu, (fits.PrimaryHDU, fits.ImageHDU)) and hdu.data is not None:
            values = np.asarray(hdu.data)
            shape = values.shape
            squeezed = values.reshape(-1) if sum(s > 1 for s in shape) == 1 else None
            if squeezed is None and values.ndim == 2 and shape[0] <= 8 and shape[1] >= 10 * shape[0]:
                squeezed = values[0]  # SDSS spSpec style: row 0 is the flux, the others errors and masks
            if squeezed is not None and squeezed.size >= 10:
                axis, label, log = _fits_axis(hdu.header, squeezed.size)
                return _Spectrum(_as_float_matrix(_native(squeezed)).astype(float), axis, label, log)
            shape_text = "×".join(str(s) for s in reversed(shape))
            raise DataError(f"'{_shown(name)}' holds an image of {shape_text} pixels but no table and no spectrum. "
                            "mllab reads FITS tables (one row per object, e.g. a catalogue or a table of spectra) "
                            "and 1-D spectra; for images, upload a zip with one folder of images per class.")
    if len(data) % 2880:
        raise DataError(f"'{_shown(name)}' is cut short or damaged: no complete table or spectrum could be read "
                        "from it (a FITS file is made of 2,880-byte blocks). Download or write the file again.")
    raise DataError(f"'{_shown(name)}' holds no data: only headers, no table and no spectrum. Upload a FITS file "
                    "with a binary table (one row per object).")


def _fits_axis_elsewhere(hdus, table_index: int) -> tuple[np.ndarray, str] | None:
    """A wavelength grid stored apart from a table of spectra: a 1-D image or a one-column table."""
    from astropy.io import fits

    for i, hdu in enumerate(hdus):
        if i == table_index or hdu.data is None:
            continue
        extname = (hdu.name or "").lower()
        if isinstance(hdu, fits.ImageHDU) and np.ndim(hdu.data) == 1:
            if extname in _LOGLAM_NAMES:
                return 10.0 ** np.asarray(hdu.data, float), "wavelength [Angstrom]"
            if extname in _WAVE_NAMES:
                unit = hdu.header.get("BUNIT", "")
                return np.asarray(hdu.data, float), f"{extname} [{unit}]" if unit else extname
        if isinstance(hdu, fits.BinTableHDU):
            names = {n.lower(): n for n in hdu.columns.names}
            for key in _LOGLAM_NAMES + _WAVE_NAMES:
                if key in names:
                    values = np.asarray(hdu.data[names[key]], float).reshape(-1)
                    if key in _LOGLAM_NAMES:
                        return 10.0 ** values, "wavelength [Angstrom]"
                    unit = hdu.columns[names[key]].unit
                    return values, f"{key} [{unit}]" if unit else key
    return None


def _read_fits(name: str, data: bytes, ctx: _Context) -> Dataset:
    content = _fits_content(name, data)
    if isinstance(content, _Spectrum):
        raise DataError(f"'{_shown(name)}' holds a single spectrum ({content.flux.size:,} pixels), that is one "
                        "sample, and a classifier needs many. Upload a FITS table with one spectrum per row and a "
                        "class column, or a zip with one folder per class holding one spectrum file each.")
    return content


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
    chosen = next((t for t in tables if t.array is not None and len(t.array) > 0), tables[0])
    notes = [f"The file has {len(tables)} tables; the first with rows was read."] if len(tables) > 1 else []
    table = chosen.to_table(use_names_over_ids=True)
    return _from_astropy(name, "VOTable", table, notes=notes)


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
    return _from_astropy(name, "ECSV", table)


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
    notes = [f"Read from {', '.join(parts)}; mllab makes its own train/test split."]
    return _image_dataset(name, "IDX", np.concatenate(xs), np.concatenate(ys), notes=notes, origin=origin)


# ---- archives ------------------------------------------------------------------------------------


def _gunzip(name: str, data: bytes, ctx: _Context) -> bytes:
    """Decompress in bounded steps, stopping as soon as the size or the ratio passes its limit."""
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    parts, total, position, step = [], 0, 0, 1024 * 1024
    pending = b""
    while True:
        if not pending:
            if position >= len(data):
                break
            pending = data[position:position + step]
            position += len(pending)
        try:
            out = decompressor.decompress(pending, step)
        except zlib.error as err:
            raise DataError(f"'{_shown(name)}' is a damaged gzip file ({_reason(err)}). Compress the file "
                            "again, or upload it uncompressed.") from None
        pending = decompressor.unconsumed_tail
        total += len(out)
        consumed = position - len(pending)
        if total > RATIO_FLOOR_BYTES and total > MAX_RATIO * max(consumed, 1):
            raise DataError(f"'{_shown(name)}' expands more than {MAX_RATIO} times when decompressed, which is how "
                            "decompression bombs look, so it was not unpacked. Upload the file uncompressed.")
        ctx.budget.take(len(out), f"'{_shown(name)}'")
        parts.append(out)
        if decompressor.eof:
            break
    if not decompressor.eof:
        raise DataError(f"'{_shown(name)}' is cut short: the gzip stream ends before its end marker. Download or "
                        "compress the file again.")
    return b"".join(parts)


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


def _open_zip(name: str, data: bytes, ctx: _Context) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError) as err:
        raise DataError(f"'{_shown(name)}' is not a valid zip archive ({_reason(err)}); it may be cut short. "
                        "Pack the files again and upload the new zip.") from None
    if len(infos) > MAX_MEMBERS:
        raise DataError(f"'{_shown(name)}' holds {len(infos):,} files, more than the {MAX_MEMBERS:,} mllab reads "
                        "from one archive. Upload fewer files, for example a sample of each class.")
    total = sum(i.file_size for i in infos)
    if total > ctx.budget.left:
        raise DataError(f"'{_shown(name)}' unpacks to {_size_text(total)}, more than the "
                        f"{_size_text(MAX_UNPACKED_BYTES)} mllab unpacks from one upload. Upload a smaller sample.")
    for info in infos:
        if info.flag_bits & 0x1:
            raise DataError(f"'{_shown(name)}' is password-protected ('{_shown(info.filename, 60)}' is encrypted). "
                            "Pack the files again without a password.")
        if info.file_size > RATIO_FLOOR_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise DataError(f"'{_shown(info.filename, 60)}' in '{_shown(name)}' expands "
                            f"{info.file_size / max(info.compress_size, 1):,.0f} times when unpacked, which is how "
                            "zip bombs look, so the archive was not unpacked. Pack the files without extreme "
                            "compression, or upload them uncompressed.")
    return zf, infos


def _member(name: str, zf: zipfile.ZipFile, info: zipfile.ZipInfo, ctx: _Context) -> bytes:
    ctx.budget.take(info.file_size, f"'{_shown(name)}'")
    try:
        with zf.open(info) as handle:
            data = handle.read(info.file_size + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as err:
        raise DataError(f"'{_shown(info.filename, 60)}' in '{_shown(name)}' cannot be unpacked ({_reason(err)}). "
                        "Pack the files again with ordinary zip compression and upload the new zip.") from None
    if len(data) > info.file_size:
        raise DataError(f"'{_shown(info.filename, 60)}' in '{_shown(name)}' is larger than the archive says. Pack "
                        "the files again and upload the new zip.")
    return data


def _is_junk(path: str) -> bool:
    parts = PurePosixPath(path.replace("\\", "/")).parts
    return (not parts or "__MACOSX" in parts or any(p.startswith(".") and p not in (".", "..") for p in parts)
            or parts[-1].lower() in ("thumbs.db", "desktop.ini"))


def _class_of(path: str) -> str | None:
    parts = [p for p in PurePosixPath(path.replace("\\", "/")).parts if p not in ("", ".", "..", "/")]
    return parts[-2] if len(parts) >= 2 else None


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


# ---- folders of images ---------------------------------------------------------------------------


def _classes_or_refuse(name: str, members, what: str) -> list[str]:
    classes = [_class_of(i.filename) for i in members]
    loose = [i.filename for i, c in zip(members, classes) if c is None]
    if loose:
        raise DataError(f"'{_shown(name)}' has {what} outside any folder ({_listed(loose, 3)}). Put the {what} of "
                        "each class in a folder named after the class (cats/1.png, dogs/7.png, …) and zip the "
                        "folders.")
    found = sorted(set(classes))
    if len(found) < 2:
        raise DataError(f"'{_shown(name)}' holds {what} of only one class (the folder '{_shown(found[0], 40)}'); a "
                        "classifier needs at least two. Add a folder for each other class.")
    return classes


def _image_pixels(image, size: tuple[int, int]):
    """One decoded image as an RGB uint8 array of `size`, scaled keeping its aspect, border-padded."""
    from PIL import Image, ImageOps

    height, width = size
    if image.width * image.height > MAX_IMAGE_PIXELS:
        raise ValueError(f"it is {image.width}×{image.height} pixels, more than mllab decodes")
    if image.format == "JPEG":
        image.draft("RGB", (width * 2, height * 2))
    image = ImageOps.exif_transpose(image)
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        values = np.asarray(image, dtype=float)
        top = 65535.0 if image.mode.startswith("I;16") else max(float(values.max()), 1.0)
        image = Image.fromarray(np.clip(values * 255.0 / top, 0, 255).astype(np.uint8), "L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    image = image.convert("RGB")
    array = np.asarray(image)
    border = np.concatenate([array[0], array[-1], array[:, 0], array[:, -1]])
    fill = tuple(int(v) for v in np.median(border, axis=0))
    scale = min(width / image.width, height / image.height)
    new_size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    resized = image.resize(new_size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    canvas = Image.new("RGB", (width, height), fill)
    canvas.paste(resized, ((width - new_size[0]) // 2, (height - new_size[1]) // 2))
    return np.asarray(canvas)


def _read_image_folders(name: str, zf, members, ignored, ctx: _Context) -> Dataset:
    from PIL import Image

    classes = _classes_or_refuse(name, members, "images")
    height, width = ctx.image_size
    pixels, labels, bad = [], [], []
    decoded = 0
    for info, label in zip(members, classes):
        content = _member(name, zf, info, ctx)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(io.BytesIO(content), formats=_PIL_FORMATS) as image:
                    decoded += image.width * image.height
                    if decoded > MAX_TOTAL_IMAGE_PIXELS:
                        raise DataError(f"The images in '{_shown(name)}' hold more than "
                                        f"{MAX_TOTAL_IMAGE_PIXELS / 1e9:,.0f} billion pixels in all, more than mllab "
                                        "decodes from one upload. Scale them down (mllab uses "
                                        f"{height}×{width}) before zipping them.")
                    pixels.append(_image_pixels(image, (height, width)))
            labels.append(label)
        except DataError:
            raise
        except Exception as err:  # noqa: BLE001 - Pillow raises many kinds of errors for damaged files
            why = ("not a PNG, JPEG, BMP, GIF, WebP or TIFF image, or damaged"
                   if type(err).__name__ == "UnidentifiedImageError" else _reason(err))
            bad.append((info.filename, why))
    notes = []
    if bad:
        if len(bad) > MAX_BAD_IMAGE_SHARE * len(members) or len(pixels) < 2:
            first, why = bad[0]
            raise DataError(f"{_plural(len(bad), 'file')} in '{_shown(name)}' could not be read as images, "
                            f"starting with '{_shown(first, 60)}' ({why}). Remove or replace the damaged files and "
                            "upload the zip again.")
        notes.append(f"{_plural(len(bad), 'file')} could not be read as images and "
                     f"{'was' if len(bad) == 1 else 'were'} left out: "
                     f"{', '.join(markdown_escape(b[0]) for b in bad[:5])}{' …' if len(bad) > 5 else ''}.")
    if ignored:
        notes.append(f"{_plural(len(ignored), 'other file')} (not images) {'was' if len(ignored) == 1 else 'were'} "
                     "ignored.")
    stack = np.stack(pixels)
    colour = bool(np.any(np.abs(stack.astype(np.int16) - stack[..., :1]) > 2))
    if not colour:
        stack = stack[..., :1]
    notes.insert(0, f"Each image was scaled to {height}×{width} pixels keeping its shape (padded with its border "
                    f"colour){' and made greyscale' if not colour else ''}; the class is the name of its folder.")
    return _image_dataset(name, "image zip", stack, np.asarray(labels, dtype=str), notes=notes)


def _read_spectrum_folders(name: str, zf, members, ignored, ctx: _Context) -> Dataset:
    classes = _classes_or_refuse(name, members, "spectra")
    spectra, labels = [], []
    for info, label in zip(members, classes):
        content = _member(name, zf, info, ctx)
        if content.startswith(b"\x1f\x8b"):
            content = _gunzip(info.filename, content, ctx)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                spectrum = _fits_content(info.filename, content)
        except DataError:
            raise
        except Exception as err:  # noqa: BLE001
            raise DataError(f"'{_shown(info.filename, 60)}' in '{_shown(name)}' could not be read as a FITS "
                            f"spectrum ({_reason(err)}). Remove or replace it and upload the zip again.") from None
        if not isinstance(spectrum, _Spectrum):
            raise DataError(f"'{_shown(info.filename, 60)}' in '{_shown(name)}' is a table, not a single spectrum. "
                            "In a zip of class folders every FITS file must hold one spectrum.")
        spectra.append(spectrum)
        labels.append(label)
    notes = ["Each row is one FITS file; the class is the name of its folder."]
    lengths = {s.flux.size for s in spectra}
    axes = [s.axis for s in spectra]
    axis, axis_label = None, ""
    if len(lengths) == 1 and (all(a is None for a in axes) or all(
            a is not None and np.allclose(a, axes[0], rtol=1e-6) for a in axes)):
        matrix = np.vstack([s.flux for s in spectra])
        axis, axis_label = axes[0], spectra[0].axis_label
    elif all(a is not None for a in axes):
        low = max(float(np.nanmin(a)) for a in axes)
        high = min(float(np.nanmax(a)) for a in axes)
        if not low < high:
            raise DataError(f"The spectra in '{_shown(name)}' do not overlap in wavelength, so they cannot be put "
                            "on one common axis. Upload spectra that cover a common range.")
        reference = max(range(len(spectra)), key=lambda k: int(np.sum((axes[k] >= low) & (axes[k] <= high))))
        grid = axes[reference][(axes[reference] >= low) & (axes[reference] <= high)]
        matrix = np.vstack([np.interp(grid, s.axis, s.flux, left=np.nan, right=np.nan)
                            if np.all(np.diff(s.axis) > 0) else _refuse_unsorted(name) for s in spectra])
        axis, axis_label = grid, spectra[reference].axis_label
        notes.append(f"The spectra have different wavelength grids; all were resampled onto the common range "
                     f"{low:.6g} to {high:.6g} ({grid.size:,} points).")
    else:
        raise DataError(f"The spectra in '{_shown(name)}' have different lengths and at least one has no "
                        "wavelength axis in its header, so they cannot be lined up. Upload spectra of one length, "
                        "or with wavelengths.")
    if ignored:
        notes.append(f"{_plural(len(ignored), 'other file')} {'was' if len(ignored) == 1 else 'were'} ignored.")
    scalars = pd.DataFrame({LABEL: np.asarray(labels, dtype=str)})
    dataset = _signal_from_arrays(name, "spectra zip", scalars, {"flux": matrix}, notes=notes,
                                  axis_hint=(axis, axis_label) if axis is not None else None)
    dataset.target = LABEL
    return dataset


def _refuse_unsorted(name: str):
    raise DataError(f"A spectrum in '{_shown(name)}' has a wavelength axis that is not increasing, so it cannot be "
                    "resampled. Upload spectra sorted by wavelength.")
