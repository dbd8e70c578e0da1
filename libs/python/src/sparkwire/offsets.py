"""Kafka offsets of Spark streaming jobs, stored in Kafka itself through the sparkwire sidecar.

The sidecar's OffsetsService (docs/offsets.md) commits a job's offsets as a Kafka consumer
group's committed offsets, fenced (a range must start where the group is) and idempotent
per (query, batch), hands back restart offsets, and reports lag. Here:

- ``OffsetsClient``: the three calls (commit, fetch, lag) with retries on UNAVAILABLE.
- ``KafkaBatchCommitter``: for Structured Streaming ``foreachBatch``: fetch
  ``startingOffsets`` when the query starts, commit each batch after your output
  succeeded (store offsets after an idempotent output, as the Spark Kafka guide says).
- ``starting_offsets()`` and ``lag()``: one-call helpers.

    committer = KafkaBatchCommitter("orders-etl", ["orders"], endpoint="127.0.0.1:50551")
    df = (spark.readStream.format("kafka").option("subscribe", "orders")
          .option("startingOffsets", committer.starting_offsets()) ...)
    df.writeStream.foreachBatch(committer.wrap(write_batch)).start()

Kafka's own column names are used: the batch DataFrame must keep ``topic``, ``partition``
and ``offset`` (as the Kafka source gives them) for the committer to find each batch's
ranges, or pass the ranges yourself with ``commit_ranges``.
"""
from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Callable

import grpc

from ._gen.sparkwire.v1 import offsets_pb2, offsets_pb2_grpc
from ._validate import DEFAULT_ENDPOINT, fail, parse_endpoint, validate_token

_WHERE = "sparkwire.offsets"

POLICIES = {"earliest": offsets_pb2.START_POLICY_EARLIEST, "latest": offsets_pb2.START_POLICY_LATEST, None: offsets_pb2.START_POLICY_UNSPECIFIED}
STATUS_NAMES = {
    offsets_pb2.LAG_STATUS_OK: "OK",
    offsets_pb2.LAG_STATUS_LAGGING: "LAGGING",
    offsets_pb2.LAG_STATUS_STALLED: "STALLED",
    offsets_pb2.LAG_STATUS_STOPPED: "STOPPED",
    offsets_pb2.LAG_STATUS_UNSPECIFIED: "UNSPECIFIED",
}


class OffsetsError(Exception):
    """A call the sidecar refused: ``code`` is the gRPC status name (FAILED_PRECONDITION for a
    fenced range, INVALID_ARGUMENT / NOT_FOUND / OUT_OF_RANGE for bad input, UNAVAILABLE when
    Kafka or the sidecar could not be reached), ``field`` the request field at fault."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.field = field


@dataclass(frozen=True)
class OffsetRange:
    """Kafka's OffsetRange: [from_offset, until_offset) of one partition."""

    topic: str
    partition: int
    from_offset: int
    until_offset: int


@dataclass(frozen=True)
class CommitResult:
    committed: bool  # False: this (query, batch) was committed before; nothing changed
    offsets: dict[tuple[str, int], int]


@dataclass(frozen=True)
class StartingOffsets:
    group: str
    #: Structured Streaming's ``startingOffsets`` option, e.g. '{"orders":{"0":42}}'.
    json: str
    #: (topic, partition) -> offset: the map a DStream ``Assign`` takes.
    offsets: dict[tuple[str, int], int]
    #: Partitions whose offset is the group's committed one (the rest came from the policy).
    committed: frozenset[tuple[str, int]]
    group_has_commits: bool


@dataclass(frozen=True)
class PartitionLag:
    topic: str
    partition: int
    committed_offset: int
    log_end_offset: int
    lag: int
    lag_seconds: float
    status: str
    reason: str


@dataclass(frozen=True)
class GroupLag:
    group: str
    status: str
    total_lag: int
    max_lag_seconds: float
    partitions: list[PartitionLag] = field(default_factory=list)


def _ranges(ranges: Iterable[Any]) -> list[offsets_pb2.OffsetRange]:
    out = []
    for i, r in enumerate(ranges):
        if isinstance(r, OffsetRange):
            t, p, f, u = r.topic, r.partition, r.from_offset, r.until_offset
        elif isinstance(r, Mapping):
            t, p, f, u = r.get("topic"), r.get("partition"), r.get("from_offset", r.get("fromOffset")), r.get("until_offset", r.get("untilOffset"))
        elif hasattr(r, "fromOffset") and hasattr(r, "untilOffset"):  # pyspark.streaming.kafka OffsetRange-like
            t, p, f, u = r.topic, r.partition, r.fromOffset, r.untilOffset
        else:
            try:
                t, p, f, u = r
            except (TypeError, ValueError):
                raise fail(f"ranges[{i}]", f"must be an OffsetRange, a dict or a (topic, partition, from, until) tuple, got {r!r}", _WHERE) from None
        for name, v in (("partition", p), ("from_offset", f), ("until_offset", u)):
            if isinstance(v, bool) or not isinstance(v, int):
                raise fail(f"ranges[{i}].{name}", f"must be an int, got {v!r}", _WHERE)
        if not isinstance(t, str):
            raise fail(f"ranges[{i}].topic", f"must be a str, got {t!r}", _WHERE)
        out.append(offsets_pb2.OffsetRange(topic=t, partition=p, from_offset=f, until_offset=u))
    return out


class OffsetsClient:
    """The OffsetsService of one sidecar. Calls block; UNAVAILABLE is retried with backoff
    (a commit is idempotent per (query, batch), so a retried commit that did land before
    answers "already committed")."""

    def __init__(
        self,
        endpoint: str = DEFAULT_ENDPOINT,
        token: str | None = None,
        *,
        tls: bool = False,
        tls_ca_cert: str | None = None,
        timeout_s: float = 30.0,
        retries: int = 5,
        backoff_s: tuple[float, float] = (0.2, 5.0),
    ) -> None:
        target, tls_from_scheme = parse_endpoint(endpoint, where=_WHERE)
        token = validate_token(token, where=_WHERE)
        self._metadata = (("authorization", f"Bearer {token}"),) if token else ()
        self._timeout = timeout_s
        self._retries = retries
        self._backoff = backoff_s
        if tls or tls_from_scheme or tls_ca_cert:
            root = open(tls_ca_cert, "rb").read() if tls_ca_cert else None
            self._channel = grpc.secure_channel(target, grpc.ssl_channel_credentials(root_certificates=root))
        else:
            self._channel = grpc.insecure_channel(target)
        self._stub = offsets_pb2_grpc.OffsetsServiceStub(self._channel)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> OffsetsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: Callable[..., Any], request: Any) -> Any:
        delay = self._backoff[0]
        for attempt in range(self._retries + 1):
            try:
                return method(request, timeout=self._timeout, metadata=self._metadata)
            except grpc.RpcError as err:
                code = err.code()
                if code == grpc.StatusCode.UNAVAILABLE and attempt < self._retries:
                    time.sleep(delay * (0.5 + random.random()))
                    delay = min(delay * 2, self._backoff[1])
                    continue
                field_name = next((v for k, v in (err.trailing_metadata() or ()) if k == "sparkwire-field"), None)
                raise OffsetsError(code.name, err.details() or "", field_name) from None
        raise AssertionError("unreachable")

    def commit(self, group: str, query_id: str, batch_id: int, ranges: Iterable[Any], force: bool = False) -> CommitResult:
        """Commits the ranges' until offsets as the group's offsets, all or none. Raises
        OffsetsError FAILED_PRECONDITION when a range does not start at the committed offset."""
        req = offsets_pb2.CommitRequest(group=group, query_id=query_id, batch_id=batch_id, ranges=_ranges(ranges), force=force)
        res = self._call(self._stub.Commit, req)
        return CommitResult(
            committed=res.outcome == offsets_pb2.CommitResponse.COMMITTED,
            offsets={(p.topic, p.partition): p.offset for p in res.committed},
        )

    def fetch(self, group: str, topics: Iterable[str], policy: str | None = None) -> StartingOffsets:
        """Where to start: committed offsets, and ``policy`` ("earliest"/"latest", default the
        sidecar's) for partitions without one."""
        if policy not in POLICIES:
            raise fail("policy", f"must be 'earliest', 'latest' or None, got {policy!r}", _WHERE)
        res = self._call(self._stub.Fetch, offsets_pb2.FetchRequest(group=group, topics=list(topics), policy=POLICIES[policy]))
        return StartingOffsets(
            group=group,
            json=res.starting_offsets_json,
            offsets={(p.topic, p.partition): p.offset for p in res.partitions},
            committed=frozenset((p.topic, p.partition) for p in res.partitions if p.committed),
            group_has_commits=res.group_has_commits,
        )

    def lag(self, group: str, topics: Iterable[str] = ()) -> GroupLag:
        res = self._call(self._stub.Lag, offsets_pb2.LagRequest(group=group, topics=list(topics)))
        return GroupLag(
            group=res.group,
            status=STATUS_NAMES.get(res.status, str(res.status)),
            total_lag=res.total_lag,
            max_lag_seconds=res.max_lag_seconds,
            partitions=[
                PartitionLag(p.topic, p.partition, p.committed_offset, p.log_end_offset, p.lag, p.lag_seconds, STATUS_NAMES.get(p.status, str(p.status)), p.reason)
                for p in res.partitions
            ],
        )


def starting_offsets(group: str, topics: Iterable[str], endpoint: str = DEFAULT_ENDPOINT, policy: str | None = None, token: str | None = None) -> str:
    """One call: the ``startingOffsets`` JSON for a Kafka source, from the group's committed offsets."""
    with OffsetsClient(endpoint, token) as c:
        return c.fetch(group, topics, policy).json


def lag(group: str, topics: Iterable[str] = (), endpoint: str = DEFAULT_ENDPOINT, token: str | None = None) -> GroupLag:
    """One call: the group's lag per partition (records, seconds, status)."""
    with OffsetsClient(endpoint, token) as c:
        return c.lag(group, topics)


class KafkaBatchCommitter:
    """Offsets of a Structured Streaming query on Kafka, kept as a consumer group in Kafka.

    Call ``starting_offsets()`` once before starting the query (its result goes into the Kafka
    source's ``startingOffsets``; start with a fresh checkpoint location, or Spark ignores
    it), and commit each batch after your output succeeded, with ``wrap(fn)`` as the
    ``foreachBatch`` function or ``commit(batch_df, batch_id)`` at the end of your own.

    Each batch's range of a partition runs from where the previous one ended (the fetched
    offset for the first) to the batch's largest offset + 1, so offsets that hold no record
    (transaction markers, compaction) never look like a gap. The sidecar refuses the commit
    (OffsetsError FAILED_PRECONDITION) if the group moved meanwhile: something else commits
    to it, or another run of the job is active.

    ``query_id`` (with ``batch_id``) makes re-commits idempotent; by default the id of the
    active query named ``query_name`` when given, else a fresh id per committer.
    """

    def __init__(
        self,
        group: str,
        topics: Iterable[str],
        *,
        client: OffsetsClient | None = None,
        endpoint: str = DEFAULT_ENDPOINT,
        token: str | None = None,
        policy: str | None = None,
        query_id: str | None = None,
        query_name: str | None = None,
    ) -> None:
        if not isinstance(group, str) or not group:
            raise fail("group", f"must be a non-empty str, got {group!r}", _WHERE)
        self.group = group
        self.topics = list(topics)
        if not self.topics or not all(isinstance(t, str) and t for t in self.topics):
            raise fail("topics", f"must name at least one topic, got {self.topics!r}", _WHERE)
        self._own_client = client is None
        self.client = client or OffsetsClient(endpoint, token)
        self.policy = policy
        self.query_name = query_name
        self._query_id = query_id
        self._fallback_id = f"run-{uuid.uuid4()}"
        self._positions: dict[tuple[str, int], int] | None = None

    def starting_offsets(self) -> str:
        """Fetches the group's offsets (policy for the rest) and remembers them as the
        positions the first batch starts from. Returns the JSON for ``startingOffsets``."""
        start = self.client.fetch(self.group, self.topics, self.policy)
        self._positions = dict(start.offsets)
        return start.json

    def positions(self) -> dict[tuple[str, int], int]:
        """Where each partition's next batch starts (what has been committed)."""
        return dict(self._positions or {})

    def query_id(self, batch_df: Any = None) -> str:
        if self._query_id:
            return self._query_id
        if self.query_name and batch_df is not None:
            try:
                for q in batch_df.sparkSession.streams.active:
                    if q.name == self.query_name:
                        self._query_id = str(q.id)
                        return self._query_id
            except Exception:  # Spark Connect or no such query: fall back to the run's id
                pass
        return self._fallback_id

    def ranges_of(self, batch_df: Any) -> list[OffsetRange]:
        """The batch's ranges: per (topic, partition) in it, [position, max(offset) + 1)."""
        if self._positions is None:
            raise RuntimeError(f"{_WHERE}: call starting_offsets() before the query starts")
        missing = [c for c in ("topic", "partition", "offset") if c not in batch_df.columns]
        if missing:
            raise fail("batch_df", f"has no {missing} column(s): keep the Kafka source's topic, partition and offset, or use commit_ranges()", _WHERE)
        from pyspark.sql import functions as F  # only here: pyspark is not a dependency

        rows = batch_df.groupBy("topic", "partition").agg(F.max("offset").alias("last")).collect()
        out = []
        for r in rows:
            key = (r["topic"], int(r["partition"]))
            start = self._positions.get(key)
            until = int(r["last"]) + 1
            out.append(OffsetRange(key[0], key[1], until if start is None else start, until))
        return sorted(out, key=lambda x: (x.topic, x.partition))

    def commit_ranges(self, batch_id: int, ranges: Iterable[Any], query_id: str | None = None, force: bool = False) -> CommitResult | None:
        """Commits explicit ranges for a batch; None when there is nothing to commit."""
        rs = list(ranges)
        if not rs:
            return None
        res = self.client.commit(self.group, query_id or self.query_id(), batch_id, rs, force)
        if self._positions is not None:
            for r in _ranges(rs):
                self._positions[(r.topic, r.partition)] = r.until_offset
        return res

    def commit(self, batch_df: Any, batch_id: int) -> CommitResult | None:
        """Commits the batch's Kafka ranges. Call it after the batch's output succeeded."""
        return self.commit_ranges(batch_id, self.ranges_of(batch_df), self.query_id(batch_df))

    def wrap(self, fn: Callable[[Any, int], Any]) -> Callable[[Any, int], None]:
        """A foreachBatch function: ``fn(batch_df, batch_id)``, then the commit."""

        def run(batch_df: Any, batch_id: int) -> None:
            # The ranges are read before the output so that the output may drop columns.
            ranges = self.ranges_of(batch_df)
            fn(batch_df, batch_id)
            self.commit_ranges(batch_id, ranges, self.query_id(batch_df))

        return run

    def close(self) -> None:
        if self._own_client:
            self.client.close()


__all__ = [
    "CommitResult",
    "GroupLag",
    "KafkaBatchCommitter",
    "OffsetRange",
    "OffsetsClient",
    "OffsetsError",
    "PartitionLag",
    "StartingOffsets",
    "lag",
    "starting_offsets",
]

