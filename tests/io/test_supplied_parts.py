"""Data published as a training part and a test part: the SDSS MGS pair and MNIST-style train/t10k
IDX files keep which part each row came from."""

import gzip

import pytest

from idx_samples import fashion_idx
from mllab.errors import DataError
from mllab.io import pick_uploads, read_uploads
from mllab.io.upload import read_upload
from mllab.prepare import apply_cleaning, default_choices, optional_columns
from mllab.prepare.cleaning import CleaningChoices

SDSS = "/work/shared/datasets/sdss_mgs/"


def sdss_pair():
    return [(name, open(SDSS + name, "rb").read()) for name in ("SDSS_MGS.train", "SDSS_MGS.test")]


def test_the_sdss_pair_chosen_together_reads_both_files_with_their_parts():
    files = sdss_pair()
    assert pick_uploads(files) == ([0, 1], None)
    dataset = read_uploads(files)
    assert len(dataset.frame) == 10_000
    assert dataset.part_column == "part"
    assert dataset.frame["part"].value_counts().to_dict() == {"train": 5000, "test": 5000}
    # SDSS_MGS.train's header line lacks a name (18 for 19 values): its columns are the test file's.
    assert list(dataset.frame.columns[:4]) == ["zs", "u", "g", "r"]
    assert "part" not in dataset.feature_columns("zs")
    assert dataset.read_as["format"] == "text pair"
    assert dataset.read_as["files"] == {"train": "SDSS_MGS.train", "test": "SDSS_MGS.test"}


def test_the_part_column_is_never_a_feature_to_exclude_and_survives_cleaning():
    dataset = read_uploads(sdss_pair())
    assert "part" not in optional_columns(dataset, "zs")
    assert "part" not in default_choices(dataset, "zs").excluded
    cleaned = apply_cleaning(dataset, CleaningChoices(target="zs", excluded=("part", "u"))).dataset
    assert "part" in cleaned.frame.columns and "u" not in cleaned.frame.columns
    assert cleaned.part_column == "part"


def test_the_files_in_either_order_and_other_names_pair_up_too():
    header = "a,b,y\n"
    train = (header + "1,2,0\n3,4,1\n5,6,0\n").encode()
    test = (header + "7,8,1\n9,1,0\n").encode()
    dataset = read_uploads([("stars_test.csv", test), ("stars_train.csv", train)])
    assert dataset.frame["part"].tolist() == ["train"] * 3 + ["test"] * 2
    assert read_uploads([("train.csv", train), ("test.csv", test)]).part_column == "part"


def test_a_text_pair_whose_columns_differ_is_refused_with_a_sentence_naming_them():
    train = b"a,b,y\n1,2,0\n3,4,1\n"
    test = b"a,c,y\n7,8,1\n9,1,0\n"
    with pytest.raises(DataError, match="only 'X_train.csv' has 'b'; only 'X_test.csv' has 'c'"):
        read_uploads([("X_train.csv", train), ("X_test.csv", test)])


def test_two_unrelated_text_files_still_read_the_last_one():
    chosen, note = pick_uploads([("a.csv", b"x,y\n1,2\n3,4\n"), ("b.csv", b"x,y\n1,2\n3,4\n")])
    assert chosen == [1] and "reads the one chosen last" in note


def test_idx_train_and_t10k_pairs_get_the_part_column():
    train_images, train_labels, *_ = fashion_idx(600)
    test_images, test_labels, *_ = fashion_idx(200, skip=600)
    files = [("train-images-idx3-ubyte.gz", gzip.compress(train_images)),
             ("train-labels-idx1-ubyte.gz", gzip.compress(train_labels)),
             ("t10k-images-idx3-ubyte.gz", gzip.compress(test_images)),
             ("t10k-labels-idx1-ubyte.gz", gzip.compress(test_labels))]
    dataset = read_uploads(files)
    assert dataset.frame["part"].value_counts().to_dict() == {"train": 600, "test": 200}
    assert dataset.frame["part"].iloc[599] == "train" and dataset.frame["part"].iloc[600] == "test"
    assert dataset.feature_columns("label") == [c for c in dataset.frame.columns if c.startswith("px_")]
    assert "offers the supplied test part as the hold-out" in dataset.description
    assert dataset.read_as["parts"] == ["train", "test"]


def test_a_single_idx_pair_has_no_part_column():
    images, labels, *_ = fashion_idx(100)
    dataset = read_uploads([("images-idx3-ubyte", images), ("labels-idx1-ubyte", labels)])
    assert dataset.part_column is None and "part" not in dataset.frame.columns
    assert read_upload("x.csv", b"a,b\n1,2\n3,4\n").part_column is None
