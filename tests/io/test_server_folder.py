"""Reading files from the server's data folder: off by default, only its own files, its own size limit."""

import pytest

from mllab.errors import DataError
from mllab.io import server_folder

CSV = b"a,b,label\n" + b"".join(f"{i},{i * 2},{'xy'[i % 2]}\n".encode() for i in range(20))


@pytest.fixture
def shared(tmp_path, monkeypatch):
    root = tmp_path / "shared"
    (root / "lmc" / "deep" / "deeper" / "deepest" / "too_deep").mkdir(parents=True)
    (root / "lmc" / "stars.csv").write_bytes(CSV)
    (root / "catalogue.fits.gz").write_bytes(b"not really")
    (root / "notes.docx").write_bytes(b"x")
    (root / ".hidden.csv").write_bytes(CSV)
    (root / ".git").mkdir()
    (root / ".git" / "config.csv").write_bytes(CSV)
    (root / "lmc" / "deep" / "deeper" / "deepest" / "too_deep" / "far.csv").write_bytes(CSV)
    (tmp_path / "secret.csv").write_bytes(CSV)
    (root / "escape.csv").symlink_to(tmp_path / "secret.csv")
    (root / "outside").symlink_to(tmp_path)
    (root / "inside.csv").symlink_to(root / "lmc" / "stars.csv")
    monkeypatch.setenv(server_folder.FOLDER_VARIABLE, str(root))
    monkeypatch.delenv(server_folder.MAX_BYTES_VARIABLE, raising=False)
    return root


def test_off_by_default(monkeypatch):
    monkeypatch.delenv(server_folder.FOLDER_VARIABLE, raising=False)
    assert server_folder.folder() is None and server_folder.list_files() == []
    with pytest.raises(DataError, match="turned off"):
        server_folder.read_server_file("stars.csv")


def test_lists_supported_files_inside_the_folder_only(shared):
    names = [f.name for f in server_folder.list_files()]
    assert names == ["catalogue.fits.gz", "inside.csv", "lmc/stars.csv"]
    listed = {f.name: f for f in server_folder.list_files()}
    assert listed["lmc/stars.csv"].size == len(CSV) and listed["lmc/stars.csv"].mtime_ns > 0


@pytest.mark.parametrize("name", ["../secret.csv", "/etc/passwd", "lmc/../../secret.csv", "escape.csv",
                                  "outside/secret.csv", ".hidden.csv", "notes.docx", "lmc", "", "C:/x.csv",
                                  "lmc\\..\\..\\secret.csv", "nothere.csv", "a\x00.csv"])
def test_names_outside_the_folder_or_not_listed_are_refused(shared, name):
    with pytest.raises(DataError) as err:
        server_folder.read_server_file(name)
    assert "server" in str(err.value) or "data file" in str(err.value)


def test_reads_with_the_upload_reader_and_its_own_size_limit(shared, monkeypatch):
    dataset = server_folder.read_server_file("lmc/stars.csv")
    assert dataset.name == "lmc/stars.csv" and dataset.frame.shape == (20, 3) and dataset.source == "server"
    assert server_folder.read_server_file("inside.csv").frame.shape == (20, 3)  # a link that stays inside
    monkeypatch.setenv(server_folder.MAX_BYTES_VARIABLE, "100")
    assert server_folder.max_bytes() == 100
    with pytest.raises(DataError, match="MLLAB_DATA_FOLDER_MAX_BYTES"):
        server_folder.read_server_file("lmc/stars.csv")
    with pytest.raises(DataError, match="could not be read|does not start like"):
        server_folder.read_server_file("catalogue.fits.gz", limit=10_000)
    monkeypatch.setenv(server_folder.MAX_BYTES_VARIABLE, "lots")
    assert server_folder.max_bytes() == server_folder.DEFAULT_MAX_BYTES


def test_the_reader_gets_the_folder_limit_not_the_upload_limit(shared, monkeypatch):
    seen = {}
    real = server_folder.read_upload

    def spy(name, data, max_bytes):
        seen["max_bytes"] = max_bytes
        return real(name, data, max_bytes=max_bytes)

    monkeypatch.setattr(server_folder, "read_upload", spy)
    server_folder.read_server_file("lmc/stars.csv")
    assert seen["max_bytes"] == server_folder.DEFAULT_MAX_BYTES == 2 * 1024 ** 3


def test_a_missing_folder_is_a_plain_message(tmp_path, monkeypatch):
    monkeypatch.setenv(server_folder.FOLDER_VARIABLE, str(tmp_path / "nope"))
    with pytest.raises(DataError, match="does not exist"):
        server_folder.list_files()
