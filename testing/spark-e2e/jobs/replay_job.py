"""A small job for the event-log replay test (and the event-log fixtures): a few map tasks, a
shuffle, a task that fails once and is retried, a SQL query and a short Structured Streaming
query, run with Spark's own event log on (spark.eventLog.* from the settings' "conf").

Settings (JSON argument): {"app": str, "tasks": int, "conf": {spark conf}, "streaming": bool,
"sparkwire": {configure() kwargs} or null}.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import builder, emit, settings, with_sparkwire  # noqa: E402

cfg = settings()
n_tasks = int(cfg.get("tasks", 4))

from pyspark import TaskContext  # noqa: E402

conf = {"spark.task.maxFailures": "4", **(cfg.get("conf") or {})}
spark = with_sparkwire(builder(cfg.get("app", "sparkwire-e2e-replay"), master="local[2,4]", conf=conf), cfg.get("sparkwire")).getOrCreate()
sc = spark.sparkContext
emit("started", appId=sc.applicationId)

spark.range(0, n_tasks * 10, 1, n_tasks).write.format("noop").mode("overwrite").save()
buckets = spark.range(0, 1000, 1, n_tasks).selectExpr("id % 10 AS bucket").groupBy("bucket").count().collect()
assert len(buckets) == 10


def fail_once(index, rows):
    if index == 0 and TaskContext.get().attemptNumber() == 0:
        raise RuntimeError("sparkwire e2e: injected failure of the first attempt")
    return rows


assert sc.parallelize(range(100), 2).mapPartitionsWithIndex(fail_once).count() == 100
spark.range(0, 100, 1, 2).selectExpr("id", "id % 3 AS k").createOrReplaceTempView("numbers")
rows = spark.sql("SELECT k, count(*) AS n FROM numbers GROUP BY k ORDER BY k").collect()
assert len(rows) == 3

if cfg.get("streaming", True):
    checkpoint = tempfile.mkdtemp(prefix="sparkwire-replay-ckpt-")
    query = (
        spark.readStream.format("rate").option("rowsPerSecond", 20).option("numPartitions", 1).load()
        .writeStream.format("memory").queryName("replay_rates")
        .option("checkpointLocation", checkpoint)
        .trigger(processingTime="500 milliseconds").start()
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        if sum(1 for p in query.recentProgress if p["numInputRows"] > 0) >= 2:
            break
        time.sleep(0.2)
    query.stop()

emit("result", appId=sc.applicationId)
spark.stop()
emit("stopped")
