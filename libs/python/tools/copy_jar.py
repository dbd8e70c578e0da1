#!/usr/bin/env python3
"""Copy the shaded JVM listener jar into the Python package (src/sparkwire/jars/).

Usage: python libs/python/tools/copy_jar.py [--jar PATH]

Run it after `mvn package` in libs/spark-listener and before building the wheel: the
jar travels inside the package so that `sparkwire.configure()` needs no download.
Older jars are removed first so `sparkwire.jar_path()` never has to choose.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PKG_ROOT = HERE.parent
LISTENER_TARGET = (PKG_ROOT / ".." / "spark-listener" / "target").resolve()
DEFAULT_JAR = LISTENER_TARGET / "sparkwire-spark-listener-0.1.0.jar"
DEST_DIR = PKG_ROOT / "src" / "sparkwire" / "jars"


def copy_jar(jar: Path, dest_dir: Path = DEST_DIR) -> Path:
    jar = Path(jar)
    if not jar.is_file():
        raise FileNotFoundError(
            f"listener jar not found: {jar}. Build it first: "
            "(cd libs/spark-listener && mvn -q package -DskipTests)"
        )
    dest_dir.mkdir(parents=True, exist_ok=True)
    for old in dest_dir.glob("*.jar"):
        old.unlink()
    dest = dest_dir / jar.name
    shutil.copy2(jar, dest)
    return dest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jar", type=Path, default=DEFAULT_JAR, help="jar to copy (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        print(copy_jar(args.jar))
    except FileNotFoundError as exc:
        print(f"copy_jar: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
