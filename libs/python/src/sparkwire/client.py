"""ObservationClient: custom `observation` events from Python job code to the sidecar.

Design, in the order the peers taught it (see shared notes): observe() never blocks the
job, so it only validates, copies and appends to a bounded buffer (drop + count when
full). One daemon thread owns the network: it batches the buffer into PublishRequests on
the ListenerService.Stream RPC and keeps every batch until its PublishAck arrives. When
the stream breaks it reconnects with backoff and resends the unacked batches unchanged
(same batch_seq, same event ids), which the sidecar dedupes. A batch acked with an
error_code was rejected for its content and would be rejected again: it is dropped and
counted, never resent.

This module is the API and its argument checks; the buffer, the in-flight window and the
counters are in _batching, the channel, stream and reconnects in _transport.
"""
from __future__ import annotations

import atexit
import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._batching import CLIENT_KIND, Batcher
from ._gen.sparkwire.v1 import events_pb2
from ._spark import infer_app
from ._transport import StreamSender, open_channel
from ._validate import DEFAULT_ENDPOINT, fail, parse_endpoint, validate_bool, validate_labels, validate_token
from .ids import new_client_id

__all__ = ["CLIENT_KIND", "Observation", "ObservationClient", "ObservationStats"]

log = logging.getLogger("sparkwire")

_WHERE = "sparkwire.ObservationClient"


@dataclass(frozen=True)
class ObservationStats:
    """Counters since the client started. Every accepted event ends as exactly one of
    acked, dropped_rejected or dropped_sidecar_unavailable, or is still queued/unacked."""

    accepted: int  # observe() calls whose event entered the buffer
    dropped_buffer_full: int  # observe() calls dropped because the buffer was full
    dropped_closed: int  # observe() calls after close()
    dropped_too_large: int  # observe() calls whose event alone exceeds max_batch_bytes
    dropped_rejected: int  # events in batches the sidecar acked with an error_code
    dropped_sidecar_unavailable: int  # events still undelivered when close() gave up
    events_sent: int  # events sent at least once (resends not counted again)
    events_acked: int  # events in batches acked OK (duplicates included)
    duplicates: int  # of those, events the sidecar had already published
    batches_sent: int
    batches_resent: int  # batches sent again after a reconnect
    batches_acked: int
    batches_rejected: int
    reconnects: int  # streams opened after the first
    queued: int  # events in the buffer now
    unacked_batches: int  # batches built and not yet acked
    last_error: str | None


def _check_numeric(numeric: Any) -> dict[str, float] | None:
    if numeric is None:
        return None
    if not isinstance(numeric, Mapping):
        raise fail("numeric", f"must be a dict of str to float, got {type(numeric).__name__}", _WHERE)
    out = {}
    for key, value in numeric.items():
        if not isinstance(key, str) or not key:
            raise fail("numeric", f"keys must be non-empty str, got {key!r}", _WHERE)
        if isinstance(value, (str, bytes)) or value is None:
            raise fail("numeric", f"value for {key!r} must be a number, got {value!r}", _WHERE)
        try:
            out[key] = float(value)
        except (TypeError, ValueError, OverflowError):
            raise fail("numeric", f"value for {key!r} must be a number, got {value!r}", _WHERE) from None
    return out or None


def _check_text(text: Any) -> dict[str, str] | None:
    if text is None:
        return None
    if not isinstance(text, Mapping):
        raise fail("text", f"must be a dict of str to str, got {type(text).__name__}", _WHERE)
    for key, value in text.items():
        if not isinstance(key, str) or not key:
            raise fail("text", f"keys must be non-empty str, got {key!r}", _WHERE)
        if not isinstance(value, str):
            raise fail("text", f"value for {key!r} must be a str, got {type(value).__name__}", _WHERE)
    return dict(text) or None  # a copy: the caller may reuse its dict


def _positive_int(value: Any, arg: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise fail(arg, f"must be a positive int, got {value!r}", _WHERE)
    return value


class ObservationClient:
    """Sends `observation` events to the sparkwire sidecar without ever blocking the caller.

    >>> with sparkwire.ObservationClient() as client:
    ...     client.observe("quality", numeric={"null_ids": 0, "rows": 1200})
    """

    def __init__(
        self,
        endpoint: str = DEFAULT_ENDPOINT,
        token: str | None = None,
        app_id: str | None = None,
        app_name: str | None = None,
        labels: Mapping[str, str] | None = None,
        buffer_size: int = 10000,
        batch_size: int = 200,
        linger_ms: float = 50,
        *,
        tls: bool = False,
        tls_ca_cert: str | None = None,
        max_batch_bytes: int = 4 * 1024 * 1024,
        max_unacked_batches: int | None = None,
        backoff_s: tuple[float, float] = (0.1, 5.0),
    ) -> None:
        self._endpoint, tls_from_scheme = parse_endpoint(endpoint, where=_WHERE)
        token = validate_token(token, where=_WHERE)
        self._labels = validate_labels(labels, where=_WHERE)
        for arg, value in (("app_id", app_id), ("app_name", app_name)):
            if value is not None and not isinstance(value, str):
                raise fail(arg, f"must be a str or None, got {type(value).__name__}", _WHERE)
        self._buffer_size = _positive_int(buffer_size, "buffer_size")
        self._batch_size = _positive_int(batch_size, "batch_size")
        if isinstance(linger_ms, bool) or not isinstance(linger_ms, (int, float)) or not 0 <= linger_ms < math.inf:
            raise fail("linger_ms", f"must be a number >= 0, got {linger_ms!r}", _WHERE)
        self._linger_s = linger_ms / 1000.0
        # The sidecar refuses batches over its max_batch_bytes (8 MiB by default); one over
        # the gRPC message limit would even break the stream and be resent forever.
        self._max_batch_bytes = _positive_int(max_batch_bytes, "max_batch_bytes")
        tls = validate_bool(tls, "tls", _WHERE) or tls_from_scheme or tls_ca_cert is not None
        root_certs = None
        if tls_ca_cert is not None:
            try:
                with open(tls_ca_cert, "rb") as f:
                    root_certs = f.read()
            except (OSError, TypeError) as exc:
                raise fail("tls_ca_cert", f"must be a readable PEM file: {exc}", _WHERE) from None
        # Unacked batches are kept for resend; bounding them (by default to one buffer's
        # worth) keeps memory at most ~2x buffer_size events while the sidecar is away.
        self._max_unacked = _positive_int(
            max_unacked_batches or max(1, -(-self._buffer_size // self._batch_size)), "max_unacked_batches"
        )

        if app_id is None or app_name is None:
            inferred_id, inferred_name = infer_app()
            app_id = app_id if app_id is not None else inferred_id
            app_name = app_name if app_name is not None else inferred_name
        if not app_id:
            # The sidecar refuses events without app_id, and observations are only useful
            # joined to their Spark application: say so now rather than lose every batch.
            raise fail(
                "app_id",
                "was not given and there is no active SparkSession to infer it from: "
                "create the SparkSession first or pass app_id=spark.sparkContext.applicationId",
                _WHERE,
            )
        self._app_id: str = app_id
        self._app_name: str = app_name or ""
        self._fixed_size = 64 + len(self._app_id) + len(self._app_name) + sum(
            len(k.encode()) + len(v.encode()) + 8 for k, v in self._labels.items()
        )

        self.client_id = new_client_id()
        self._batcher = Batcher(
            client_id=self.client_id,
            app_id=self._app_id,
            app_name=self._app_name,
            labels=self._labels,
            buffer_size=self._buffer_size,
            batch_size=self._batch_size,
            linger_s=self._linger_s,
            max_batch_bytes=self._max_batch_bytes,
            max_unacked=self._max_unacked,
        )
        metadata = (("authorization", f"Bearer {token}"),) if token else ()
        self._sender = StreamSender(
            self._batcher, self._endpoint, open_channel(self._endpoint, tls, root_certs), metadata, backoff_s
        )
        self._sender.start()
        # A job that forgets close() would lose its last observations with the daemon thread.
        atexit.register(self._close_at_exit)

    # ------------------------------------------------------------------ caller side

    def observe(
        self,
        name: str,
        numeric: Mapping[str, float] | None = None,
        text: Mapping[str, str] | None = None,
        query_id: str | None = None,
        batch_id: int | None = None,
    ) -> bool:
        """Queue one observation. Returns False when it was dropped (buffer full or closed).

        Never blocks on the network; raises ValueError only for malformed arguments.
        """
        if not isinstance(name, str) or not name:
            raise fail("name", f"must be a non-empty str, got {name!r}", _WHERE)
        numeric_c = _check_numeric(numeric)
        text_c = _check_text(text)
        if query_id is not None and not isinstance(query_id, str):
            raise fail("query_id", f"must be a str or None, got {type(query_id).__name__}", _WHERE)
        if batch_id is not None and (isinstance(batch_id, bool) or not isinstance(batch_id, int)):
            raise fail("batch_id", f"must be an int or None, got {batch_id!r}", _WHERE)
        size = self._fixed_size + len(name.encode()) + len((query_id or "").encode())
        if numeric_c:
            size += sum(len(k.encode()) + 12 for k in numeric_c)
        if text_c:
            size += sum(len(k.encode()) + len(v.encode()) + 6 for k, v in text_c.items())
        now_ms = time.time_ns() // 1_000_000
        mono = time.monotonic()
        return self._batcher.add(name, numeric_c, text_c, query_id, batch_id, size, now_ms, mono)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every event accepted before this call is acked or dropped.

        Returns False if the timeout passed first. Batches are sent without lingering
        while someone flushes.
        """
        return self._batcher.flush(None if timeout is None else time.monotonic() + timeout)

    def close(self, timeout: float | None = 5.0) -> bool:
        """Stop accepting events, deliver what is buffered within timeout, then stop.

        Whatever is still undelivered after the timeout is counted as
        dropped_sidecar_unavailable. Returns True if everything was delivered.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        b = self._batcher
        with b.cond:
            already = b.closing
            b.closing = True
            b.cond.notify_all()
        if already:  # a second close(): just wait for the first one's outcome
            self._sender.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
            return self.stats().dropped_sidecar_unavailable == 0
        atexit.unregister(self._close_at_exit)
        delivered = self.flush(None if deadline is None else max(0.0, deadline - time.monotonic()))
        self._sender.stop()
        # A little grace even at timeout 0: the cancelled sender must let go of the state.
        self._sender.join(None if deadline is None else max(0.5, deadline - time.monotonic()))
        lost = b.drop_undelivered()
        if lost:
            log.warning("sparkwire: %d observation(s) could not be delivered to %s before close()", lost, self._endpoint)
        self._sender.close_channel()
        return delivered and lost == 0

    def stats(self) -> ObservationStats:
        b = self._batcher
        with b.cond:
            return ObservationStats(
                accepted=b.accepted,
                queued=b.queued(),
                unacked_batches=b.unacked_batches(),
                last_error=b.last_error,
                **b.c,
            )

    def __enter__(self) -> ObservationClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _close_at_exit(self) -> None:
        try:
            self.close(timeout=2.0)
        except Exception:  # interpreter shutdown: never raise from atexit
            pass


# Kept for type checkers and readers: the event type this client produces.
Observation = events_pb2.Observation
