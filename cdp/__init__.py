"""Customer data platform core: configuration, canonical models, synthetic data and the CLI."""

import os as _os

__all__ = ["__version__"]

__version__ = "0.1.0"

# numpy (which Arrow, Polars and pandas load) brings OpenBLAS, whose threads - one per core -
# spin for a while after they start: about 0.1 CPU-second per process on a machine of 2 cores,
# taken from the ingest. The platform does no linear algebra; one thread unless told otherwise.
_os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
