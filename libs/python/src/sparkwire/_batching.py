"""The ObservationClient's buffer and in-flight window: what is queued, what is sent and
not yet acked, and what every outcome does to the counters.

Everything here runs with `cond` held (the one lock the caller's thread, the sender
thread and gRPC's request thread share), except build_request(), which only reads
immutable state so protobuf building never makes observe() wait.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Mapping
from typing import NamedTuple, Union

from ._gen.sparkwire.v1 import listener_pb2
from ._version import __version__
from .ids import EventIds

log = logging.getLogger("sparkwire")

CLIENT_KIND = "python"

# How long an idle wait sleeps before re-checking its conditions. Waits are also woken
# by notify(); this only bounds how late a dead session's generator notices it is dead.
POLL_S = 0.1

COUNTERS = (
    "dropped_buffer_full dropped_closed dropped_too_large dropped_rejected "
    "dropped_sidecar_unavailable events_sent events_acked duplicates batches_sent "
    "batches_resent batches_acked batches_rejected reconnects"
).split()


class Item(NamedTuple):
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


class Batch:
    __slots__ = ("seq", "request", "count", "first_n", "sent")

    def __init__(self, seq: int, request: listener_pb2.PublishRequest, count: int, first_n: int) -> None:
        self.seq = seq
        self.request = request  # kept as built: a resend must carry the very same events
        self.count = count
        self.first_n = first_n
        self.sent = False


# What the request stream does next (see Batcher.next_step): send this unacked batch,
# build a batch of these items, wait this many seconds, or (None) half-close.
Step = Union[Batch, list[Item], float, None]


class Batcher:
    def __init__(
        self,
        *,
        client_id: str,
        app_id: str,
        app_name: str,
        labels: Mapping[str, str],
        buffer_size: int,
        batch_size: int,
        linger_s: float,
        max_batch_bytes: int,
        max_unacked: int,
    ) -> None:
        self.client_id = client_id
        self._ids = EventIds(client_id)
        self._app_id = app_id
        self._app_name = app_name
        self._labels = labels
        self._buffer_size = buffer_size
        self._batch_size = batch_size
        self._linger_s = linger_s
        self._max_batch_bytes = max_batch_bytes
        self._max_unacked = max_unacked

        self.cond = threading.Condition(threading.Lock())
        self._queue: deque[Item] = deque()
        self._unacked: dict[int, Batch] = {}  # by batch_seq, in increasing order
        self._building_first_n: int | None = None  # events popped but not yet in _unacked
        self._next_seq = 1
        self.accepted = 0
        self._flush_waiters = 0
        self.closing = False  # close() called: add() drops, the stream drains
        # Plain counters; the names are ObservationStats' fields.
        self.c = dict.fromkeys(COUNTERS, 0)
        self.last_error: str | None = None

    # ------------------------------------------------------------------ caller side

    def add(
        self,
        name: str,
        numeric: dict[str, float] | None,
        text: dict[str, str] | None,
        query_id: str | None,
        batch_id: int | None,
        size: int,
        time_ms: int,
        mono: float,
    ) -> bool:
        """Buffers one validated observation; False when dropped. Takes the lock itself."""
        with self.cond:
            if self.closing:
                self.c["dropped_closed"] += 1
                return False
            if size > self._max_batch_bytes:
                self.c["dropped_too_large"] += 1
                if self.c["dropped_too_large"] == 1:
                    log.warning("sparkwire: observation %r (~%d bytes) exceeds max_batch_bytes; dropped", name, size)
                return False
            if len(self._queue) >= self._buffer_size:
                self.c["dropped_buffer_full"] += 1
                return False
            self.accepted += 1
            self._queue.append(
                Item(self.accepted, self._ids.next(), time_ms, mono, size, name, numeric, text, query_id, batch_id)
            )
            # Wake the sender only when it has something new to decide: the first event
            # starts the linger clock, a full batch ends it. Not on every call.
            if len(self._queue) == 1 or len(self._queue) == self._batch_size:
                self.cond.notify_all()
        return True

    def flush(self, deadline: float | None) -> bool:
        """Waits until every event accepted so far is acked or dropped; False at the deadline.
        Batches are sent without lingering while someone flushes."""
        with self.cond:
            target = self.accepted
            self._flush_waiters += 1
            self.cond.notify_all()
            try:
                while self._lowest_unsettled() <= target:
                    remaining = POLL_S if deadline is None else min(POLL_S, deadline - time.monotonic())
                    if remaining <= 0:
                        return False
                    self.cond.wait(remaining)
                return True
            finally:
                self._flush_waiters -= 1

    def drop_undelivered(self) -> int:
        """At close, after the stream stopped: counts and forgets what never got acked."""
        with self.cond:
            lost = len(self._queue) + sum(b.count for b in self._unacked.values())
            self.c["dropped_sidecar_unavailable"] += lost
            self._queue.clear()
            self._unacked.clear()
            self.cond.notify_all()
        return lost

    def queued(self) -> int:
        return len(self._queue)

    def unacked_batches(self) -> int:
        return len(self._unacked)

    def _lowest_unsettled(self) -> int:
        """Acceptance number of the oldest event not yet acked or dropped."""
        candidates = [self.accepted + 1]
        if self._queue:
            candidates.append(self._queue[0].n)
        if self._building_first_n is not None:
            candidates.append(self._building_first_n)
        candidates.extend(b.first_n for b in self._unacked.values())
        return min(candidates)

    # ------------------------------------------------------------------ stream side (lock held)

    def drained(self) -> bool:
        """close() was called and nothing is left to deliver."""
        return self.closing and not self._queue and not self._unacked

    def next_step(self, sent_upto: int) -> Step:
        """For a stream that has carried every batch up to sent_upto: first the unacked
        batches it has not carried (resends after a reconnect), then new batches from the
        buffer once one is due."""
        batch = next((b for s, b in self._unacked.items() if s > sent_upto), None)
        if batch is not None:
            return batch
        if self.closing and not self._queue:
            if not self._unacked and self._building_first_n is None:
                return None  # all delivered: half-close, the sidecar ends the stream
            return POLL_S
        if len(self._unacked) >= self._max_unacked or not self._queue:
            return POLL_S
        if len(self._queue) < self._batch_size and not (self._flush_waiters or self.closing):
            linger_left = self._queue[0].mono + self._linger_s - time.monotonic()
            if linger_left > 0:
                return min(linger_left, POLL_S)
        items = [self._queue.popleft()]
        total = items[0].size
        while self._queue and len(items) < self._batch_size and total + self._queue[0].size <= self._max_batch_bytes:
            total += self._queue[0].size
            items.append(self._queue.popleft())
        self._building_first_n = items[0].n
        return items

    def register(self, request: listener_pb2.PublishRequest, items: list[Item]) -> None:
        """Puts a batch built from next_step()'s items into the window."""
        seq = self._next_seq  # assigned at registration: seqs reach the stream in order
        self._next_seq += 1
        request.batch_seq = seq
        request.client_stats.CopyFrom(self._client_stats())
        self._unacked[seq] = Batch(seq, request, len(items), items[0].n)
        self._building_first_n = None
        self.cond.notify_all()

    def mark_sent(self, batch: Batch) -> None:
        if batch.sent:
            self.c["batches_resent"] += 1
        else:
            batch.sent = True
            self.c["batches_sent"] += 1
            self.c["events_sent"] += batch.count

    def on_ack(self, ack: listener_pb2.PublishAck) -> None:
        batch = self._unacked.pop(ack.batch_seq, None)
        if batch is None:
            return  # an ack for a batch settled before (a resend acked twice)
        if ack.error_code != 0:
            self.c["batches_rejected"] += 1
            self.c["dropped_rejected"] += batch.count
            self.last_error = f"batch {ack.batch_seq} rejected: code {ack.error_code} {ack.error_message}"
            log.warning("sparkwire: %s; %d observation(s) dropped", self.last_error, batch.count)
        else:
            self.c["batches_acked"] += 1
            self.c["events_acked"] += batch.count
            self.c["duplicates"] += ack.duplicates
        self.cond.notify_all()

    def _client_stats(self) -> listener_pb2.ClientStats:
        return listener_pb2.ClientStats(
            dropped_buffer_full=self.c["dropped_buffer_full"],
            dropped_sidecar_unavailable=self.c["dropped_sidecar_unavailable"],
            events_sent=self.c["events_sent"],
            client_kind=CLIENT_KIND,
            client_version=__version__,
        )

    # ------------------------------------------------------------------ no lock

    def build_request(self, items: list[Item]) -> listener_pb2.PublishRequest:
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
