"""What one upload may cost, and reading archives within it.

Every size limit on an upload is here, with the per-upload budget (`_Budget`) that every archive
layer draws from, and the gzip/zip helpers that read members one by one into memory under those
limits: nothing is ever extracted to disk.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import PurePosixPath

from mllab.errors import DataError
from mllab.io.common import _reason, _shown, _size_text

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


MAX_CELL_VALUES = 10_000_000              # values in one cell of a table (an array column's row)
MAX_TOTAL_IMAGE_PIXELS = 2_000_000_000    # pixels decoded from one zip of images, before scaling


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


def _gunzip_head(name: str, data: bytes, n_bytes: int = 64) -> bytes:
    """The first bytes of a gzip file, unpacked without unpacking the rest."""
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data, n_bytes)
    except zlib.error as err:
        raise DataError(f"'{_shown(name)}' is a damaged gzip file ({_reason(err)}). Download it again.") from None


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
