"""ObservationClient: custom `observation` events from Python job code to the sidecar.

Design, in the order the peers taught it (see shared notes): observe() never blocks the
job, so it only validates, copies and appends to a bounded buffer (drop + count when
full). One daemon thread owns the network: it batches the buffer into PublishRequests on
the ListenerService.Stream RPC and keeps every batch until its PublishAck arrives. When
the stream breaks it reconnects with backoff and resends the unacked batches unchanged
(same batch_seq, same event ids), which the sidecar dedupes. A batch acked with an
error_code was rejected for its content and would be rejected again: it is dropped and
counted, never resent.

Threads: the caller's (observe/flush/close), the sender (opens the stream, reads acks,
reconnects) and gRPC's own request-consumer thread, which pulls batches from
_requests(). All shared state sits behind one Condition.
"""
from __future__ import annotations

import atexit
import logging
import math
import random
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import grpc

from ._gen.sparkwire.v1 import events_pb2, listener_pb2, listener_pb2_grpc
from ._spark import infer_app
from ._validate import DEFAULT_ENDPOINT, fail, parse_endpoint, validate_bool, validate_labels, validate_token
from ._version import __version__
from .ids import EventIds, new_client_id

log = logging.getLogger("sparkwire")

_WHERE = "sparkwire.ObservationClient"
CLIENT_KIND = "python"

# How long an idle wait sleeps before re-checking its conditions. Waits are also woken
# by notify(); this only bounds how late a dead session's generator notices it is dead.
_POLL_S = 0.1

# The channel retries connecting on its own too; keep its backoff in step with ours so a
# restarted sidecar is found within a few seconds.
_CHANNEL_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 5000),
]


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


class _Item(NamedTuple):
    n: int  # position in acceptance order, for flush()
    event_id: str
    time_ms: int  # wall clock, for the event
    mono: float  # monotonic, for the linger timer
    size: int  # serialized size estimate, to keep batches under max_batch_bytes
    name: str
    numeric: dict[str, float] | None
    text: dict[str, str] | None
    query_id: str | None
    batch_id: int | None


class _Batch:
    __slots__ = ("seq", "request", "count", "first_n", "sent")

    def __init__(self, seq: int, request: listener_pb2.PublishRequest, count: int, first_n: int) -> None:
        self.seq = seq
        self.request = request  # kept as built: a resend must carry the very same events
        self.count = count
        self.first_n = first_n
        self.sent = False


class _Session:
    """One Stream call. Its request generator stops once the session is dead."""

    def __init__(self) -> None:
        self.dead = False
        self.call: Any = None


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
        self._backoff_min, self._backoff_max = backoff_s

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
        self._ids = EventIds(self.client_id)
        self._metadata = (("authorization", f"Bearer {token}"),) if token else ()

        self._cond = threading.Condition(threading.Lock())
        self._queue: deque[_Item] = deque()
        self._unacked: dict[int, _Batch] = {}  # by batch_seq, in increasing order
        self._building_first_n: int | None = None  # events popped but not yet in _unacked
        self._next_seq = 1
        self._accepted = 0
        self._flush_waiters = 0
        self._closing = False  # close() called: observe() drops, the sender drains
        self._stop = False  # the sender must exit now
        self._session: _Session | None = None
        # Plain counters, guarded by _cond; the names are ObservationStats' fields.
        self._c = dict.fromkeys(
            (
                "dropped_buffer_full dropped_closed dropped_too_large dropped_rejected "
                "dropped_sidecar_unavailable events_sent events_acked duplicates batches_sent "
                "batches_resent batches_acked batches_rejected reconnects"
            ).split(),
            0,
        )
        self._last_error: str | None = None

        if tls:
            creds = grpc.ssl_channel_credentials(root_certificates=root_certs)
            self._channel = grpc.secure_channel(self._endpoint, creds, _CHANNEL_OPTIONS)
        else:
            self._channel = grpc.insecure_channel(self._endpoint, _CHANNEL_OPTIONS)
        self._stub = listener_pb2_grpc.ListenerServiceStub(self._channel)
        self._thread = threading.Thread(target=self._run, name=f"sparkwire-observe-{self.client_id[:8]}", daemon=True)
        self._thread.start()
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
        with self._cond:
            if self._closing:
                self._c["dropped_closed"] += 1
                return False
            if size > self._max_batch_bytes:
                self._c["dropped_too_large"] += 1
                if self._c["dropped_too_large"] == 1:
                    log.warning("sparkwire: observation %r (~%d bytes) exceeds max_batch_bytes; dropped", name, size)
                return False
            if len(self._queue) >= self._buffer_size:
                self._c["dropped_buffer_full"] += 1
                return False
            self._accepted += 1
            item = _Item(
                self._accepted, self._ids.next(), now_ms, mono, size, name, numeric_c, text_c, query_id, batch_id
            )
            self._queue.append(item)
            # Wake the sender only when it has something new to decide: the first event
            # starts the linger clock, a full batch ends it. Not on every call.
            if len(self._queue) == 1 or len(self._queue) == self._batch_size:
                self._cond.notify_all()
        return True

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every event accepted before this call is acked or dropped.

        Returns False if the timeout passed first. Batches are sent without lingering
        while someone flushes.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            target = self._accepted
            self._flush_waiters += 1
            self._cond.notify_all()
            try:
                while self._lowest_unsettled() <= target:
                    remaining = _POLL_S if deadline is None else min(_POLL_S, deadline - time.monotonic())
                    if remaining <= 0:
                        return False
                    self._cond.wait(remaining)
                return True
            finally:
                self._flush_waiters -= 1

    def close(self, timeout: float | None = 5.0) -> bool:
        """Stop accepting events, deliver what is buffered within timeout, then stop.

        Whatever is still undelivered after the timeout is counted as
        dropped_sidecar_unavailable. Returns True if everything was delivered.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            already = self._closing
            self._closing = True
            self._cond.notify_all()
        if already:  # a second close(): just wait for the first one's outcome
            self._thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
            return self.stats().dropped_sidecar_unavailable == 0
        atexit.unregister(self._close_at_exit)
        delivered = self.flush(None if deadline is None else max(0.0, deadline - time.monotonic()))
        with self._cond:
            self._stop = True
            session = self._session
            self._cond.notify_all()
        if session is not None and session.call is not None:
            session.call.cancel()  # unblocks the sender if the sidecar never answers
        # A little grace even at timeout 0: the cancelled sender must let go of the state.
        self._thread.join(None if deadline is None else max(0.5, deadline - time.monotonic()))
        with self._cond:
            lost = len(self._queue) + sum(b.count for b in self._unacked.values())
            self._c["dropped_sidecar_unavailable"] += lost
            self._queue.clear()
            self._unacked.clear()
            self._cond.notify_all()
        if lost:
            log.warning("sparkwire: %d observation(s) could not be delivered to %s before close()", lost, self._endpoint)
        self._channel.close()
        return delivered and lost == 0

    def stats(self) -> ObservationStats:
        with self._cond:
            return ObservationStats(
                accepted=self._accepted,
                queued=len(self._queue),
                unacked_batches=len(self._unacked),
                last_error=self._last_error,
                **self._c,
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

    # ------------------------------------------------------------------ bookkeeping (lock held)

    def _lowest_unsettled(self) -> int:
        """Acceptance number of the oldest event not yet acked or dropped (caller holds the lock)."""
        candidates = [self._accepted + 1]
        if self._queue:
            candidates.append(self._queue[0].n)
        if self._building_first_n is not None:
            candidates.append(self._building_first_n)
        candidates.extend(b.first_n for b in self._unacked.values())
        return min(candidates)

    def _client_stats(self) -> listener_pb2.ClientStats:
        return listener_pb2.ClientStats(
            dropped_buffer_full=self._c["dropped_buffer_full"],
            dropped_sidecar_unavailable=self._c["dropped_sidecar_unavailable"],
            events_sent=self._c["events_sent"],
            client_kind=CLIENT_KIND,
            client_version=__version__,
        )

    # ------------------------------------------------------------------ sender thread

    def _run(self) -> None:
        backoff = self._backoff_min
        first = True
        was_down = False
        while True:
            with self._cond:
                if self._stop or (self._closing and not self._queue and not self._unacked):
                    return
                session = _Session()
                self._session = session
                if not first:
                    self._c["reconnects"] += 1
            first = False
            acked_any = False
            try:
                call = self._stub.Stream(self._requests(session), metadata=self._metadata)
                session.call = call
                with self._cond:
                    stopping = self._stop
                if stopping:  # close() ran before session.call was set: it could not cancel
                    call.cancel()
                for ack in call:
                    acked_any = True
                    self._on_ack(ack)
                error = "stream ended by the sidecar"
            except grpc.RpcError as exc:
                error = f"{exc.code().name}: {exc.details()}" if hasattr(exc, "code") else repr(exc)
            except Exception as exc:  # a bug here must not kill delivery for good
                error = repr(exc)
                log.exception("sparkwire: observation stream failed")
            with self._cond:
                session.dead = True
                self._cond.notify_all()
                if self._stop or (self._closing and not self._queue and not self._unacked):
                    return  # closed, or everything delivered and the stream half-closed
                self._last_error = error
            if acked_any:
                backoff = self._backoff_min
                if was_down:
                    log.info("sparkwire: observation stream to %s restored", self._endpoint)
                was_down = False
            if not was_down:
                log.warning("sparkwire: observation stream to %s failed (%s); retrying with backoff", self._endpoint, error)
                was_down = True
            # Jitter spreads the reconnects of many clients after a sidecar restart.
            with self._cond:
                self._cond.wait_for(lambda: self._stop, timeout=random.uniform(backoff / 2, backoff))
            backoff = min(backoff * 2, self._backoff_max)

    def _on_ack(self, ack: listener_pb2.PublishAck) -> None:
        with self._cond:
            batch = self._unacked.pop(ack.batch_seq, None)
            if batch is None:
                return  # an ack for a batch settled before (a resend acked twice)
            if ack.error_code != 0:
                self._c["batches_rejected"] += 1
                self._c["dropped_rejected"] += batch.count
                self._last_error = f"batch {ack.batch_seq} rejected: code {ack.error_code} {ack.error_message}"
                log.warning("sparkwire: %s; %d observation(s) dropped", self._last_error, batch.count)
            else:
                self._c["batches_acked"] += 1
                self._c["events_acked"] += batch.count
                self._c["duplicates"] += ack.duplicates
            self._cond.notify_all()

    def _requests(self, session: _Session) -> Iterator[listener_pb2.PublishRequest]:
        """Runs on gRPC's request thread: first the unacked batches this stream has not
        carried yet (resends after a reconnect), then new batches from the buffer."""
        sent_upto = 0
        while True:
            items: list[_Item] = []
            with self._cond:
                while True:
                    if session.dead or self._stop or self._session is not session:
                        return
                    batch = next((b for s, b in self._unacked.items() if s > sent_upto), None)
                    if batch is not None:
                        break
                    if self._closing and not self._queue:
                        if not self._unacked and self._building_first_n is None:
                            return  # all delivered: half-close, the sidecar ends the stream
                        self._cond.wait(_POLL_S)
                        continue
                    if len(self._unacked) >= self._max_unacked or not self._queue:
                        self._cond.wait(_POLL_S)
                        continue
                    if len(self._queue) < self._batch_size and not (self._flush_waiters or self._closing):
                        linger_left = self._queue[0].mono + self._linger_s - time.monotonic()
                        if linger_left > 0:
                            self._cond.wait(min(linger_left, _POLL_S))
                            continue
                    items = [self._queue.popleft()]
                    total = items[0].size
                    while (
                        self._queue
                        and len(items) < self._batch_size
                        and total + self._queue[0].size <= self._max_batch_bytes
                    ):
                        total += self._queue[0].size
                        items.append(self._queue.popleft())
                    self._building_first_n = items[0].n
                    break
            if items:
                # Protobuf building happens outside the lock so observe() never waits on it.
                request = self._build_request(items)
                with self._cond:
                    seq = self._next_seq  # assigned at registration: seqs reach the stream in order
                    self._next_seq += 1
                    request.batch_seq = seq
                    request.client_stats.CopyFrom(self._client_stats())
                    self._unacked[seq] = _Batch(seq, request, len(items), items[0].n)
                    self._building_first_n = None
                    self._cond.notify_all()
                continue
            with self._cond:
                sent_upto = batch.seq
                if batch.sent:
                    self._c["batches_resent"] += 1
                else:
                    batch.sent = True
                    self._c["batches_sent"] += 1
                    self._c["events_sent"] += batch.count
            yield batch.request

    def _build_request(self, items: list[_Item]) -> listener_pb2.PublishRequest:
        request = listener_pb2.PublishRequest(client_id=self.client_id)
        for it in items:
            ev = request.events.add()
            ev.event_id = it.event_id
            ev.app_id = self._app_id
            ev.app_name = self._app_name
            ev.event_time_ms = it.time_ms
            ev.emitted_time_ms = it.time_ms
            if self._labels:
                ev.labels.update(self._labels)
            obs = ev.observation
            obs.name = it.name  # non-empty, so the oneof is set even without figures
            if it.numeric:
                obs.numeric.update(it.numeric)
            if it.text:
                obs.text.update(it.text)
            if it.query_id:
                obs.query_id = it.query_id
            if it.batch_id is not None:
                obs.batch_id = it.batch_id
        return request


# Kept for type checkers and readers: the event type this client produces.
Observation = events_pb2.Observation
