"""Reading data files from a folder on the server, for deployments that turn it on.

Off by default. A deployment sets MLLAB_DATA_FOLDER to a folder (say the group's shared data
disk); the Data page then lists the supported files in it and reads the chosen one with the same
reader as uploads (`mllab.io.read_upload`), with its own, larger size limit
MLLAB_DATA_FOLDER_MAX_BYTES (default 2 GiB): a file on the server does not travel through the
browser, so it is not bound by the upload limit.

Only names inside the folder can be read: the page passes back a name from `list_files`, and
`resolve` checks it again (no absolute paths, no "..", and after following symbolic links the
file must still be inside the folder), so a crafted request cannot read other files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from mllab.datasets import Dataset
from mllab.errors import DataError
from mllab.io.sniff import SUPPORTED_EXTENSIONS
from mllab.io.upload import read_upload

FOLDER_VARIABLE = "MLLAB_DATA_FOLDER"
MAX_BYTES_VARIABLE = "MLLAB_DATA_FOLDER_MAX_BYTES"
DEFAULT_MAX_BYTES = 2 * 1024 ** 3
MAX_LISTED = 2_000            # files listed at most (a folder of a million FITS files must not hang the page)
MAX_DEPTH = 3                 # sub-folders looked into


@dataclass(frozen=True)
class ServerFile:
    name: str        # path relative to the folder, with "/" separators: what the page shows and passes back
    size: int        # bytes
    mtime_ns: int    # modification time: part of the cache key, so an updated file is read again


def folder() -> Path | None:
    """The configured folder, or None when reading from the server is off (the default)."""
    value = os.environ.get(FOLDER_VARIABLE, "").strip()
    return Path(value).expanduser() if value else None


def max_bytes() -> int:
    value = os.environ.get(MAX_BYTES_VARIABLE, "").strip()
    if not value:
        return DEFAULT_MAX_BYTES
    try:
        limit = int(float(value))
    except ValueError:
        return DEFAULT_MAX_BYTES
    return limit if limit > 0 else DEFAULT_MAX_BYTES


def _supported(name: str) -> bool:
    suffix = PurePosixPath(name).suffix.lower().lstrip(".")
    return suffix in SUPPORTED_EXTENSIONS


def list_files(root: Path | None = None) -> list[ServerFile]:
    """Supported files in the folder and its sub-folders (MAX_DEPTH deep), sorted by name.

    Hidden files and folders are skipped, and so is anything whose real location is outside the
    folder (a symbolic link pointing elsewhere). Raises DataError when the folder is unusable.
    """
    root = folder() if root is None else root
    if root is None:
        return []
    try:
        base = root.resolve(strict=True)
    except (OSError, RuntimeError):
        raise DataError(f"The server's data folder ({root}) does not exist or cannot be opened. Ask whoever runs "
                        f"this app to check the {FOLDER_VARIABLE} setting.") from None
    if not base.is_dir():
        raise DataError(f"The server's data folder ({root}) is not a folder. Ask whoever runs this app to check the "
                        f"{FOLDER_VARIABLE} setting.")
    found: list[ServerFile] = []
    stack = [(base, 0)]
    while stack and len(found) < MAX_LISTED:
        current, depth = stack.pop()
        try:
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                real = Path(entry.path).resolve(strict=True)
            except (OSError, RuntimeError):
                continue
            if not real.is_relative_to(base):
                continue
            if real.is_dir():
                if depth < MAX_DEPTH:
                    stack.append((Path(entry.path), depth + 1))
                continue
            if not real.is_file() or not _supported(entry.name):
                continue
            stat = real.stat()
            relative = Path(entry.path).relative_to(base).as_posix()
            found.append(ServerFile(relative, stat.st_size, stat.st_mtime_ns))
            if len(found) >= MAX_LISTED:
                break
    return sorted(found, key=lambda f: f.name.lower())


def resolve(name: str, root: Path | None = None) -> Path:
    """The file `name` (relative, as `list_files` gives it) inside the folder; DataError otherwise."""
    root = folder() if root is None else root
    if root is None:
        raise DataError("Reading files from the server is turned off in this deployment.")
    text = str(name)
    parts = PurePosixPath(text.replace("\\", "/")).parts
    if not text or text.startswith(("/", "\\")) or ".." in parts or "\x00" in text or (parts and ":" in parts[0]):
        raise DataError(f"'{text[:80]}' is not a file in the server's data folder. Pick one from the list.")
    base = root.resolve(strict=True)
    try:
        path = (base / Path(*parts)).resolve(strict=True)
    except (OSError, RuntimeError):
        raise DataError(f"The file '{text[:80]}' is no longer in the server's data folder. Pick one from the list."
                        ) from None
    if not path.is_relative_to(base) or not path.is_file():
        raise DataError(f"'{text[:80]}' is not a file in the server's data folder. Pick one from the list.")
    if not _supported(path.name) or any(p.startswith(".") for p in parts):
        raise DataError(f"'{text[:80]}' is not a data file mllab reads. Pick one from the list.")
    return path


def read_server_file(name: str, root: Path | None = None, limit: int | None = None) -> Dataset:
    """Read a file of the server's data folder with the upload reader, under the folder's size limit."""
    path = resolve(name, root)
    limit = max_bytes() if limit is None else limit
    size = path.stat().st_size
    if size > limit:
        gib = limit / 1024 ** 3
        shown = f"{gib:.3g} GiB" if gib >= 1 else f"{limit / 1024 ** 2:,.0f} MB"
        raise DataError(f"'{name}' is {size / 1024 ** 2:,.0f} MB, more than the {shown} this deployment reads from "
                        "the server. Use a smaller file, or ask whoever runs the app to raise "
                        f"{MAX_BYTES_VARIABLE}.")
    try:
        data = path.read_bytes()
    except OSError as err:
        raise DataError(f"'{name}' could not be read on the server ({err.strerror or 'read error'}).") from None
    except MemoryError:
        raise DataError(f"'{name}' is too large to read into this server's memory. Use a smaller file.") from None
    dataset = read_upload(name, data, max_bytes=max(limit, len(data)))
    dataset.source = "server"
    return dataset
