"""A corpus of malformed and hostile uploads, generated in memory (nothing binary is checked in).

Each case is an upload (file name and bytes) and what must happen when mllab.io.read_upload
reads it: "error" (a DataError with a useful sentence, never another exception) or "load" (read
successfully, optionally with a check of what came back). `cases()` builds them all; every case is
small and quick to make, including the zip bomb and the zip with 100,000 entries.
"""

from __future__ import annotations

import gzip
import io
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from mllab.datasets.targets import check_target
from mllab.errors import DataError


@dataclass
class Case:
    id: str
    filename: str
    data: bytes
    expect: str                                   # "error" | "load"
    check: Callable | None = None                 # called with the Dataset when expect == "load"
    kwargs: dict = field(default_factory=dict)    # extra arguments for read_upload
    mentions: tuple[str, ...] = ()                # words the error message must contain (lower case)


# ---- small builders ------------------------------------------------------------------------------


def _zip(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED, level: int | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression, compresslevel=level) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def _png(size=(8, 8), colour=(255, 0, 0), mode="RGB") -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new(mode, size, colour if mode != "L" else colour[0]).save(buffer, format="PNG")
    return buffer.getvalue()


def _npy(array: np.ndarray, allow_pickle=False) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def _npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _idx(array: np.ndarray) -> bytes:
    codes = {np.dtype("u1"): 0x08, np.dtype("i1"): 0x09, np.dtype(">i4"): 0x0C}
    header = bytes([0, 0, codes[array.dtype], array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    return header + array.tobytes()


def _fits_image(shape) -> bytes:
    from astropy.io import fits

    buffer = io.BytesIO()
    fits.PrimaryHDU(np.zeros(shape, dtype=np.float32)).writeto(buffer)
    return buffer.getvalue()


def _fits_header_only() -> bytes:
    from astropy.io import fits

    buffer = io.BytesIO()
    fits.PrimaryHDU().writeto(buffer)
    return buffer.getvalue()


def _fits_table(**columns) -> bytes:
    from astropy.table import Table

    buffer = io.BytesIO()
    Table(columns).write(buffer, format="fits")
    return buffer.getvalue()


def _hdf5(build) -> bytes:
    import h5py

    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as handle:
        build(handle)
    return buffer.getvalue()


def _external_storage(handle):
    # A dataset whose bytes live in a file on the server: reading it would disclose that file.
    handle.create_dataset("secret", shape=(16,), dtype="u1", external=[("/etc/hostname", 0, 16)])
    handle.create_dataset("label", data=np.arange(16))


def _external_link(handle):
    import h5py

    handle.create_dataset("a", data=np.arange(5))
    handle["b"] = h5py.ExternalLink("/etc/other.h5", "/data")


def _mismatched_columns(handle):
    handle.create_dataset("a", data=np.arange(10.0))
    handle.create_dataset("b", data=np.arange(7.0))


def _excel(rows, sheets=1) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    for i in range(1, sheets):
        workbook.create_sheet(f"extra{i}")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _parquet(frame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    return buffer.getvalue()


def _encrypted_zip() -> bytes:
    data = bytearray(_zip({"a/1.png": _png(), "b/1.png": _png()}))
    # Set the "encrypted" flag in every local and central header (the bytes themselves stay plain).
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            data[start + offset] |= 0x01
            start += 4
    return bytes(data)


def _many_entries(n: int) -> bytes:
    # Stored (not deflated) empty entries: about 100 bytes each, a few MB for 100,000.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as zf:
        for i in range(n):
            zf.writestr(zipfile.ZipInfo(f"c{i % 2}/{i:x}.png"), b"")
    return buffer.getvalue()


def _csv(rows) -> bytes:
    return "\n".join(",".join(map(str, row)) for row in rows).encode()


def _votable(body: str, prolog: str = "") -> bytes:
    return (f'<?xml version="1.0"?>{prolog}<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3">'
            f"<RESOURCE>{body}</RESOURCE></VOTABLE>").encode()


_VOT_FIELDS = '<FIELD name="a" datatype="double"/><FIELD name="b" datatype="char" arraysize="*"/>'


# Three rows of Weka's weather.numeric, for the ARFF cases.
_WEATHER_ARFF = (b"@relation weather\n@attribute outlook {sunny, overcast, rainy}\n@attribute temperature numeric\n"
                 b"@attribute play {yes, no}\n@data\n% a comment\nsunny,85,no\novercast,83,yes\nrainy,70,yes\n"
                 b"rainy,65,no\n")


# ---- checks for the cases that load -----------------------------------------------------------


def _target_refused(column: str):
    def check(dataset):
        try:
            check_target(dataset.frame, column)
        except DataError:
            return
        raise AssertionError(f"check_target should refuse the target {column}")
    return check


def _html_names_kept(dataset):
    assert "<script>alert(1)</script>" in dataset.frame.columns
    assert "<script>" not in dataset.description


def _shape(rows, cols):
    def check(dataset):
        assert dataset.frame.shape == (rows, cols), dataset.frame.shape
    return check


def _decoded(dataset):
    assert "Zürich" in set(dataset.frame["city"]), set(dataset.frame["city"])


def _mixed_as_text(dataset):
    assert dataset.frame["value"].dropna().map(type).nunique() == 1


def _one_bad_image_left_out(dataset):
    assert dataset.kind == "image" and len(dataset.frame) == 20
    assert "left out" in dataset.description


def _slip_classes(dataset):
    assert sorted(dataset.frame["label"].unique()) == ["a", "b"]


def cases() -> list[Case]:
    rng = np.random.default_rng(0)
    junk = rng.integers(0, 256, 4096, dtype=np.uint8).tobytes()
    good_csv = _csv([("a", "b", "c")] + [(i, i * 2, i % 2) for i in range(20)])
    png = _png()
    images = rng.integers(0, 256, (50, 8, 8), dtype=np.uint8)
    labels = rng.integers(0, 3, 50).astype(np.uint8)
    truncated_idx = gzip.compress(_idx(images))[:-200]
    spectrum_1d = _fits_image((500,))
    bomb_member = bytes(5 * 1024 * 1024)  # 5 MB of zeros: deflates to about 5 KB
    object_array = np.array([{"a": 1}, None], dtype=object)
    wide = [tuple(f"c{j}" for j in range(3000))] + [tuple(range(i, i + 3000)) for i in range(5)]
    frame_one_row = __import__("pandas").DataFrame({"a": [1.0], "b": ["x"]})
    return [
        # ---- text ----
        Case("empty", "empty.csv", b"", "error", mentions=("empty",)),
        Case("whitespace-only", "blank.csv", b"   \n\n \t\n", "error", mentions=("empty",)),
        Case("binary-junk-csv", "junk.csv", junk, "error"),
        Case("binary-junk-no-extension", "junk", junk, "error"),
        Case("one-column-prose", "notes.csv", b"This is a letter, not data\nDear colleague\nYours truly\n", "error"),
        Case("semicolons-named-csv", "semi.csv", b"a;b;c\n1;2;x\n3;4;y\n5;6;x\n", "load", _shape(3, 3)),
        Case("ragged-rows", "ragged.csv", b"a,b,c\n1,2,3\n4,5\n6,7,8,9,10\n1,2,3\n", "error"),
        Case("mixed-types", "mixed.csv", b"value,label\n1,a\ntwo,b\n3.5,a\n,b\n", "load", _mixed_as_text),
        Case("all-missing-column", "holes.csv", b"a,b,label\n1,,x\n2,,y\n3,,x\n", "load", _shape(3, 3)),
        Case("one-class", "oneclass.csv", b"a,label\n1,x\n2,x\n3,x\n", "load", _target_refused("label")),
        Case("thousands-of-classes", "ids.csv",
             _csv([("a", "label")] + [(i, f"id{i}") for i in range(3000)]), "load", _target_refused("label")),
        Case("thousands-of-columns", "wide.csv", _csv(wide), "load", _shape(5, 3000)),
        Case("duplicate-column-names", "dup.csv", b"a,a,b\n1,2,3\n4,5,6\n", "error", mentions=("more than once",)),
        Case("html-column-names", "html.csv",
             b"<script>alert(1)</script>,<b>bold</b>,label\n1,2,x\n3,4,y\n", "load", _html_names_kept),
        Case("non-utf8-text", "latin.csv", "city,n\nZürich,1\nGenève,2\n".encode("cp1252"), "load", _decoded),
        Case("header-only", "header.csv", b"a,b,c\n", "error"),
        Case("html-page", "download.csv", b"<!DOCTYPE html>\n<html><body>Not found</body></html>\n", "error",
             mentions=("web page",)),
        Case("too-large", "big.csv", good_csv, "error", kwargs={"max_bytes": 100}, mentions=("more than",)),
        Case("pdf-renamed", "data.csv", b"%PDF-1.7\n" + junk, "error", mentions=("pdf",)),
        Case("pickle", "model.pkl", b"\x80\x04\x95" + junk, "error", mentions=("pickle",)),
        Case("old-excel", "book.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + junk, "error", mentions=(".xls",)),
        Case("single-png", "cat.png", png, "error", mentions=("folder",)),
        Case("bzip2", "data.csv.bz2", b"BZh91AY&SY" + junk, "error"),
        # ---- FITS ----
        Case("fits-image-no-table", "image.fits", _fits_image((32, 32)), "error", mentions=("no table",)),
        Case("fits-header-only", "empty.fits", _fits_header_only(), "error", mentions=("no data",)),
        Case("fits-truncated", "cut.fits", _fits_table(a=np.arange(100.0), b=np.arange(100))[:3000], "error",
             mentions=("cut short",)),
        Case("fits-single-spectrum", "spectrum.fits", spectrum_1d, "error", mentions=("single spectrum",)),
        Case("fits-spectra-without-label", "flux.fits", _fits_table(FLUX=rng.normal(size=(5, 20))), "error",
             mentions=("label",)),
        Case("fits-zero-rows", "norows.fits", _fits_table(a=np.zeros(0), b=np.zeros(0)), "error",
             mentions=("no rows",)),
        Case("fits-named-but-junk", "junk.fits", junk, "error", mentions=("does not start like",)),
        # ---- archives ----
        Case("zip-bomb", "bomb.zip", _zip({"a/x.png": bomb_member}, level=9), "error", mentions=("bomb",)),
        Case("zip-100k-entries", "many.zip", _many_entries(100_000), "error", mentions=("100,000",)),
        Case("zip-nested", "nested.zip", _zip({"inner.zip": _zip({"a/1.png": png})}), "error",
             mentions=("inside",)),
        Case("zip-holding-xlsx", "book.zip", _zip({"book.xlsx": _excel([("a", "b"), (1, 2), (3, 4)])}), "error",
             mentions=(".xlsx file itself",)),
        Case("zip-empty", "empty.zip", _zip({}), "error"),
        Case("zip-only-system-files", "mac.zip", _zip({"__MACOSX/._a.png": b"x", ".DS_Store": b"x"}), "error"),
        Case("zip-truncated", "cut.zip", _zip({"a/1.png": png, "b/1.png": png})[:-30], "error"),
        Case("zip-encrypted", "secret.zip", _encrypted_zip(), "error", mentions=("password",)),
        Case("zip-images-outside-folders", "flat.zip", _zip({"1.png": png, "2.png": png}), "error",
             mentions=("folder",)),
        Case("zip-one-class", "cats.zip", _zip({"cats/1.png": png, "cats/2.png": png}), "error",
             mentions=("one class",)),
        Case("zip-corrupt-images", "broken.zip",
             _zip({f"{c}/{i}.png": png[:40] for c in "ab" for i in range(3)}), "error", mentions=("0.png",)),
        Case("zip-one-corrupt-image-of-21", "mostly.zip",
             _zip({**{f"{'ab'[i % 2]}/{i}.png": png for i in range(20)}, "a/bad.png": b"\x89PNG broken"}),
             "load", _one_bad_image_left_out),
        Case("zip-slip-names", "slip.zip", _zip({"../../a/1.png": png, "../../b/1.png": png}), "load",
             _slip_classes),
        Case("zip-several-tables", "tables.zip", _zip({"a.csv": good_csv, "b.csv": good_csv}), "error"),
        Case("gzip-bomb", "bomb.csv.gz", gzip.compress(bytes(20 * 1024 * 1024), 9), "error", mentions=("bomb",)),
        Case("gzip-truncated", "cut.csv.gz", gzip.compress(good_csv * 50)[:-40], "error"),
        Case("tar-gz", "data.tar.gz", gzip.compress(b"x" * 257 + b"ustar" + bytes(300)), "error",
             mentions=("tar",)),
        # ---- NumPy ----
        Case("npz-mismatched-lengths", "xy.npz", _npz(X=rng.normal(size=(10, 3)), y=np.arange(9)), "error",
             mentions=("one label per sample",)),
        Case("npz-without-labels", "x.npz", _npz(X=rng.normal(size=(10, 3))), "error", mentions=("labels",)),
        Case("npz-object-array", "obj.npz", _npz(X=np.zeros((2, 2)), y=object_array), "error",
             mentions=("unpickl",)),
        Case("npz-5d", "five.npz", _npz(X=np.zeros((3, 2, 2, 2, 2)), y=np.arange(3)), "error"),
        Case("npz-text-features", "text.npz", _npz(X=np.array([["a", "b"], ["c", "d"]]), y=np.arange(2)), "error"),
        Case("npz-nan-features", "nan.npz", _npz(X=np.array([[np.nan, 1.0], [2.0, 3.0], [4, 5]]), y=np.arange(3)),
             "load", _shape(3, 3)),
        Case("npy-pickled-object", "obj.npy", _npy(object_array, allow_pickle=True), "error",
             mentions=("unpickl",)),
        Case("npy-plain-2d", "plain.npy", _npy(np.zeros((5, 3))), "error", mentions=("labels",)),
        Case("npy-truncated", "cut.npy", _npy(np.zeros((100, 3)))[:300], "error"),
        # ---- IDX ----
        Case("idx-truncated-gzip", "train-images-idx3-ubyte.gz", truncated_idx, "error", mentions=("cut short",)),
        Case("idx-images-without-labels", "train-images-idx3-ubyte.gz", gzip.compress(_idx(images)), "error",
             mentions=("labels",)),
        Case("idx-count-mismatch", "mnist.zip",
             _zip({"train-images-idx3-ubyte": _idx(images), "train-labels-idx1-ubyte": _idx(labels[:40])}),
             "error", mentions=("one label per image",)),
        Case("idx-lying-header", "huge-images-idx3-ubyte.gz",
             gzip.compress(bytes([0, 0, 8, 3]) + struct.pack(">III", 10**6, 1000, 1000) + bytes(64)), "error"),
        # ---- HDF5 ----
        Case("hdf5-external-storage", "leak.h5", _hdf5(_external_storage), "error", mentions=("other files",)),
        Case("hdf5-external-link", "link.h5", _hdf5(_external_link), "error", mentions=("another file",)),
        Case("hdf5-no-datasets", "empty.h5", _hdf5(lambda h: h.create_group("nothing")), "error"),
        Case("hdf5-mismatched-columns", "cols.h5", _hdf5(_mismatched_columns), "error",
             mentions=("different lengths",)),
        # ---- XML ----
        Case("votable-entity-bomb", "bomb.vot",
             _votable(f"<TABLE>{_VOT_FIELDS}<DATA><TABLEDATA><TR><TD>1</TD><TD>&e3;</TD></TR></TABLEDATA></DATA>"
                      "</TABLE>",
                      '<!DOCTYPE VOTABLE [<!ENTITY e0 "xxxxxxxxxx"><!ENTITY e1 "&e0;&e0;&e0;&e0;&e0;">'
                      '<!ENTITY e2 "&e1;&e1;&e1;&e1;&e1;"><!ENTITY e3 "&e2;&e2;&e2;&e2;&e2;">]>'),
             "error", mentions=("entities",)),
        Case("votable-remote-stream", "remote.vot",
             _votable(f'<TABLE>{_VOT_FIELDS}<DATA><BINARY><STREAM href="file:///etc/passwd"/></BINARY></DATA>'
                      "</TABLE>"), "error", mentions=("elsewhere",)),
        Case("votable-malformed", "bad.xml", _votable("<TABLE><FIELD name='a' datatype='double'>")[:-20], "error"),
        Case("votable-no-rows", "norows.vot", _votable(f"<TABLE>{_VOT_FIELDS}<DATA><TABLEDATA/></DATA></TABLE>"),
             "error"),
        Case("xml-not-votable", "other.xml", b'<?xml version="1.0"?><catalog><book/></catalog>', "error",
             mentions=("not a votable",)),
        Case("ecsv-bad-header", "bad.ecsv", b"# %ECSV 1.0\n# ---\n# datatype: [oops\na b\n1 2\n", "error"),
        # ---- Parquet / Excel ----
        Case("parquet-truncated", "cut.parquet", _parquet(__import__("pandas").DataFrame(
            {"a": np.arange(100), "b": np.arange(100.0)}))[:-50], "error"),
        Case("parquet-one-row", "one.parquet", _parquet(frame_one_row), "error", mentions=("at least 2",)),
        Case("excel-empty-sheet", "empty.xlsx", _excel([]), "error", mentions=("empty",)),
        Case("excel-mixed-and-blank", "mixed.xlsx",
             _excel([(None, None, None), ("a", "b", "label"), (1, "x", "p"), ("2", 3.5, "q"), (None, None, None),
                     (4, "y", "p")], sheets=2), "load", _shape(3, 3)),
        # ---- any other file: the uploader takes every name ----
        Case("unknown-extension-binary", "notes.xyz", b"\x00\x01XYZ" + junk, "error", mentions=("does not recognise",)),
        Case("unknown-extension-prose", "notes.xyz", b"Dear colleague,\nthe results follow.\n", "error"),
        # ---- Weka's ARFF ----
        Case("arff-weather", "weather.arff", _WEATHER_ARFF, "load", _shape(4, 3)),
        Case("arff-malformed", "broken.arff", _WEATHER_ARFF.replace(b"sunny,85", b"sunny,hot"), "error",
             mentions=("line 7", "not a number")),
        Case("arff-relational", "musk.arff", b"@relation m\n@attribute bag relational\n@attribute f numeric\n"
             b"@end bag\n@attribute class {0,1}\n@data\n", "error", mentions=("relational",)),
        Case("arff-binary-junk", "junk.arff", junk, "error", mentions=("binary",)),
    ]
