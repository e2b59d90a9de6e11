"""Finding the MC_Maze file locally, or downloading it from DANDI at a pinned version.

The file is DANDI:000128 (MC_Maze, monkey Jenkins) version 0.220113.0400, asset
``sub-Jenkins/sub-Jenkins_ses-full_desc-train_behavior+ecephys.nwb`` (the NLB training file: the only one
with behaviour). A published DANDI version never changes, and the download is checked against the sha256
the archive records for the asset.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from ner_bench import NerBenchError
from ner_bench.download import data_home

log = logging.getLogger(__name__)

DANDISET_ID = "000128"
DANDISET_VERSION = "0.220113.0400"
ASSET_PATH = "sub-Jenkins/sub-Jenkins_ses-full_desc-train_behavior+ecephys.nwb"
FILE_NAME = Path(ASSET_PATH).name
DANDI_URL = f"dandi://dandi/{DANDISET_ID}@{DANDISET_VERSION}/{ASSET_PATH}"  # one asset, pinned version
DANDI_COMMAND = f'dandi download "{DANDI_URL}"'
WEB_PAGE = f"https://dandiarchive.org/dandiset/{DANDISET_ID}/{DANDISET_VERSION}"


def local_candidates(folder: Path) -> list[Path]:
    """Where the file may already be under ``folder`` (as `dandi download` or a plain copy leaves it)."""
    return [folder / DANDISET_ID / ASSET_PATH, folder / ASSET_PATH, folder / FILE_NAME]


def find_or_fetch(data_dir: str | Path | None, download: bool = True) -> Path:
    """The local MC_Maze file under the data folder, downloading it there when absent (and allowed)."""
    folder = data_home(data_dir)
    for candidate in local_candidates(folder):
        if candidate.is_file():
            return candidate
    target = local_candidates(folder)[0]
    if not download:
        raise NerBenchError(f"MC_Maze file not found under {folder} (looked for {FILE_NAME}); get it with "
                            f"`{DANDI_COMMAND} -o {folder}` or pass mc_maze[path=FILE]")
    return fetch(target)


def fetch(target: Path) -> Path:
    """Download the pinned asset to ``target`` (atomically) and verify its sha256."""
    try:
        from dandi.dandiapi import DandiAPIClient
    except ImportError:
        raise NerBenchError(f"the MC_Maze file is not at {target} and downloading it needs the dandi client: "
                            f'pip install "ner-bench[maze]" (or `pip install dandi`), or download it yourself '
                            f"with `{DANDI_COMMAND} -o {target.parents[2]}` (or from {WEB_PAGE})") from None
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    log.info("downloading DANDI:%s/%s %s to %s", DANDISET_ID, DANDISET_VERSION, ASSET_PATH, target)
    try:
        with DandiAPIClient() as client:
            asset = client.get_dandiset(DANDISET_ID, DANDISET_VERSION).get_asset_by_path(ASSET_PATH)
            expected = asset.get_raw_metadata().get("digest", {}).get("dandi:sha2-256")
            asset.download(partial)
    except Exception as error:
        partial.unlink(missing_ok=True)
        raise NerBenchError(f"could not download DANDI:{DANDISET_ID}/{DANDISET_VERSION} {ASSET_PATH} to {target}: "
                            f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}; "
                            f"download it yourself with `{DANDI_COMMAND} -o {target.parents[2]}` and pass "
                            "--data-dir, or pass mc_maze[path=FILE]") from None
    verify_sha256(partial, expected)
    partial.replace(target)
    return target


def verify_sha256(path: Path, expected: str | None) -> None:
    if not expected:
        log.warning("DANDI lists no sha256 for %s; the download is not verified", ASSET_PATH)
        return
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    if digest.hexdigest() != expected:
        path.unlink(missing_ok=True)
        raise NerBenchError(f"download of {ASSET_PATH} is corrupt: sha256 {digest.hexdigest()}, expected {expected}")
