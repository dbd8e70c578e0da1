"""sparkwire.offsets against an in-process fake OffsetsService (fencing like the sidecar's),
and the foreachBatch committer on real PySpark DataFrames. The real sidecar, broker and a
Structured Streaming job killed and restarted are in testing/offsets-e2e."""
from __future__ import annotations

import shutil
import threading
from concurrent import futures

import grpc
import pytest

from sparkwire import offsets as so
from sparkwire._gen.sparkwire.v1 import offsets_pb2, offsets_pb2_grpc


class FakeOffsets(offsets_pb2_grpc.OffsetsServiceServicer):
    """Committed offsets in a dict, fenced on from_offset, idempotent per (query, batch)."""

    def __init__(self) -> None:
        self.offsets: dict[tuple[str, str, int], int] = {}
        self.last: dict[str, tuple[str, int]] = {}
        self.requests: list = []
        self.metadata: list[dict] = []
        self.unavailable = 0  # answer UNAVAILABLE this many times first
        self.lock = threading.Lock()

    def _abort(self, context, code, msg, field=None):
        if field:
            context.set_trailing_metadata((("sparkwire-field", field),))
        context.abort(code, msg)

    def Commit(self, request, context):
        with self.lock:
            self.requests.append(request)
            self.metadata.append(dict(context.invocation_metadata()))
            if self.unavailable > 0:
                self.unavailable -= 1
                context.abort(grpc.StatusCode.UNAVAILABLE, "kafka down")
            g = request.group
            if self.last.get(g) == (request.query_id, request.batch_id):
                return offsets_pb2.CommitResponse(outcome=offsets_pb2.CommitResponse.ALREADY_COMMITTED)
            for i, r in enumerate(request.ranges):
                stored = self.offsets.get((g, r.topic, r.partition))
                if stored is not None and stored != r.from_offset and not request.force:
                    self._abort(context, grpc.StatusCode.FAILED_PRECONDITION, f"partition {r.topic}-{r.partition} has committed offset {stored}", f"ranges[{i}].from_offset")
            for r in request.ranges:
                self.offsets[(g, r.topic, r.partition)] = r.until_offset
            self.last[g] = (request.query_id, request.batch_id)
            return offsets_pb2.CommitResponse(
                outcome=offsets_pb2.CommitResponse.COMMITTED,
                committed=[offsets_pb2.PartitionOffset(topic=r.topic, partition=r.partition, offset=r.until_offset) for r in request.ranges],
            )

    def Fetch(self, request, context):
        if request.topics and request.topics[0] == "missing":
            self._abort(context, grpc.StatusCode.NOT_FOUND, "topics[0]: topic missing does not exist", "topics[0]")
        parts = []
        for t in request.topics:
            for p in (0, 1):
                off = self.offsets.get((request.group, t, p))
                start = off if off is not None else (0 if request.policy != offsets_pb2.START_POLICY_LATEST else 100)
                parts.append(offsets_pb2.FetchedPartition(topic=t, partition=p, offset=start, committed=off is not None))
        import json

        js = {}
        for p in parts:
            js.setdefault(p.topic, {})[str(p.partition)] = p.offset
        return offsets_pb2.FetchResponse(
            partitions=parts,
            starting_offsets_json=json.dumps(js),
            assign_offsets={f"{p.topic}-{p.partition}": p.offset for p in parts},
            group_has_commits=any(p.committed for p in parts),
        )

    def Lag(self, request, context):
        return offsets_pb2.LagResponse(
            group=request.group,
            status=offsets_pb2.LAG_STATUS_LAGGING,
            total_lag=7,
            max_lag_seconds=1.5,
            partitions=[offsets_pb2.PartitionLag(topic="t", partition=0, committed_offset=3, log_end_offset=10, lag=7, lag_seconds=1.5, status=offsets_pb2.LAG_STATUS_LAGGING, reason="lag grew")],
        )


@pytest.fixture
def fake():
    servicer = FakeOffsets()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    offsets_pb2_grpc.add_OffsetsServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    servicer.endpoint = f"127.0.0.1:{port}"
    yield servicer
    server.stop(None).wait(5)


def test_commit_fetch_round_trip_and_token(fake):
    with so.OffsetsClient(fake.endpoint, token="t" * 20) as c:
        first = c.fetch("g", ["t"])
        assert first.group_has_commits is False
        r = c.commit("g", "q", 0, [("t", 0, 0, 10), so.OffsetRange("t", 1, 0, 4)])
        assert r.committed and r.offsets == {("t", 0): 10, ("t", 1): 4}
        again = c.commit("g", "q", 0, [{"topic": "t", "partition": 0, "from_offset": 0, "until_offset": 10}])
        assert again.committed is False  # idempotent: nothing changed
        start = c.fetch("g", ["t"])
        assert start.offsets == {("t", 0): 10, ("t", 1): 4}
        assert start.json == '{"t": {"0": 10, "1": 4}}'
        assert start.committed == {("t", 0), ("t", 1)}
    assert fake.metadata[0]["authorization"] == "Bearer " + "t" * 20


def test_fenced_commit_raises_with_code_and_field(fake):
    with so.OffsetsClient(fake.endpoint) as c:
        c.commit("g", "q", 0, [("t", 0, 0, 10)])
        with pytest.raises(so.OffsetsError) as e:
            c.commit("g", "q", 1, [("t", 0, 12, 20)])
        assert e.value.code == "FAILED_PRECONDITION"
        assert e.value.field == "ranges[0].from_offset"
        assert "committed offset 10" in e.value.message
        assert c.commit("g", "q", 1, [("t", 0, 12, 20)], force=True).committed


def test_unavailable_is_retried(fake):
    fake.unavailable = 2
    with so.OffsetsClient(fake.endpoint, backoff_s=(0.01, 0.02)) as c:
        assert c.commit("g", "q", 0, [("t", 0, 0, 1)]).committed
    assert len(fake.requests) == 3
    fake.unavailable = 5
    with so.OffsetsClient(fake.endpoint, retries=1, backoff_s=(0.01, 0.02)) as c:
        with pytest.raises(so.OffsetsError) as e:
            c.commit("g", "q", 1, [("t", 0, 1, 2)])
        assert e.value.code == "UNAVAILABLE"


def test_bad_arguments_name_the_field(fake):
    with so.OffsetsClient(fake.endpoint) as c:
        with pytest.raises(ValueError, match=r"ranges\[0\]\.from_offset must be an int"):
            c.commit("g", "q", 0, [("t", 0, "0", 1)])
        with pytest.raises(ValueError, match=r"ranges\[1\] must be an OffsetRange"):
            c.commit("g", "q", 0, [("t", 0, 0, 1), 5])
        with pytest.raises(ValueError, match="policy"):
            c.fetch("g", ["t"], policy="newest")
        with pytest.raises(so.OffsetsError) as e:
            c.fetch("g", ["missing"])
        assert (e.value.code, e.value.field) == ("NOT_FOUND", "topics[0]")
    with pytest.raises(ValueError, match="endpoint"):
        so.OffsetsClient("nope")


def test_one_call_helpers(fake):
    assert so.starting_offsets("g", ["t"], endpoint=fake.endpoint, policy="latest") == '{"t": {"0": 100, "1": 100}}'
    lag = so.lag("g", endpoint=fake.endpoint)
    assert (lag.status, lag.total_lag, lag.max_lag_seconds) == ("LAGGING", 7, 1.5)
    assert lag.partitions[0] == so.PartitionLag("t", 0, 3, 10, 7, 1.5, "LAGGING", "lag grew")


@pytest.fixture(scope="module")
def spark():
    if shutil.which("java") is None:
        pytest.skip("PySpark needs a JVM")
    from pyspark.sql import SparkSession

    s = (
        SparkSession.builder.master("local[1]")
        .appName("sparkwire-offsets-test")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "1")
        .getOrCreate()
    )
    yield s
    s.stop()


def test_foreach_batch_committer_commits_after_the_output(fake, spark):
    committer = so.KafkaBatchCommitter("g", ["t"], endpoint=fake.endpoint, query_id="qid")
    with pytest.raises(RuntimeError, match="starting_offsets"):
        committer.ranges_of(spark.range(1))
    assert committer.starting_offsets() == '{"t": {"0": 0, "1": 0}}'
    written = []

    def output(df, batch_id):
        assert len(fake.requests) == batch_id  # this batch is not committed before its output
        written.append((batch_id, sorted(r["value"] for r in df.select("value").collect())))

    fn = committer.wrap(output)
    cols = ["topic", "partition", "offset", "value"]
    fn(spark.createDataFrame([("t", 0, 0, "a"), ("t", 0, 1, "b"), ("t", 1, 0, "c")], cols), 0)
    # Offsets 2..4 of partition 0 hold no record (e.g. transaction markers): not a gap.
    fn(spark.createDataFrame([("t", 0, 5, "d")], cols), 1)
    assert written == [(0, ["a", "b", "c"]), (1, ["d"])]
    assert [(r.topic, r.partition, r.from_offset, r.until_offset) for q in fake.requests for r in q.ranges] == [
        ("t", 0, 0, 2),
        ("t", 1, 0, 1),
        ("t", 0, 2, 6),
    ]
    assert {q.query_id for q in fake.requests} == {"qid"}
    assert committer.positions() == {("t", 0): 6, ("t", 1): 1}
    # A failing output commits nothing.
    with pytest.raises(RuntimeError):
        committer.wrap(lambda df, b: (_ for _ in ()).throw(RuntimeError("sink down")))(spark.createDataFrame([("t", 0, 6, "e")], cols), 2)
    assert len(fake.requests) == 2
    with pytest.raises(ValueError, match="no \\['offset'\\] column"):
        committer.ranges_of(spark.createDataFrame([("t", 0)], ["topic", "partition"]))
    committer.close()
