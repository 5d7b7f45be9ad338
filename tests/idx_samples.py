"""IDX files cut from the project's own Fashion-MNIST subset, for tests of every stage that reads them."""

import gzip

import numpy as np

from conftest import ROOT

# The project's own Fashion-MNIST subset, shipped as the two IDX files MNIST-style data comes in.
FASHION_IMAGES = ROOT / "mllab" / "datasets" / "files" / "fashion_mnist_subset-images-idx3-ubyte.gz"
FASHION_LABELS = ROOT / "mllab" / "datasets" / "files" / "fashion_mnist_subset-labels-idx1-ubyte.gz"


def fashion_idx(n: int, skip: int = 0) -> tuple[bytes, bytes, np.ndarray, np.ndarray]:
    """n Fashion-MNIST images and labels from the `skip`-th on, as IDX files of their own."""
    with gzip.open(FASHION_IMAGES) as handle:
        header = handle.read(16)
        handle.read(skip * 28 * 28)
        pixels = handle.read(n * 28 * 28)
    with gzip.open(FASHION_LABELS) as handle:
        label_header = handle.read(8)
        handle.read(skip)
        labels = handle.read(n)
    images = header[:4] + n.to_bytes(4, "big") + header[8:] + pixels
    label_file = label_header[:4] + n.to_bytes(4, "big") + labels
    return (images, label_file, np.frombuffer(pixels, np.uint8).reshape(n, 28, 28), np.frombuffer(labels, np.uint8))
