"""A table written back as a file: CSV, a FITS binary table, a VOTable (both through astropy) or Parquet.

What the Predict page offers for download, so a catalogue comes back in the format it came in. FITS and
VOTable files also say where they came from (`Provenance`): the run, the model, when, its test figures
and mllab's version, as header cards and HISTORY lines in FITS and as PARAMs in a VOTable. The CSV stays
plain: spreadsheets and `pandas.read_csv` read `#` lines as data.
"""

from __future__ import annotations

import io
import textwrap
import unicodedata
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mllab import __version__

# format key -> (label, file extension, MIME type)
TABLE_FORMATS = {
    "csv": ("CSV", "csv", "text/csv"),
    "fits": ("FITS binary table", "fits", "application/fits"),
    "votable": ("VOTable", "vot", "application/x-votable+xml"),
    "parquet": ("Parquet", "parquet", "application/vnd.apache.parquet"),
}
EXTNAME = "PREDICTIONS"  # the FITS extension's and the VOTable table's name

# A test figure's key in Provenance.test_figures -> (FITS keyword, words); at most 8 letters a keyword.
TEST_FIGURES = {
    "accuracy": ("TESTACC", "accuracy on the test rows"),
    "macro_f1": ("TESTF1", "macro F1 on the test rows"),
    "roc_auc": ("TESTAUC", "ROC AUC on the test rows"),
    "rmse": ("TESTRMSE", "RMSE on the test rows"),
    "mae": ("TESTMAE", "MAE on the test rows"),
    "r2": ("TESTR2", "R2 on the test rows"),
}


@dataclass(frozen=True)
class Provenance:
    """Where a table of predictions came from, written into the FITS and VOTable files."""

    run: str                       # "Run 3"
    model: str                     # the model family's name, "Random forest"
    target: str                    # the column the model predicts
    created: str                   # when the predictions were made, ISO 8601 (UTC)
    dataset: str = ""              # the data the model was trained on
    rows: str = ""                 # which rows were predicted
    n_test: int = 0                # test rows behind the figures
    test_figures: dict = field(default_factory=dict)   # keys of TEST_FIGURES -> value
    class_labels: tuple[tuple[str, str], ...] = ()     # (class value, name the user gave it)
    columns: tuple[tuple[str, str], ...] = ()          # (column, what it holds) for the prediction's columns
    version: str = __version__

    def sentences(self) -> list[str]:
        """The provenance in words: FITS HISTORY lines, the VOTable's description."""
        lines = [f"Predicted by mllab {self.version} on {self.created} with {self.run} ({self.model}), "
                 f"trained on {self.dataset or 'its data'} to predict {self.target}."]
        if self.rows:
            lines.append(f"Rows predicted: {self.rows}.")
        figures = [f"{TEST_FIGURES[k][1].split(' on ')[0]} {v:.4g}" for k, v in self.test_figures.items()
                   if k in TEST_FIGURES and v is not None]
        if figures:
            held = f" on {self.n_test:,} held-out rows" if self.n_test else " on its test rows"
            lines.append(f"The model's test figures{held}: {', '.join(figures)}.")
        lines += [f"Class {value} is called {name}." for value, name in self.class_labels]
        lines += [f"Column {name}: {meaning}." for name, meaning in self.columns]
        return lines


def _ascii(text) -> str:
    """FITS headers and text columns hold printable ASCII only: accents dropped, other letters as '?'."""
    letters = (ch for ch in unicodedata.normalize("NFKD", str(text)) if not unicodedata.combining(ch))
    return "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in letters)


def _astropy_table(frame: pd.DataFrame, ascii_text: bool = False):
    """An astropy Table of plain columns: text as unicode (FITS and VOTable have no 'object' type),
    missing text as empty strings, category columns as their text; whole numbers with no gap as int64."""
    from astropy.table import Table

    columns = {}
    for name in frame.columns:
        values = frame[name]
        if isinstance(values.dtype, pd.CategoricalDtype) or not (
                pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values)):
            text = values.astype(object).where(values.notna(), "").astype(str)
            columns[str(name)] = np.asarray(text.map(_ascii) if ascii_text else text, dtype=str)
        elif pd.api.types.is_bool_dtype(values):
            columns[str(name)] = values.to_numpy(dtype=bool, na_value=False)
        elif pd.api.types.is_datetime64_any_dtype(values):
            columns[str(name)] = np.asarray(values.dt.strftime("%Y-%m-%dT%H:%M:%S").fillna(""), dtype=str)
        elif pd.api.types.is_integer_dtype(values) and not values.isna().any():
            columns[str(name)] = values.to_numpy(dtype=np.int64)
        else:
            columns[str(name)] = values.to_numpy(dtype=np.float64, na_value=np.nan)
    return Table(columns)


def _fits_bytes(frame: pd.DataFrame, provenance: Provenance | None) -> bytes:
    from astropy.io import fits

    table = _astropy_table(frame, ascii_text=True)
    hdu = fits.table_to_hdu(table)
    hdu.name = EXTNAME
    if provenance is not None:
        header = hdu.header
        header["DATE"] = (provenance.created[:19], "when the predictions were made (UTC)")
        header["MLLABVER"] = (provenance.version, "mllab version that wrote this file")
        header["MLRUN"] = (_ascii(provenance.run), "the run whose kept model predicted")
        header["MLMODEL"] = (_ascii(provenance.model), "the model family")
        header["MLTARGET"] = (_ascii(provenance.target), "the column predicted")
        if provenance.dataset:
            header["MLDATA"] = (_ascii(provenance.dataset), "the data the model was trained on")
        if provenance.n_test:
            header["TESTROWS"] = (int(provenance.n_test), "test rows behind the TEST figures")
        for key, value in provenance.test_figures.items():
            if key in TEST_FIGURES and value is not None and np.isfinite(value):
                keyword, words = TEST_FIGURES[key]
                header[keyword] = (float(value), words)
        for sentence in provenance.sentences():
            for line in textwrap.wrap(_ascii(sentence), 70):  # whole words on each HISTORY card
                header.add_history(line)
    buffer = io.BytesIO()
    with warnings.catch_warnings():  # astropy warns of column names FITS keywords cannot hold; they are kept
        warnings.simplefilter("ignore")
        fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(buffer)
    return buffer.getvalue()


def _votable_bytes(frame: pd.DataFrame, provenance: Provenance | None) -> bytes:
    from astropy.io.votable import from_table, writeto
    from astropy.io.votable.tree import Param

    votable = from_table(_astropy_table(frame))
    table = votable.get_first_table()
    table.name = table.ID = EXTNAME.lower()
    if provenance is not None:
        table.description = " ".join(provenance.sentences())

        def param(name: str, value, description: str) -> None:
            if isinstance(value, str):
                table.params.append(Param(votable, name=name, ID=name, datatype="char", arraysize="*",
                                          value=value))
            elif isinstance(value, (int, np.integer)):
                table.params.append(Param(votable, name=name, ID=name, datatype="long", value=int(value)))
            else:
                table.params.append(Param(votable, name=name, ID=name, datatype="double", value=float(value)))
            table.params[-1].description = description

        param("mllab_version", provenance.version, "mllab version that wrote this file")
        param("run", provenance.run, "the run whose kept model predicted")
        param("model", provenance.model, "the model family")
        param("target", provenance.target, "the column predicted")
        param("date", provenance.created, "when the predictions were made (UTC)")
        if provenance.dataset:
            param("dataset", provenance.dataset, "the data the model was trained on")
        if provenance.n_test:
            param("test_rows", int(provenance.n_test), "test rows behind the test figures")
        for key, value in provenance.test_figures.items():
            if key in TEST_FIGURES and value is not None and np.isfinite(value):
                param(f"test_{key}", float(value), TEST_FIGURES[key][1])
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        writeto(votable, buffer)
    return buffer.getvalue()


def table_bytes(frame: pd.DataFrame, fmt: str, provenance: Provenance | None = None) -> bytes:
    """`frame` as the bytes of a file in `fmt` (a key of TABLE_FORMATS); FITS and VOTable carry `provenance`."""
    if fmt == "csv":
        return frame.to_csv(index=False).encode("utf-8")
    if fmt == "parquet":
        buffer = io.BytesIO()
        frame.rename(columns=str).to_parquet(buffer, index=False)
        return buffer.getvalue()
    if fmt == "fits":
        return _fits_bytes(frame, provenance)
    if fmt == "votable":
        return _votable_bytes(frame, provenance)
    raise ValueError(f"unknown table format {fmt!r}")
