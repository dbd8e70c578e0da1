"""sparkwire.configure(): attach the JVM listener to a SparkSession.Builder in one line.

Everything here is static Spark conf, read when the SparkContext starts: spark.jars puts
the listener on the driver classpath and spark.extraListeners registers it before the
listener bus starts, so it sees SparkListenerApplicationStart (sc.addSparkListener later
would miss it).
"""
from __future__ import annotations

import os
import re
import sys
import warnings
from collections.abc import Mapping
from typing import Any, TypeVar

from ._jar import jar_path
from ._validate import fail as _fail
from ._validate import validate_bool, validate_endpoint, validate_labels, validate_token

LISTENER_CLASS = "io.sparkwire.spark.SparkwireListener"
STREAMING_LISTENER_CLASS = "io.sparkwire.spark.SparkwireStreamingListener"

CONF_PREFIX = "spark.sparkwire."
CONF_ENDPOINT = CONF_PREFIX + "endpoint"
CONF_EXTENDED = CONF_PREFIX + "extended"
CONF_LABELS_PREFIX = CONF_PREFIX + "labels."
CONF_TOKEN = CONF_PREFIX + "token"
CONF_TLS = CONF_PREFIX + "tls"
CONF_TRACEPARENT = CONF_PREFIX + "traceparent"

# configure(**extra): Python name -> (conf key, kind, min, max), ranges as the JVM listener
# accepts them. Unknown names are rejected so a typo does not silently configure nothing.
_EXTRA_KEYS: dict[str, tuple[str, str, int, int]] = {
    "enabled": (CONF_PREFIX + "enabled", "bool", 0, 0),
    "tls_ca_cert": (CONF_PREFIX + "tls.caCert", "path", 0, 0),
    "buffer_size": (CONF_PREFIX + "bufferSize", "int", 1, 10_000_000),
    "batch_size": (CONF_PREFIX + "batchSize", "int", 1, 10_000),
    "linger_ms": (CONF_PREFIX + "lingerMs", "int", 0, 60_000),
    "flush_timeout_ms": (CONF_PREFIX + "flushTimeoutMs", "int", 0, 600_000),
    "max_unacked_batches": (CONF_PREFIX + "maxUnackedBatches", "int", 1, 100_000),
    "max_offline_ms": (CONF_PREFIX + "maxOfflineMs", "int", 0, 2**61),
}

_TRACEPARENT_RE = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")

B = TypeVar("B")


def _validate_traceparent(value: Any) -> str | None:
    if value is None:
        return None
    m = _TRACEPARENT_RE.match(value) if isinstance(value, str) else None
    if not m or m.group(1) == "ff" or set(m.group(2)) == {"0"} or set(m.group(3)) == {"0"}:
        raise _fail(
            "traceparent",
            "must be a W3C traceparent like "
            f"'00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', got {value!r}",
        )
    return value


def _validate_extra(name: str, value: Any) -> tuple[str, str]:
    if name not in _EXTRA_KEYS:
        known = ", ".join(sorted(_EXTRA_KEYS))
        raise _fail(name, f"is not a known option (known extra options: {known})")
    key, kind, lo, hi = _EXTRA_KEYS[name]
    if kind == "bool":
        return key, str(validate_bool(value, name)).lower()
    if kind == "path":
        if not isinstance(value, (str, os.PathLike)) or not os.path.isfile(value):
            raise _fail(name, f"must be the path of an existing PEM file, got {value!r}")
        return key, os.path.abspath(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(name, f"must be an int, got {value!r}")
    if not lo <= value <= hi:
        raise _fail(name, f"must be between {lo} and {hi}, got {value}")
    return key, str(value)


def _append_csv(existing: str | None, item: str) -> str:
    """Append item to a comma-separated conf value, once (configure() is idempotent)."""
    parts = [p.strip() for p in (existing or "").split(",") if p.strip()]
    if item not in parts:
        parts.append(item)
    return ",".join(parts)


def _existing(builder: Any, key: str) -> str | None:
    """The value Spark would otherwise use for key: builder option first, then a JVM conf.

    Under spark-submit the JVM already holds --jars / --conf values as system properties;
    a builder option replaces them, so we read them and append instead of overwriting.
    """
    options = getattr(builder, "_options", None)
    if isinstance(options, dict) and key in options:
        return str(options[key])
    try:
        if "pyspark" not in sys.modules:  # never import (or start) Spark just to look
            return None
        from pyspark import SparkConf, SparkContext

        if SparkContext._jvm is None:
            if "PYSPARK_GATEWAY_PORT" not in os.environ:
                return None  # no JVM yet: nothing was set outside the builder
            # Under spark-submit the JVM is already up; connecting to it is what
            # getOrCreate() does first anyway, and launches nothing.
            SparkContext._ensure_initialized()
        return SparkConf().get(key, None)
    except Exception:  # a broken gateway must not stop configure()
        return None


def _is_remote(builder: Any) -> bool:
    options = getattr(builder, "_options", None) or {}
    url = options.get("spark.remote", os.environ.get("SPARK_REMOTE"))
    return isinstance(url, str) and url.startswith("sc://")


def _warn_if_too_late() -> None:
    if "pyspark" not in sys.modules:
        return
    try:
        from pyspark import SparkContext

        running = SparkContext._active_spark_context is not None
    except Exception:
        return
    if running:
        warnings.warn(
            "sparkwire.configure: a SparkContext is already running; spark.jars and "
            "spark.extraListeners only take effect for a new SparkContext (stop it first)",
            RuntimeWarning,
            stacklevel=3,
        )


def configure(
    builder: B,
    endpoint: str | None = None,
    extended: bool = False,
    labels: Mapping[str, str] | None = None,
    token: str | None = None,
    tls: bool = False,
    traceparent: str | None = None,
    streaming: bool = True,
    **extra: Any,
) -> B:
    """Add the sparkwire listener to a SparkSession.Builder and return the builder.

    ``spark = sparkwire.configure(SparkSession.builder.appName("x")).getOrCreate()``

    spark.jars, spark.extraListeners and (with streaming=True)
    spark.sql.streaming.streamingQueryListeners are appended to, never replaced.
    Options left at their defaults are not written, so cluster-wide values from
    spark-defaults.conf still apply. Extra options (see the README): enabled, tls_ca_cert,
    buffer_size, batch_size, linger_ms, flush_timeout_ms, max_unacked_batches,
    max_offline_ms.
    """
    if not callable(getattr(builder, "config", None)):
        raise ValueError(
            "sparkwire.configure: builder must be a SparkSession.Builder "
            f"(SparkSession.builder...), got {type(builder).__name__}"
        )
    settings: dict[str, str] = {}
    if endpoint is not None:
        settings[CONF_ENDPOINT] = validate_endpoint(endpoint)
    if validate_bool(extended, "extended"):
        settings[CONF_EXTENDED] = "true"
    for key, value in validate_labels(labels).items():
        settings[CONF_LABELS_PREFIX + key] = value
    tok = validate_token(token)
    if tok is not None:
        settings[CONF_TOKEN] = tok  # Spark's default redaction regex hides *token* keys in the UI
    if validate_bool(tls, "tls"):
        settings[CONF_TLS] = "true"
    tp = _validate_traceparent(traceparent)
    if tp is not None:
        settings[CONF_TRACEPARENT] = tp
    validate_bool(streaming, "streaming")
    for name, value in extra.items():
        key, text = _validate_extra(name, value)
        settings[key] = text

    jar = jar_path()  # raises a clear JarNotFoundError before anything is changed
    if "," in jar:
        raise RuntimeError(f"sparkwire.configure: the jar path {jar!r} has a comma, which spark.jars cannot hold")

    if _is_remote(builder):
        warnings.warn(
            "sparkwire.configure: this builder targets Spark Connect (sc://...); a Connect "
            "client has no SparkContext, so the listener must be configured on the Connect "
            "server (start-connect-server.sh --jars <sparkwire.jar_path()> --conf "
            f"spark.extraListeners={LISTENER_CLASS} ...). See the sparkwire README.",
            UserWarning,
            stacklevel=2,
        )
    _warn_if_too_late()

    listeners = {
        "spark.jars": jar,
        "spark.extraListeners": LISTENER_CLASS,
    }
    if streaming:
        listeners["spark.sql.streaming.streamingQueryListeners"] = STREAMING_LISTENER_CLASS
    for key, item in listeners.items():
        builder = builder.config(key, _append_csv(_existing(builder, key), item))  # type: ignore[attr-defined]
    for key, value in settings.items():
        builder = builder.config(key, value)  # type: ignore[attr-defined]
    return builder
