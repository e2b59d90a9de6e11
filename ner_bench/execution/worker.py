"""A local worker process's entry point: ``python -m ner_bench.execution.worker FD PARENT_PID [OUT]``
(its own module, so that running it does not import the pool's module a second time)."""

import sys

from ..run_folder import RunFolder
from .local_pool import serve

if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]), RunFolder(sys.argv[3]) if sys.argv[3] else None)
