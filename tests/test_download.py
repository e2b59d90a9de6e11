"""Release files: manifests, verification, the local store and downloads (from a local HTTP server)."""

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from ner_bench import NerBenchError
from ner_bench import download as dl
from ner_bench.download import DataFileError, FileStore, RemoteFile


def remote_for(path: Path, relative: str, with_sha256: bool = True) -> RemoteFile:
    content = path.read_bytes()
    return RemoteFile(relative, dl.git_blob_sha1(path), len(content),
                      hashlib.sha256(content).hexdigest() if with_sha256 else None)


@pytest.fixture
def release(tmp_path) -> tuple[Path, list[RemoteFile]]:
    """A served folder with two files (one without a sha256 in its manifest) and a copy of the first."""
    root = tmp_path / "served"
    (root / "a").mkdir(parents=True)
    (root / "a" / "one.bin").write_bytes(b"first file\n" * 100)
    (root / "a" / "two words.bin").write_bytes(b"second file\n" * 50)
    files = [remote_for(root / "a" / "one.bin", "a/one.bin"),
             remote_for(root / "a" / "two words.bin", "a/two words.bin", with_sha256=False)]
    files.append(RemoteFile("b/one.bin", files[0].git_blob_sha1, files[0].size, files[0].sha256))
    return root, files


def test_git_blob_id_is_the_one_git_computes(tmp_path):
    if not shutil.which("git"):
        pytest.skip("git is not installed")
    path = tmp_path / "blob.bin"
    path.write_bytes(bytes(range(256)) * 3)
    expected = subprocess.run(["git", "hash-object", str(path)], capture_output=True, text=True, check=True)
    assert dl.git_blob_sha1(path) == expected.stdout.strip()


def test_manifest_rows_and_urls():
    text = ("# comment\npath\tgit_blob_sha1\tsize_bytes\tsha256\n"
            f"data_NER/M1 4+6+6/x.npz\t{'a' * 40}\t\t\n"
            f"data/SU_3S1/Han.mat\t{'B' * 40}\t12\t{'c' * 64}\n")
    first, second = dl.read_manifest(text, "test")
    assert (first.size, first.sha256) == (None, None)
    assert (second.git_blob_sha1, second.size, second.sha256) == ("b" * 40, 12, "c" * 64)
    assert first.url("https://host/repo/abc/") == "https://host/repo/abc/data_NER/M1%204%2B6%2B6/x.npz"


@pytest.mark.parametrize("text, expected", [
    ("path\tsha\n", "header"),
    (f"path\tgit_blob_sha1\tsize_bytes\tsha256\ndata/x.mat\t{'a' * 39}\t1\t\n", "row 2"),
    (f"path\tgit_blob_sha1\tsize_bytes\tsha256\ndata/x.mat\t{'a' * 40}\tbig\t\n", "size in bytes"),
])
def test_malformed_manifests_are_rejected_with_the_row(text, expected):
    with pytest.raises(NerBenchError, match=expected):
        dl.read_manifest(text, "my.tsv")


def test_packaged_release_manifest_has_31_files_in_19_contents():
    files = dl.packaged_manifest("reaching_manifest.tsv")
    assert len(files) == 31 and len({f.git_blob_sha1 for f in files}) == 19


@pytest.mark.integration
def test_packaged_manifest_is_the_release_manifest(release_dir):
    shipped = dl.packaged_manifest("reaching_manifest.tsv")
    assert shipped == dl.manifest_from_file(release_dir / "MANIFEST.tsv")


def test_data_home_prefers_the_argument_then_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(dl.DATA_ENV, raising=False)
    assert dl.data_home().name == "ner-bench"
    monkeypatch.setenv(dl.DATA_ENV, str(tmp_path / "env"))
    assert dl.data_home() == tmp_path / "env"
    assert dl.data_home(tmp_path / "arg") == tmp_path / "arg"


def test_file_problem_catches_truncation_and_one_changed_byte(release):
    root, (with_sha, without_sha, _) = release
    for remote in (with_sha, without_sha):
        path = root / remote.path
        assert dl.file_problem(path, remote) is None
        content = path.read_bytes()
        path.write_bytes(content[:-1])
        assert "bytes" in dl.file_problem(path, remote)
        path.write_bytes(content[:10] + bytes([content[10] ^ 1]) + content[11:])
        assert ("sha256" if remote.sha256 else "git blob id") in dl.file_problem(path, remote)


def test_copies_of_one_content_are_found_under_either_path(release, tmp_path):
    root, files = release
    store = FileStore(root, files, "http://unused")
    gathered = store.gather([files[2]], download=False)  # b/one.bin is not on disk; a/one.bin is
    assert gathered.found == {"b/one.bin": root / "a" / "one.bin"} and not gathered.missing


def test_download_verifies_and_moves_the_file_into_place(release, tmp_path, serve_folder):
    pytest.importorskip("pooch")  # downloads go through pooch (the data extra)
    root, files = release
    served = serve_folder(root)
    store = FileStore(tmp_path / "cache", files, served.url, progressbar=False)
    gathered = store.gather(files, download=True)
    assert not gathered.missing
    assert gathered.found["a/two words.bin"].read_bytes() == (root / "a" / "two words.bin").read_bytes()
    assert gathered.found["b/one.bin"] == tmp_path / "cache" / "a" / "one.bin"  # one download per content
    assert sorted(served.requests) == ["/a/one.bin", "/a/two%20words.bin"]
    assert not list((tmp_path / "cache").rglob(".download-*"))
    store.gather(files, download=True)
    assert len(served.requests) == 2  # verified files are not fetched again


def test_a_download_that_does_not_verify_is_never_kept(release, tmp_path, serve_folder):
    pytest.importorskip("pooch")  # downloads go through pooch (the data extra)
    root, files = release
    served = serve_folder(root)
    (root / "a" / "one.bin").write_bytes(b"not the release's content")
    store = FileStore(tmp_path / "cache", files[:2], served.url, progressbar=False)
    gathered = store.gather(files[:2], download=True)
    assert "a/one.bin" not in gathered.found and "a/two words.bin" in gathered.found
    assert "bytes" in gathered.missing[files[0]]
    assert not (tmp_path / "cache" / "a" / "one.bin").exists()
    assert not list((tmp_path / "cache").rglob(".download-*"))


def test_a_missing_url_is_reported_and_the_others_still_download(release, tmp_path, serve_folder):
    pytest.importorskip("pooch")  # downloads go through pooch (the data extra)
    root, files = release
    served = serve_folder(root)
    (root / "a" / "one.bin").unlink()
    gathered = FileStore(tmp_path / "cache", files[:2], served.url, progressbar=False).gather(files[:2], True)
    assert gathered.missing[files[0]] == "HTTP error 404" and "a/two words.bin" in gathered.found


def test_offline_the_first_failure_stops_further_attempts(release, tmp_path, closed_port_url, monkeypatch):
    pytest.importorskip("pooch")  # downloads go through pooch (the data extra)
    root, files = release
    calls = []
    original = dl._pooch_retrieve
    monkeypatch.setattr(dl, "_pooch_retrieve", lambda *a: calls.append(a) or original(*a))
    gathered = FileStore(tmp_path / "cache", files, closed_port_url, progressbar=False).gather(files, True)
    assert set(gathered.missing) == set(files[:2]) and len(calls) == 1
    assert all("network unavailable" in reason for reason in gathered.missing.values())


def test_a_modified_file_is_rejected_unless_replacing_it(release, tmp_path, serve_folder):
    pytest.importorskip("pooch")  # downloads go through pooch (the data extra)
    root, files = release
    cache = tmp_path / "cache"
    shutil.copytree(root, cache)
    (cache / "a" / "one.bin").write_bytes(b"edited")
    store = FileStore(cache, files, serve_folder(root).url, progressbar=False)
    with pytest.raises(DataFileError, match=r"one\.bin.*modified"):
        store.gather(files, download=True)
    assert store.gather(files, download=True, replace_modified=True).found["a/one.bin"] == cache / "a" / "one.bin"
    assert (cache / "a" / "one.bin").read_bytes() == (root / "a" / "one.bin").read_bytes()
