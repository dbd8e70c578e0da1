"""A Structured Streaming job on Kafka whose offsets live in Kafka through sparkwire.

It starts from the offsets the sidecar fetches (a fresh checkpoint every run, so Spark
takes them), writes each batch to an idempotent sink, and commits the batch's offsets
after the output with sparkwire's foreachBatch helper. The test kills it at random points
and starts it again.

The sink is a table of files keyed by (partition, first offset of the batch in it), each
written to a temporary name and renamed into place: writing the same records again
replaces the same file. Since a run always starts where the last commit ended and commits
after each output, the only output that can be repeated (written, not committed, killed)
starts at the committed offset, which is exactly where the next run's first batch for the
partition starts: it lands on the same key.

Prints one JSON object per line: {"event": "start" | "written" | "committed" | "done", ...}.
With --expected N it stops by itself once N records are committed and the lag is 0.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from pyspark.sql import SparkSession

from sparkwire.offsets import KafkaBatchCommitter, OffsetsError


def say(event: str, **kw) -> None:
    print(json.dumps({"event": event, **kw}), flush=True)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--group", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--jars", required=True)
    ap.add_argument("--expected", type=int, default=0)
    ap.add_argument("--max-per-trigger", type=int, default=45)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("sparkwire-offsets-e2e")
        .config("spark.jars", args.jars)
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")

    committer = KafkaBatchCommitter(args.group, [args.topic], endpoint=args.endpoint, query_name="offsets-e2e")
    start = committer.starting_offsets()
    say("start", startingOffsets=json.loads(start))

    def write(df, batch_id):
        rows = df.selectExpr("partition", "offset", "CAST(value AS STRING) AS value").collect()
        by_partition: dict[int, list[tuple[int, str]]] = {}
        for r in rows:
            by_partition.setdefault(r["partition"], []).append((r["offset"], r["value"]))
        for p, recs in by_partition.items():
            recs.sort()
            path = out / f"p{p}-from-{recs[0][0]:012d}.jsonl"
            fd, tmp = tempfile.mkstemp(dir=out, prefix=".tmp-")
            with os.fdopen(fd, "w") as f:
                for off, value in recs:
                    f.write(json.dumps({"partition": p, "offset": off, "value": value}) + "\n")
            os.replace(tmp, path)
        say("written", batch=batch_id, rows=len(rows))
        time.sleep(rng.random() * 0.3)  # widens the window between output and commit

    commit_after_output = committer.wrap(write)

    def each_batch(df, batch_id):
        commit_after_output(df, batch_id)
        say("committed", batch=batch_id, positions={f"{t}-{p}": o for (t, p), o in committer.positions().items()})

    query = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", args.bootstrap)
        .option("subscribe", args.topic)
        .option("startingOffsets", start)
        .option("maxOffsetsPerTrigger", str(args.max_per_trigger))
        .load()
        .writeStream.queryName("offsets-e2e")
        .option("checkpointLocation", tempfile.mkdtemp(prefix="offsets-e2e-ckpt-"))
        .trigger(processingTime="200 milliseconds")
        .foreachBatch(each_batch)
        .start()
    )
    while query.isActive:
        time.sleep(0.5)
        if args.expected:
            try:
                lag = committer.client.lag(args.group, [args.topic])
            except OffsetsError:
                continue  # nothing committed yet
            ends = sum(p.log_end_offset for p in lag.partitions)
            if lag.total_lag == 0 and ends >= args.expected:
                say("done", status=lag.status, logEnd=ends)
                query.stop()
    if query.exception() is not None:
        print(f"query failed: {query.exception()}", file=sys.stderr)
        return 1
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
