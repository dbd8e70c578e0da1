"""A small JVM-only job (a few jobs, a shuffle, a SQL query, N tiny map tasks) for the
stage-level and sidecar-unreachable tests; prints what Spark reports before spark.stop().

Settings (JSON argument): {"app": str, "tasks": int, "sparkwire": {configure() kwargs} or null}.
"""
from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import builder, driver_logs, emit, listener_bus_metrics, settings, spark_report, with_sparkwire  # noqa: E402

cfg = settings()
n_tasks = int(cfg.get("tasks", 400))

t_start = time.time()
spark = with_sparkwire(builder(cfg.get("app", "sparkwire-e2e-small")), cfg.get("sparkwire")).getOrCreate()
sc = spark.sparkContext
driver_logs(sc)
emit("started", appId=sc.applicationId, uiWebUrl=sc.uiWebUrl, startup_s=time.time() - t_start)
t_work = time.time()

df = spark.range(0, n_tasks * 10, 1, n_tasks)
assert df.count() == n_tasks * 10
buckets = df.selectExpr("id % 10 AS bucket").groupBy("bucket").count().collect()
assert len(buckets) == 10
df.createOrReplaceTempView("numbers")
rows = spark.sql("SELECT id % 3 AS k, sum(id) AS s FROM numbers GROUP BY id % 3 ORDER BY k").collect()
assert len(rows) == 3

work_s = time.time() - t_work
emit("result", work_s=work_s, spark=spark_report(sc), listenerBus=listener_bus_metrics(sc))
t_stop = time.time()
spark.stop()
emit("stopped", stop_s=time.time() - t_stop, total_s=time.time() - t_start)
