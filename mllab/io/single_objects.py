"""One image or one spectrum, read as the one row a trained model predicts.

Training refuses a single object (one sample teaches nothing), but an astronomer who has trained a
classifier wants to ask it about one new spectrum or one new image. The row is laid out as the
model's inputs: an image scaled to the size it was trained on, in the same pixel columns; a spectrum
resampled onto the wavelengths it was trained on, or taken as it is when it has the same length.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd

from mllab.datasets import Dataset
from mllab.datasets.model import SignalDataset
from mllab.errors import DataError
from mllab.io.common import _pixel_names, _shown
from mllab.io.fits import _fits_content, _Spectrum
from mllab.io.image_folders import _PIL_FORMATS, _image_pixels

_IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"RIFF", b"II*\x00", b"MM\x00*")
_MIN_OVERLAP = 0.5  # a spectrum covering less of the trained wavelengths than this is refused


def _is_image(data: bytes) -> bool:
    return data.startswith(_IMAGE_MAGIC) and (not data.startswith(b"RIFF") or data[8:12] == b"WEBP")


def read_single_object(filename: str, data: bytes, *, image_shape=None, signal_columns=None,
                       signal_axis=None) -> Dataset | None:
    """A one-row Dataset for a single image (given the model's `image_shape`, height × width × channels)
    or a single FITS spectrum (given the model's `signal_columns`, and `signal_axis`, their wavelengths,
    when it was trained on spectra with one); None when the file is neither, for the usual readers."""
    if image_shape and _is_image(data):
        return _single_image(filename, data, tuple(int(v) for v in image_shape))
    if signal_columns and data.startswith(b"SIMPLE  "):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                content = _fits_content(filename, data)
            except DataError:
                return None
        if isinstance(content, _Spectrum) and np.asarray(content.flux).squeeze().ndim == 1:
            return _single_spectrum(filename, content, list(signal_columns), signal_axis)
    return None


def _single_image(filename: str, data: bytes, shape: tuple[int, int, int]) -> Dataset:
    from PIL import Image

    height, width, channels = shape
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=_PIL_FORMATS) as image:
                pixels = _image_pixels(image, (height, width)).astype(float)
    except Exception as err:  # noqa: BLE001 - Pillow raises many kinds of errors for damaged files
        raise DataError(f"'{_shown(filename)}' could not be read as an image ({type(err).__name__}).") from None
    if channels == 1:  # a colour picture for a greyscale model: its luminance, as Pillow's "L" mode
        pixels = pixels @ np.array([0.299, 0.587, 0.114])
    frame = pd.DataFrame(pixels.reshape(1, -1), columns=_pixel_names(height, width, channels))
    return Dataset(name=filename, frame=frame, target=None, kind="image", image_shape=shape, source="upload",
                   description=f"One image, scaled to {height}×{width} pixels as the model's training images were.")


def _single_spectrum(filename: str, spectrum: _Spectrum, columns: list[str], axis) -> Dataset:
    flux = np.asarray(spectrum.flux, dtype=float).squeeze()
    note = f"One spectrum of {flux.size:,} pixels."
    if axis is not None and spectrum.axis is not None:
        axis, own = np.asarray(axis, dtype=float), np.asarray(spectrum.axis, dtype=float)
        if not np.all(np.diff(own) > 0):
            raise DataError(f"The spectrum in '{_shown(filename)}' has a wavelength axis that is not increasing.")
        inside = (axis >= own[0]) & (axis <= own[-1])
        if inside.mean() < _MIN_OVERLAP:
            raise DataError(f"The spectrum in '{_shown(filename)}' covers {own[0]:.6g} to {own[-1]:.6g}, less than "
                            f"half of the {axis[0]:.6g} to {axis[-1]:.6g} the model was trained on.")
        values = np.interp(axis, own, flux, left=np.nan, right=np.nan)
        note += f" Resampled onto the model's {axis.size:,} wavelengths"
        note += "." if inside.all() else f"; {int((~inside).sum()):,} outside its range are missing (filled in)."
    elif flux.size == len(columns):
        values = flux
    else:
        raise DataError(f"The spectrum in '{_shown(filename)}' has {flux.size:,} pixels, but the model was trained on "
                        f"spectra of {len(columns):,}, and one of them gives no wavelengths to line them up.")
    frame = pd.DataFrame(values.reshape(1, -1), columns=columns)
    return SignalDataset(name=filename, frame=frame, target=None, kind="signal", source="upload", description=note,
                         axis=None if axis is None else np.asarray(axis, dtype=float), axis_label=spectrum.axis_label)
