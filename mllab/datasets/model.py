"""The dataset model: what every reader and the built-in registry return, and markdown_escape for
the text in its description.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class Dataset:
    name: str                      # shown to the user
    frame: pd.DataFrame            # features and target together
    target: str | None             # suggested target column (None for uploads until chosen)
    kind: str = "table"            # "table" | "image" | "signal"
    image_shape: tuple[int, int, int] | None = None   # (height, width, channels), features row-major
    description: str = ""          # markdown, plain text only
    citation: str = ""
    licence: str = ""
    source: str = "built-in"       # or "upload"
    # Columns that name a row (a star's catalogue ID) rather than describe it. A model given them
    # would at best learn nothing and at worst memorise rows, so they are never features by default.
    id_columns: tuple[str, ...] = ()
    # The task the data was published for, with its suggested target ("classification" or
    # "regression"); None when unknown (uploads), and the page suggests one from the target's values.
    task: str | None = None
    # Columns holding redshifts: a regression on one of them also reports the photometric-redshift figures.
    redshift_columns: tuple[str, ...] = ()
    # How a reader read the file, as plain values, so the code export (mllab.export) reads it the same
    # way: {"format": "text", "encoding", "sep", "names", "header_in_body"}, {"format": "fits", "hdu"},
    # {"format": "votable", "table"}, {"format": "ecsv"}, {"format": "arff"} or
    # {"format": "idx", "pairs": [[images, labels]]}, and for a supplied train/test pair of text files
    # {"format": "text pair", "parts": {"train": read_as of that file, "test": ...}, "files": {"train": name, ...}};
    # empty when the reading is not one of those.
    read_as: dict = field(default_factory=dict)
    # A column saying, for each row, which part of the data as published it belongs to: "train" or
    # "test" (MNIST's t10k files, SDSS_MGS.train / .test). It is never a feature; the Train page
    # offers the supplied test part as the hold-out. None when the data came as one whole.
    part_column: str | None = None
    # (class name, display name) pairs for the target's values, set by the cleaning the user chose
    # (mllab.prepare.cleaning.CleaningChoices.class_labels): training names the classes with them.
    class_labels: tuple[tuple[str, str], ...] = ()

    def feature_columns(self, target: str | None) -> list[str]:
        """Every column except the target and the identifier columns, in the frame's order.

        The order matters: image and signal models reshape the features row-major.
        """
        excluded = {target, *self.id_columns, self.part_column}
        return [c for c in self.frame.columns if c not in excluded]


PART_TRAIN, PART_TEST = "train", "test"
PART_COLUMN = "part"  # the name readers give the column, unless the data already has one of that name


def part_column_name(columns) -> str:
    """A name for the part column that no column of the data already has."""
    name = PART_COLUMN
    while name in set(map(str, columns)):
        name = "_" + name
    return name


def markdown_escape(text: str) -> str:
    # Descriptions are rendered as markdown; a file name like "![x](http://...)" must stay text.
    return re.sub(r"([\\`*_{}\[\]()#+\-.!<>|~])", r"\\\1", text)


@dataclass
class SignalDataset(Dataset):
    """A dataset whose features are one ordered signal per row (a spectrum, a light curve).

    `axis` holds the coordinate of each signal column (the wavelength of each pixel, say) when the
    file says what it is, else None; `axis_label` says what it is ("wavelength [Angstrom]").
    """

    axis: np.ndarray | None = None
    axis_label: str = ""
