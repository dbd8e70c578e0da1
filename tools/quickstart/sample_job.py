"""The quickstart's sample PySpark job: a few jobs, a shuffle, a SQL query, a failing-once
task, a short Structured Streaming query and a custom observation, all reported by
sparkwire without changing the job's logic (one configure() line)."""
import os
import sys
import time

from pyspark import TaskContext
from pyspark.sql import SparkSession, functions as F

import sparkwire

endpoint = os.environ.get("SPARKWIRE_ENDPOINT", "127.0.0.1:50551")

spark = sparkwire.configure(
    SparkSession.builder.appName("sparkwire-quickstart")
    # local[2,2]: two cores, and a task may fail twice (local mode ignores spark.task.maxFailures).
    .master("local[2,2]")
    .config("spark.ui.enabled", "false")
    .config("spark.sql.shuffle.partitions", "4"),
    endpoint=endpoint,
    extended=True,
    labels={"team": "data-platform", "pipeline": "quickstart"},
).getOrCreate()
spark.sparkContext.setLogLevel("WARN")

# Job 1 and 2: a shuffle (groupBy) over 200 partitions.
df = spark.range(0, 200_000, numPartitions=200).withColumn("bucket", F.col("id") % 10)
print("buckets:", df.groupBy("bucket").count().orderBy("bucket").count())


# A task that fails on its first attempt and succeeds when retried.
def fail_once(it):
    ctx = TaskContext.get()
    if ctx.partitionId() == 0 and ctx.attemptNumber() == 0:
        raise RuntimeError("sparkwire quickstart: injected failure, retried by Spark")
    return it


spark.sparkContext.setLogLevel("OFF")  # the injected failure is expected: keep its stack trace off the screen
print("rows after retry:", spark.sparkContext.parallelize(range(1000), 4).mapPartitions(fail_once).count())
spark.sparkContext.setLogLevel("WARN")

# A SQL query.
df.createOrReplaceTempView("numbers")
print(spark.sql("SELECT bucket, sum(id) AS total FROM numbers GROUP BY bucket ORDER BY bucket").collect()[:2])

# A short Structured Streaming query: rate source, three micro-batches.
query = (
    spark.readStream.format("rate").option("rowsPerSecond", 50).load()
    .writeStream.format("memory").queryName("rates").trigger(processingTime="1 second").start()
)
deadline = time.time() + 60
while len(query.recentProgress) < 3 and time.time() < deadline:
    time.sleep(0.5)
query.stop()

# A custom observation: a data-quality figure computed by the job.
empty_share = df.filter(F.col("bucket") == 0).count() / df.count()
with sparkwire.ObservationClient(endpoint=endpoint) as obs:
    obs.observe("quickstart_quality", numeric={"bucket0_share": empty_share, "rows": float(df.count())}, text={"table": "numbers"})
    obs.flush(10)

spark.stop()
sys.exit(0)
