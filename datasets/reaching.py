"""The NER release's center-out reaching recordings: Chewie and Mihili M1 and PMd, Han S1.

31 recordings (one per session x area) from 19 files of github.com/NeuroscienceAI/NER at a pinned commit:
M1 from ``data/SU_16M1`` (Chewie 2015 x4, Chewie 2016 x6, Mihili 2014 x6), PMd from ``data/SU_12PMd``
(Chewie 2016 x6, Mihili x6; the same files as their M1 copies) and S1 from ``data/SU_3S1`` (Han x3).
Files are looked up below the data folder with their release paths, verified against the packaged
manifest, and downloaded when missing (see ``missing``). Recording ids read ``Chewie_20150629_M1``.

Options:
- ``missing``: what to do about selected files that are not on disk. ``auto`` (default) downloads into
  the cache folder (the user cache or ``$NER_BENCH_DATA``) but not into an explicit ``--data-dir``,
  whose files are used as they are; ``download`` always tries; ``skip`` never does; ``error`` downloads
  and fails unless every selected file is there. Files that stay missing are listed (path, URL) in a
  warning, and the run goes on with the others; with none at hand it fails with that list.
- ``base_url``: where files are downloaded from (a mirror of the release).
- ``manifest``: a TSV laid out like ``ner_bench/data/reaching_manifest.tsv`` to read other files in the
  release's format (default: the release's own).
- ``directions``: ``reach`` (default) makes class k the reach towards k x 45 degrees in every session, shifting
  the codes of the one session whose codes run a class ahead of its reaches (Mihili 2014-02-18, see
  ``CODES_AHEAD_OF_REACHES``); ``file`` keeps the release's codes as the reference code maps them.
"""

from __future__ import annotations

import logging
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ner_bench import Dataset, NerBenchError, Recording
from ner_bench.builtins.datasets._release_format import SessionFile, read_session_file
from ner_bench.download import (FileStore, MissingFilesError, RemoteFile, data_home, manifest_from_file,
                                packaged_manifest)

log = logging.getLogger(__name__)

RELEASE_COMMIT = "c8bdb72f25e9a4b90bdd2544f5e18654a73ee93a"
RELEASE_URL = f"https://raw.githubusercontent.com/NeuroscienceAI/NER/{RELEASE_COMMIT}"
MANIFEST = "reaching_manifest.tsv"
BIN_SIZE = 0.03
MISSING_POLICIES = ("auto", "download", "skip", "error")
DIRECTION_POLICIES = ("reach", "file")
#: degrees by which a session's direction codes run ahead of its reaches. In Mihili 2014-02-18 the mean hand
#: velocity of every code's trials points 41-47 degrees clockwise of the code, from the first trial to the last
#: (every other session at hand: within 25 degrees; tests/test_reaching.py): the reach to 135 is written 180 (the
#: "+180 instead of -180" of the reference's notes), the reach to -180 is written -135, and so on round the circle.
#: Left as written, the session's direction averages pair with other days' averages of the neighbouring target,
#: and every alignment fitted on them is off by 45 degrees.
CODES_AHEAD_OF_REACHES = {"Mihili_20140218": 45}
#: hemisphere by (subject, year), as the release's paper states it; anything else stays "unknown"
HEMISPHERES = {("Chewie", "2015"): "right", ("Chewie", "2016"): "left"}
_FILE_PATTERN = re.compile(r"^data/SU_\d+(?P<area>M1|PMd|S1)/(?P<subject>[A-Za-z]+)_(?P<date>\d{8})_"
                           r"neural_con_dis_index\.mat$")


@dataclass(frozen=True)
class CatalogueEntry:
    """One recording of the release: which file holds it, and what it is."""

    remote: RemoteFile
    subject: str
    compact_date: str  # YYYYMMDD, as in the file name
    area: str

    @property
    def session(self) -> str:
        return f"{self.subject}_{self.compact_date}"

    @property
    def id(self) -> str:
        return f"{self.session}_{self.area}"

    @property
    def date(self) -> str:
        d = self.compact_date
        return f"{d[:4]}-{d[4:6]}-{d[6:]}"

    @property
    def hemisphere(self) -> str:
        return HEMISPHERES.get((self.subject, self.compact_date[:4]), "unknown")

    def matches(self, subjects: Sequence[str], sessions: Sequence[str], areas: Sequence[str]) -> bool:
        """Sessions may be named by date (2015-06-29 or 20150629), session or recording id."""
        names = {self.date, self.compact_date, self.session, self.id}
        return ((not subjects or self.subject in subjects) and (not sessions or bool(names & set(sessions)))
                and (not areas or self.area in areas))


def catalogue(files: Sequence[RemoteFile], source: str) -> list[CatalogueEntry]:
    """One entry per manifest row, sorted by subject, date and area."""
    entries = []
    for remote in files:
        match = _FILE_PATTERN.match(remote.path)
        if not match:
            raise NerBenchError(f"manifest {source}: {remote.path!r} is not laid out like the release "
                                "(data/SU_<n><M1|PMd|S1>/<Subject>_<YYYYMMDD>_neural_con_dis_index.mat)")
        entries.append(CatalogueEntry(remote, match["subject"], match["date"], match["area"]))
    ids = [e.id for e in entries]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise NerBenchError(f"manifest {source}: recording(s) {', '.join(duplicated)} listed more than once")
    return sorted(entries, key=lambda e: (e.subject, e.compact_date, e.area))


class Reaching(Dataset):
    name = "reaching"
    description = ("The NER release: center-out reaching, Chewie/Mihili M1 and PMd, Han S1 "
                   "(31 recordings, downloaded and verified)")
    defaults = {"missing": "auto", "base_url": RELEASE_URL, "manifest": "", "directions": "reach"}

    def __init__(self, data_dir: str | Path | None = None, **options) -> None:
        super().__init__(data_dir, **options)
        if self.options["missing"] not in MISSING_POLICIES:
            raise NerBenchError(f"dataset 'reaching' option 'missing': {self.options['missing']!r} is not one "
                                f"of {', '.join(MISSING_POLICIES)}")
        if self.options["directions"] not in DIRECTION_POLICIES:
            raise NerBenchError(f"dataset 'reaching' option 'directions': {self.options['directions']!r} is not "
                                f"one of {', '.join(DIRECTION_POLICIES)}")
        manifest = self.options["manifest"]
        self.manifest_source = manifest or f"ner_bench/data/{MANIFEST}"
        self.remote_files = manifest_from_file(manifest) if manifest else packaged_manifest(MANIFEST)
        self.entries = catalogue(self.remote_files, self.manifest_source)

    # ------------------------------------------------------------------ files (also for `ner-bench data`)
    def file_store(self, progressbar: bool | None = None) -> FileStore:
        """The files of the manifest below the data folder; a progress bar on a terminal by default."""
        progressbar = sys.stderr.isatty() if progressbar is None else progressbar
        return FileStore(data_home(self.data_dir), self.remote_files, self.options["base_url"], progressbar)

    def select(self, subjects: Sequence[str] = (), sessions: Sequence[str] = (),
               areas: Sequence[str] = ()) -> list[CatalogueEntry]:
        chosen = [e for e in self.entries if e.matches(subjects, sessions, areas)]
        if not chosen:
            raise NerBenchError(f"dataset 'reaching': no recording matches subjects={list(subjects)}, "
                                f"sessions={list(sessions)}, areas={list(areas)}; subjects "
                                f"{sorted({e.subject for e in self.entries})}, areas "
                                f"{sorted({e.area for e in self.entries})}, sessions e.g. {self.entries[0].session}")
        return chosen

    def data_files(self, subjects: Sequence[str] = (), sessions: Sequence[str] = (),
                   areas: Sequence[str] = ()) -> list[tuple[RemoteFile, list[str]]]:
        """Each distinct file the selection needs, with the recording ids it holds."""
        by_content: dict[str, tuple[RemoteFile, list[str]]] = {}
        for entry in self.select(subjects, sessions, areas):
            remote, ids = by_content.setdefault(entry.remote.git_blob_sha1, (entry.remote, []))
            ids.append(entry.id)
        return list(by_content.values())

    def downloads(self) -> bool:
        policy = self.options["missing"]
        return policy in ("download", "error") or (policy == "auto" and self.data_dir is None)

    # ------------------------------------------------------------------ recordings
    def load(self) -> list[Recording]:
        return self.recordings()

    def recordings(self, subjects: Sequence[str] = (), sessions: Sequence[str] = (),
                   areas: Sequence[str] = ()) -> list[Recording]:
        """The selected recordings, reading (or fetching) only the files they need."""
        entries = self.select(subjects, sessions, areas)
        store = self.file_store()
        gathered = store.gather([e.remote for e in entries], download=self.downloads())
        if gathered.missing:
            absent = [e.id for e in entries if e.remote.path not in gathered.found]
            self._report_missing(store, gathered.missing, absent, none_left=not gathered.found)
        files: dict[Path, SessionFile] = {}
        recordings = []
        for entry in entries:
            path = gathered.found.get(entry.remote.path)
            if path is None:
                continue
            if path not in files:
                wanted = [e.area for e in entries if gathered.found.get(e.remote.path) == path]
                files[path] = read_session_file(path, wanted)
            recordings.append(self._recording(entry, files[path]))
        return recordings

    def _recording(self, entry: CatalogueEntry, session: SessionFile) -> Recording:
        shift = self._direction_shift(entry)
        return Recording.from_trials(
            id=entry.id, neural=session.neural[entry.area], velocity=session.velocity,
            direction=(session.direction - shift // 45) % 8, trial_length=session.trial_length, dataset=self.name,
            subject=entry.subject, date=entry.date, area=entry.area, hemisphere=entry.hemisphere,
            bin_size=BIN_SIZE, source=str(session.path),
            meta={"release_path": entry.remote.path, "git_blob_sha1": entry.remote.git_blob_sha1,
                  "direction_codes_shifted_degrees": -shift})

    def _direction_shift(self, entry: CatalogueEntry) -> int:
        """Degrees to take off the file's direction codes (0 unless ``directions=reach`` corrects them)."""
        return CODES_AHEAD_OF_REACHES.get(entry.session, 0) if self.options["directions"] == "reach" else 0

    def _report_missing(self, store: FileStore, missing: dict[RemoteFile, str], absent: list[str],
                        none_left: bool) -> None:
        reasons = "; ".join(sorted(set(missing.values())))
        if self.options["missing"] == "auto" and self.data_dir is not None:
            reasons += " for an explicit --data-dir (--dataset \"reaching[missing=download]\" turns them on)"
        message = (f"dataset 'reaching': {len(missing)} file(s) holding {len(absent)} selected recording(s) "
                   f"are not in {store.root} "
                   f"({reasons}):\n{store.where_to_put(missing)}\nPut them there (same relative paths), or run "
                   f"`ner-bench data download{self._data_dir_argument()}`.")
        if none_left or self.options["missing"] == "error":
            raise MissingFilesError(message)
        log.warning("%s\nGoing on with the recordings at hand.", message)

    def _data_dir_argument(self) -> str:
        return f" --data-dir {self.data_dir}" if self.data_dir else ""
