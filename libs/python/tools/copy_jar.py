#!/usr/bin/env python3
"""Copy the shaded JVM listener jars, one per Spark line, into the Python package (src/sparkwire/jars/).

Usage: python libs/python/tools/copy_jar.py [--jar PATH ...]

Run it after `mvn package` in libs/spark-listener and before building the wheel: the jars
travel inside the package so that `sparkwire.configure()` needs no download and picks the
one for the running Spark. Jars of other versions are removed first.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PKG_ROOT = HERE.parent
LISTENER = (PKG_ROOT / ".." / "spark-listener").resolve()
DEST_DIR = PKG_ROOT / "src" / "sparkwire" / "jars"
VERSION = "0.1.0"
# line module -> artifact, as in libs/spark-listener/lines/*/pom.xml and sparkwire._jar.LINES
LINES = {
    "spark35_2.12": "sparkwire-spark-listener_2.12",
    "spark35_2.13": "sparkwire-spark-listener-spark35_2.13",
    "spark4_2.13": "sparkwire-spark-listener_2.13",
}
DEFAULT_JARS = [LISTENER / "lines" / line / "target" / f"{artifact}-{VERSION}.jar" for line, artifact in LINES.items()]


def copy_jars(jars: list[Path], dest_dir: Path = DEST_DIR) -> list[Path]:
    jars = [Path(j) for j in jars]
    missing = [str(j) for j in jars if not j.is_file()]
    if missing:
        raise FileNotFoundError(
            f"listener jar not found: {', '.join(missing)}. Build them first: "
            "(cd libs/spark-listener && mvn -q package -DskipTests)"
        )
    dest_dir.mkdir(parents=True, exist_ok=True)
    keep = {j.name for j in jars}
    for old in dest_dir.glob("*.jar"):
        if old.name not in keep:
            old.unlink()
    out = []
    for jar in jars:
        dest = dest_dir / jar.name
        shutil.copy2(jar, dest)
        out.append(dest)
    return out


def copy_jar(jar: Path, dest_dir: Path = DEST_DIR) -> Path:
    """One jar only (and no other in dest_dir)."""
    return copy_jars([jar], dest_dir)[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jar", type=Path, action="append", help="jar to copy, repeatable (default: every line's)")
    args = parser.parse_args(argv)
    try:
        for p in copy_jars(args.jar or DEFAULT_JARS):
            print(p)
    except FileNotFoundError as exc:
        print(f"copy_jar: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
