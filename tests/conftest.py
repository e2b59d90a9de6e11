"""Shared fixtures: small synthetic recordings, the real release folder when it is at hand."""

from __future__ import annotations

import functools
import os
import http.server
import socket
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from ner_bench import Recording
from support.recordings import make_recording

REPO = Path(__file__).resolve().parents[1]
# NER_BENCH_TEST_DATA points the real-data integration tests at another release folder
RELEASE = (Path(os.environ["NER_BENCH_TEST_DATA"]) if os.environ.get("NER_BENCH_TEST_DATA")
           else REPO.parent / "shared" / "data" / "ner-release")


def pytest_collection_modifyitems(config, items):
    """Benchmarks (tests/benchmarks) run only with --benchmark-only; the default run skips them."""
    if config.getoption("benchmark_only", default=False):
        return
    skip = pytest.mark.skip(reason="benchmark: run with `pytest tests/benchmarks --benchmark-only`")
    for item in items:
        if "benchmarks" in Path(str(item.fspath)).parts:
            item.add_marker(skip)


def pytest_configure(config):
    config.benchmark_summary = []  # lines a benchmark leaves for the end of the run (e.g. speed ratios)


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter, config):
    for line in getattr(config, "benchmark_summary", []):
        terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def release_dir() -> Path:
    if not (RELEASE / "MANIFEST.tsv").exists():
        pytest.skip(f"the NER release folder is not at hand ({RELEASE})")
    return RELEASE


@pytest.fixture
def toy_recording() -> Recording:
    return make_recording()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        super().do_GET()

    def log_message(self, *args) -> None:
        pass


@dataclass
class Served:
    url: str
    requests: list[str]


@pytest.fixture
def serve_folder(monkeypatch):
    """Serve a folder over HTTP on 127.0.0.1 (never the internet): ``serve_folder(path) -> Served``."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    servers = []

    def start(folder: Path) -> Served:
        handler = functools.partial(_QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.requests = []
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return Served(f"http://127.0.0.1:{server.server_port}", server.requests)

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def closed_port_url() -> str:
    """A local URL nothing listens on: requests to it fail as they would offline."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def maze_nwb(tmp_path_factory) -> Path:
    """A small MC_Maze-like NWB file written with pynwb (see tests/support/maze_nwb.py)."""
    pytest.importorskip("pynwb")
    from support.maze_nwb import write_maze_nwb

    folder = tmp_path_factory.mktemp("maze")
    return write_maze_nwb(folder / "sub-Jenkins_ses-full_desc-train_behavior+ecephys.nwb")
