import os
import sys
import tempfile
from pathlib import Path

# Tests run in parallel workers on few cores: one thread each, or XLA's and OpenBLAS's thread
# pools spin against each other.
os.environ.setdefault(
    "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).parent))  # tests/references.py
# Each test process (each xdist worker) caches compiled and exported functions in its own
# temporary folder: runs and workers never share entries, and nothing goes to the user's cache.
os.environ["WALRAS_CACHE"] = tempfile.mkdtemp(prefix="walras-cache-")
