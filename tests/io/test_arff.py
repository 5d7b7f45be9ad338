"""Weka's ARFF files: Weka's own examples read with the values Weka shows, sparse rows, missing values,
string and date attributes, relational attributes refused, malformed files answered with their line,
and the exported script's reading code giving the same table."""

from pathlib import Path

import arff
import numpy as np
import pandas as pd
import pytest

from mllab.errors import DataError
from mllab.export.data_code import reading_code
from mllab.io.sniff import SUPPORTED_EXTENSIONS, describe_formats
from mllab.io.upload import read_upload

WEKA = Path(__file__).parent / "data" / "arff"


def _weka(name):
    return read_upload(name, (WEKA / name).read_bytes())


def test_weather_nominal_as_weka_shows_it():
    dataset = _weka("weather.nominal.arff")
    frame = dataset.frame
    assert frame.shape == (14, 5)
    assert dataset.target == "play" and dataset.task == "classification"
    assert dataset.read_as == {"format": "arff"}
    assert frame["play"].value_counts().to_dict() == {"yes": 9, "no": 5}
    assert list(frame["outlook"].cat.categories) == ["sunny", "overcast", "rainy"]
    assert list(frame["windy"].cat.categories) == ["TRUE", "FALSE"]
    assert frame.iloc[0].tolist() == ["sunny", "hot", "high", "FALSE", "no"]


def test_weather_numeric_and_iris_numbers():
    weather = _weka("weather.numeric.arff").frame
    assert weather["temperature"].dtype == np.float64
    assert weather["temperature"].tolist()[:3] == [85.0, 80.0, 83.0]
    assert weather["humidity"].mean() == pytest.approx(81.642857, rel=1e-6)
    iris = _weka("iris.arff")
    assert iris.frame.shape == (150, 5) and iris.target == "class"
    assert iris.frame["class"].value_counts().to_dict() == {"Iris-setosa": 50, "Iris-versicolor": 50,
                                                            "Iris-virginica": 50}
    assert iris.frame.iloc[0].tolist() == [5.1, 3.5, 1.4, 0.2, "Iris-setosa"]


def test_contact_lenses_and_labor_with_missing_values_and_quoted_names():
    lenses = _weka("contact-lenses.arff")
    assert lenses.frame.shape == (24, 5) and lenses.target == "contact-lenses"
    assert lenses.frame["contact-lenses"].value_counts().to_dict() == {"none": 15, "soft": 5, "hard": 4}
    labor = _weka("labor.arff")
    assert labor.frame.shape == (57, 17) and labor.target == "class"
    assert labor.frame["class"].value_counts().to_dict() == {"good": 37, "bad": 20}
    # Row 1 of Weka's labor: 1,5,?,?,?,40,...
    assert np.isnan(labor.frame.loc[0, "wage-increase-second-year"])
    assert pd.isna(labor.frame.loc[0, "cost-of-living-adjustment"])
    assert labor.frame["duration"].isna().sum() == 1


SPARSE = b"""% Sparse rows, as in the ARFF documentation of Weka's wiki
@RELATION sparse
@ATTRIBUTE a NUMERIC
@ATTRIBUTE b INTEGER
@ATTRIBUTE c NUMERIC
@ATTRIBUTE "class name" {X, 'Y Z'}
@DATA
{1 3, 3 'Y Z'}
{0 2.5}
1,2,3,X
{2 ?, 3 X}
"""


def test_sparse_rows_missing_values_and_quoted_names():
    dataset = read_upload("sparse.arff", SPARSE)
    frame = dataset.frame
    assert list(frame.columns) == ["a", "b", "c", "class name"]
    assert frame["a"].tolist() == [0.0, 2.5, 1.0, 0.0]
    assert frame["b"].tolist() == [3, 0, 2, 0] and frame["b"].dtype == np.int64
    assert frame["c"].tolist()[:3] == [0.0, 0.0, 3.0] and np.isnan(frame["c"][3])
    # An omitted nominal value is its first value, as Weka reads sparse rows.
    assert frame["class name"].tolist() == ["Y Z", "X", "X", "X"]
    assert dataset.target == "class name" and dataset.task == "classification"


def test_string_and_date_attributes_and_a_numeric_target_means_regression():
    data = b"""@relation events
@attribute note string
@attribute day date yyyy-MM-dd
@attribute stamp date "yyyy-MM-dd HH:mm:ss"
@attribute when date
@attribute odd date 'dd.MM.yy'
@attribute size real
@data
'a note, with a comma',2020-01-02,"2020-01-02 10:30:00",2021-03-04T00:00:00,31.12.99,1.5
?,?,?,?,?,2
"it's",2021-02-03,"2021-02-03 00:00:00",2021-03-05T12:00:00,not-a-date,3
"""
    dataset = read_upload("events.arff", data)
    frame = dataset.frame
    assert frame["note"].tolist()[0] == "a note, with a comma" and pd.isna(frame["note"][1])
    assert frame["note"][2] == "it's"
    # Dates as ISO 8601 text, with the time of day only where a value has one.
    assert frame["day"].tolist()[::2] == ["2020-01-02", "2021-02-03"] and pd.isna(frame["day"][1])
    assert frame["stamp"].tolist()[::2] == ["2020-01-02T10:30:00", "2021-02-03T00:00:00"]
    assert frame["when"].tolist()[::2] == ["2021-03-04T00:00:00", "2021-03-05T12:00:00"]
    # A value that does not match its format: the column stays as written, with a note.
    assert frame["odd"].tolist()[::2] == ["31.12.99", "not-a-date"]
    assert "kept as written" in dataset.description
    assert dataset.target == "size" and dataset.task == "regression"


def test_relational_attributes_are_refused_with_a_sentence():
    data = b"""@relation musk
@attribute id {b1, b2}
@attribute bag relational
  @attribute f1 numeric
@end bag
@attribute class {0, 1}
@data
b1,"1.0\\n2.0",1
b2,"3.0",0
"""
    with pytest.raises(DataError, match="relational attribute bag") as caught:
        read_upload("musk.arff", data)
    assert "cannot read" in str(caught.value)


@pytest.mark.parametrize("body, line, words", [
    (b"sunny,85,no\nsunny,hot,no\n", 7, "not a number"),
    (b"sunny,85,no\nfoggy,70,yes\n", 7, "the value 'foggy'"),
    (b"sunny,85\nsunny,70,no\n", 6, "one value per attribute"),
])
def test_a_malformed_file_says_what_is_wrong_on_which_line(body, line, words):
    data = (b"@relation weather\n@attribute outlook {sunny, rainy}\n@attribute temperature numeric\n"
            b"@attribute play {yes, no}\n@data\n" + body)
    with pytest.raises(DataError) as caught:
        read_upload("weather.arff", data)
    message = str(caught.value)
    assert f"line {line}" in message and words in message and "Traceback" not in message


def test_arff_is_known_by_its_name_and_by_its_content():
    assert "arff" in SUPPORTED_EXTENSIONS and "ARFF" in describe_formats()
    data = (WEKA / "weather.nominal.arff").read_bytes()
    assert read_upload("weather.txt", data).read_as == {"format": "arff"}
    assert read_upload("weather.arff.gz", __import__("gzip").compress(data)).frame.shape == (14, 5)


def test_an_unknown_binary_file_gets_a_sentence_naming_what_to_upload():
    with pytest.raises(DataError, match="does not recognise") as caught:
        read_upload("notes.xyz", b"\x00\x01\x02XYZ" + bytes(range(256)) * 4)
    assert "ARFF" in str(caught.value)


@pytest.mark.parametrize("name, data", [("weather.nominal.arff", None), ("iris.arff", None),
                                        ("labor.arff", None), ("sparse.arff", SPARSE)])
def test_the_exported_reading_code_gives_the_same_table(tmp_path, name, data):
    data = data if data is not None else (WEKA / name).read_bytes()
    read = read_upload(name, data)
    code = reading_code(read.read_as, name)
    assert code is not None and "import arff" in code and "from mllab" not in code and "import mllab" not in code
    path = tmp_path / name
    path.write_bytes(data)
    scope = {"path": path, "pd": pd, "np": np}
    exec(compile(code, "exported", "exec"), scope)  # noqa: S102 - the code this test checks
    pd.testing.assert_frame_equal(scope["frame"], read.frame)
    assert scope["arff"] is arff
