"""Stage 2, io: reading uploaded files of every format mllab accepts into a Dataset: one entry point,
`read_upload` (`read_uploads` for several IDX files chosen together), and the server folder.

One module per format family (text, parquet_excel, fits, astropy_tables for VOTable/ECSV, hdf5,
numpy_idx, image_folders), `sniff` to pick the reader, `limits` for what an upload may cost and the
archive helpers that keep to it, `arrays` and `common` for building the Dataset.

The reader is picked by the file's first bytes (its "magic"), and by its extension only where the
content has no signature (text formats). Everything a user can get wrong raises `DataError` with a
plain sentence: what is wrong and what to do.

Formats: CSV/TSV/whitespace text (`text.read_csv_upload`), Excel .xlsx (first
sheet), Parquet, FITS (tables, tables of spectra, single spectra inside a zip of class folders),
VOTable, ECSV, HDF5 (astropy tables and groups of column datasets), NumPy .npz/.npy, MNIST-style IDX
files (an images file and its labels file in one zip, gzip-compressed or not), and zips of images or
FITS spectra in one folder per class. A gzip-compressed file (data.csv.gz, spectra.fits.gz) is
read as the file inside it.

Safety rules, because every byte here comes from a stranger:
- nothing is ever unpickled: NumPy arrays are read with allow_pickle=False, pickles are refused;
- archives are never extracted to disk: zip members are read one by one into memory, with limits
  on their number (MAX_MEMBERS), on the total unpacked size (MAX_UNPACKED_BYTES, shared by every
  layer of one upload) and on each member's compression ratio (MAX_RATIO, checked for members
  larger than RATIO_FLOOR_BYTES: a smaller member cannot be a bomb, and the total limit covers
  many small ones). A zip inside a zip is refused; a gzip-compressed file inside a zip (the
  MNIST .gz files zipped together) is unpacked under the same limits, but nothing deeper;
- an HDF5 file may not point outside itself (external links, external raw storage, virtual
  datasets), and a VOTable may not fetch data from elsewhere (STREAM href) nor declare XML
  entities: both would let an upload make the server read its own files or the network;
- a size announced by a header (IDX dimensions, HDF5 dataset shapes, Parquet row groups, image
  sizes) is checked before anything is allocated.

Images in a zip: every image is scaled to one size (28×28 by default) keeping its aspect ratio,
padded with its own border colour, and kept greyscale unless some image has colour. A few files
that cannot be decoded (at most MAX_BAD_IMAGE_SHARE of them) are left out and counted in the
dataset's description; more than that is a DataError naming them.

May import: mllab.datasets (the model it builds), mllab.errors. Knows nothing of preparing or training.
"""

from mllab.io.limits import MAX_UPLOAD_BYTES
from mllab.io.sniff import SUPPORTED_EXTENSIONS, describe_formats
from mllab.io.upload import pick_uploads, read_uploads

__all__ = [
    "describe_formats", "MAX_UPLOAD_BYTES", "pick_uploads", "read_uploads", "SUPPORTED_EXTENSIONS",
]
