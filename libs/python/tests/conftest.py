"""Shared fixtures: a real in-process gRPC server implementing ListenerService."""
from __future__ import annotations

import threading
import time
from concurrent import futures

import grpc
import pytest

from sparkwire._gen.sparkwire.v1 import listener_pb2, listener_pb2_grpc


class FakeSidecar(listener_pb2_grpc.ListenerServiceServicer):
    """Records every PublishRequest; acks according to its knobs.

    ack_upto: ack only batches with batch_seq <= ack_upto (None: all; 0: none).
    reject: batch_seqs acked with error_code INVALID_ARGUMENT (3).
    Dedupes event ids like the real sidecar, reporting them as duplicates.
    """

    def __init__(self, ack_upto: int | None = None, reject: set[int] | frozenset = frozenset()) -> None:
        self.ack_upto = ack_upto
        self.reject = set(reject)
        self.requests: list[listener_pb2.PublishRequest] = []
        self.metadata: list[dict[str, str]] = []
        self.published: set[str] = set()
        self.cond = threading.Condition()

    def Stream(self, request_iterator, context):
        with self.cond:
            self.metadata.append(dict(context.invocation_metadata()))
        for req in request_iterator:
            with self.cond:
                self.requests.append(req)
                self.cond.notify_all()
            if self.ack_upto is not None and req.batch_seq > self.ack_upto:
                continue  # silently hold the batch: the client must keep it for resend
            if req.batch_seq in self.reject or any(not e.app_id for e in req.events):
                # like the real sidecar: a batch refused for its content is acked with a code
                yield listener_pb2.PublishAck(batch_seq=req.batch_seq, error_code=3, error_message="bad batch")
                continue
            ids = [e.event_id for e in req.events]
            dups = sum(1 for i in ids if i in self.published)
            self.published.update(ids)
            yield listener_pb2.PublishAck(
                batch_seq=req.batch_seq, accepted=len(ids) - dups, duplicates=dups, task_events_wanted=True
            )

    def Publish(self, request, context):  # not used by the Python client
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "stream only")

    # helpers for tests
    def wait_for(self, predicate, timeout: float = 10.0) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: predicate(self), timeout)

    def seqs(self) -> list[int]:
        with self.cond:
            return [r.batch_seq for r in self.requests]

    def event_ids(self) -> list[str]:
        with self.cond:
            return [e.event_id for r in self.requests for e in r.events]


class ServerHandle:
    def __init__(self, servicer: FakeSidecar, port: int = 0) -> None:
        self.servicer = servicer
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        listener_pb2_grpc.add_ListenerServiceServicer_to_server(servicer, self.server)
        self.port = self.server.add_insecure_port(f"127.0.0.1:{port}")
        assert self.port, f"could not bind 127.0.0.1:{port}"
        self.server.start()

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.stop(grace=None).wait(5)


@pytest.fixture
def start_server():
    handles: list[ServerHandle] = []

    def _start(servicer: FakeSidecar | None = None, port: int = 0) -> ServerHandle:
        # Re-binding the port a stopped server just left can race the kernel; retry briefly.
        deadline = time.monotonic() + 5
        while True:
            try:
                handle = ServerHandle(servicer or FakeSidecar(), port)
                break
            except (RuntimeError, AssertionError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        handles.append(handle)
        return handle

    yield _start
    for h in handles:
        h.stop()


@pytest.fixture
def clients():
    """Collects ObservationClients so a failing test does not leak sender threads."""
    made = []
    yield made
    for c in made:
        c.close(timeout=0)
