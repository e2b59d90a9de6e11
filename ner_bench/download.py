"""Published data files: a manifest of what a release holds, where the files live on this machine, their
verification, and their download (with pooch).

A manifest row names a file by its path in the release, its git blob id, its size and, where known, its
sha256. A file on disk is taken as the release's only when its size and hash match: the sha256 where the
manifest lists one, else the git blob id. Downloads land in a temporary folder beside their destination,
are verified there, and only then are renamed into place, so a half-written file is never taken as valid.

Datasets that read published files build a :class:`FileStore`; the engine never names a dataset.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
import urllib.parse
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import platformdirs

from .errors import NerBenchError

log = logging.getLogger(__name__)

DATA_ENV = "NER_BENCH_DATA"
MANIFEST_COLUMNS = ("path", "git_blob_sha1", "size_bytes", "sha256")
_CHUNK = 1 << 20


class DataFileError(NerBenchError):
    """A data file is present but is not the release's (truncated or modified)."""


class MissingFilesError(NerBenchError):
    """Files a run needs are neither on disk nor downloadable; the message lists them and their URLs."""


class DownloadError(NerBenchError):
    """A download failed; ``network`` says whether the network itself failed (so others would too)."""

    def __init__(self, message: str, network: bool = False) -> None:
        super().__init__(message)
        self.network = network


@dataclass(frozen=True)
class RemoteFile:
    """One file of a published release, as its manifest lists it."""

    path: str  # relative to the release root, with forward slashes
    git_blob_sha1: str
    size: int | None = None
    sha256: str | None = None

    def url(self, base_url: str) -> str:
        return f"{base_url.rstrip('/')}/{urllib.parse.quote(self.path)}"


def data_home(data_dir: str | Path | None = None) -> Path:
    """Where data files live: ``data_dir`` if given, else ``$NER_BENCH_DATA``, else the user cache folder
    (``platformdirs.user_cache_dir("ner-bench")``). Files keep their release paths below it."""
    if data_dir:
        return Path(data_dir).expanduser()
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV]).expanduser()
    return Path(platformdirs.user_cache_dir("ner-bench"))


def data_home_origin(data_dir: str | Path | None = None) -> str:
    """Which setting chose :func:`data_home` (for messages)."""
    if data_dir:
        return "--data-dir"
    return f"${DATA_ENV}" if os.environ.get(DATA_ENV) else "the user cache folder"


# --------------------------------------------------------------------------- manifests
def read_manifest(text: str, source: str) -> list[RemoteFile]:
    """Parse a manifest: tab-separated ``path, git_blob_sha1, size_bytes, sha256`` under a header line;
    lines starting with ``#`` are comments; size and sha256 may be empty."""
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if not lines or tuple(lines[0].split("\t")) != MANIFEST_COLUMNS:
        raise NerBenchError(f"manifest {source}: the first line must be the tab-separated header "
                            f"{' '.join(MANIFEST_COLUMNS)}")
    files = []
    for number, line in enumerate(lines[1:], start=2):
        cells = line.split("\t")
        if len(cells) != 4 or len(cells[1]) != 40 or (cells[2] and not cells[2].isdigit()) \
                or (cells[3] and len(cells[3]) != 64):
            raise NerBenchError(f"manifest {source}, row {number} ({line!r}): expected a path, a 40-hex git "
                                "blob id, a size in bytes (or empty) and a 64-hex sha256 (or empty)")
        files.append(RemoteFile(cells[0], cells[1].lower(), int(cells[2]) if cells[2] else None,
                                cells[3].lower() or None))
    return files


def packaged_manifest(name: str) -> list[RemoteFile]:
    """A manifest shipped in ``ner_bench/data/``."""
    text = resources.files("ner_bench").joinpath("data", name).read_text(encoding="utf-8")
    return read_manifest(text, f"ner_bench/data/{name}")


def manifest_from_file(path: str | Path) -> list[RemoteFile]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise NerBenchError(f"manifest {path}: cannot be read ({error.strerror or error})") from None
    return read_manifest(text, str(path))


# --------------------------------------------------------------------------- verification
def git_blob_sha1(path: str | Path) -> str:
    """The id git gives the file's content: sha1 over ``b"blob <size>\\0" + content``."""
    digest = hashlib.sha1(f"blob {os.path.getsize(path)}\0".encode())
    return _hash_file(path, digest)


def sha256(path: str | Path) -> str:
    return _hash_file(path, hashlib.sha256())


def _hash_file(path: str | Path, digest) -> str:
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_problem(path: Path, remote: RemoteFile) -> str | None:
    """Why the file at ``path`` is not the release's ``remote`` file, or None when it is."""
    size = path.stat().st_size
    if remote.size is not None and size != remote.size:
        return f"has {size} bytes, the release's file has {remote.size} (truncated or modified)"
    if remote.sha256:
        found, expected, kind = sha256(path), remote.sha256, "sha256"
    else:
        found, expected, kind = git_blob_sha1(path), remote.git_blob_sha1, "git blob id"
    if found != expected:
        return f"{kind} is {found}, the release's is {expected} (modified)"
    return None


def modified_error(path: Path, problem: str) -> DataFileError:
    return DataFileError(f"{path}: {problem}; delete it, then `ner-bench data download` fetches the "
                         "release's copy")


# --------------------------------------------------------------------------- the local store
@dataclass(frozen=True)
class FileStatus:
    """A release file on this machine: ``verified``, ``missing`` or ``modified`` (with the problem)."""

    remote: RemoteFile
    state: str
    path: Path  # where it was found, or where it belongs when missing
    problem: str = ""


@dataclass
class Gathered:
    """The outcome of :meth:`FileStore.gather`: a local path per wanted file, or why it is missing."""

    found: dict[str, Path]  # remote path -> verified local file
    missing: dict[RemoteFile, str]  # remote file -> reason


class FileStore:
    """The files of one manifest below ``root``, laid out with their release paths.

    Files with the same git blob id are the same content: any copy on disk serves all of them, and a
    download fetches one copy.
    """

    def __init__(self, root: str | Path, files: Sequence[RemoteFile], base_url: str, progressbar: bool = True):
        self.root = Path(root)
        self.files = list(files)
        self.base_url = base_url
        self.progressbar = progressbar

    def copies(self, remote: RemoteFile) -> list[RemoteFile]:
        """``remote`` and the other manifest rows with the same content, ``remote`` first."""
        same = [f for f in self.files if f.git_blob_sha1 == remote.git_blob_sha1 and f != remote]
        return [remote, *same]

    def local_path(self, remote: RemoteFile) -> Path:
        return self.root / remote.path

    def status(self, remote: RemoteFile) -> FileStatus:
        """Where the file (or a copy of it) is on disk, and whether it verifies."""
        for copy in self.copies(remote):
            path = self.local_path(copy)
            if path.is_file():
                problem = file_problem(path, copy)
                return FileStatus(remote, "modified" if problem else "verified", path, problem or "")
        return FileStatus(remote, "missing", self.local_path(remote))

    def gather(self, wanted: Iterable[RemoteFile], download: bool, replace_modified: bool = False) -> Gathered:
        """A verified local file for each wanted file: found on disk, or downloaded when ``download``.

        A modified file raises :class:`DataFileError` (unless ``replace_modified``, which downloads the
        release's copy over it). After a network failure the remaining files are not tried."""
        wanted = list(wanted)
        found: dict[str, Path] = {}
        missing: dict[RemoteFile, str] = {}
        offline = ""
        for remote in _unique_content(wanted):
            status = self.status(remote)
            if status.state == "modified" and not replace_modified:
                raise modified_error(status.path, status.problem)
            if status.state == "verified":
                found[remote.path] = status.path
            elif not download:
                missing[remote] = "not on disk, downloads off"
            elif offline:
                missing[remote] = offline
            else:
                try:
                    found[remote.path] = self.fetch(remote, status.path if status.state == "modified" else None)
                except DownloadError as error:
                    missing[remote] = str(error)
                    offline = "not tried: network unavailable" if error.network else ""
        for remote in wanted:  # copies share the file found for their content
            for copy in self.copies(remote):
                if copy.path in found:
                    found[remote.path] = found[copy.path]
        return Gathered(found, missing)

    def fetch(self, remote: RemoteFile, destination: Path | None = None) -> Path:
        """Download ``remote`` from the release, verify it, and move it into place atomically."""
        destination = destination or self.local_path(remote)
        url = remote.url(self.base_url)
        log.info("downloading %s to %s", url, destination)
        try:
            destination.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(prefix=".download-", dir=destination.parent) as scratch:
                partial = Path(_pooch_retrieve(url, Path(scratch), destination.name, self.progressbar))
                problem = file_problem(partial, remote)
                if problem:
                    raise DownloadError(f"the downloaded file {problem}")
                os.replace(partial, destination)
        except OSError as error:
            raise DownloadError(f"cannot write {destination}: {error.strerror or error}") from None
        return destination

    def where_to_put(self, missing: Iterable[RemoteFile]) -> str:
        """Lines naming each missing file, its URL and its place on disk."""
        return "\n".join(f"  {self.local_path(f)}  <-  {f.url(self.base_url)}" for f in missing)


def _unique_content(files: Iterable[RemoteFile]) -> list[RemoteFile]:
    seen: set[str] = set()
    unique = []
    for remote in files:
        if remote.git_blob_sha1 not in seen:
            seen.add(remote.git_blob_sha1)
            unique.append(remote)
    return unique


def _pooch_retrieve(url: str, folder: Path, name: str, progressbar: bool) -> str:
    """``pooch.retrieve`` into ``folder``; the hash is checked by the caller (pooch knows no git blob ids)."""
    try:
        import pooch
        import requests
    except ImportError:
        raise DownloadError("downloading needs pooch: pip install 'ner-bench[data]'") from None
    try:
        with _quiet(pooch.get_logger()):
            return pooch.retrieve(url, known_hash=None, fname=name, path=folder, progressbar=progressbar)
    except requests.HTTPError as error:
        raise DownloadError(f"HTTP error {error.response.status_code}") from None
    except requests.RequestException as error:
        raise DownloadError(f"network unavailable ({type(error).__name__})", network=True) from None


@contextlib.contextmanager
def _quiet(logger: logging.Logger) -> Iterator[None]:
    """Hide pooch's INFO lines (it suggests pinning a sha256 we check ourselves); warnings still show."""
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)
