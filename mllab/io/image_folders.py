"""Zips of images, or of FITS spectra, in one folder per class.
"""

from __future__ import annotations

import io
import warnings
from pathlib import PurePosixPath

import numpy as np
import pandas as pd

from mllab.datasets import Dataset, markdown_escape
from mllab.errors import DataError
from mllab.io.arrays import LABEL, _image_dataset, _signal_from_arrays
from mllab.io.common import _listed, _plural, _reason, _shown
from mllab.io.fits import _Spectrum, _fits_content
from mllab.io.limits import MAX_BAD_IMAGE_SHARE, MAX_IMAGE_PIXELS, MAX_TOTAL_IMAGE_PIXELS, _Context, _gunzip, _member

_IMAGE_EXTS = {"png", "jpg", "jpeg", "bmp", "gif", "webp", "tif", "tiff"}
_PIL_FORMATS = ["PNG", "JPEG", "BMP", "GIF", "WEBP", "TIFF"]
_FITS_EXTS = {"fits", "fit", "fts"}


def _class_of(path: str) -> str | None:
    parts = [p for p in PurePosixPath(path.replace("\\", "/")).parts if p not in ("", ".", "..", "/")]
    return parts[-2] if len(parts) >= 2 else None


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
