"""configure() on a real pyspark SparkSession.Builder (no Spark is started)."""
from __future__ import annotations

import warnings

import pytest
from pyspark.sql import SparkSession

import sparkwire
from sparkwire import config
from sparkwire._jar import LINES


@pytest.fixture
def jar(tmp_path, monkeypatch):
    path = tmp_path / "sparkwire-spark-listener_2.13-0.1.0.jar"
    path.write_bytes(b"PK\x03\x04 stand-in")
    monkeypatch.setenv("SPARKWIRE_JAR", str(path))
    return str(path)


def opts(builder) -> dict:
    return dict(builder._options)


def test_one_line_sets_listener_and_jar(jar):
    builder = SparkSession.builder.appName("x")
    out = sparkwire.configure(builder)
    assert out is builder  # chainable into .getOrCreate()
    o = opts(builder)
    assert o["spark.jars"] == jar
    assert o["spark.extraListeners"] == "io.sparkwire.spark.SparkwireListener"
    assert o["spark.sql.streaming.streamingQueryListeners"] == "io.sparkwire.spark.SparkwireStreamingListener"
    # defaults are left to spark-defaults.conf / the listener
    assert not [k for k in o if k.startswith("spark.sparkwire.")]
    assert o["spark.app.name"] == "x"


def test_appends_to_existing_values_once(jar):
    builder = (
        SparkSession.builder.config("spark.jars", "/opt/a.jar,/opt/b.jar")
        .config("spark.extraListeners", "com.example.Mine")
        .config("spark.sql.streaming.streamingQueryListeners", "com.example.Q")
    )
    sparkwire.configure(builder)
    sparkwire.configure(builder)  # idempotent
    o = opts(builder)
    assert o["spark.jars"] == f"/opt/a.jar,/opt/b.jar,{jar}"
    assert o["spark.extraListeners"] == "com.example.Mine,io.sparkwire.spark.SparkwireListener"
    assert o["spark.sql.streaming.streamingQueryListeners"] == "com.example.Q,io.sparkwire.spark.SparkwireStreamingListener"


def test_all_options_become_conf(jar):
    tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    builder = sparkwire.configure(
        SparkSession.builder,
        endpoint="sidecar.local:6000",
        extended=True,
        labels={"team": "data", "pipeline.name": "nightly"},
        token="t0k",
        tls=True,
        traceparent=tp,
        streaming=False,
        buffer_size=20000,
        flush_timeout_ms=0,
        batch_size=100,
        linger_ms=10,
        max_unacked_batches=8,
        max_offline_ms=60000,
        enabled=True,
    )
    o = opts(builder)
    assert {k: v for k, v in o.items() if k.startswith("spark.sparkwire.")} == {
        "spark.sparkwire.endpoint": "sidecar.local:6000",
        "spark.sparkwire.extended": "true",
        "spark.sparkwire.labels.team": "data",
        "spark.sparkwire.labels.pipeline.name": "nightly",
        "spark.sparkwire.token": "t0k",
        "spark.sparkwire.tls": "true",
        "spark.sparkwire.traceparent": tp,
        "spark.sparkwire.bufferSize": "20000",
        "spark.sparkwire.flushTimeoutMs": "0",
        "spark.sparkwire.batchSize": "100",
        "spark.sparkwire.lingerMs": "10",
        "spark.sparkwire.maxUnackedBatches": "8",
        "spark.sparkwire.maxOfflineMs": "60000",
        "spark.sparkwire.enabled": "true",
    }
    assert "spark.sql.streaming.streamingQueryListeners" not in o


def test_values_reach_sparkconf(jar):
    # What getOrCreate() hands to the JVM: a SparkConf built from the builder's options.
    from pyspark import SparkConf

    builder = sparkwire.configure(SparkSession.builder, endpoint="127.0.0.1:7000", labels={"a": "b"})
    conf = SparkConf(loadDefaults=False)
    for k, v in builder._options.items():
        conf.set(k, v)
    assert conf.get("spark.extraListeners") == sparkwire.LISTENER_CLASS
    assert conf.get("spark.sparkwire.endpoint") == "127.0.0.1:7000"
    assert conf.get("spark.sparkwire.labels.a") == "b"


@pytest.mark.parametrize(
    "kwargs, arg",
    [
        ({"endpoint": "ftp://x:1"}, "endpoint"),
        ({"endpoint": "https://x"}, "endpoint"),
        ({"endpoint": "x"}, "endpoint"),
        ({"endpoint": "x:0"}, "endpoint"),
        ({"endpoint": 5}, "endpoint"),
        ({"extended": "true"}, "extended"),
        ({"labels": ["a"]}, "labels"),
        ({"labels": {"": "v"}}, "labels"),
        ({"labels": {"a": 1}}, "labels"),
        ({"token": " padded "}, "token"),
        ({"tls": 1}, "tls"),
        ({"traceparent": "nope"}, "traceparent"),
        ({"traceparent": "00-00000000000000000000000000000000-00f067aa0ba902b7-01"}, "traceparent"),
        ({"streaming": None}, "streaming"),
        ({"bufer_size": 1}, "bufer_size"),
        ({"buffer_size": 0}, "buffer_size"),
        ({"flush_timeout_ms": "5"}, "flush_timeout_ms"),
        ({"batch_size": 10_001}, "batch_size"),
        ({"enabled": "no"}, "enabled"),
        ({"tls_ca_cert": "/nonexistent.pem"}, "tls_ca_cert"),
    ],
)
def test_invalid_arguments_name_the_argument(jar, kwargs, arg):
    builder = SparkSession.builder
    with pytest.raises(ValueError, match=rf"sparkwire.configure: {arg} "):
        sparkwire.configure(builder, **kwargs)
    assert "spark.extraListeners" not in builder._options  # nothing half-applied


@pytest.mark.parametrize("endpoint", ["sidecar:50551", "[::1]:50551", "https://sidecar.example:443/", "grpc://h:1"])
def test_endpoint_forms_the_listener_accepts(jar, endpoint):
    builder = sparkwire.configure(SparkSession.builder, endpoint=endpoint)
    assert builder._options["spark.sparkwire.endpoint"] == endpoint


def test_tls_ca_cert_is_made_absolute(jar, tmp_path, monkeypatch):
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    monkeypatch.chdir(tmp_path)
    builder = sparkwire.configure(SparkSession.builder, tls=True, tls_ca_cert="ca.pem")
    assert builder._options["spark.sparkwire.tls.caCert"] == str(tmp_path / "ca.pem")


def test_rejects_non_builder(jar):
    with pytest.raises(ValueError, match="builder"):
        sparkwire.configure("not a builder")


def test_missing_jar_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv("SPARKWIRE_JAR", raising=False)
    monkeypatch.delenv("SPARKWIRE_JAR_DIRS", raising=False)
    monkeypatch.setattr("sparkwire._jar.JAR_DIR", tmp_path)
    with pytest.raises(sparkwire.JarNotFoundError, match="copy_jar.py"):
        sparkwire.configure(SparkSession.builder)


def test_unsupported_spark_fails_before_the_session_starts(tmp_path, monkeypatch):
    """A Spark line without a listener build: a clear error from configure() itself, naming
    the versions, and the builder is left as it was (never a ClassNotFoundException later)."""
    monkeypatch.delenv("SPARKWIRE_JAR", raising=False)
    home = tmp_path / "spark"
    (home / "jars").mkdir(parents=True)
    (home / "jars" / "spark-core_2.12-3.4.4.jar").write_bytes(b"PK")
    monkeypatch.setenv("SPARK_HOME", str(home))
    builder = SparkSession.builder.appName("old")
    before = opts(builder)
    with pytest.raises(sparkwire.UnsupportedSparkError, match=r"Spark 3\.4\.4 with Scala 2\.12.*supports Spark 3\.5\.x"):
        sparkwire.configure(builder)
    assert opts(builder) == before


def test_configure_uses_the_jar_of_the_running_line(tmp_path, monkeypatch):
    monkeypatch.delenv("SPARKWIRE_JAR", raising=False)
    monkeypatch.delenv("SPARKWIRE_JAR_DIRS", raising=False)
    jars = tmp_path / "pkg"
    jars.mkdir()
    for line in LINES:
        (jars / line.jar_name).write_bytes(b"PK")
    monkeypatch.setattr("sparkwire._jar.JAR_DIR", jars)
    home = tmp_path / "spark"
    (home / "jars").mkdir(parents=True)
    (home / "jars" / "spark-core_2.12-3.5.9.jar").write_bytes(b"PK")
    monkeypatch.setenv("SPARK_HOME", str(home))
    builder = sparkwire.configure(SparkSession.builder)
    assert opts(builder)["spark.jars"] == str(jars / f"sparkwire-spark-listener_2.12-{sparkwire.__version__}.jar")


def test_spark_connect_builder_warns(jar):
    builder = SparkSession.builder.remote("sc://localhost:15002")
    with pytest.warns(UserWarning, match="Connect server"):
        sparkwire.configure(builder)


def test_no_warning_for_classic_builder(jar):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sparkwire.configure(SparkSession.builder.master("local[1]"))


def test_existing_value_from_running_jvm_is_kept(jar, monkeypatch):
    # Under spark-submit, --jars lives in the JVM's conf; a builder option would replace it.
    monkeypatch.setattr(config, "_existing", lambda b, k: {"spark.jars": "/cluster/x.jar"}.get(k))
    builder = sparkwire.configure(SparkSession.builder)
    assert builder._options["spark.jars"] == f"/cluster/x.jar,{jar}"
