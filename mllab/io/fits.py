"""FITS files: binary tables, tables of spectra, and single 1-D spectra (SDSS `loglam` becomes
wavelength, `ivar == 0` marks bad pixels).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from mllab.datasets import Dataset, markdown_escape
from mllab.errors import DataError
from mllab.io.arrays import _IVAR_NAMES, _LOGLAM_NAMES, _WAVE_NAMES, _as_float_matrix
from mllab.io.astropy_tables import _from_astropy
from mllab.io.common import _native, _shown
from mllab.io.limits import _Context


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
        return _from_astropy(name, "FITS", table, notes=notes, axis_hint=_fits_axis_elsewhere(hdus, index),
                             read_as={"format": "fits", "hdu": index})
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
