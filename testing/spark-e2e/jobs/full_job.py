"""The Spark-clients issue's job, on real PySpark with sparkwire.configure():

1. many tiny tasks: spark.range(10*N rows, N partitions) written to the noop sink (one
   stage of N JVM-only tasks: ~0.5 ms each here, where a Python task costs ~50 ms), then
   a shuffle (groupBy over 20 partitions);
2. a task that fails once and is retried: partition 0 raises when
   TaskContext.attemptNumber() == 0 (master local[2,4]: local mode takes the task retry
   limit from the master URL and ignores spark.task.maxFailures, which is set too);
3. a SQL query over a temp view (a join and an aggregate);
4. a short Structured Streaming query (rate source, memory sink) that runs until at least
   3 micro-batches with input rows completed;
5. an observation sent from Python with sparkwire.ObservationClient.

Then, before spark.stop(), what Spark itself reports (REST API, recentProgress, the
listener bus metrics) is printed as one JSON line.

Settings (JSON argument): {"app": str, "tasks": int, "sparkwire": {configure() kwargs} or
null, "observe": bool}.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import builder, driver_logs, emit, listener_bus_metrics, settings, spark_report, with_sparkwire  # noqa: E402

cfg = settings()
n_tasks = int(cfg.get("tasks", 5000))
sw = cfg.get("sparkwire")

t_start = time.time()
from pyspark import TaskContext  # noqa: E402

spark = with_sparkwire(
    builder(cfg.get("app", "sparkwire-e2e-full"), master="local[2,4]", conf={"spark.task.maxFailures": "4"}),
    sw,
).getOrCreate()
sc = spark.sparkContext
driver_logs(sc)
emit("started", appId=sc.applicationId, uiWebUrl=sc.uiWebUrl, startup_s=time.time() - t_start)
t_work = time.time()

# 1. Many tiny tasks: one stage of n_tasks JVM-only tasks writing to the noop sink.
emit("phase", name="tasks")
spark.range(0, n_tasks * 10, 1, n_tasks).write.format("noop").mode("overwrite").save()
emit("phase", name="shuffle")
# A shuffle: 20 map tasks, grouped by bucket on the reduce side.
buckets = spark.range(0, 100_000, 1, 20).selectExpr("id % 10 AS bucket").groupBy("bucket").count().collect()
assert sum(r["count"] for r in buckets) == 100_000, buckets


# 2. One task attempt fails, its retry succeeds.
def fail_once(index, rows):
    if index == 0 and TaskContext.get().attemptNumber() == 0:
        raise RuntimeError("sparkwire e2e: injected failure of the first attempt")
    return rows


emit("phase", name="retry")
assert sc.parallelize(range(100), 2).mapPartitionsWithIndex(fail_once).count() == 100

# 3. A SQL query.
emit("phase", name="sql")
spark.range(0, 1000, 1, 4).selectExpr("id", "id % 10 AS bucket").createOrReplaceTempView("numbers")
spark.range(0, 10, 1, 1).selectExpr("id AS bucket", "concat('b', id) AS label").createOrReplaceTempView("labels")
rows = spark.sql(
    "SELECT l.label, count(*) AS n, sum(n.id) AS total FROM numbers n JOIN labels l ON n.bucket = l.bucket "
    "GROUP BY l.label ORDER BY l.label"
).collect()
assert len(rows) == 10 and sum(r["n"] for r in rows) == 1000

# 4. Structured Streaming: rate source, at least 3 micro-batches with rows.
emit("phase", name="streaming")
checkpoint = tempfile.mkdtemp(prefix="sparkwire-e2e-ckpt-")
query = (
    spark.readStream.format("rate").option("rowsPerSecond", 20).option("numPartitions", 1).load()
    .writeStream.format("memory").queryName("e2e_rates")
    .option("checkpointLocation", checkpoint)
    .trigger(processingTime="400 milliseconds").start()
)
deadline = time.time() + 90
while time.time() < deadline:
    if sum(1 for p in query.recentProgress if p["numInputRows"] > 0) >= 3:
        break
    time.sleep(0.2)
query.stop()
progress = []
for p in query.recentProgress:
    # Spark's own JSON of the progress: PySpark 4 gives StreamingQueryProgress objects (a dict
    # subclass with .json), PySpark 3.5 plain dicts parsed from the same JSON
    pj = json.loads(p.json) if hasattr(p, "json") else p
    progress.append({
        "id": pj["id"],
        "runId": pj["runId"],
        "batchId": pj["batchId"],
        "numInputRows": pj["numInputRows"],
        "inputRowsPerSecond": pj.get("inputRowsPerSecond"),
        "processedRowsPerSecond": pj.get("processedRowsPerSecond"),
        "sources": [
            {"startOffset": s.get("startOffset"), "endOffset": s.get("endOffset"), "numInputRows": s["numInputRows"]}
            for s in pj["sources"]
        ],
    })

# 5. An observation from job code.
observation = None
if cfg.get("observe", True) and sw:
    import sparkwire

    client = sparkwire.ObservationClient(endpoint=sw.get("endpoint", sparkwire.DEFAULT_ENDPOINT))
    numeric = {"rows": float(n_tasks * 10), "buckets": float(len(buckets))}
    client.observe("e2e.quality", numeric=numeric, text={"table": "numbers"})
    flushed = client.close(timeout=30)
    st = client.stats()
    observation = {"name": "e2e.quality", "numeric": numeric, "text": {"table": "numbers"},
                   "flushed": flushed, "acked": st.events_acked}

work_s = time.time() - t_work
report = spark_report(sc)
metrics = listener_bus_metrics(sc)
emit("result", work_s=work_s, spark=report, streaming={"queryId": str(query.id), "runId": str(query.runId),
     "progress": progress}, listenerBus=metrics, observation=observation)
t_stop = time.time()
spark.stop()
emit("stopped", stop_s=time.time() - t_stop, total_s=time.time() - t_start)
