"""Which reader a file needs: by its first bytes (its "magic"), by its extension only where the
content has no signature (text formats); files mllab refuses, with what to say about them.
"""

from __future__ import annotations

import re

from mllab.errors import DataError
from mllab.io.common import _ext, _shown
from mllab.io.limits import _gunzip_head
from mllab.io.numpy_idx import _idx_header

# Extension (lower case, no dot) -> reader. Magic bytes win over the extension.
_EXTENSION_KINDS = {
    "csv": "csv", "tsv": "csv", "txt": "csv", "dat": "csv", "tab": "csv",
    "parquet": "parquet", "pq": "parquet",
    "xlsx": "xlsx",
    "fits": "fits", "fit": "fits", "fts": "fits",
    "xml": "votable", "vot": "votable", "votable": "votable",
    "ecsv": "ecsv",
    "arff": "arff",
    "h5": "hdf5", "hdf5": "hdf5", "hdf": "hdf5",
    "npz": "npz", "npy": "npy",
    "zip": "zip", "gz": "gzip",
    "idx3-ubyte": "idx", "idx1-ubyte": "idx",  # as in Kaggle's copy of MNIST, train-images.idx3-ubyte
}
SUPPORTED_EXTENSIONS = list(_EXTENSION_KINDS)
_BINARY_KINDS = {"parquet": "Parquet", "xlsx": "Excel (.xlsx)", "fits": "FITS", "hdf5": "HDF5",
                 "npz": "NumPy .npz", "npy": "NumPy .npy", "zip": "zip", "gzip": "gzip", "idx": "IDX"}


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


def describe_formats() -> str:
    """One line for the upload page: what can be uploaded."""
    return ("CSV/TSV/text tables, Excel (.xlsx), Parquet, FITS tables and spectra, VOTable, ECSV, Weka's ARFF, HDF5, "
            "NumPy .npz (X and y) or .npy, MNIST-style IDX images with their labels file (choose both, or zip "
            "them), a zip of "
            "images or FITS spectra in one folder per class, or any of these compressed as .gz.")


def _is_idx(data: bytes) -> bool:
    try:
        head = _gunzip_head("", data) if data[:2] == b"\x1f\x8b" else data[:64]
    except DataError:
        return False
    return _idx_header(head) is not None


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
    if ext_kind == "arff":
        return "arff"  # its reader says what is wrong, line by line
    if ext_kind == "votable":
        raise DataError(f"'{_shown(name)}' is named like a VOTable but does not contain a <VOTABLE> element. "
                        "Upload a VOTable (XML) file, or export the data as CSV.")
    if ext_kind is None and _ext(name) and _is_binary(data):
        # The uploader takes any file so that this sentence, rather than the browser's refusal, reaches the user.
        raise DataError(f"'{_shown(name)}' is a binary file mllab does not recognise: it does not start like any "
                        f"format mllab reads, and .{_shown(_ext(name), 20)} is not one of their extensions. "
                        f"Upload one of these instead: {describe_formats()}")
    return "csv"


def _is_binary(data: bytes) -> bool:
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False  # UTF-16 text, as Excel's "Unicode text" export writes it
    return b"\x00" in head or sum(1 for byte in head if byte < 32 and byte not in b"\t\n\r\f\v") > len(head) // 20


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
    if re.match(rb"(?:%[^\n]*\n|\s)*@relation\b", lower):
        return "arff"  # Weka's format, whatever the file is named
    if lower.startswith(b"<?xml"):
        return "votable"  # refused there with a clear message when it is not a VOTable
    return None
