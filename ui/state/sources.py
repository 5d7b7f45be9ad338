"""A data source as plain values (`Run.data_source`), and the name of the data it loads.

{"kind": "builtin", "key"}, {"kind": "upload", "files": [{"name", "sha256", "size"}]} or {"kind": "server",
"name", "size", "mtime_ns"}. `source_digest` names the loaded data for every cache of it, so the Data page, a
link and a reopened workspace load the same data under the same key.
"""

from __future__ import annotations

import hashlib

from mllab.errors import DataError


def describe_uploads(files: list[tuple[str, bytes]]) -> dict:
    """The source record of uploaded files: each named with its SHA-256 and size, in name order."""
    return {"kind": "upload", "files": [{"name": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
                                        for name, data in sorted(files, key=lambda f: f[0])]}


def source_digest(source: dict) -> str:
    """The loaded data's identity, from its source record: what every cache of it is keyed by."""
    kind = source.get("kind")
    if kind == "builtin":
        return f"built-in:{source['key']}"
    if kind == "upload":
        content = hashlib.sha256()
        for described in sorted(source.get("files", []), key=lambda f: f["name"]):
            content.update(described["name"].encode() + b"\0" + bytes.fromhex(described["sha256"]))
        return "upload:" + content.hexdigest()
    if kind == "server":
        return f"server:{source['name']}:{source.get('size')}:{source.get('mtime_ns')}"
    raise DataError("This names no data this page can load.")
