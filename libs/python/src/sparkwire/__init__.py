"""sparkwire for PySpark: attach the JVM listener and send custom observations.

    spark = sparkwire.configure(SparkSession.builder.appName("x")).getOrCreate()

Two paths to the sidecar, for two different things; a PySpark job usually wants both:

- configure() attaches the JVM listener (spark.extraListeners): Spark's own events (jobs,
  stages, tasks, SQL, streaming progress), seen where the SparkContext runs. Nothing in
  Python can see those, and it must be set before the context starts. With Spark Connect
  it belongs on the Connect server, not on the client.
- ObservationClient (with observe_dataframe) sends the job's own figures as `observation`
  events over its own stream. It needs no JVM, so it works the same in classic PySpark
  and from a Spark Connect client, where there is no py4j gateway to reach the listener's
  io.sparkwire.spark.Sparkwire.observe (that one is for JVM job code).

Both send a fresh random UUID per client as PublishRequest.client_id (client_kind "jvm"
or "python"), and both report the same ClientStats drop counters: dropped_buffer_full
and dropped_sidecar_unavailable (the JVM listener adds spark_dropped_events and
task_events_skipped, which have no Python counterpart).
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
