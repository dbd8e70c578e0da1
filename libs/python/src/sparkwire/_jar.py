"""Where the JVM listener jar is: shipped inside the package under sparkwire/jars/."""
from __future__ import annotations

import os
from pathlib import Path

from ._version import __version__

JAR_DIR = Path(__file__).resolve().parent / "jars"
JAR_NAME = f"sparkwire-spark-listener-{__version__}.jar"
# Lets a developer point at a freshly built jar (libs/spark-listener/target/...) without
# copying it, and tests use a stand-in file.
JAR_ENV = "SPARKWIRE_JAR"


class JarNotFoundError(FileNotFoundError):
    """The listener jar is neither in the package nor named by $SPARKWIRE_JAR."""


def jar_path() -> str:
    """Absolute path of the listener jar to put on spark.jars (or a Connect server's --jars)."""
    override = os.environ.get(JAR_ENV)
    if override:
        path = Path(override).expanduser().resolve()
        if not path.is_file():
            raise JarNotFoundError(f"${JAR_ENV} points to {path}, which is not a file")
        return str(path)

    exact = JAR_DIR / JAR_NAME
    if exact.is_file():
        return str(exact)
    found = sorted(JAR_DIR.glob("*.jar"))
    if len(found) == 1:
        return str(found[0])
    if found:
        names = ", ".join(p.name for p in found)
        raise JarNotFoundError(f"several listener jars in {JAR_DIR} ({names}); keep only {JAR_NAME}")
    raise JarNotFoundError(
        f"the sparkwire listener jar is missing from {JAR_DIR}. This install was built "
        "without it: build libs/spark-listener (mvn package) and run "
        f"libs/python/tools/copy_jar.py, or set ${JAR_ENV} to the jar's path."
    )
