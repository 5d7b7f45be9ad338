"""Simulated optical spectra of stars of the seven spectral types O B A F G K M.

Not real data: a seeded, deterministic toy model for the 1-D convolutional network demo. Each spectrum is
a blackbody continuum (Planck's law) at the star's effective temperature, times absorption lines and
molecular bands whose strength depends on that temperature the way it does in real stars, reddened by
interstellar dust, shifted by a random radial velocity and given Gaussian noise. Real spectra have thousands of lines and depend on
gravity and composition too; the aim here is spectra that *look* like their type to a student and that a
model must learn to read from the line pattern: the reddening makes the slope of the continuum an
unreliable guide to the temperature (without it a random forest on the raw fluxes scores 0.99).

Nothing here imports streamlit or tensorflow. `simulate_spectra()` takes about 0.1 s for 3,500 spectra.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SEED = 0
PER_TYPE = 500
N_PIXELS = 500
WAVELENGTH_MIN, WAVELENGTH_MAX = 3800.0, 7000.0   # Angstrom

SPECTRAL_TYPES = ("O", "B", "A", "F", "G", "K", "M")
# Effective-temperature range of each type in kelvin (main-sequence values, rounded).
TEMPERATURES = {
    "O": (30_000.0, 45_000.0),
    "B": (10_000.0, 30_000.0),
    "A": (7_500.0, 10_000.0),
    "F": (6_000.0, 7_500.0),
    "G": (5_200.0, 6_000.0),
    "K": (3_700.0, 5_200.0),
    "M": (2_400.0, 3_700.0),
}
RADIAL_VELOCITY = 250.0        # km/s: drawn uniformly in [-RADIAL_VELOCITY, +RADIAL_VELOCITY]
SNR_RANGE = (5.0, 50.0)        # signal-to-noise ratio per pixel, drawn uniformly
REDDENING_MAX = 0.5            # colour excess E(B-V) in magnitudes, drawn uniformly in [0, REDDENING_MAX]
# Interstellar extinction A_lambda / E(B-V) = R_V (5500 / lambda)^1.3 with R_V = 3.1: a power-law stand-in for
# the Cardelli, Clayton & Mathis (1989) curve in the optical, right to about 10 % between 3,800 and 7,000 A.
R_V, EXTINCTION_SLOPE = 3.1, 1.3
INSTRUMENT_SIGMA = 5.0         # Angstrom: the spectrograph's resolution (Gaussian sigma)
SPEED_OF_LIGHT = 299_792.458   # km/s
HC_OVER_K = 1.438777e8         # h c / k_B in Angstrom kelvin (second radiation constant)

# Absorption features: (name, rest wavelengths in Angstrom, relative depth of each, maximum depth,
# temperature (K) where the feature is strongest, width in dex of log T on the cool side and on the hot
# side, intrinsic Gaussian sigma in Angstrom at full strength).
LINES = (
    # Hydrogen Balmer series: strongest in A stars (~9,500 K), pressure-broadened there.
    ("Balmer", (6562.8, 4861.3, 4340.5, 4101.7), (1.0, 0.95, 0.85, 0.75), 0.65, 9_500.0, 0.17, 0.25, 14.0),
    # Neutral helium: B stars.
    ("He I", (4471.5, 4026.2, 5875.6), (1.0, 0.8, 0.7), 0.25, 20_000.0, 0.10, 0.12, 3.0),
    # Ionised helium: O stars only.
    ("He II", (4685.7, 5411.5, 4541.6), (1.0, 0.7, 0.6), 0.25, 42_000.0, 0.07, 0.10, 3.0),
    # Ionised calcium K and H: grow through F and G, strongest in K stars.
    ("Ca II H&K", (3933.7, 3968.5), (1.0, 0.85), 0.75, 4_800.0, 0.16, 0.14, 6.0),
    # G band of the CH molecule: G and K stars.
    ("G band", (4300.0,), (1.0,), 0.30, 5_000.0, 0.10, 0.10, 8.0),
    # Magnesium b triplet: G and K stars.
    ("Mg b", (5167.3, 5172.7, 5183.6), (0.8, 0.9, 1.0), 0.30, 4_600.0, 0.12, 0.12, 2.0),
    # Sodium D doublet: K and M stars.
    ("Na D", (5890.0, 5895.9), (1.0, 0.9), 0.45, 3_800.0, 0.10, 0.10, 2.5),
    # Neutral calcium: K and M stars.
    ("Ca I", (4226.7,), (1.0,), 0.50, 3_600.0, 0.10, 0.08, 3.0),
)
# Titanium-oxide band heads (Angstrom): below about 3,900 K the flux drops sharply at each head and
# recovers slowly to the red ("degraded to the red"), the signature of M stars.
TIO_HEADS = (4761.0, 4954.6, 5166.7, 5448.0, 5847.0, 6158.6, 6651.0)
TIO_DECAY = 140.0              # Angstrom: e-folding length of a band's absorption redward of its head
TIO_ONSET, TIO_FULL, TIO_MAX_DEPTH = 3_900.0, 2_600.0, 0.6


def wavelength_grid() -> np.ndarray:
    """The wavelength of each flux column, in Angstrom (a fresh array: callers may keep or change it)."""
    return np.linspace(WAVELENGTH_MIN, WAVELENGTH_MAX, N_PIXELS)


def flux_columns(n: int = N_PIXELS) -> list[str]:
    """flux_0000, flux_0001, ...: the names mllab.io gives the values of a spectrum."""
    width = max(4, len(str(n - 1)))
    return [f"flux_{i:0{width}d}" for i in range(n)]


def planck(wavelength: np.ndarray, temperature: np.ndarray) -> np.ndarray:
    """Blackbody spectral radiance B_lambda(T), up to a constant factor; (n stars, n pixels)."""
    lam = wavelength[None, :]
    x = HC_OVER_K / (lam * temperature[:, None])
    return lam ** -5.0 / np.expm1(x)


def line_strength(temperature: np.ndarray, peak: float, cool_width: float, hot_width: float) -> np.ndarray:
    """0..1: how strong a feature is at each temperature, a Gaussian in log T, wider on one side."""
    offset = np.log10(temperature / peak)
    width = np.where(offset < 0, cool_width, hot_width)
    return np.exp(-0.5 * (offset / width) ** 2)


def tio_strength(temperature: np.ndarray) -> np.ndarray:
    return np.clip((TIO_ONSET - temperature) / (TIO_ONSET - TIO_FULL), 0.0, 1.0) ** 0.8


def _window(wavelength: np.ndarray, start: float, stop: float) -> slice:
    """The columns whose wavelength lies in [start, stop]: a line changes only the pixels near it."""
    return slice(int(np.searchsorted(wavelength, start)), int(np.searchsorted(wavelength, stop, side="right")))


def extinction(wavelength: np.ndarray, reddening: np.ndarray) -> np.ndarray:
    """The fraction of light that gets through interstellar dust, (n stars, n pixels): blue is dimmed more."""
    a_lambda = reddening[:, None] * R_V * (5500.0 / wavelength[None, :]) ** EXTINCTION_SLOPE
    return 10.0 ** (-0.4 * a_lambda)


def _spectra(temperature: np.ndarray, velocity: np.ndarray, reddening: np.ndarray,
             wavelength: np.ndarray) -> np.ndarray:
    """Noise-free spectra, each divided by the mean of its (reddened) continuum."""
    continuum = planck(wavelength, temperature) * extinction(wavelength, reddening)
    continuum /= continuum.mean(axis=1, keepdims=True)
    # Doppler shift: a line emitted at lambda0 is seen at lambda0 * (1 + v / c).
    stretch = (1.0 + velocity / SPEED_OF_LIGHT)[:, None]
    largest_shift = RADIAL_VELOCITY / SPEED_OF_LIGHT * wavelength[-1]
    transmission = np.ones_like(continuum)
    for _, centres, relative, depth, peak, cool, hot, sigma in LINES:
        strength = line_strength(temperature, peak, cool, hot)[:, None]
        # Broader when stronger (pressure broadening), never sharper than the spectrograph.
        width = np.sqrt(INSTRUMENT_SIGMA ** 2 + (sigma * strength) ** 2)
        reach = 6.0 * np.sqrt(INSTRUMENT_SIGMA ** 2 + sigma ** 2) + largest_shift
        for centre, rel in zip(centres, relative):
            near = _window(wavelength, centre - reach, centre + reach)
            profile = np.exp(-0.5 * ((wavelength[None, near] - centre * stretch) / width) ** 2)
            transmission[:, near] *= 1.0 - depth * rel * strength * profile
    tio = TIO_MAX_DEPTH * tio_strength(temperature)[:, None]
    cool = np.flatnonzero(tio[:, 0] > 0)
    for head in TIO_HEADS:
        near = _window(wavelength, head - 6.0 * INSTRUMENT_SIGMA - largest_shift, head + 8.0 * TIO_DECAY)
        distance = wavelength[None, near] - head * stretch[cool]
        # The sharp head softened over the instrument's resolution, then an exponential recovery.
        edge = 0.5 * (1.0 + np.tanh(distance / INSTRUMENT_SIGMA))
        band = edge * np.exp(-np.clip(distance, 0.0, None) / TIO_DECAY)
        transmission[cool, near] *= 1.0 - tio[cool] * band
    return continuum * transmission


def simulate_spectra(per_type: int = PER_TYPE, seed: int = SEED) -> pd.DataFrame:
    """`per_type` spectra of each type: flux columns in wavelength order, then the true values.

    Columns: flux_0000..flux_0499 (float32, flux divided by the continuum's mean, with noise),
    spectral_type (O..M), T_eff (K), radial_velocity (km/s), snr, E_B_V (mag). Same arguments, same frame.
    """
    rng = np.random.default_rng(seed)
    types = np.repeat(np.array(SPECTRAL_TYPES, dtype=object), per_type)
    low = np.array([TEMPERATURES[t][0] for t in types])
    high = np.array([TEMPERATURES[t][1] for t in types])
    n = len(types)
    # Log-uniform within each type's range: as many stars at 3,000-3,300 K as at 3,300-3,650 K.
    temperature = np.round(np.exp(rng.uniform(np.log(low), np.log(high))))
    velocity = np.round(rng.uniform(-RADIAL_VELOCITY, RADIAL_VELOCITY, n), 1)
    snr = np.round(rng.uniform(*SNR_RANGE, n), 1)
    reddening = np.round(rng.uniform(0.0, REDDENING_MAX, n), 3)
    wavelength = wavelength_grid()
    flux = _spectra(temperature, velocity, reddening, wavelength)
    flux += rng.normal(0.0, 1.0, flux.shape) / snr[:, None]
    frame = pd.DataFrame(flux.astype(np.float32), columns=flux_columns(len(wavelength)))
    frame["spectral_type"] = pd.Series(types, dtype="str")
    frame["T_eff"] = temperature.astype(np.int64)
    frame["radial_velocity"] = velocity
    frame["snr"] = snr
    frame["E_B_V"] = reddening
    return frame
