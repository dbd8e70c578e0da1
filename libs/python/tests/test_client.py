"""ObservationClient against a real in-process gRPC ListenerService (tests/conftest.py)."""
from __future__ import annotations

import time
import uuid

import pytest

import sparkwire
from conftest import FakeSidecar
from sparkwire import ObservationClient


def wait_until(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def make(clients, endpoint, **kw):
    kw.setdefault("backoff_s", (0.05, 0.2))  # keep reconnect tests fast
    kw.setdefault("app_id", "app-test")
    c = ObservationClient(endpoint=endpoint, **kw)
    clients.append(c)
    return c


def test_batches_have_increasing_seq_unique_ids_and_content(start_server, clients):
    srv = start_server()
    c = make(
        clients,
        srv.endpoint,
        token="s3cret",
        app_id="app-1",
        app_name="nightly",
        labels={"team": "data"},
        batch_size=7,
        linger_ms=5,
    )
    for i in range(50):
        assert c.observe("quality", numeric={"rows": i, "ratio": 0.5}, text={"table": "t"}, query_id="q", batch_id=i)
    assert c.flush(10)

    reqs = srv.servicer.requests
    seqs = [r.batch_seq for r in reqs]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs) and seqs[0] >= 1
    ids = srv.servicer.event_ids()
    assert len(ids) == 50 == len(set(ids))
    assert all(len(r.events) <= 7 for r in reqs)
    assert {r.client_id for r in reqs} == {c.client_id}
    uuid.UUID(c.client_id)

    ev = reqs[0].events[0]
    assert ev.WhichOneof("body") == "observation"
    assert (ev.app_id, ev.app_name, dict(ev.labels)) == ("app-1", "nightly", {"team": "data"})
    assert ev.event_time_ms > 0 and ev.emitted_time_ms == ev.event_time_ms
    obs = ev.observation
    assert obs.name == "quality" and dict(obs.numeric) == {"rows": 0.0, "ratio": 0.5}
    assert dict(obs.text) == {"table": "t"} and obs.query_id == "q"
    assert obs.HasField("batch_id") and obs.batch_id == 0
    last = reqs[-1].events[-1].observation
    assert last.numeric["rows"] == 49.0  # order kept

    stats = reqs[-1].client_stats
    assert stats.client_kind == "python" and stats.client_version == sparkwire.__version__
    assert srv.servicer.metadata[0]["authorization"] == "Bearer s3cret"

    s = c.stats()
    assert (s.accepted, s.events_sent, s.events_acked, s.queued, s.unacked_batches) == (50, 50, 50, 0, 0)
    assert s.dropped_buffer_full == s.dropped_rejected == s.batches_resent == 0
    assert c.close(5)


def test_optional_fields_stay_absent(start_server, clients):
    srv = start_server()
    c = make(clients, srv.endpoint, app_id="a", app_name="n", linger_ms=0)
    c.observe("empty")
    assert c.flush(5)
    obs = srv.servicer.requests[0].events[0].observation
    assert obs.name == "empty" and not obs.HasField("batch_id") and obs.query_id == ""
    assert not obs.numeric and not obs.text


def test_linger_groups_events_into_one_batch(start_server, clients):
    srv = start_server()
    c = make(clients, srv.endpoint, batch_size=100, linger_ms=300)
    for i in range(5):
        c.observe("x", numeric={"i": i})
    assert srv.servicer.wait_for(lambda s: len(s.requests) >= 1, 5)
    time.sleep(0.1)
    assert [len(r.events) for r in srv.servicer.requests] == [5]


def test_restart_resends_unacked_batches_unchanged(start_server, clients):
    first = start_server(FakeSidecar(ack_upto=2))
    c = make(clients, first.endpoint, batch_size=2, linger_ms=0)
    for i in range(10):
        c.observe("m", numeric={"i": i})
    assert first.servicer.wait_for(lambda s: len(s.requests) == 5)
    assert c.flush(0.3) is False  # seqs 3..5 are held by the sidecar
    before = {r.batch_seq: r for r in first.servicer.requests}

    first.stop()
    second = start_server(port=first.port)
    assert c.flush(15), c.stats()

    resent = {r.batch_seq: r for r in second.servicer.requests}
    assert sorted(resent) == [3, 4, 5]
    for seq, req in resent.items():
        assert [e.event_id for e in req.events] == [e.event_id for e in before[seq].events]
        assert req.SerializeToString() == before[seq].SerializeToString()  # the very same batch
    s = c.stats()
    assert s.batches_resent == 3 and s.reconnects >= 1 and s.events_acked == 10 and s.events_sent == 10

    # the client carries on with new seqs after the resend
    c.observe("m", numeric={"i": 10})
    assert c.flush(5)
    assert second.servicer.seqs()[-1] == 6


def test_rejected_batch_is_dropped_not_resent(start_server, clients):
    first = start_server(FakeSidecar(ack_upto=1, reject={1}))
    c = make(clients, first.endpoint, batch_size=3, linger_ms=0)
    for i in range(6):
        c.observe("m", numeric={"i": i})
    assert first.servicer.wait_for(lambda s: len(s.requests) == 2)
    assert wait_until(lambda: c.stats().batches_rejected == 1)
    assert c.stats().dropped_rejected == 3
    assert c.flush(0.2) is False  # batch 2 is still held

    first.stop()
    second = start_server(port=first.port)
    assert c.flush(15)
    assert second.servicer.seqs() == [2]  # seq 1 was rejected: never again
    s = c.stats()
    assert (s.dropped_rejected, s.events_acked, s.batches_resent) == (3, 3, 1)


def test_never_acking_sidecar_does_not_block_observe(start_server, clients):
    srv = start_server(FakeSidecar(ack_upto=0))
    c = make(clients, srv.endpoint, buffer_size=1000, batch_size=100, linger_ms=1)
    n = 100_000
    t0 = time.perf_counter()
    for i in range(n):
        c.observe("hot", numeric={"i": i})
    elapsed = time.perf_counter() - t0
    s = c.stats()
    print(f"\n100k observe() calls against a never-acking sidecar: {elapsed:.3f}s, stats={s}")
    assert elapsed < 5.0  # ~1 s on the 2-core CI machine; a blocking client would hang here
    assert s.accepted + s.dropped_buffer_full == n
    assert s.dropped_buffer_full > 0
    # at most one buffer queued plus the unacked window (default: one buffer's worth)
    assert s.accepted <= 1000 + 1000 + 100

    t0 = time.perf_counter()
    assert c.close(timeout=0.3) is False
    assert time.perf_counter() - t0 < 3
    s = c.stats()
    assert s.dropped_sidecar_unavailable == s.accepted and s.queued == 0 and s.unacked_batches == 0
    assert c.observe("late") is False and c.stats().dropped_closed == 1


def test_unreachable_sidecar_never_blocks_and_counts_losses(clients):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    c = make(clients, f"127.0.0.1:{port}", buffer_size=10)
    t0 = time.perf_counter()
    results = [c.observe("x") for _ in range(1000)]
    assert time.perf_counter() - t0 < 1.0
    assert sum(results) <= 10 + c._max_unacked * 200
    assert c.close(timeout=0.2) is False
    s = c.stats()
    assert s.dropped_sidecar_unavailable == s.accepted > 0
    assert s.last_error


def test_context_manager_flushes_on_exit(start_server):
    srv = start_server()
    with ObservationClient(endpoint=srv.endpoint, app_id="a", linger_ms=10_000, batch_size=1000) as c:
        c.observe("a", numeric={"v": 1})
    # close() must not wait for the 10 s linger
    assert len(srv.servicer.event_ids()) == 1
    assert c.stats().events_acked == 1


def test_infers_app_from_active_spark_context(start_server, clients, monkeypatch):
    pyspark = pytest.importorskip("pyspark")

    class FakeSc:
        applicationId = "local-123"
        appName = "inferred"

    monkeypatch.setattr(pyspark.SparkContext, "_active_spark_context", FakeSc())
    srv = start_server()
    c = ObservationClient(endpoint=srv.endpoint, linger_ms=0)
    clients.append(c)
    c.observe("x")
    assert c.flush(5)
    ev = srv.servicer.requests[0].events[0]
    assert (ev.app_id, ev.app_name) == ("local-123", "inferred")


def test_endpoint_with_scheme(start_server, clients):
    srv = start_server()
    c = make(clients, f"grpc://{srv.endpoint}/", linger_ms=0)
    c.observe("x")
    assert c.flush(5)


def test_app_id_required_without_spark_session(monkeypatch):
    pyspark = pytest.importorskip("pyspark")

    monkeypatch.setattr(pyspark.SparkContext, "_active_spark_context", None)
    with pytest.raises(ValueError, match="ObservationClient: app_id .*SparkSession"):
        ObservationClient(endpoint="127.0.0.1:1")


def test_batches_stay_under_max_batch_bytes(start_server, clients):
    srv = start_server()
    c = make(clients, srv.endpoint, batch_size=1000, max_batch_bytes=10_000, linger_ms=20)
    big = "x" * 3000
    for i in range(10):
        assert c.observe("big", text={"blob": big})
    assert c.observe("huge", text={"blob": "y" * 20_000}) is False  # alone over the limit
    assert c.flush(5)
    sizes = [r.ByteSize() for r in srv.servicer.requests]
    assert len(srv.servicer.event_ids()) == 10 and max(sizes) <= 10_000 and len(sizes) >= 4
    assert c.stats().dropped_too_large == 1


@pytest.mark.parametrize(
    "kwargs, arg",
    [
        ({"endpoint": "nohost"}, "endpoint"),
        ({"endpoint": "h:99999"}, "endpoint"),
        ({"token": ""}, "token"),
        ({"labels": {"bad key": "v"}}, "labels"),
        ({"buffer_size": 0}, "buffer_size"),
        ({"batch_size": -1}, "batch_size"),
        ({"linger_ms": -5}, "linger_ms"),
        ({"app_id": 5}, "app_id"),
        ({"max_batch_bytes": 0}, "max_batch_bytes"),
        ({"tls_ca_cert": "/nonexistent.pem"}, "tls_ca_cert"),
    ],
)
def test_constructor_validation_names_the_argument(kwargs, arg):
    kwargs.setdefault("endpoint", "127.0.0.1:1")
    kwargs.setdefault("app_id", "a")
    with pytest.raises(ValueError, match=rf"ObservationClient: {arg} "):
        ObservationClient(**kwargs)


@pytest.mark.parametrize(
    "args, kwargs, arg",
    [
        (("",), {}, "name"),
        (("x",), {"numeric": {"a": "1"}}, "numeric"),
        (("x",), {"numeric": {"a": None}}, "numeric"),
        (("x",), {"numeric": [1]}, "numeric"),
        (("x",), {"text": {"a": 1}}, "text"),
        (("x",), {"batch_id": "3"}, "batch_id"),
        (("x",), {"batch_id": True}, "batch_id"),
        (("x",), {"query_id": 3}, "query_id"),
    ],
)
def test_observe_validation_names_the_argument(clients, args, kwargs, arg):
    c = make(clients, "127.0.0.1:1")
    with pytest.raises(ValueError, match=rf": {arg} "):
        c.observe(*args, **kwargs)
    assert c.stats().accepted == 0


def test_concurrent_observers_all_delivered_once(start_server, clients):
    import threading

    srv = start_server()
    c = make(clients, srv.endpoint, buffer_size=100_000, batch_size=500, linger_ms=2)

    def work(t):
        for i in range(2000):
            c.observe("t", numeric={"thread": t, "i": i})

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert c.flush(15)
    ids = srv.servicer.event_ids()
    assert len(ids) == 8000 == len(set(ids))
    seqs = srv.servicer.seqs()
    assert seqs == sorted(seqs)
