"""``ner-bench data list|download|verify``: a dataset's files on this machine.

Works for any dataset that exposes ``data_files(subjects, sessions, areas)`` (each file with the recording
ids it holds) and ``file_store()`` (a :class:`ner_bench.download.FileStore`), as ``reaching`` does.
"""

from __future__ import annotations

import argparse
import sys

from .options import add_plugin_option, add_recording_filters, missing_folder_message
from ..download import FileStore, RemoteFile, data_home_origin
from ..errors import NerBenchError
from ..plugins import discover
from ..specs import parse_specs


def add_parser(commands) -> None:
    parser = commands.add_parser("data", help="list, download or verify a dataset's files",
                                 description="list: each file with its recordings and whether it is at hand "
                                             "and verified; download: fetch the missing ones; verify: check "
                                             "every file at hand against the release (exit 1 if one differs).")
    parser.add_argument("action", choices=("list", "download", "verify"))
    parser.add_argument("--dataset", default="reaching", help="dataset name, options in brackets (default reaching)")
    parser.add_argument("--data-dir", default=None, help="data folder (default: $NER_BENCH_DATA or the user cache)")
    add_recording_filters(parser)
    parser.add_argument("--force", action="store_true", help="download: replace files that fail verification")
    add_plugin_option(parser)
    parser.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    # list and download may name a folder that does not exist yet (download creates it); verify may not
    problem = missing_folder_message(args.data_dir) if args.data_dir and args.action == "verify" else None
    if problem:
        raise NerBenchError(f"argument --data-dir: {problem}")
    spec = parse_specs(args.dataset, "--dataset")[0]
    dataset = discover(args.plugin).get("datasets", spec.name)(data_dir=args.data_dir, **spec.params)
    if not hasattr(dataset, "data_files"):
        raise NerBenchError(f"dataset {spec.name!r} has no files to list, download or verify (it is generated)")
    files = dataset.data_files(args.subjects, args.sessions, args.areas)
    store: FileStore = dataset.file_store()
    print(f"data folder: {store.root} (from {data_home_origin(args.data_dir)})")
    return {"list": list_files, "download": download, "verify": verify}[args.action](store, files, args)


def list_files(store: FileStore, files: list[tuple[RemoteFile, list[str]]], args) -> int:
    states = []
    for remote, recording_ids in files:
        status = store.status(remote)
        states.append(status.state)
        shown = status.path.relative_to(store.root) if status.state != "missing" else remote.path
        size = f"{remote.size / 1e6:.1f}" if remote.size else "?"
        print(f"{status.state:<9} {size:>5} MB  {str(shown):<56}  {', '.join(recording_ids)}")
    at_hand = len(files) - states.count("missing")
    print(f"{at_hand} of {len(files)} files at hand ({states.count('verified')} verified, "
          f"{states.count('modified')} modified), {states.count('missing')} missing"
          + (": `ner-bench data download` fetches them" if "missing" in states else ""))
    return 0


def download(store: FileStore, files: list[tuple[RemoteFile, list[str]]], args) -> int:
    gathered = store.gather([remote for remote, _ in files], download=True, replace_modified=args.force)
    print(f"{len(files) - len(gathered.missing)} of {len(files)} files at hand and verified")
    for remote, reason in gathered.missing.items():
        print(f"not downloaded: {remote.path}: {reason}", file=sys.stderr)
    return 1 if gathered.missing else 0


def verify(store: FileStore, files: list[tuple[RemoteFile, list[str]]], args) -> int:
    modified = missing = 0
    for remote, _ in files:
        status = store.status(remote)
        if status.state == "modified":
            modified += 1
            print(f"MODIFIED {status.path}: {status.problem}", file=sys.stderr)
        elif status.state == "missing":
            missing += 1
        else:
            print(f"ok       {status.path}")
    print(f"{len(files) - modified - missing} verified, {modified} modified, {missing} missing")
    return 1 if modified else 0
