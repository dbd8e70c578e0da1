"""Which listener jar: one per Spark line, picked from the Spark that PySpark would start."""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

import sparkwire
from sparkwire import _jar

TOOLS = Path(__file__).resolve().parents[1] / "tools"
V = sparkwire.__version__


@pytest.fixture
def jar_dir(tmp_path, monkeypatch):
    """An empty packaged-jars folder, no overrides, no SPARK_HOME."""
    for k in ("SPARKWIRE_JAR", "SPARKWIRE_JAR_DIRS", "SPARK_HOME"):
        monkeypatch.delenv(k, raising=False)
    d = tmp_path / "jars"
    d.mkdir()
    monkeypatch.setattr(_jar, "JAR_DIR", d)
    return d


@pytest.fixture
def all_jars(jar_dir):
    """The packaged folder as a full install has it: every line's jar."""
    for line in _jar.LINES:
        (jar_dir / line.jar_name).write_bytes(b"PK " + line.artifact.encode())
    return jar_dir


def spark_home(tmp_path: Path, monkeypatch, *jar_names: str) -> Path:
    home = tmp_path / "spark"
    (home / "jars").mkdir(parents=True)
    for n in ("scala-library-2.12.18.jar", "spark-sql_2.12-3.5.9.jar", *jar_names):
        (home / "jars" / n).write_bytes(b"PK")
    monkeypatch.setenv("SPARK_HOME", str(home))
    return home


# --------------------------------------------------------------------------- the table


def test_one_build_per_line_named_like_the_ecosystem():
    assert [(l.spark, l.scala, l.artifact) for l in _jar.LINES] == [
        ("3.5", "2.12", "sparkwire-spark-listener_2.12"),
        ("3.5", "2.13", "sparkwire-spark-listener-spark35_2.13"),
        ("4", "2.13", "sparkwire-spark-listener_2.13"),
    ]
    assert _jar.LINES[0].jar_name == f"sparkwire-spark-listener_2.12-{V}.jar"
    assert _jar.LINES[0].coordinates == f"io.sparkwire:sparkwire-spark-listener_2.12:{V}"


@pytest.mark.parametrize(
    "spark,scala,artifact",
    [
        ("3.5.0", "2.12", "sparkwire-spark-listener_2.12"),
        ("3.5.9", "2.12.18", "sparkwire-spark-listener_2.12"),
        ("3.5.1-amzn-0", "2.12", "sparkwire-spark-listener_2.12"),
        ("3.5.4", "2.13", "sparkwire-spark-listener-spark35_2.13"),
        ("3.5.9", None, "sparkwire-spark-listener_2.12"),  # pip's pyspark 3.5 is Scala 2.12
        ("4.0.0", "2.13", "sparkwire-spark-listener_2.13"),
        ("4.0.1", None, "sparkwire-spark-listener_2.13"),
        ("4.1.4", "2.13", "sparkwire-spark-listener_2.13"),
        ("4.2.0-preview1", "2.13", "sparkwire-spark-listener_2.13"),
        ("4.3.0", "2.13.17", "sparkwire-spark-listener_2.13"),
    ],
)
def test_line_for_supported_versions(spark, scala, artifact):
    assert _jar.line_for(spark, scala).artifact == artifact


@pytest.mark.parametrize(
    "spark,scala",
    [("3.4.1", "2.12"), ("3.3.4", "2.13"), ("2.4.8", "2.11"), ("4.0.1", "2.12"), ("5.0.0", "2.13"), ("3.5.2", "3.3")],
)
def test_unsupported_line_names_the_versions(spark, scala):
    with pytest.raises(sparkwire.UnsupportedSparkError) as e:
        _jar.line_for(spark, scala)
    msg = str(e.value)
    assert f"Spark {spark} with Scala {scala}" in msg
    assert "Spark 3.5.x with Scala 2.12 or 2.13, and Spark 4.x with Scala 2.13" in msg


def test_unreadable_version():
    with pytest.raises(sparkwire.UnsupportedSparkError, match="cannot read the Spark version"):
        _jar.line_for("nightly")


# --------------------------------------------------------------------------- detection


def test_reads_spark_home_jars(tmp_path, monkeypatch, jar_dir):
    spark_home(tmp_path, monkeypatch, "spark-core_2.13-3.5.3.jar")
    rt = sparkwire.detect_spark()
    assert (rt.version, rt.scala) == ("3.5.3", "2.13")
    assert "spark-core_2.13-3.5.3.jar" in rt.source and "$SPARK_HOME" in rt.source


def test_vendor_suffix_and_test_jars(tmp_path, monkeypatch, jar_dir):
    spark_home(tmp_path, monkeypatch, "spark-core_2.12-3.5.0-amzn-1.jar", "spark-core_2.12-3.5.0-amzn-1-tests.jar")
    assert sparkwire.detect_spark().version == "3.5.0-amzn-1"


def test_pyspark_package_when_no_spark_home(tmp_path, monkeypatch, jar_dir):
    pkg = tmp_path / "site" / "pyspark"
    (pkg / "jars").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "jars" / "spark-core_2.12-3.5.9.jar").write_bytes(b"PK")

    class Spec:
        origin = str(pkg / "__init__.py")

    monkeypatch.setattr(_jar.util, "find_spec", lambda name: Spec() if name == "pyspark" else None)
    rt = sparkwire.detect_spark()
    assert (rt.version, rt.scala) == ("3.5.9", "2.12") and "pyspark package" in rt.source


def test_pyspark_without_jars_falls_back_to_its_version(tmp_path, monkeypatch, jar_dir):
    monkeypatch.setenv("SPARK_HOME", str(tmp_path / "nowhere"))
    monkeypatch.setattr(_jar.metadata, "version", lambda name: "4.1.1")
    rt = sparkwire.detect_spark()
    assert (rt.version, rt.scala) == ("4.1.1", "2.13")


def test_no_spark_at_all(tmp_path, monkeypatch, jar_dir):
    monkeypatch.setattr(_jar.util, "find_spec", lambda name: None)

    def missing(name):
        raise _jar.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(_jar.metadata, "version", missing)
    with pytest.raises(sparkwire.UnsupportedSparkError, match="cannot tell which Spark"):
        sparkwire.jar_path()


def test_the_installed_pyspark_is_detected(jar_dir):
    """This venv's real pyspark (4.x in .venv, 3.5 in .venv-spark35)."""
    import pyspark

    rt = sparkwire.detect_spark()
    assert rt.version == pyspark.__version__
    assert rt.scala == ("2.12" if pyspark.__version__.startswith("3.") else "2.13")
    assert sparkwire.spark_line().supports(pyspark.__version__)


# --------------------------------------------------------------------------- jar_path


@pytest.mark.parametrize(
    "core,artifact",
    [
        ("spark-core_2.12-3.5.9.jar", "sparkwire-spark-listener_2.12"),
        ("spark-core_2.13-3.5.1.jar", "sparkwire-spark-listener-spark35_2.13"),
        ("spark-core_2.13-4.0.1.jar", "sparkwire-spark-listener_2.13"),
        ("spark-core_2.13-4.3.0.jar", "sparkwire-spark-listener_2.13"),
    ],
)
def test_picks_the_jar_of_the_running_line(tmp_path, monkeypatch, all_jars, core, artifact):
    spark_home(tmp_path, monkeypatch, core)
    assert sparkwire.jar_path() == str(all_jars / f"{artifact}-{V}.jar")


def test_unsupported_running_spark_is_a_clear_error(tmp_path, monkeypatch, all_jars):
    spark_home(tmp_path, monkeypatch, "spark-core_2.12-3.4.1.jar")
    with pytest.raises(sparkwire.UnsupportedSparkError) as e:
        sparkwire.jar_path()
    msg = str(e.value)
    assert "Spark 3.4.1 with Scala 2.12" in msg and "spark-core_2.12-3.4.1.jar" in msg and "$SPARK_HOME" in msg


def test_explicit_versions_override_detection(tmp_path, monkeypatch, all_jars):
    spark_home(tmp_path, monkeypatch, "spark-core_2.13-4.0.1.jar")
    assert sparkwire.jar_path("3.5.2", "2.12").endswith(f"sparkwire-spark-listener_2.12-{V}.jar")
    assert sparkwire.jar_path(spark_version="3.5.2", scala_version="2.13").endswith(
        f"sparkwire-spark-listener-spark35_2.13-{V}.jar"
    )


def test_missing_jar_of_the_line_raises_clear_error(tmp_path, monkeypatch, jar_dir):
    (jar_dir / f"sparkwire-spark-listener_2.13-{V}.jar").write_bytes(b"PK")
    spark_home(tmp_path, monkeypatch, "spark-core_2.12-3.5.9.jar")
    with pytest.raises(sparkwire.JarNotFoundError, match=r"sparkwire-spark-listener_2\.12-.*Spark 3\.5, Scala 2\.12.*missing"):
        sparkwire.jar_path()


def test_other_versions_jars_are_ignored(tmp_path, monkeypatch, all_jars):
    (all_jars / "sparkwire-spark-listener_2.12-0.0.9.jar").write_bytes(b"old")
    spark_home(tmp_path, monkeypatch, "spark-core_2.12-3.5.9.jar")
    assert sparkwire.jar_path().endswith(f"sparkwire-spark-listener_2.12-{V}.jar")


def test_jar_dirs_searched_first(tmp_path, monkeypatch, all_jars):
    built = tmp_path / "built"
    built.mkdir()
    (built / f"sparkwire-spark-listener_2.13-{V}.jar").write_bytes(b"fresh")
    monkeypatch.setenv("SPARKWIRE_JAR_DIRS", os.pathsep.join([str(tmp_path / "none"), str(built)]))
    assert sparkwire.jar_path("4.0.1") == str(built / f"sparkwire-spark-listener_2.13-{V}.jar")
    # not in the extra folders: the packaged one
    assert sparkwire.jar_path("3.5.9") == str(all_jars / f"sparkwire-spark-listener_2.12-{V}.jar")


def test_env_override(jar_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("SPARKWIRE_JAR", str(tmp_path / "nope.jar"))
    with pytest.raises(sparkwire.JarNotFoundError, match="SPARKWIRE_JAR"):
        sparkwire.jar_path()
    real = tmp_path / "built.jar"
    real.write_bytes(b"jar")
    monkeypatch.setenv("SPARKWIRE_JAR", str(real))
    assert sparkwire.jar_path() == str(real)


# --------------------------------------------------------------------------- copy_jar.py


def load_copy_jar():
    spec = importlib.util.spec_from_file_location("copy_jar", TOOLS / "copy_jar.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_copy_jar_tool_copies_every_line_and_replaces_old_jars(tmp_path):
    mod = load_copy_jar()
    assert sorted(mod.LINES.values()) == sorted(l.artifact for l in _jar.LINES)
    assert mod.VERSION == V
    srcs = []
    for artifact in mod.LINES.values():
        src = tmp_path / "target" / f"{artifact}-{V}.jar"
        src.parent.mkdir(exist_ok=True)
        src.write_bytes(artifact.encode())
        srcs.append(src)
    dest = tmp_path / "pkg-jars"
    dest.mkdir()
    (dest / "sparkwire-spark-listener-0.0.1.jar").write_bytes(b"old")
    out = mod.copy_jars(srcs, dest)
    assert sorted(p.name for p in dest.glob("*.jar")) == sorted(s.name for s in srcs)
    assert [p.read_bytes() for p in out] == [s.read_bytes() for s in srcs]
    with pytest.raises(FileNotFoundError, match="mvn"):
        mod.copy_jars([tmp_path / "missing.jar"], dest)


def test_copy_jar_defaults_are_the_line_modules():
    mod = load_copy_jar()
    for jar in mod.DEFAULT_JARS:
        module = jar.parents[1]
        assert (module / "pom.xml").is_file(), module
        assert f"<artifactId>{jar.name[: -len('-' + V + '.jar')]}</artifactId>" in (module / "pom.xml").read_text()
