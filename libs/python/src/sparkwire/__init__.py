"""sparkwire for PySpark: attach the JVM listener and send custom observations.

    spark = sparkwire.configure(SparkSession.builder.appName("x")).getOrCreate()
"""
from ._jar import JarNotFoundError, SparkLine, UnsupportedSparkError, detect_spark, jar_path, spark_line
from ._validate import DEFAULT_ENDPOINT
from ._version import __version__
from .client import ObservationClient, ObservationStats
from .config import LISTENER_CLASS, STREAMING_LISTENER_CLASS, configure
from .observe import observe_dataframe
from .offsets import KafkaBatchCommitter, OffsetsClient, OffsetsError

__all__ = [
    "DEFAULT_ENDPOINT",
    "JarNotFoundError",
    "KafkaBatchCommitter",
    "LISTENER_CLASS",
    "ObservationClient",
    "ObservationStats",
    "OffsetsClient",
    "OffsetsError",
    "STREAMING_LISTENER_CLASS",
    "SparkLine",
    "UnsupportedSparkError",
    "__version__",
    "configure",
    "detect_spark",
    "jar_path",
    "observe_dataframe",
    "spark_line",
]
