"""The ObservationClient's side of the ListenerService.Stream RPC: the channel, the
sender thread that opens streams and reconnects with backoff, and the request generator
gRPC pulls batches from. What the batches hold and when they count as delivered is
_batching's business; this module only moves them.
"""
from __future__ import annotations

import logging
import random
import threading
from collections.abc import Iterator
from typing import Any

import grpc

from ._batching import Batch, Batcher
from ._gen.sparkwire.v1 import listener_pb2, listener_pb2_grpc

log = logging.getLogger("sparkwire")

# The channel retries connecting on its own too; keep its backoff in step with ours so a
# restarted sidecar is found within a few seconds.
_CHANNEL_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 5000),
]


def open_channel(endpoint: str, tls: bool, root_certs: bytes | None) -> grpc.Channel:
    if tls:
        creds = grpc.ssl_channel_credentials(root_certificates=root_certs)
        return grpc.secure_channel(endpoint, creds, _CHANNEL_OPTIONS)
    return grpc.insecure_channel(endpoint, _CHANNEL_OPTIONS)


class _Session:
    """One Stream call. Its request generator stops once the session is dead."""

    def __init__(self) -> None:
        self.dead = False
        self.call: Any = None


class StreamSender:
    """The daemon thread that keeps one Stream call open to the sidecar.

    Threads: this one (opens the stream, reads acks, reconnects) and gRPC's own
    request-consumer thread, which pulls batches from _requests(). Both share the
    batcher's lock.
    """

    def __init__(
        self,
        batcher: Batcher,
        endpoint: str,
        channel: grpc.Channel,
        metadata: tuple[tuple[str, str], ...],
        backoff_s: tuple[float, float],
    ) -> None:
        self._b = batcher
        self._cond = batcher.cond
        self._endpoint = endpoint
        self._channel = channel
        self._stub = listener_pb2_grpc.ListenerServiceStub(channel)
        self._metadata = metadata
        self._backoff_min, self._backoff_max = backoff_s
        self._stop = False  # the sender must exit now (guarded by the batcher's lock)
        self._session: _Session | None = None
        self._thread = threading.Thread(
            target=self._run, name=f"sparkwire-observe-{batcher.client_id[:8]}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float | None) -> None:
        self._thread.join(timeout)

    def stop(self) -> None:
        """Makes the thread exit, cancelling a stream the sidecar may never answer."""
        with self._cond:
            self._stop = True
            session = self._session
            self._cond.notify_all()
        if session is not None and session.call is not None:
            session.call.cancel()  # unblocks the sender if the sidecar never answers

    def close_channel(self) -> None:
        self._channel.close()

    def _finished(self) -> bool:
        return self._stop or self._b.drained()

    def _run(self) -> None:
        backoff = self._backoff_min
        first = True
        was_down = False
        while True:
            with self._cond:
                if self._finished():
                    return
                session = _Session()
                self._session = session
                if not first:
                    self._b.c["reconnects"] += 1
            first = False
            acked_any = False
            try:
                call = self._stub.Stream(self._requests(session), metadata=self._metadata)
                session.call = call
                with self._cond:
                    stopping = self._stop
                if stopping:  # stop() ran before session.call was set: it could not cancel
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
                if self._finished():
                    return  # closed, or everything delivered and the stream half-closed
                self._b.last_error = error
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
            self._b.on_ack(ack)

    def _requests(self, session: _Session) -> Iterator[listener_pb2.PublishRequest]:
        """Runs on gRPC's request thread: the batches the batcher says are next, in order."""
        sent_upto = 0
        while True:
            items = None
            with self._cond:
                while True:
                    if session.dead or self._stop or self._session is not session:
                        return
                    step = self._b.next_step(sent_upto)
                    if step is None:
                        return
                    if isinstance(step, float):
                        self._cond.wait(step)
                        continue
                    if isinstance(step, Batch):
                        batch = step
                    else:
                        items = step
                    break
            if items:
                # Protobuf building happens outside the lock so observe() never waits on it.
                request = self._b.build_request(items)
                with self._cond:
                    self._b.register(request, items)
                continue
            with self._cond:
                sent_upto = batch.seq
                self._b.mark_sent(batch)
            yield batch.request
