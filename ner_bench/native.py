"""Small C++ kernels compiled on first use with the machine's compiler, loaded through ctypes.

A kernel is one C++ source file beside the Python module that calls it. It is compiled for this machine's
CPU (``-march=native``) into ner-bench's cache folder, under a name that hashes the source, the flags, the
compiler's version and the CPU's model and features, so that an edited source, another compiler or a
different node of a cluster sharing one home folder each get their own library. Compiling writes a
temporary file and renames it, so processes compiling at once do not read half a library.

Where no compiler is found or compiling fails, :func:`load` returns None (the reason is logged once) and
the caller keeps its portable path. ``NER_BENCH_NATIVE=0`` turns every kernel off;
``NER_BENCH_KERNEL_CACHE`` moves the cache folder.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import logging
import os
import platform
import shutil
import subprocess
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

SWITCH_VARIABLE = "NER_BENCH_NATIVE"
CACHE_VARIABLE = "NER_BENCH_KERNEL_CACHE"
FLAGS = ("-O3", "-march=native", "-fPIC", "-std=c++17")
#: lets GCC call glibc's vector exp and log (libmvec), for kernels written for it (it may reassociate sums)
FAST_MATH = ("-ffast-math",)
#: linked apart, without -ffast-math: linked with it, GCC adds crtfastmath.o, whose constructor turns on
#: flush-to-zero for the whole process when the library loads (every later denormal in NumPy, SciPy and
#: torch would read 0)
LINK_FLAGS = ("-shared",)


def enabled() -> bool:
    return os.environ.get(SWITCH_VARIABLE, "1").strip().lower() not in ("0", "false", "no", "off")


def load(source: Path, *, fast_math: bool = True) -> ctypes.CDLL | None:
    """The compiled library of ``source`` for this machine, or None where it cannot be built.
    ``fast_math=False`` for kernels whose floating-point results must be IEEE's, operation by operation."""
    if not enabled():
        return None
    return _load(Path(source).resolve(), FLAGS + FAST_MATH if fast_math else FLAGS)


@functools.lru_cache(maxsize=None)
def _load(source: Path, flags: tuple[str, ...]) -> ctypes.CDLL | None:
    compiler = _compiler()
    if compiler is None:
        log.warning("no C++ compiler found (set CXX): %s runs on its portable path", source.stem)
        return None
    library = cache_folder() / f"{source.stem}-{_build_key(source, compiler, flags)}.so"
    if not library.exists():
        try:
            _compile(source, compiler, flags, library)
        except (OSError, subprocess.SubprocessError) as error:
            log.warning("could not compile %s (%s): it runs on its portable path", source.name, error)
            return None
    try:
        return ctypes.CDLL(str(library))
    except OSError as error:
        log.warning("could not load %s (%s): it runs on its portable path", library, error)
        return None


def cache_folder() -> Path:
    if os.environ.get(CACHE_VARIABLE):
        return Path(os.environ[CACHE_VARIABLE])
    import platformdirs

    return Path(platformdirs.user_cache_dir("ner-bench")) / "kernels"


def _compiler() -> str | None:
    for name in (os.environ.get("CXX"), "c++", "g++", "clang++"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


@functools.lru_cache(maxsize=None)
def _compiler_version(compiler: str) -> str:
    return subprocess.run([compiler, "--version"], capture_output=True, text=True, timeout=60).stdout


def _build_key(source: Path, compiler: str, flags: tuple[str, ...]) -> str:
    digest = hashlib.sha256(source.read_bytes())
    for part in (" ".join(flags + LINK_FLAGS), _compiler_version(compiler), _cpu_identity()):
        digest.update(b"\0" + part.encode())
    return digest.hexdigest()[:16]


def _cpu_identity() -> str:
    """The CPU model and feature flags, so that -march=native code never meets a CPU it was not built for."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.machine() + platform.processor()
    wanted = ("model name", "flags", "Features", "CPU part")
    return "\n".join(sorted({line.strip() for line in text.splitlines() if line.startswith(wanted)}))


def _compile(source: Path, compiler: str, flags: tuple[str, ...], library: Path) -> None:
    library.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=library.parent, prefix=library.stem, suffix=".partial")
    os.close(handle)
    objects = partial + ".o"
    try:
        _run(compiler, [*flags, "-c", str(source), "-o", objects])
        _run(compiler, [*LINK_FLAGS, objects, "-o", partial])
        os.replace(partial, library)
    finally:
        Path(partial).unlink(missing_ok=True)
        Path(objects).unlink(missing_ok=True)


def _run(compiler: str, arguments: list[str]) -> None:
    finished = subprocess.run([compiler, *arguments], capture_output=True, text=True, timeout=300)
    if finished.returncode != 0:
        last_lines = finished.stderr.strip().splitlines()[-3:]
        raise subprocess.SubprocessError(" / ".join(last_lines) or f"{compiler} failed")
