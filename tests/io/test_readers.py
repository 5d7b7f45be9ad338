"""Uploads of every supported format are read into the right Dataset; bad ones raise DataError only."""

import gzip
import io
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mllab.datasets.model import Dataset, SignalDataset
from mllab.errors import DataError
from mllab.io.sniff import SUPPORTED_EXTENSIONS, describe_formats
from mllab.io.text import read_csv_upload
from mllab.io.upload import pick_uploads, read_upload, read_uploads
from mllab.prepare.preprocessing import PreprocessConfig, prepare

from idx_samples import fashion_idx
import bad_inputs


def _bytes(path: Path) -> bytes:
    return path.read_bytes()


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


# ---- the API ------------------------------------------------------------------------------------

def test_supported_extensions_and_description():
    for ext in ("csv", "tsv", "parquet", "xlsx", "fits", "xml", "vot", "ecsv", "h5", "hdf5", "npz", "npy", "zip",
                "gz"):
        assert ext in SUPPORTED_EXTENSIONS
    assert all(not e.startswith(".") for e in SUPPORTED_EXTENSIONS)
    text = describe_formats()
    assert "\n" not in text and "FITS" in text and "zip" in text


def test_csv_is_delegated_to_the_csv_reader():
    data = b"# comment\nsepal;petal;species\n1,5;2;a\n2,5;3;b\n3,5;4;a\n"
    dataset = read_upload("flowers.csv", data)
    expected = read_csv_upload("flowers.csv", data)
    pd.testing.assert_frame_equal(dataset.frame, expected.frame)
    assert dataset.kind == "table" and dataset.source == "upload" and dataset.target is None
    assert dataset.frame["sepal"].tolist() == [1.5, 2.5, 3.5]


def test_gzip_compressed_csv_is_read_as_the_file_inside():
    data = b"a,b,label\n" + b"".join(f"{i},{i * 2},{'xy'[i % 2]}\n".encode() for i in range(50))
    dataset = read_upload("table.csv.gz", gzip.compress(data))
    assert dataset.frame.shape == (50, 3) and dataset.name == "table.csv.gz"


# ---- Parquet and Excel -------------------------------------------------------------------------------

def test_parquet_table_and_list_column_signal():
    frame = pd.DataFrame({"mag": [1.5, 2.5, np.nan], "n": pd.array([1, None, 3], dtype="Int64"),
                          "kind": ["a", "b", "a"]})
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    dataset = read_upload("cat.parquet", buffer.getvalue())
    assert dataset.kind == "table" and dataset.frame.shape == (3, 3)
    assert np.isnan(dataset.frame["mag"][2]) and dataset.frame["n"].isna().tolist() == [False, True, False]

    curves = pd.DataFrame({"flux": [np.arange(10.0) + i for i in range(4)], "aper": [[1, 2]] * 4,
                           "cls": ["x", "y", "x", "y"]})
    buffer = io.BytesIO()
    curves.to_parquet(buffer)
    signal = read_upload("curves.parquet", buffer.getvalue())
    assert isinstance(signal, SignalDataset) and signal.kind == "signal"
    assert list(signal.frame.columns) == [f"flux_{i:04d}" for i in range(10)] + ["cls"]
    assert signal.frame.loc[2, "flux_0004"] == 6.0 and signal.axis is None
    assert signal.feature_columns("cls") == [f"flux_{i:04d}" for i in range(10)]

    # Short arrays (two apertures) are not a signal: they become one ordinary column per element.
    table = read_upload("apertures.parquet", _parquet(curves.drop(columns="flux")))
    assert table.kind == "table" and list(table.frame.columns) == ["cls", "aper_0", "aper_1"]


def _parquet(frame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    return buffer.getvalue()


def test_excel_first_sheet_with_header_blank_rows_and_types():
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append([None, None])
    sheet.append(["height", "weight", "species"])
    sheet.append([1.5, "10", "cat"])
    sheet.append([2.5, 12, "dog"])
    sheet.append([None, None, None])
    sheet.append([3, 15.5, "cat"])
    workbook.create_sheet("notes").append(["ignored"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    dataset = read_upload("animals.xlsx", buffer.getvalue())
    frame = dataset.frame
    assert list(frame.columns) == ["height", "weight", "species"] and len(frame) == 3
    assert pd.api.types.is_numeric_dtype(frame["height"]) and pd.api.types.is_numeric_dtype(frame["weight"])
    assert frame["weight"].tolist() == [10, 12, 15.5]
    assert "first sheet" in dataset.description


# ---- FITS ----------------------------------------------------------------------------------------

def _fits_bytes(table) -> bytes:
    buffer = io.BytesIO()
    table.write(buffer, format="fits")
    return buffer.getvalue()


def test_fits_big_endian_table_with_masked_values():
    from astropy.io import fits

    mag = np.array([12.5, 13.25, -1.0, 15.0], dtype=">f8")
    columns = fits.ColDefs([
        fits.Column("MAG", "D", unit="mag", array=mag),
        fits.Column("COUNT", "J", null=-999, array=np.array([3, -999, 5, 6], dtype=">i4")),
        fits.Column("FLAG", "E", array=np.array([1.0, np.nan, 0.0, 1.0], dtype=">f4")),
        fits.Column("NAME", "8A", array=np.array([b"star", b"galaxy", b"qso", b"star"])),
    ])
    buffer = io.BytesIO()
    fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU.from_columns(columns)]).writeto(buffer)
    with fits.open(io.BytesIO(buffer.getvalue())) as check:
        assert check[1].data["MAG"].dtype.byteorder == ">"  # really big-endian on disk and in memory
    dataset = read_upload("catalogue.fits", buffer.getvalue())
    frame = dataset.frame
    assert dataset.kind == "table" and frame.shape == (4, 4)
    assert frame["MAG"].dtype == np.float64 and frame["MAG"].dtype.byteorder in ("=", "<")
    np.testing.assert_array_equal(frame["MAG"].to_numpy(), mag.astype(float))
    assert frame["MAG"].sort_values().iloc[0] == -1.0  # sorting works (fails on big-endian columns)
    assert frame["COUNT"].isna().tolist() == [False, True, False, False]  # TNULL -> masked -> <NA>
    assert str(frame["COUNT"].dtype).startswith("Int")
    assert np.isnan(frame["FLAG"][1])
    assert frame["NAME"].tolist() == ["star", "galaxy", "qso", "star"]
    assert frame.attrs["units"] == {"MAG": "mag"} and "MAG [mag]" in dataset.description


def test_fits_table_of_spectra_with_loglam_and_ivar():
    from astropy.table import Table

    rng = np.random.default_rng(1)
    n, m = 6, 40
    loglam = 3.6 + 1e-4 * np.arange(m)
    flux = rng.normal(size=(n, m)).astype(">f4")
    ivar = np.ones((n, m), dtype=np.float32)
    ivar[0, :3] = 0
    table = Table({"FLUX": flux, "LOGLAM": np.tile(loglam, (n, 1)), "IVAR": ivar,
                   "OBJID": np.arange(n) + 1000, "CLASS": ["STAR", "QSO", "GALAXY"] * 2})
    dataset = read_upload("spectra.fits", _fits_bytes(table))
    assert isinstance(dataset, SignalDataset) and dataset.kind == "signal"
    frame = dataset.frame
    assert frame.shape == (n, m + 2)
    features = dataset.feature_columns("CLASS")
    assert features == [f"flux_{i:04d}" for i in range(m)]  # the spectrum only, in order
    assert set(dataset.id_columns) == {"OBJID", "CLASS"} and dataset.target == "CLASS"
    np.testing.assert_allclose(dataset.axis, 10 ** loglam)
    assert "wavelength" in dataset.axis_label
    assert frame.loc[0, ["flux_0000", "flux_0001", "flux_0002"]].isna().all()  # ivar == 0 -> NaN
    np.testing.assert_allclose(frame.loc[1, features].to_numpy(dtype=float), flux[1].astype(float), rtol=1e-6)
    assert frame["CLASS"].tolist() == ["STAR", "QSO", "GALAXY"] * 2
    # The rest of the app can train on it: the features are the 40 flux values.
    data = prepare(frame, "CLASS", features, PreprocessConfig(test_fraction=0.5, stratify=False))
    assert data.x_train.shape[1] == m
    # Datasets travel to Dask workers by pickling (our own object, never a user's file).
    again = pickle.loads(pickle.dumps(dataset))
    np.testing.assert_allclose(again.axis, dataset.axis)


def test_fits_spectra_with_wavelength_grid_in_another_hdu():
    from astropy.io import fits

    n, m = 4, 30
    flux = fits.Column("FLUX", f"{m}E", array=np.arange(n * m, dtype=np.float32).reshape(n, m))
    label = fits.Column("LABEL", "J", array=np.array([0, 1, 0, 1]))
    wave = fits.ImageHDU(np.linspace(4000, 7000, m), name="WAVELENGTH")
    buffer = io.BytesIO()
    fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU.from_columns([flux, label]), wave]).writeto(buffer)
    dataset = read_upload("grid.fits", buffer.getvalue())
    assert isinstance(dataset, SignalDataset) and dataset.frame.shape == (n, m + 1)
    np.testing.assert_allclose(dataset.axis, np.linspace(4000, 7000, m))


def _spectrum_fits(start_loglam: float, m: int, scale: float) -> bytes:
    from astropy.io import fits

    hdu = fits.PrimaryHDU(scale * np.ones(m, dtype=np.float32))
    hdu.header["COEFF0"] = start_loglam
    hdu.header["COEFF1"] = 1e-4
    buffer = io.BytesIO()
    hdu.writeto(buffer)
    return buffer.getvalue()


def _sdss_spec_fits(start_loglam: float, m: int, scale: float) -> bytes:
    from astropy.table import Table

    ivar = np.ones(m, dtype=np.float32)
    ivar[5] = 0
    table = Table({"flux": scale * np.ones(m, dtype=np.float32), "loglam": start_loglam + 1e-4 * np.arange(m),
                   "ivar": ivar})
    return _fits_bytes(table)


def _one_row_fits(m: int, scale: float) -> bytes:
    from astropy.table import Table

    return _fits_bytes(Table({"FLUX": scale * np.ones((1, m)), "WAVE": 4000.0 + np.arange(m)[None, :]}))


def test_zip_of_fits_spectra_in_class_folders_is_resampled_to_a_common_grid():
    members = {}
    for i in range(3):
        members[f"spectra/star/s{i}.fits"] = _spectrum_fits(3.6000 + i * 1e-4, 100, 1.0)
        members[f"spectra/qso/q{i}.fits.gz"] = gzip.compress(_sdss_spec_fits(3.6001 + i * 1e-4, 100, 2.0))
    dataset = read_upload("spectra.zip", _zip(members))
    assert isinstance(dataset, SignalDataset) and dataset.target == "label"
    assert sorted(dataset.frame["label"].unique()) == ["qso", "star"]
    axis = dataset.axis
    assert axis[0] == pytest.approx(10 ** 3.6003) and axis[-1] == pytest.approx(10 ** (3.6000 + 99e-4))
    features = dataset.feature_columns("label")
    assert len(features) == len(axis) == 97  # 3.6003 to 3.6099 in steps of 1e-4
    star = dataset.frame[dataset.frame["label"] == "star"][features].to_numpy(dtype=float)
    np.testing.assert_allclose(star, 1.0)
    assert "resampled" in dataset.description
    # The SDSS-style tables mark pixel 5 (ivar == 0) missing; after resampling it lands near column 5 - 2 - i.
    qso = dataset.frame[dataset.frame["label"] == "qso"][features].to_numpy(dtype=float)
    assert np.isnan(qso).sum() >= 3 and np.nanmax(qso) == pytest.approx(2.0)


def test_zip_of_one_row_fits_spectra_on_one_grid():
    members = {f"{cls}/{i}.fits": _one_row_fits(50, scale) for cls, scale in (("a", 1.0), ("b", 3.0))
               for i in range(3)}
    dataset = read_upload("rows.zip", _zip(members))
    assert isinstance(dataset, SignalDataset) and dataset.frame.shape == (6, 51)
    np.testing.assert_allclose(dataset.axis, 4000.0 + np.arange(50))
    assert "resampled" not in dataset.description


# ---- VOTable, ECSV, HDF5 ---------------------------------------------------------------------------

def _masked_table():
    import astropy.units as u
    from astropy.table import MaskedColumn, Table

    return Table({
        "ra": np.array([10.5, 11.5, 12.5, 13.5]) * u.deg,
        "mag": MaskedColumn([15.0, 16.5, 17.0, 18.5], mask=[False, True, False, False]),
        "n_obs": MaskedColumn(np.array([3, 4, 5, 6], dtype=np.int32), mask=[False, False, True, False]),
        "type": ["RR", "Cep", "RR", "LPV"],
    })


def test_votable_keeps_masks_and_units():
    buffer = io.BytesIO()
    _masked_table().write(buffer, format="votable")
    dataset = read_upload("stars.vot", buffer.getvalue())
    frame = dataset.frame
    assert frame.shape == (4, 4) and list(frame.columns) == ["ra", "mag", "n_obs", "type"]
    assert np.isnan(frame["mag"][1]) and frame["n_obs"].isna().tolist() == [False, False, True, False]
    assert frame["type"].tolist() == ["RR", "Cep", "RR", "LPV"]
    assert frame.attrs["units"]["ra"] == "deg"
    # Same file named .xml is recognised by its content.
    assert read_upload("stars.xml", buffer.getvalue()).frame.shape == (4, 4)


def test_ecsv_keeps_masks_and_units():
    buffer = io.StringIO()
    _masked_table().write(buffer, format="ascii.ecsv")
    dataset = read_upload("stars.ecsv", buffer.getvalue().encode())
    frame = dataset.frame
    np.testing.assert_allclose(frame["ra"], [10.5, 11.5, 12.5, 13.5])
    assert np.isnan(frame["mag"][1]) and frame["n_obs"].isna().sum() == 1
    assert frame.attrs["units"] == {"ra": "deg"}


def test_astropy_hdf5_table(tmp_path):
    path = tmp_path / "stars.h5"
    _masked_table().write(path, format="hdf5", path="catalogue", serialize_meta=True)
    dataset = read_upload("stars.h5", _bytes(path))
    frame = dataset.frame
    assert frame.shape == (4, 4) and frame["type"].tolist() == ["RR", "Cep", "RR", "LPV"]
    assert np.isnan(frame["mag"][1]) and frame["n_obs"].isna().sum() == 1
    assert frame.attrs["units"]["ra"] == "deg"


def test_hdf5_group_of_column_datasets(tmp_path):
    import h5py

    path = tmp_path / "columns.hdf5"
    with h5py.File(path, "w") as handle:
        group = handle.create_group("photometry")
        group.create_dataset("g_mag", data=np.array([18.0, 19.5, 20.25, 17.0], dtype=">f4"))
        group.create_dataset("r_mag", data=np.array([17.5, 19.0, 19.75, 16.5]))
        group.create_dataset("kind", data=np.array([b"star", b"qso", b"star", b"qso"]))
        handle.attrs["telescope"] = "test"
    dataset = read_upload("columns.hdf5", _bytes(path))
    frame = dataset.frame
    assert sorted(frame.columns) == ["g_mag", "kind", "r_mag"] and len(frame) == 4
    np.testing.assert_array_equal(frame["g_mag"].to_numpy(), [18.0, 19.5, 20.25, 17.0])
    assert frame["kind"].tolist() == ["star", "qso", "star", "qso"]


def test_hdf5_group_with_a_spectrum_matrix_and_wavelength(tmp_path):
    import h5py

    path = tmp_path / "spectra.h5"
    with h5py.File(path, "w") as handle:
        handle.create_dataset("flux", data=np.ones((5, 12)))
        handle.create_dataset("wavelength", data=np.arange(12) * 10.0 + 5000)
        handle.create_dataset("label", data=np.array([0, 1, 0, 1, 0]))
    dataset = read_upload("spectra.h5", _bytes(path))
    assert isinstance(dataset, SignalDataset) and dataset.frame.shape == (5, 13)
    np.testing.assert_allclose(dataset.axis, np.arange(12) * 10.0 + 5000)


# ---- NumPy -----------------------------------------------------------------------------------------

def _npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def test_npz_table_images_and_keras_layout():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(30, 4))
    table = read_upload("features.npz", _npz(X=x, y=np.arange(30) % 3, feature_names=np.array(["a", "b", "c", "d"])))
    assert table.kind == "table" and table.target == "label"
    assert list(table.frame.columns) == ["a", "b", "c", "d", "label"]
    np.testing.assert_allclose(table.frame[["a", "b", "c", "d"]].to_numpy(), x)

    grey = rng.integers(0, 255, (12, 5, 7), dtype=np.uint8)
    images = read_upload("grey.npz", _npz(X=grey, y=np.array(["cat", "dog"] * 6)))
    assert images.kind == "image" and images.image_shape == (5, 7, 1)
    features = images.feature_columns("label")
    assert features[:2] == ["px_0_0", "px_0_1"] and features[7] == "px_1_0" and len(features) == 35
    np.testing.assert_array_equal(images.frame.loc[3, features].to_numpy(dtype=np.uint8), grey[3].ravel())

    colour = rng.integers(0, 255, (10, 4, 4, 3), dtype=np.uint8)
    rgb = read_upload("rgb.npz", _npz(images=colour, labels=np.arange(10) % 2,
                                      class_names=np.array(["no", "yes"])))
    assert rgb.image_shape == (4, 4, 3) and rgb.feature_columns("label")[:4] == ["px_0_0_0", "px_0_0_1",
                                                                                  "px_0_0_2", "px_0_1_0"]
    assert rgb.frame["label"].tolist()[:2] == ["no", "yes"]

    keras = read_upload("mnist.npz", _npz(x_train=grey[:8], y_train=np.arange(8) % 2, x_test=grey[8:],
                                          y_test=np.arange(4) % 2))
    assert keras.frame.shape == (12, 36) and keras.image_shape == (5, 7, 1)


def test_npy_structured_array_is_a_table():
    records = np.array([(1.5, 2, b"a"), (2.5, 3, b"b"), (3.5, 4, b"a")],
                       dtype=[("x", ">f8"), ("n", "<i4"), ("cls", "S1")])
    buffer = io.BytesIO()
    np.save(buffer, records)
    dataset = read_upload("records.npy", buffer.getvalue())
    assert list(dataset.frame.columns) == ["x", "n", "cls"]
    assert dataset.frame["x"].tolist() == [1.5, 2.5, 3.5] and dataset.frame["cls"].tolist() == ["a", "b", "a"]


# ---- IDX and images -----------------------------------------------------------------------------------

@pytest.mark.parametrize("compressed", [False, True])
def test_idx_images_and_labels_in_a_zip(compressed):
    images, labels, pixels, classes = fashion_idx(200)
    pack = gzip.compress if compressed else (lambda b: b)
    suffix = ".gz" if compressed else ""
    data = _zip({f"fashion/train-images-idx3-ubyte{suffix}": pack(images),
                 f"fashion/train-labels-idx1-ubyte{suffix}": pack(labels)})
    dataset = read_upload("fashion.zip", data)
    assert dataset.kind == "image" and dataset.image_shape == (28, 28, 1) and dataset.target == "label"
    assert dataset.frame.shape == (200, 28 * 28 + 1)
    np.testing.assert_array_equal(dataset.frame["label"].to_numpy(), classes)
    features = dataset.feature_columns("label")
    np.testing.assert_array_equal(dataset.frame.loc[17, features].to_numpy(dtype=np.uint8), pixels[17].ravel())


def test_idx_train_and_test_pairs_are_matched_by_name():
    train_images, train_labels, _, train_classes = fashion_idx(100)
    test_images, test_labels, _, _ = fashion_idx(50)
    data = _zip({"t10k-images-idx3-ubyte": test_images, "train-labels-idx1-ubyte": train_labels,
                 "train-images-idx3-ubyte": train_images, "t10k-labels-idx1-ubyte": test_labels[:8 + 50]})
    dataset = read_upload("both.zip", data)
    assert len(dataset.frame) == 150
    np.testing.assert_array_equal(dataset.frame["label"].to_numpy()[:100], train_classes)


def test_mnist_files_chosen_together_are_read_as_one_dataset():
    """MNIST is distributed as four gzipped IDX files; choosing all four in the uploader reads them."""
    train_images, train_labels, train_pixels, train_classes = fashion_idx(300)
    test_images, test_labels, _, test_classes = fashion_idx(100, skip=300)
    files = [("t10k-images-idx3-ubyte.gz", gzip.compress(test_images)),
             ("t10k-labels-idx1-ubyte.gz", gzip.compress(test_labels)),
             ("train-images-idx3-ubyte.gz", gzip.compress(train_images)),
             ("train-labels-idx1-ubyte.gz", gzip.compress(train_labels))]
    dataset = read_uploads(files)
    assert dataset.kind == "image" and dataset.image_shape == (28, 28, 1) and dataset.source == "upload"
    assert dataset.name == "train-images-idx3-ubyte.gz and 3 other files"
    # The pixels, the label, and the part (train or t10k) each row came from.
    assert dataset.frame.shape == (400, 28 * 28 + 2) and dataset.part_column == "part"
    # Training files first, each image with its own label.
    np.testing.assert_array_equal(dataset.frame["label"].to_numpy(), np.concatenate([train_classes, test_classes]))
    features = dataset.feature_columns("label")
    np.testing.assert_array_equal(dataset.frame.loc[42, features].to_numpy(dtype=np.uint8), train_pixels[42].ravel())
    assert "t10k" in dataset.description and "(300)" in dataset.description


def test_one_chosen_file_is_read_as_an_upload_and_kaggle_names_are_idx():
    images, labels, _, classes = fashion_idx(60)
    single = read_uploads([("table.csv", b"x,cls\n1,a\n2,b\n3,a\n")])
    assert single.name == "table.csv" and single.frame.shape == (3, 2)
    # Kaggle's copy of MNIST names its files train-images.idx3-ubyte, uncompressed.
    assert "idx3-ubyte" in SUPPORTED_EXTENSIONS and "idx1-ubyte" in SUPPORTED_EXTENSIONS
    pair = read_uploads([("train-images.idx3-ubyte", images), ("train-labels.idx1-ubyte", labels)])
    np.testing.assert_array_equal(pair.frame["label"].to_numpy(), classes)


@pytest.mark.parametrize("files, mentions", [
    ([("train-images-idx3-ubyte.gz", "IMAGES"), ("stars.csv", b"a,b\n1,2\n3,4\n")],
     ("2 files are chosen", "'stars.csv' is not one", "one data file at a time", "✕")),
    ([("train-labels-idx1-ubyte.gz", "LABELS"), ("train-labels-idx1-ubyte.gz", "LABELS")], ("chosen twice",)),
    ([("train-labels-idx1-ubyte.gz", "LABELS"), ("t10k-labels-idx1-ubyte.gz", "LABELS")],
     ("IDX labels among the chosen files but no images file", "choose both in the file dialog")),
    ([("train-images-idx3-ubyte.gz", "IMAGES")], ("holds only images", "choose the images file and the labels")),
    ([("broken.idx3-ubyte", b"not an idx file at all"), ("train-labels-idx1-ubyte.gz", "LABELS")],
     ("'broken.idx3-ubyte' is not one",)),
    ([("train-images-idx3-ubyte.gz", "IMAGES"), ("train-labels-idx1-ubyte.gz", "SHORT_LABELS")],
     ("holds 80 images", "70 labels")),
])
def test_files_that_cannot_be_read_together_say_why(files, mentions):
    images, labels, _, _ = fashion_idx(80)
    content = {"IMAGES": gzip.compress(images), "LABELS": gzip.compress(labels),
               "SHORT_LABELS": gzip.compress(fashion_idx(70)[1])}
    with pytest.raises(DataError) as caught:
        read_uploads([(name, content.get(data, data)) for name, data in files])
    for words in mentions:
        assert words in str(caught.value)


def test_idx_files_are_read_together_and_otherwise_the_last_file_chosen_alone():
    images, labels, _, _ = fashion_idx(20)
    pair = [("train-images-idx3-ubyte.gz", gzip.compress(images)), ("train-labels.idx1-ubyte", labels)]
    assert pick_uploads(pair) == ([0, 1], None)
    assert pick_uploads(pair[:1]) == ([0], None)
    table = ("stars.csv", b"a,b\n1,2\n")
    chosen, note = pick_uploads([*pair, table])
    assert chosen == [2] and "3 files are chosen" in note and "'stars.csv'" in note
    # A damaged gzip is not taken for IDX: the last file chosen is read alone.
    chosen, note = pick_uploads([("a.gz", b"\x1f\x8b broken"), pair[1]])
    assert chosen == [1] and "2 files are chosen" in note


def test_idx_files_chosen_again_under_the_same_names_replace_the_earlier_ones():
    # MNIST and Fashion-MNIST name their files alike: picking one set after the other means the new set.
    old_images, old_labels, _, _ = fashion_idx(20)
    new_images, new_labels, _, new_classes = fashion_idx(30, skip=20)
    files = [("train-images-idx3-ubyte.gz", gzip.compress(old_images)), ("train-labels-idx1-ubyte.gz", old_labels),
             ("train-labels-idx1-ubyte.gz", new_labels), ("train-images-idx3-ubyte.gz", gzip.compress(new_images))]
    chosen, note = pick_uploads(files)
    assert chosen == [2, 3]
    assert "2 files chosen earlier have the same name as a file chosen later" in note and "✕" in note
    dataset = read_uploads([files[i] for i in chosen])
    np.testing.assert_array_equal(dataset.frame["label"].to_numpy(), new_classes)
    chosen, note = pick_uploads(files[:3])
    assert chosen == [0, 2] and note.startswith("1 file chosen earlier has the same name")


def test_files_chosen_together_share_the_upload_limit():
    images, labels, _, _ = fashion_idx(80)
    with pytest.raises(DataError, match="together, more than"):
        read_uploads([("train-images-idx3-ubyte", images), ("train-labels-idx1-ubyte", labels)],
                     max_bytes=len(images))
    # Unpacked, the pair counts against the same budget as one upload's archive layers.
    assert read_uploads([("a-images-idx3-ubyte.gz", gzip.compress(images)),
                         ("a-labels-idx1-ubyte.gz", gzip.compress(labels))]).frame.shape[0] == 80


def _image(size, colour, mode="RGB") -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new(mode, size, colour).save(buffer, format="PNG" if mode != "CMYK" else "JPEG")
    return buffer.getvalue()


def test_zip_of_image_folders_scaled_padded_and_labelled():
    from PIL import Image

    members = {}
    for i in range(4):
        members[f"shapes/circle/{i}.png"] = _image((40, 20), 200, mode="L")  # wide: padded top and bottom
        members[f"shapes/square/{i}.png"] = _image((10, 10), 50, mode="L")
        members[f"shapes/triangle/{i}.png"] = _image((30, 30), 120, mode="L")
    jpeg = io.BytesIO()
    Image.new("RGB", (64, 64), (90, 90, 90)).save(jpeg, format="JPEG")
    members["shapes/triangle/extra.jpg"] = jpeg.getvalue()
    members["shapes/README.txt"] = b"not an image"
    members["__MACOSX/shapes/._0.png"] = b"junk"
    dataset = read_upload("shapes.zip", _zip(members))
    assert dataset.kind == "image" and dataset.image_shape == (28, 28, 1) and dataset.target == "label"
    frame = dataset.frame
    assert frame.shape == (13, 28 * 28 + 1)
    assert frame["label"].value_counts().to_dict() == {"triangle": 5, "circle": 4, "square": 4}
    circle = frame[frame["label"] == "circle"][dataset.feature_columns("label")].to_numpy()
    np.testing.assert_array_equal(circle, 200)  # scaled and padded with its own border colour
    assert "1 other file" in dataset.description

    colour = {"red/a.png": _image((16, 16), (255, 0, 0)), "red/b.png": _image((16, 16), (250, 5, 5)),
              "grey/a.png": _image((16, 16), (80, 80, 80))}
    rgb = read_upload("colours.zip", _zip(colour), image_size=(8, 12))
    assert rgb.image_shape == (8, 12, 3)
    red = rgb.frame[rgb.frame["label"] == "red"].iloc[0]
    assert red["px_0_0_0"] == 255 and red["px_0_0_1"] == 0


# ---- safety ----------------------------------------------------------------------------------------

def test_archives_are_never_extracted_and_nothing_is_unpickled(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("must not be called on an upload")

    monkeypatch.setattr(zipfile.ZipFile, "extractall", forbidden)
    monkeypatch.setattr(zipfile.ZipFile, "extract", forbidden)
    monkeypatch.setattr(pickle, "load", forbidden)
    monkeypatch.setattr(pickle, "loads", forbidden)
    read_upload("x.npz", _npz(X=np.zeros((4, 2)), y=np.arange(4) % 2))
    read_upload("i.zip", _zip({"a/1.png": _image((4, 4), 10, "L"), "b/1.png": _image((4, 4), 90, "L")}))


# ---- the corpus of bad inputs ----------------------------------------------------------------------

CASES = bad_inputs.cases()


def test_corpus_is_big_enough():
    assert len(CASES) >= 30
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case):
    if case.expect == "error":
        with pytest.raises(DataError) as info:
            read_upload(case.filename, case.data, **case.kwargs)
        message = str(info.value)
        assert len(message.split()) >= 8, message
        assert message.rstrip().endswith("."), message
        for word in case.mentions:
            assert word in message.lower(), (word, message)
        assert "Traceback" not in message and "0x" not in message
    else:
        dataset = read_upload(case.filename, case.data, **case.kwargs)
        assert isinstance(dataset, Dataset) and dataset.source == "upload" and dataset.name == case.filename
        if case.check is not None:
            case.check(dataset)
