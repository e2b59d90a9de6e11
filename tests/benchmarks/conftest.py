"""Benchmarks may leave lines (e.g. speed ratios) in ``config.benchmark_summary``; they are printed at the
end of the run, after pytest-benchmark's table."""

import pytest


def pytest_configure(config):
    config.benchmark_summary = []


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter, config):
    for line in getattr(config, "benchmark_summary", []):
        terminalreporter.write_line(line)
