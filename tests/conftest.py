import os
import sys
from pathlib import Path

# Tests run in parallel workers on few cores: one thread each, or XLA's and OpenBLAS's thread
# pools spin against each other.
os.environ.setdefault(
    "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).parent))  # tests/references.py
