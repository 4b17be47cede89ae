"""Local recommenders (implicit's ALS, BPR, item-kNN, and popularity) behind the same
interfaces as the Personalize adapter, plus offline evaluation in Personalize's metric names.

Needs the ``ml`` extra; never imported by a Lambda handler.
"""

import os

from threadpoolctl import threadpool_limits

# implicit is several times slower with a multi-threaded BLAS (it warns about it): the
# variable covers a NumPy imported later, the limit one imported already.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
threadpool_limits(1, "blas")
