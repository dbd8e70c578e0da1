"""Optional PySpark lookups. pyspark is not a dependency of the client, so nothing here
imports it unless the application already did."""
from __future__ import annotations

import sys


def infer_app() -> tuple[str | None, str | None]:
    """(app_id, app_name) of the active SparkSession, or Nones when there is none."""
    if "pyspark" not in sys.modules:  # no Spark in this process: don't pay for the import
        return None, None
    try:
        from pyspark import SparkContext

        sc = SparkContext._active_spark_context
        if sc is not None:
            return sc.applicationId, sc.appName
    except Exception:
        pass
    try:
        # Spark Connect: no SparkContext, but the server answers conf lookups.
        from pyspark.sql import SparkSession

        spark = SparkSession.getActiveSession()
        if spark is not None:
            return spark.conf.get("spark.app.id", None), spark.conf.get("spark.app.name", None)
    except Exception:
        pass
    return None, None
