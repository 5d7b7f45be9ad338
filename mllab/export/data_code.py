"""The data part of a run's code: the file, checked by its SHA-256 and read the way mllab read it, then
the Data page's cleaning, step by step."""

from __future__ import annotations

import ast
import hashlib
import inspect
import io
import re
from collections import Counter

import pandas as pd

from mllab.datasets import Dataset, load_builtin
from mllab.errors import UserError
from mllab.io.arff import arff_frame, arff_lines_with_dates_as_strings, python_date_format
from mllab.export.steps import Step, literal
from mllab.prepare.formulas import _BINARY, _UNARY, CONSTANTS, FUNCTIONS, _parse

# Uploads read again from the original file, by format; anything else travels as the table mllab read.
_EXTENSIONS = {"text": (".csv", ".tsv", ".txt", ".dat", ".tab", ".psv", ".ssv"), "fits": (".fits", ".fit", ".fts"),
               "votable": (".vot", ".xml", ".votable"), "ecsv": (".ecsv",), "arff": (".arff",)}
_NUMPY_NAMES = {f: getattr(function, "__name__", f) for f, (function, _) in FUNCTIONS.items()}


def safe_file_name(name: str) -> str:
    """A plain file name for the zip: the last path part, odd characters replaced."""
    base = re.split(r"[\\/]", str(name))[-1]
    cleaned = re.sub(r"[^\w.\-]+", "_", base).strip("._") or "data"
    return cleaned[:120]


CHECK_CODE = '''def data_file(name, sha256):
    """The data file beside this script, stopped with a sentence if it is missing or not the run's."""
    path = HERE / name
    if not path.is_file():
        raise SystemExit(f"The data file {name} is not in {HERE}. Put the file this run was trained on "
                         f"there, under that name (SHA-256 {sha256}).")
    found = hashlib.sha256(path.read_bytes()).hexdigest()
    if found != sha256:
        raise SystemExit(f"The data file {name} is not the one this run was trained on: its SHA-256 is {found}, "
                         f"the run's was {sha256}. Put the original file beside this script.")
    return path
'''

CLEAN_FRAME_CODE = '''

def tidy_columns(frame):
    """As mllab tidies a table astropy read: names stripped, bytes decoded, mixed number columns numeric."""
    names = [str(c).strip() if c is not None else "" for c in frame.columns]
    frame = frame.set_axis([n or f"column_{i + 1}" for i, n in enumerate(names)], axis=1).reset_index(drop=True)
    for column in frame.columns:
        values = frame[column]
        present = values.dropna()
        if values.dtype != object or present.empty:
            continue
        if present.map(lambda v: isinstance(v, (bytes, np.bytes_))).all():
            frame[column] = values.map(lambda v: v.decode("utf-8", "replace") if isinstance(v, bytes) else v)
        elif len({type(v) for v in present}) > 1:
            numbers = present.map(lambda v: isinstance(v, (int, float, np.integer, np.floating))
                                  and not isinstance(v, (bool, np.bool_))).all()
            frame[column] = pd.to_numeric(values) if numbers else values.map(lambda v: v if pd.isna(v) else str(v))
    return frame
'''


def _snapshot(frame: pd.DataFrame, file_name: str) -> tuple[str, bytes, str]:
    """The table as a CSV file with the code that reads it back exactly (or Parquet when CSV cannot)."""
    dtypes = {str(c): str(frame[c].dtype) for c in frame.columns}
    as_text = {c: ("str" if t in ("object", "str", "string", "category") else t) for c, t in dtypes.items()}
    common = Counter(as_text.values()).most_common(1)[0][0] if as_text else "float64"
    others = {c: t for c, t in as_text.items() if t != common}
    data = frame.to_csv(index=False).encode("utf-8")
    reading = (f"# Each column's type, as mllab held it ({common} unless listed).\n"
               f"DTYPES = defaultdict(lambda: {common!r}, {literal(others, 33)})\n"
               "frame = pd.read_csv(path, dtype=DTYPES, keep_default_na=False, na_values=[''])")
    try:
        back = pd.read_csv(io.BytesIO(data), dtype=_defaultdict(common, others), keep_default_na=False, na_values=[""])
        exact = back.shape == frame.shape and all(
            back[c].astype(object).equals(frame[c].astype(object)) or back[c].equals(frame[c]) for c in frame.columns)
    except (ValueError, TypeError):
        exact = False
    if not exact:
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        return file_name.rsplit(".", 1)[0] + ".parquet", buffer.getvalue(), "frame = pd.read_parquet(path)"
    return file_name, data, reading


def _defaultdict(common, others):
    from collections import defaultdict

    return defaultdict(lambda: common, others)


def reading_code(read_as: dict, name: str, any_extension: bool = False) -> str | None:
    """How mllab read an uploaded file of this format, as code; None for formats read another way.

    `any_extension`: the file was read as this format whatever its name ends with (a part of a
    train/test pair, SDSS_MGS.train, went through the text reader)."""
    fmt = read_as.get("format")
    if not fmt or not (any_extension or name.lower().endswith(_EXTENSIONS.get(fmt, ()))):
        return None
    if fmt == "text":
        return (f'''text = path.read_bytes().decode({read_as["encoding"]!r})
text = text.replace("\\r\\n", "\\n").replace("\\r", "\\n")
# Lines starting with '#' are comments; the column names come {"from the first other line" if read_as["header_in_body"]
                                                          else "from the last comment line before the data"}.
lines = [line for line in text.split("\\n") if not line.startswith("#")]
while lines and not lines[0].strip():
    lines.pop(0)
lines = lines[{1 if read_as["header_in_body"] else 0}:]
COLUMNS = {literal(list(read_as["names"]), 11)}
frame = pd.read_csv(io.BytesIO("\\n".join(lines).encode("utf-8")), encoding="utf-8", sep={read_as["sep"]!r},
                    header=None, names=COLUMNS, index_col=False, skipinitialspace=True, low_memory=False)'''
                + ("" if read_as["sep"] == "," else '''
for column in frame.columns:  # decimal commas ("1,5"), as European spreadsheets write them
    values = frame[column]
    present = values.dropna().astype(str)
    if (not pd.api.types.is_numeric_dtype(values) and not present.empty
            and present.str.contains(",", regex=False).any()
            and present.str.match(r"^\\s*[+-]?\\d*,?\\d+(?:[eE][+-]?\\d+)?\\s*$").all()):
        frame[column] = pd.to_numeric(values.astype("str").str.replace(",", ".", regex=False))'''))
    if fmt == "fits":
        return (f'''from astropy.table import Table

table = Table.read(path, hdu={int(read_as["hdu"])}, format="fits", character_as_bytes=False, astropy_native=True)
frame = tidy_columns(table.to_pandas(index=False))''')
    if fmt == "votable":
        return (f'''from astropy.io.votable import parse

tables = list(parse(str(path), verify="ignore").iter_tables())
table = tables[{int(read_as.get("table", 0))}].to_table(use_names_over_ids=True)
frame = tidy_columns(table.to_pandas(index=False))''')
    if fmt == "ecsv":
        return '''from astropy.table import Table

table = Table.read(path.read_text(encoding="utf-8-sig").splitlines(), format="ascii.ecsv")
frame = tidy_columns(table.to_pandas(index=False))'''
    if fmt == "arff":
        # mllab's own functions, copied: the script reads the file exactly as mllab did.
        functions = "\n\n".join(inspect.getsource(f) for f in (arff_lines_with_dates_as_strings, python_date_format,
                                                                arff_frame))
        return "import re\n\nimport arff\n\n\n" + functions + ARFF_READING_CODE
    return None


ARFF_READING_CODE = """
raw_text = path.read_bytes()
for encoding in ("utf-8-sig", "cp1252", "latin-1"):  # as mllab decodes it: UTF-8 first, Windows-1252 next
    try:
        text = raw_text.decode(encoding)
        break
    except UnicodeDecodeError:
        continue
lines, dates = arff_lines_with_dates_as_strings(text)
frame, _ = arff_frame(arff.loads(lines), dates)"""


def data_steps(run, raw: Dataset | None = None, files: dict[str, bytes] | None = None):
    """The data step(s), the files that go beside the script, and whether the page's cleaning still has to
    be applied (False when only the cleaned table is known)."""
    source = dict(run.data_source or {})
    kind = source.get("kind")
    trained_on = run.dataset
    if kind == "builtin":
        raw = load_builtin(source["key"])
        name, data, code = _snapshot(raw.frame, safe_file_name(f"{source['key']}.csv"))
        text = (f"The built-in dataset **{raw.name}** comes as a file beside this one ({name}), the table exactly "
                "as mllab loaded it. Its SHA-256 is checked first, so a changed byte stops the script instead of "
                "giving other figures." + (f"\n\nSource: {raw.citation}" if raw.citation else "")
                + (f" Licence: {raw.licence}." if raw.licence else ""))
        return [_read_step(text, name, hashlib.sha256(data).hexdigest(), code)], {name: data}, True
    read_as = dict(getattr(trained_on, "read_as", None) or (raw.read_as if raw is not None else {}) or {})
    uploads = source.get("files") or []
    if kind == "upload" and read_as.get("format") == "idx":
        step, beside = _idx_step(read_as, uploads, files)
        if step is not None:
            return [step], beside, True
    if kind == "upload" and read_as.get("format") == "text pair":
        step, beside = _text_pair_step(read_as, uploads, files)
        if step is not None:
            return [step], beside, True
    if kind == "upload" and len(uploads) == 1:
        original = uploads[0]
        code = reading_code(read_as, original["name"])
        if code is not None:
            name = safe_file_name(original["name"])
            beside = {name: files[original["name"]]} if files and original["name"] in files else {}
            how = {"text": "as text: the delimiter, the header and the '#' comment lines as mllab found them",
                   "fits": f"through astropy, the table in HDU {read_as.get('hdu')}",
                   "votable": "through astropy's VOTable parser",
                   "ecsv": "through astropy's ECSV reader",
                   "arff": "through liac-arff, nominal attributes as categories in their declared order",
                   }[read_as["format"]]
            text = (f"The uploaded file **{original['name']}** ({original['size']:,} bytes), read {how}. Its SHA-256 "
                    "is checked first: a file changed by even one byte stops the script with a sentence naming it."
                    + ("" if beside else f" Put the file beside this script under the name {name}."))
            return [_read_step(text, name, original["sha256"], code,
                               astropy=read_as["format"] not in ("text", "arff"))], beside, True
    table = raw if raw is not None else trained_on
    if table is None:
        raise UserError("The data this run trained on is no longer loaded, so it cannot be written out with the "
                        "code. Load the same data on the Data page and export the run again.")
    cleaned_only = raw is None
    stem = safe_file_name(run.dataset_name).rsplit(".", 1)[0] or "data"
    name, data, code = _snapshot(table.frame, f"{stem}_{'cleaned' if cleaned_only else 'as_read'}.csv")
    origin = ", ".join(f"{f['name']} (SHA-256 {f['sha256']})" for f in uploads) or \
        (source.get("name") or run.dataset_name)
    text = (f"The data came from {origin}. mllab read it in a way this script does not repeat, so the table "
            f"{'after the Data page cleaning' if cleaned_only else 'exactly as mllab read it'} comes as a file beside "
            f"this one ({name}), checked by its SHA-256.")
    return [_read_step(text, name, hashlib.sha256(data).hexdigest(), code)], {name: data}, not cleaned_only


IDX_CODE = '''IDX_TYPES = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path):
    """An MNIST-style IDX file (gzipped or not) as a NumPy array in the machine's byte order."""
    data = path.read_bytes()
    if data[:2] == b"\\x1f\\x8b":
        data = gzip.decompress(data)
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    dtype = np.dtype(IDX_TYPES[data[2]])
    array = np.frombuffer(data, dtype=dtype, count=int(np.prod(dims)), offset=4 + 4 * ndim).reshape(dims)
    return array.astype(dtype.newbyteorder("="))


images = np.concatenate([read_idx(data_file(name, sha256)) for name, sha256 in IMAGE_FILES])
labels = np.concatenate([read_idx(data_file(name, sha256)) for name, sha256 in LABEL_FILES])
if images.ndim == 3:
    images = images[..., None]
n, height, width, channels = images.shape
if channels == 1:
    names = [f"px_{r}_{c}" for r in range(height) for c in range(width)]
else:
    names = [f"px_{r}_{c}_{ch}" for r in range(height) for c in range(width) for ch in range(channels)]
frame = pd.DataFrame(images.reshape(n, -1), columns=names)
frame["label"] = labels'''


def _idx_step(read_as: dict, uploads: list[dict], files: dict[str, bytes] | None):
    """IDX images and labels uploaded side by side (MNIST's four files): read with NumPy, pixel by pixel."""
    by_name = {f["name"]: f for f in uploads}
    pairs = [tuple(pair) for pair in read_as.get("pairs", ())]
    if not pairs or {n for pair in pairs for n in pair} != set(by_name):
        return None, {}
    listed = [(safe_file_name(n), by_name[n]["sha256"]) for pair in pairs for n in pair]
    images, labels = listed[0::2], listed[1::2]
    beside = {safe_file_name(n): files[n] for n in by_name if files and n in files}
    text = (f"The uploaded IDX files {', '.join(f['name'] for f in uploads)}: images and their labels, each pair "
            "read in the order mllab read them and put one after the other, each image a row of pixels. Each file's "
            "SHA-256 is checked first." + ("" if beside else " Put the files beside this script under these names."))
    code = (CHECK_CODE + f"\n\nimport gzip\n\nIMAGE_FILES = {literal(images, 14)}\nLABEL_FILES = {literal(labels, 14)}\n"
            + IDX_CODE + '\nprint(f"Read {n:,} images of {height}x{width} pixels.")')
    if read_as.get("parts"):
        # MNIST's train-… and t10k-… files: each row says which part it came from, as mllab read it.
        code += (f"\nPARTS = {literal(list(read_as['parts']), 8)}  # of each pair, in the order read\n"
                 "frame[PART] = np.repeat(PARTS, [len(read_idx(data_file(name, sha256))) for name, sha256 in LABEL_FILES])")
    return Step("The data", text, code), beside


def _text_pair_step(read_as: dict, uploads: list[dict], files: dict[str, bytes] | None):
    """A table uploaded as a training file and a test file: each read as mllab read it, then put
    one after the other with the column PART saying which part each row came from."""
    by_name = {f["name"]: f for f in uploads}
    names = read_as.get("files", {})
    if set(names) != {"train", "test"} or set(names.values()) != set(by_name):
        return None, {}
    pieces = []
    for part in ("train", "test"):
        name = names[part]
        code = reading_code(read_as["parts"][part], name, any_extension=True)
        if code is None:
            return None, {}
        pieces.append(f"path = data_file({safe_file_name(name)!r}, {by_name[name]['sha256']!r})\n{code}\n"
                      f"parts.append(frame.assign(**{{PART: {part!r}}}))\n"
                      f'print(f"Read {{path.name}}: {{len(frame):,}} rows ({part} part).")')
    beside = {safe_file_name(n): files[n] for n in by_name if files and n in files}
    text = (f"The uploaded files **{names['train']}** (the training part) and **{names['test']}** (the test part), "
            "each read as text as mllab read it alone, then put one after the other. Each file's SHA-256 is "
            "checked first." + ("" if beside else " Put the files beside this script under these names."))
    code = (CHECK_CODE + "\n\nparts = []\n" + "\n\n".join(pieces)
            + "\nframe = pd.concat(parts, ignore_index=True)")
    return Step("The data", text, code), beside


def _read_step(text: str, name: str, sha256: str, code: str, astropy: bool = False) -> Step:
    return Step("The data", text, CHECK_CODE + (CLEAN_FRAME_CODE if astropy else "") +
                f"\n\npath = data_file({name!r}, {sha256!r})\n{code}\n"
                'print(f"Read {path.name}: {len(frame):,} rows and {frame.shape[1]} columns.")')


# -- cleaning -----------------------------------------------------------------------------------

def formula_code(expression: str, columns: list[str]) -> str:
    """A formula the Data page evaluated (`V - I`, `log10(P_1)`) as NumPy code over `column(name)`."""
    tree, names = _parse(expression, pd.DataFrame(columns=columns))
    symbols = {op: getattr(fn, "__name__") for op, fn in {**_BINARY, **_UNARY}.items()}

    def code(node) -> str:
        if isinstance(node, ast.Expression):
            return code(node.body)
        if isinstance(node, ast.Constant):
            return f"np.float64({float(node.value)!r})"
        if isinstance(node, ast.Name):
            if node.id in names:
                return f"column({names[node.id]!r})"
            return f"np.float64({CONSTANTS[node.id]!r})"
        if isinstance(node, ast.BinOp):
            return f"np.{symbols[type(node.op)]}({code(node.left)}, {code(node.right)})"
        if isinstance(node, ast.UnaryOp):
            return f"np.{symbols[type(node.op)]}({code(node.operand)})"
        if isinstance(node, ast.Call):
            return f"np.{_NUMPY_NAMES[node.func.id]}({', '.join(code(a) for a in node.args)})"
        raise ValueError(f"not a formula mllab evaluates: {expression!r}")

    return code(tree)


def _comment(text: str) -> str:
    """User text (a formula, a name) made safe for one comment line."""
    return "".join(ch if ch.isprintable() else " " for ch in str(text))


def cleaning_steps(run, columns: list[str]) -> list[Step]:
    """The Data page's choices, in the order mllab applies them. `columns` are the table's columns as read."""
    choices = dict(run.cleaning or {})
    target = run.target
    steps = []
    missing = [(str(c), float(v)) for c, v in choices.get("missing", ())]
    if missing:
        steps.append(Step("Values that mean 'missing'", "Catalogues write values such as -99.99 where a measurement "
                          "is missing. The values chosen on the Data page become missing values (NaN), compared with "
                          "a small tolerance because float32 files hold -99.99 as -99.98999786.",
                          f'''MISSING = {literal(missing, 10)}
for name, marker in MISSING:
    if name not in frame.columns or not pd.api.types.is_numeric_dtype(frame[name]) or frame[name].dtype == bool:
        continue
    values = frame[name].to_numpy(dtype=float, na_value=np.nan)
    hit = np.abs(values - marker) <= 1e-5 * max(1.0, abs(marker))
    if hit.any():
        print(f"{{name}}: {{hit.sum():,}} values of {{marker:g}} made missing.")
        frame[name] = pd.Series(np.where(hit, np.nan, values), index=frame.index, name=name)'''))
    derived = list(choices.get("derived", ()))
    if derived:
        lines = ['''def column(name):
    """A column as float values, for a formula (booleans count as 0 and 1)."""
    values = frame[name]
    if values.dtype == bool:
        values = values.astype(float)
    return values.to_numpy(dtype=float, na_value=np.nan)
''']
        known = list(columns)
        for item in derived:
            new_name = str(item["name"]).strip()
            try:
                expression = formula_code(item["expression"], known)
            except Exception:  # noqa: BLE001 - the page left this column out with a note
                lines.append(f"# {_comment(new_name)} = {_comment(item['expression'])}: left out on the Data page "
                             "(the formula did not work).")
                continue
            lines.append(f'''# {_comment(new_name)} = {_comment(item["expression"])}
with np.errstate(all="ignore"):
    values = np.broadcast_to(np.asarray({expression}, dtype=float), (len(frame),)).copy()
values[np.isinf(values)] = np.nan  # a division by zero or log10(0): missing, as on the page
frame = frame.assign(**{{{new_name!r}: values}})''')
            known.append(new_name)
        steps.append(Step("New columns from a formula", "Each new column is computed from the others with "
                          "the formula typed on the Data page; infinite or impossible results become missing values.",
                          "\n".join(lines)))
    excluded = [str(c) for c in choices.get("excluded", ()) if str(c) != target]
    if excluded:
        steps.append(Step("Columns left out of the features", "Identifier and coordinate columns name a row rather "
                          "than describe it, so they are left out, with any other column unticked on the Data page.",
                          f'''EXCLUDED = {literal(excluded, 11)}
frame = frame.drop(columns=[c for c in EXCLUDED if c in frame.columns and c != TARGET])'''))
    marked = [("not known yet", [str(v) for v in choices.get("unknown", ())]),
              ("left out", [str(v) for v in choices.get("left_out", ())])]
    marked = [(what, values) for what, values in marked if values]
    if marked:
        lines = ['''def class_name(value):
    """A target value as mllab names its class: 1.0 and 1 are both "1"."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


names = frame[TARGET].map(lambda v: class_name(v) if pd.notna(v) else None)''']
        for what, values in marked:
            lines.append(f'''hit = names.isin({literal(values, 15)})
if hit.any():
    print(f"{{hit.sum():,}} rows whose {{TARGET}} is {what} were left out.")
frame, names = frame.loc[~hit].reset_index(drop=True), names.loc[~hit].reset_index(drop=True)''')
        steps.append(Step("Target values not known yet, and classes left out", "Rows whose target was marked "
                          "'not known yet' on the Data page, or is a class left out, are not trained on: a model "
                          "is trained on the others, then used to classify these.", "\n".join(lines)))
    steps.append(Step("Rows with no target value", "Rows whose target is missing cannot be learned from or "
                      "scored, so they are dropped, with a count.", '''has_target = frame[TARGET].notna()
if not has_target.all():
    print(f"{(~has_target).sum():,} rows with no value in the target column {TARGET} were left out.")
frame = frame.loc[has_target].reset_index(drop=True)'''))
    return steps
