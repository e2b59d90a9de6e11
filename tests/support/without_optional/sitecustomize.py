"""Put this folder on PYTHONPATH to run Python as if only ``pip install -e ".[test]"`` had been done:
see tests/support/optional_deps.py. (Loaded by file path, so sys.path is not changed.)"""

import importlib.util
import sys
from pathlib import Path

_spec = importlib.util.spec_from_file_location("_ner_bench_optional_deps",
                                               Path(__file__).resolve().parents[1] / "optional_deps.py")
_module = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _module
_spec.loader.exec_module(_module)
_module.install()
