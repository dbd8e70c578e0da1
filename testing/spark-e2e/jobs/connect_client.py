"""A Spark Connect client: no JVM here, only PySpark's Connect client talking gRPC to a server.

Settings: {"url": "sc://localhost:<port>/;user_id=<u>", "tag": "<job tag>", "rows": N,
"sidecar": "<host:port>"}. Runs one small DataFrame job (a count and a grouped collect) under a
client job tag, sends one observation with sparkwire.ObservationClient, and prints the Connect
session id, the server's app id and what the job returned.
"""
from __future__ import annotations

from common import emit, settings


def main() -> None:
    s = settings()
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    spark = SparkSession.builder.remote(s["url"]).getOrCreate()
    spark.addTag(s["tag"])
    rows = int(s.get("rows", 1000))
    df = spark.range(rows).withColumn("k", F.col("id") % 3)
    count = int(df.count())  # PySpark 3.5's Connect client returns a numpy.int64 here, 4.x an int
    groups = sorted(r["k"] for r in df.groupBy("k").count().collect())
    # An observation from the client: no JVM here, the app id comes from the server's conf
    # (spark.app.id over Connect); the session is attached as a label by the caller.
    import sparkwire

    with sparkwire.ObservationClient(s["sidecar"], labels={"connectSessionId": spark.session_id}) as obs:
        obs.observe("connect_rows", numeric={"count": count})
        obs.flush(30)
    emit("result", sessionId=spark.session_id, appId=spark.conf.get("spark.app.id"), count=count, groups=groups, tag=s["tag"])
    spark.stop()


if __name__ == "__main__":
    main()
