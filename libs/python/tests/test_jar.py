from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import sparkwire
from sparkwire import _jar

TOOLS = Path(__file__).resolve().parents[1] / "tools"


@pytest.fixture
def jar_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("SPARKWIRE_JAR", raising=False)
    d = tmp_path / "jars"
    d.mkdir()
    monkeypatch.setattr(_jar, "JAR_DIR", d)
    return d


def test_missing_jar_raises_clear_error(jar_dir):
    with pytest.raises(sparkwire.JarNotFoundError, match="missing"):
        sparkwire.jar_path()


def test_finds_packaged_jar(jar_dir):
    (jar_dir / _jar.JAR_NAME).write_bytes(b"jar")
    assert sparkwire.jar_path() == str(jar_dir / _jar.JAR_NAME)


def test_several_jars_is_an_error_unless_exact_name_present(jar_dir):
    (jar_dir / "sparkwire-spark-listener-0.0.9.jar").write_bytes(b"old")
    (jar_dir / "other.jar").write_bytes(b"x")
    with pytest.raises(sparkwire.JarNotFoundError, match="several"):
        sparkwire.jar_path()
    (jar_dir / _jar.JAR_NAME).write_bytes(b"jar")
    assert sparkwire.jar_path().endswith(_jar.JAR_NAME)


def test_env_override(jar_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("SPARKWIRE_JAR", str(tmp_path / "nope.jar"))
    with pytest.raises(sparkwire.JarNotFoundError, match="SPARKWIRE_JAR"):
        sparkwire.jar_path()
    real = tmp_path / "built.jar"
    real.write_bytes(b"jar")
    monkeypatch.setenv("SPARKWIRE_JAR", str(real))
    assert sparkwire.jar_path() == str(real)


def test_copy_jar_tool_replaces_old_jars(tmp_path):
    spec = importlib.util.spec_from_file_location("copy_jar", TOOLS / "copy_jar.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    src = tmp_path / "target" / "sparkwire-spark-listener-0.1.0.jar"
    src.parent.mkdir()
    src.write_bytes(b"new")
    dest = tmp_path / "pkg-jars"
    dest.mkdir()
    (dest / "sparkwire-spark-listener-0.0.1.jar").write_bytes(b"old")
    out = mod.copy_jar(src, dest)
    assert [p.name for p in dest.glob("*.jar")] == [src.name] and out.read_bytes() == b"new"
    with pytest.raises(FileNotFoundError, match="mvn"):
        mod.copy_jar(tmp_path / "missing.jar", dest)
