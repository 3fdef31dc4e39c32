import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

# Tests run in parallel workers on few cores: one thread each, or XLA's and OpenBLAS's thread
# pools spin against each other. They compile far more than they run, so XLA's backend skips
# LLVM's optimisations: the default suite on a clean clone took 976 s of wall time with it and
# 1,086 s without (1,872 s and 2,103 s of test time), one after the other on one machine.
os.environ.setdefault(
    "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false --xla_backend_optimization_level=0"
)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).parent))  # tests/references.py
# One temporary cache folder (compiled and exported functions) per test run, never the user's:
# the process that starts the run makes it, its xdist workers and the commands they start inherit
# it (what one worker compiled, the other loads), and it is removed when the run ends.
if "WALRAS_TEST_CACHE" not in os.environ:
    os.environ["WALRAS_TEST_CACHE"] = tempfile.mkdtemp(prefix="walras-cache-")
    atexit.register(shutil.rmtree, os.environ["WALRAS_TEST_CACHE"], ignore_errors=True)
os.environ["WALRAS_CACHE"] = os.environ["WALRAS_TEST_CACHE"]

# Under `--dist loadfile` a file's tests run on one worker, in order, sharing its module fixtures.
# These files' tests share none and take minutes together: each goes to whichever worker is free.
SPREAD = {"tests/test_docs_commands.py"}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class Scheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            file = super()._split_scope(nodeid)
            return nodeid if file in SPREAD else file

    return Scheduling(config, log)
