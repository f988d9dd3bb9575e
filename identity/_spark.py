"""The Spark session of the ``spark`` backend: lazy, local by default, quiet, stopped after.

Nothing here runs at import: pyspark (and its JVM) is only loaded when a Spark scorer starts.
A session already active in the process (a notebook's, a test fixture's, a cluster job's) is
used as it is and left running; otherwise :func:`spark_session` builds one from
:class:`identity.SparkSettings` with Splink's similarity functions (``jaro_winkler``,
``damerau_levenshtein``, … from the JAR Splink ships, ``spark.jars``) and stops it on exit.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final

from identity.errors import IdentityError
from identity.settings import SparkSettings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["check_similarity_functions", "session_conf", "spark_session"]

logger = logging.getLogger(__name__)


def _jar() -> str:
    try:
        from splink.backends.spark import similarity_jar_location
    except ImportError as e:  # pyspark missing
        raise IdentityError("the spark backend needs pyspark installed") from e
    return str(similarity_jar_location())


def session_conf(settings: SparkSettings) -> dict[str, str]:
    """The Spark properties a new session gets (``settings.conf`` last, so it wins)."""
    conf = {
        "spark.jars": _jar(),
        "spark.sql.shuffle.partitions": str(settings.shuffle_partitions),
        "spark.default.parallelism": str(settings.shuffle_partitions),
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",
    }
    if settings.master.startswith("local"):
        # local mode: the driver is this process; listen on loopback only
        conf["spark.driver.host"] = "127.0.0.1"
        conf["spark.driver.bindAddress"] = "127.0.0.1"
    conf.update(dict(settings.conf))
    return conf


def check_similarity_functions(spark: SparkSession) -> None:
    """Raise :class:`IdentityError` unless Splink's similarity UDFs run in ``spark``
    (``SparkAPI`` registers them, and logs only a warning when the JAR is missing)."""
    try:
        spark.sql("SELECT jaro_winkler('ab', 'ab') AS jw, damerau_levenshtein('a', 'b') AS d")
    except Exception as e:  # AnalysisException: the function is unknown
        raise IdentityError(
            "the Spark session lacks Splink's similarity functions: add "
            "splink.backends.spark.similarity_jar_location() to spark.jars"
        ) from e


@contextmanager
def spark_session(settings: SparkSettings | None = None) -> Iterator[SparkSession]:
    """The active Spark session, or a new one from ``settings`` that is stopped on exit.

    Hold one open around several resolutions to pay the JVM start once::

        with spark_session(SparkSettings(master="local[2]")):
            resolve(records, settings=ResolveSettings(backend="spark"))
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as e:
        raise IdentityError("the spark backend needs pyspark installed") from e
    active = SparkSession.getActiveSession()
    if active is not None:
        logger.info("using the active Spark session (%s)", active.sparkContext.master)
        yield active
        return
    settings = settings or SparkSettings()
    conf = session_conf(settings)
    # Spark makes its SQL warehouse folder (``spark-warehouse``) in the working directory when
    # a session starts; Splink only uses temporary views, so a session of ours gets a folder
    # of its own, removed when it stops (unless ``settings.conf`` names one)
    warehouse = None
    if _WAREHOUSE not in conf:
        warehouse = tempfile.mkdtemp(prefix="cdp-spark-warehouse-")
        conf[_WAREHOUSE] = warehouse
    builder: Any = SparkSession.builder.master(settings.master).appName(settings.app_name)
    for key, value in conf.items():
        builder = builder.config(key, value)
    try:
        try:
            spark = builder.getOrCreate()
        except Exception as e:  # no Java, a bad master URL, ports: Py4J/Spark raise many kinds
            raise IdentityError(f"cannot start Spark ({type(e).__name__})") from e
        try:
            spark.sparkContext.setLogLevel("WARN")
            if settings.checkpoint_dir:
                spark.sparkContext.setCheckpointDir(settings.checkpoint_dir)
            logger.info("started Spark %s (%s)", spark.version, settings.master)
            yield spark
        finally:
            spark.stop()
            logger.info("stopped Spark")
    finally:
        if warehouse is not None:
            shutil.rmtree(warehouse, ignore_errors=True)


_WAREHOUSE: Final = "spark.sql.warehouse.dir"
