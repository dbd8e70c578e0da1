"""Which JVM listener jar: one per Spark line, all shipped inside the package (sparkwire/jars/).

The jar must match the Spark line and the Scala version of the JVM that PySpark starts: a jar
of another line fails inside Spark with a NoSuchMethodError or UnsupportedClassVersionError
at the first event. So jar_path() reads that Spark's version and Scala version from its jars
folder (spark-core_<scala>-<version>.jar; $SPARK_HOME when set, as PySpark itself does, else
the installed pyspark package) and raises UnsupportedSparkError, naming the versions, before
any session starts when no jar fits.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from importlib import metadata, util
from pathlib import Path

from ._version import __version__

JAR_DIR = Path(__file__).resolve().parent / "jars"
# Lets a developer point at one freshly built jar (libs/spark-listener/lines/.../target/...)
# without copying it: used as is, for whatever Spark runs (no selection).
JAR_ENV = "SPARKWIRE_JAR"
# Folders (os.pathsep-separated) searched for the selected jar before the packaged ones: the
# e2e tests point it at the freshly built jars of every line.
JAR_DIRS_ENV = "SPARKWIRE_JAR_DIRS"


@dataclass(frozen=True)
class SparkLine:
    """One listener build: the Spark line and Scala version it is for, its Maven artifact."""

    spark: str  # "3.5" or "4" (every 4.x)
    scala: str  # Scala binary version, "2.12" / "2.13"
    artifact: str  # io.sparkwire:<artifact>:<version>
    java: int  # the oldest Java its bytecode runs on

    @property
    def jar_name(self) -> str:
        return f"{self.artifact}-{__version__}.jar"

    @property
    def coordinates(self) -> str:
        return f"io.sparkwire:{self.artifact}:{__version__}"

    def supports(self, spark_version: str) -> bool:
        major, minor = _major_minor(spark_version)
        if "." in self.spark:
            return f"{major}.{minor}" == self.spark
        return str(major) == self.spark


# Every build the project publishes (libs/spark-listener/lines/*).
LINES: tuple[SparkLine, ...] = (
    SparkLine("3.5", "2.12", "sparkwire-spark-listener_2.12", 8),
    SparkLine("3.5", "2.13", "sparkwire-spark-listener-spark35_2.13", 8),
    SparkLine("4", "2.13", "sparkwire-spark-listener_2.13", 17),
)

SUPPORTED = "Spark 3.5.x with Scala 2.12 or 2.13, and Spark 4.x with Scala 2.13"


class JarNotFoundError(FileNotFoundError):
    """The listener jar is neither in the package nor named by $SPARKWIRE_JAR."""


class UnsupportedSparkError(RuntimeError):
    """The Spark line (or Scala version) PySpark runs has no sparkwire listener build."""


@dataclass(frozen=True)
class SparkRuntime:
    """The Spark a PySpark session would start: its version, Scala binary version, and where
    that was read."""

    version: str
    scala: str
    source: str


_CORE_JAR = re.compile(r"^spark-core_(\d+\.\d+)-(\d+\.\d+\.\d+[^/]*?)\.jar$")


def _major_minor(version: str) -> tuple[int, int]:
    m = re.match(r"^\s*(\d+)\.(\d+)", version or "")
    if not m:
        raise UnsupportedSparkError(f"sparkwire: cannot read the Spark version {version!r}")
    return int(m.group(1)), int(m.group(2))


def _scala_binary(scala: str) -> str:
    m = re.match(r"^\s*(\d+)\.(\d+)", scala or "")
    return f"{m.group(1)}.{m.group(2)}" if m else scala


def line_for(spark_version: str, scala_version: str | None = None) -> SparkLine:
    """The build for Spark ``spark_version`` on Scala ``scala_version`` ("2.12", "2.13.16").

    Without a Scala version: the one that line is published with by default (2.12 for
    Spark 3.x, as pip's pyspark 3.5 ships; 2.13 for 4.x). Raises UnsupportedSparkError.
    """
    major, _minor = _major_minor(spark_version)
    scala = _scala_binary(scala_version) if scala_version else ("2.12" if major < 4 else "2.13")
    for line in LINES:
        if line.supports(spark_version) and line.scala == scala:
            return line
    raise UnsupportedSparkError(
        f"sparkwire: no listener build for Spark {spark_version} with Scala {scala}; "
        f"sparkwire supports {SUPPORTED}"
    )


def _spark_home() -> tuple[Path | None, str]:
    """The Spark distribution PySpark launches: $SPARK_HOME, else the pyspark package."""
    env = os.environ.get("SPARK_HOME")
    if env:
        return Path(env).expanduser(), "$SPARK_HOME"
    try:
        spec = util.find_spec("pyspark")  # locates the package without importing it
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.origin:
        return Path(spec.origin).resolve().parent, "the pyspark package"
    return None, ""


def _from_jars_dir(home: Path, what: str) -> SparkRuntime | None:
    jars = home / "jars"
    if not jars.is_dir():
        return None
    found: list[tuple[str, str]] = []
    for p in jars.glob("spark-core_*.jar"):
        m = _CORE_JAR.match(p.name)
        if m and not m.group(2).endswith(("-tests", "-sources", "-javadoc")):
            found.append((m.group(2), m.group(1)))
    if len(found) != 1:
        return None
    version, scala = found[0]
    return SparkRuntime(version, scala, f"{jars}/spark-core_{scala}-{version}.jar ({what})")


def detect_spark() -> SparkRuntime:
    """The version and Scala version of the Spark that PySpark would start here.

    Read from the spark-core jar of $SPARK_HOME/jars (PySpark launches that Spark when
    SPARK_HOME is set) or of the pyspark package's jars; failing that (a pyspark without
    jars), the installed pyspark's version with its default Scala. Raises
    UnsupportedSparkError when there is no Spark to look at.
    """
    home, what = _spark_home()
    if home is not None:
        found = _from_jars_dir(home, what)
        if found is not None:
            return found
    try:
        version = metadata.version("pyspark")
    except metadata.PackageNotFoundError:
        version = ""
    if version:
        major, _ = _major_minor(version)
        return SparkRuntime(version, "2.12" if major < 4 else "2.13", f"pyspark {version} (its default Scala)")
    raise UnsupportedSparkError(
        "sparkwire: cannot tell which Spark will run: SPARK_HOME is not set and no pyspark is "
        "installed. Pass spark_version= (and scala_version=) to sparkwire.jar_path(), or set "
        f"${JAR_ENV} to the listener jar of your Spark line"
    )


def _search_dirs() -> list[Path]:
    extra = [Path(d).expanduser() for d in os.environ.get(JAR_DIRS_ENV, "").split(os.pathsep) if d]
    return [*extra, JAR_DIR]


def spark_line(spark_version: str | None = None, scala_version: str | None = None) -> SparkLine:
    """The listener build for the given Spark (default: the one PySpark would start here)."""
    if spark_version is None:
        rt = detect_spark()
        try:
            return line_for(rt.version, scala_version or rt.scala)
        except UnsupportedSparkError as e:
            raise UnsupportedSparkError(f"{e} (found Spark {rt.version}, Scala {rt.scala} in {rt.source})") from None
    return line_for(spark_version, scala_version)


def jar_path(spark_version: str | None = None, scala_version: str | None = None) -> str:
    """Absolute path of the listener jar to put on spark.jars (or a Connect server's --jars).

    The jar of the Spark line that PySpark would start here, or of ``spark_version`` /
    ``scala_version`` when given (e.g. for a Connect server or a cluster of another line).
    ``$SPARKWIRE_JAR`` overrides the choice. Raises UnsupportedSparkError for a Spark line
    without a build and JarNotFoundError when the jar is missing from this install.
    """
    override = os.environ.get(JAR_ENV)
    if override:
        path = Path(override).expanduser().resolve()
        if not path.is_file():
            raise JarNotFoundError(f"${JAR_ENV} points to {path}, which is not a file")
        return str(path)

    line = spark_line(spark_version, scala_version)
    dirs = _search_dirs()
    for d in dirs:
        p = d / line.jar_name
        if p.is_file():
            return str(p.resolve())
    where = ", ".join(str(d) for d in dirs)
    raise JarNotFoundError(
        f"the sparkwire listener jar {line.jar_name} (Spark {line.spark}, Scala {line.scala}) is "
        f"missing from {where}. This install was built without it: build libs/spark-listener "
        f"(mvn package) and run libs/python/tools/copy_jar.py, or set ${JAR_ENV} to the jar's path."
    )
