"""ner_bench.native: kernels are compiled once per source and machine, and a failed build is not fatal."""

import ctypes
import logging

import pytest

from ner_bench import native

SOURCE = 'extern "C" int twice(int x) { return 2 * x; }\n'


@pytest.fixture
def kernel_source(tmp_path, monkeypatch):
    monkeypatch.setenv(native.CACHE_VARIABLE, str(tmp_path / "cache"))
    native._load.cache_clear()
    source = tmp_path / "twice.cpp"
    source.write_text(SOURCE)
    yield source
    native._load.cache_clear()


def require_compiler():
    if native._compiler() is None:
        pytest.skip("no C++ compiler here")


def test_a_kernel_is_compiled_into_the_cache_and_reused(kernel_source, tmp_path):
    require_compiler()
    library = native.load(kernel_source)
    library.twice.restype, library.twice.argtypes = ctypes.c_int, [ctypes.c_int]
    assert library.twice(21) == 42
    built = list((tmp_path / "cache").glob("twice-*.so"))
    assert len(built) == 1 and not list((tmp_path / "cache").glob("*.partial"))
    native._load.cache_clear()
    stamp = built[0].stat().st_mtime_ns
    assert native.load(kernel_source) is not None and built[0].stat().st_mtime_ns == stamp  # not rebuilt


def test_an_edited_source_gets_its_own_library(kernel_source, tmp_path):
    require_compiler()
    native.load(kernel_source)
    kernel_source.write_text(SOURCE.replace("2 * x", "3 * x"))
    native._load.cache_clear()
    library = native.load(kernel_source)
    library.twice.restype, library.twice.argtypes = ctypes.c_int, [ctypes.c_int]
    assert library.twice(2) == 6
    assert len(list((tmp_path / "cache").glob("twice-*.so"))) == 2


def test_a_failed_build_returns_none_and_says_why(kernel_source, caplog):
    require_compiler()
    kernel_source.write_text("this is not C++\n")
    with caplog.at_level(logging.WARNING, logger="ner_bench.native"):
        assert native.load(kernel_source) is None
    assert "could not compile twice.cpp" in caplog.text and "portable path" in caplog.text


def test_no_compiler_returns_none(kernel_source, monkeypatch, caplog):
    monkeypatch.setattr(native, "_compiler", lambda: None)
    with caplog.at_level(logging.WARNING, logger="ner_bench.native"):
        assert native.load(kernel_source) is None
    assert "no C++ compiler" in caplog.text


def test_switched_off_returns_none(kernel_source, monkeypatch):
    monkeypatch.setenv(native.SWITCH_VARIABLE, "0")
    assert native.load(kernel_source) is None


def test_loading_a_kernel_keeps_denormals(kernel_source):
    """A library linked with -ffast-math would turn on flush-to-zero for the whole process when loaded."""
    require_compiler()
    import numpy as np

    assert native.load(kernel_source) is not None
    assert np.array([1e-310]) * 1.0 != 0 and np.float32(1e-39) * np.float32(1.0) != 0
