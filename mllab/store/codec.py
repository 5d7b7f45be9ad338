"""A run's results as JSON text, and back: no pickle, and only mllab's own classes are rebuilt.

A result is a tree of mllab dataclasses (the evaluation, the verdict, the baseline, the fold
scores, the boundary map …) holding NumPy arrays, pandas frames, tuples and dicts with non-text
keys. JSON knows none of these, and pickle would run whatever code a tampered database named, so
each value is written with a small tag saying what it was:

- arrays of numbers as their raw bytes in base64 with dtype and shape (exact, and ~4× smaller
  than lists of decimals); arrays of objects (class names) element by element;
- frames and series column by column, their index too;
- dataclasses by "module:QualifiedName", rebuilt only when that names a dataclass inside
  `mllab` (`decode` refuses anything else), fields set without running `__init__` so a class
  with derived fields comes back as it was.

The text is stored in a TEXT column: PostgreSQL's JSON type refuses NaN, which metrics hold.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as _dt
import importlib
import json

import numpy as np
import pandas as pd

TAG = "__t"


class CodecError(ValueError):
    """A stored value this version cannot rebuild (a class renamed or not mllab's)."""


def encode(value) -> str:
    return json.dumps(_enc(value), separators=(",", ":"))


def decode(text: str):
    return _dec(json.loads(text))


def _enc(value):
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int) and not isinstance(value, np.integer):
        return value
    if isinstance(value, float) and not isinstance(value, np.floating):
        return value
    if isinstance(value, np.ndarray):
        return _enc_array(value)
    if isinstance(value, np.generic):
        return {TAG: "np", "dtype": value.dtype.str, "v": value.item()}
    if isinstance(value, list):
        return [_enc(v) for v in value]
    if isinstance(value, tuple):
        return {TAG: "tuple", "v": [_enc(v) for v in value]}
    if isinstance(value, (set, frozenset)):
        return {TAG: "set", "v": [_enc(v) for v in sorted(value, key=repr)]}
    if isinstance(value, dict):
        return {TAG: "dict", "v": [[_enc(k), _enc(v)] for k, v in value.items()]}
    if isinstance(value, pd.DataFrame):
        return {TAG: "frame", "columns": _enc(list(value.columns)), "index": _enc(value.index),
                "data": [_enc_column(value.iloc[:, i]) for i in range(value.shape[1])]}
    if isinstance(value, pd.Series):
        return {TAG: "series", "name": _enc(value.name), "index": _enc(value.index), "v": _enc_column(value)}
    if isinstance(value, pd.Index):
        return {TAG: "index", "name": _enc(value.name), "v": _enc_array(np.asarray(value))}
    if isinstance(value, bytes):
        return {TAG: "bytes", "v": base64.b64encode(value).decode("ascii")}
    if isinstance(value, _dt.datetime):
        return {TAG: "datetime", "v": value.isoformat()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        cls = type(value)
        if not cls.__module__.startswith("mllab."):
            raise TypeError(f"cannot store a {cls.__module__}.{cls.__qualname__}")
        return {TAG: "dc", "cls": f"{cls.__module__}:{cls.__qualname__}",
                "f": {f.name: _enc(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    raise TypeError(f"cannot store a {type(value).__module__}.{type(value).__qualname__}")


def _enc_column(series: pd.Series):
    values = series.to_numpy()
    if isinstance(series.dtype, pd.CategoricalDtype):
        return {TAG: "categorical", "v": _enc_array(np.asarray(values, dtype=object))}
    return _enc_array(np.asarray(values))


def _enc_array(array: np.ndarray):
    if array.dtype.kind in "biufcmM":
        data = np.ascontiguousarray(array)
        return {TAG: "nd", "dtype": data.dtype.str, "shape": list(data.shape),
                "b64": base64.b64encode(data.tobytes()).decode("ascii")}
    return {TAG: "ndo", "shape": list(array.shape), "v": [_enc(v) for v in array.ravel().tolist()]}


def _dec(node):
    if isinstance(node, list):
        return [_dec(v) for v in node]
    if not isinstance(node, dict):
        return node
    tag = node.get(TAG)
    if tag == "nd":
        raw = base64.b64decode(node["b64"])
        return np.frombuffer(raw, dtype=np.dtype(node["dtype"])).reshape(node["shape"]).copy()
    if tag == "ndo":
        array = np.empty(len(node["v"]), dtype=object)
        array[:] = [_dec(v) for v in node["v"]]
        return array.reshape(node["shape"])
    if tag == "np":
        return np.dtype(node["dtype"]).type(node["v"])
    if tag == "tuple":
        return tuple(_dec(v) for v in node["v"])
    if tag == "set":
        return {_dec(v) for v in node["v"]}
    if tag == "dict":
        return {_hashable(_dec(k)): _dec(v) for k, v in node["v"]}
    if tag == "frame":
        columns = _dec(node["columns"])
        data = {i: _dec_column(c) for i, c in enumerate(node["data"])}
        frame = pd.DataFrame(data, index=_dec(node["index"]))
        frame.columns = columns
        return frame
    if tag == "series":
        return pd.Series(_dec_column(node["v"]), index=_dec(node["index"]), name=_dec(node["name"]))
    if tag == "index":
        return pd.Index(_dec(node["v"]), name=_dec(node["name"]))
    if tag == "bytes":
        return base64.b64decode(node["v"])
    if tag == "datetime":
        return _dt.datetime.fromisoformat(node["v"])
    if tag == "dc":
        return _dec_dataclass(node)
    raise CodecError(f"unknown stored value {tag!r}")


def _dec_column(node):
    if isinstance(node, dict) and node.get(TAG) == "categorical":
        return pd.Categorical(_dec(node["v"]))
    return _dec(node)


def _hashable(key):
    return tuple(_hashable(k) for k in key) if isinstance(key, list) else key


def _dec_dataclass(node):
    module_name, _, qualname = node["cls"].partition(":")
    if not module_name.startswith("mllab."):
        raise CodecError(f"refusing to rebuild {node['cls']}: not one of mllab's classes")
    try:
        target = importlib.import_module(module_name)
        for part in qualname.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as err:
        raise CodecError(f"a stored {node['cls']} is not known to this version of mllab") from err
    if not (isinstance(target, type) and dataclasses.is_dataclass(target)):
        raise CodecError(f"refusing to rebuild {node['cls']}: not a dataclass")
    instance = object.__new__(target)
    known = {f.name for f in dataclasses.fields(target)}
    for name, value in node["f"].items():
        if name in known:  # a field a later version removed is dropped
            object.__setattr__(instance, name, _dec(value))
    for f in dataclasses.fields(target):  # a field added since: its default
        if f.name not in node["f"]:
            if f.default is not dataclasses.MISSING:
                object.__setattr__(instance, f.name, f.default)
            elif f.default_factory is not dataclasses.MISSING:
                object.__setattr__(instance, f.name, f.default_factory())
            else:
                object.__setattr__(instance, f.name, None)
    return instance
