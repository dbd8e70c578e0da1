"""The golden vectors (proto/golden) as the Python package sees them.

Every vector's event parses into the generated SparkEvent (proto3 JSON) and survives the
binary round trip; Spark's longs above 2^53 (18-stageCompleted-large.json) stay exact in the
event and equal the digits of the records the sidecar writes; a uint64 batch_seq is encoded
as every other client (TypeScript, JVM) encodes it.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from google.protobuf import json_format

from sparkwire._gen.sparkwire.v1 import events_pb2, listener_pb2

GOLDEN = Path(__file__).resolve().parents[3] / "proto" / "golden"
VECTORS = sorted(GOLDEN.glob("*.json"))


def _load(path: Path) -> dict:
    # Python's json keeps integers exact, whatever their size.
    return json.loads(path.read_text(encoding="utf-8"))


def test_vectors_are_there():
    assert len(VECTORS) >= 18
    assert GOLDEN / "18-stageCompleted-large.json" in VECTORS


@pytest.mark.parametrize("path", VECTORS, ids=[p.name for p in VECTORS])
def test_event_parses_and_round_trips(path: Path):
    g = _load(path)
    ev = json_format.ParseDict(g["event"], events_pb2.SparkEvent())
    assert ev.event_id == g["event"]["eventId"]
    back = events_pb2.SparkEvent.FromString(ev.SerializeToString())
    assert back == ev
    # Back to proto3 JSON: the same event (int64s come out as strings, canonically).
    assert json_format.ParseDict(json_format.MessageToDict(back), events_pb2.SparkEvent()) == ev


def test_longs_above_2_to_53_are_exact_in_event_and_records():
    g = _load(GOLDEN / "18-stageCompleted-large.json")
    ev = json_format.ParseDict(g["event"], events_pb2.SparkEvent())
    m = events_pb2.SparkEvent.FromString(ev.SerializeToString()).stage_completed.metrics
    assert m.executor_cpu_time_ns == 14_400_000_000_000_001
    assert m.executor_cpu_time_ns != int(float(m.executor_cpu_time_ns))  # a double could not hold it
    assert m.shuffle_write_time_ns == 2**63 - 1
    stage_metrics = next(r for r in g["records"] if r["name"] == "stage_metrics")
    assert stage_metrics["executorCpuTime"] == m.executor_cpu_time_ns
    assert stage_metrics["shuffleWriteTime"] == m.shuffle_write_time_ns
    assert stage_metrics["executorRunTime"] == m.executor_run_time_ms == 14_400_000_000


def test_uint64_batch_seq_is_exact_on_the_wire():
    req = listener_pb2.PublishRequest(client_id="c", batch_seq=2**64 - 1)
    # The same bytes as the TypeScript and JVM clients produce (GoldenVectorsTest.java).
    assert req.SerializeToString().hex() == "0a016310ffffffffffffffffff01"
    assert listener_pb2.PublishRequest.FromString(req.SerializeToString()).batch_seq == 2**64 - 1
    above = 2**53 + 1
    assert listener_pb2.PublishRequest.FromString(listener_pb2.PublishRequest(batch_seq=above).SerializeToString()).batch_seq == above
    with pytest.raises(ValueError):
        listener_pb2.PublishRequest(batch_seq=2**64)
