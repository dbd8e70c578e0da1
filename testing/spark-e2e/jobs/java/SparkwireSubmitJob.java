import java.util.ArrayList;
import java.util.List;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * A SparkPi-like Java job for the spark-submit test (test/spark-submit.test.ts): nothing in it
 * knows about sparkwire; the listener comes only from spark-submit's --packages and --conf lines.
 * Written in Java 8 so one source compiles for every Spark line (--release 8 against Spark 3.5's
 * jars, --release 17 against Spark 4's).
 *
 * Prints one line, SPARKWIRE_E2E {"kind":"result",...}, with what Spark itself reports: the
 * application id, the Spark version and the ids of every job (from the status tracker).
 */
public final class SparkwireSubmitJob {
  private SparkwireSubmitJob() {}

  public static void main(String[] args) {
    int slices = args.length > 0 ? Integer.parseInt(args[0]) : 4;
    SparkSession spark = SparkSession.builder().config(new SparkConf()).getOrCreate();
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());

    // SparkPi: one job, `slices` tasks
    int n = 20_000 * slices;
    List<Integer> xs = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      xs.add(i);
    }
    long inside = sc.parallelize(xs, slices).map(i -> {
      double x = Math.random() * 2 - 1;
      double y = Math.random() * 2 - 1;
      return x * x + y * y <= 1 ? 1 : 0;
    }).reduce(Integer::sum);
    double pi = 4.0 * inside / n;

    // a SQL execution with a shuffle: more jobs, stages and the SQL events
    long groups = spark.range(0, 10_000, 1, slices).selectExpr("id % 7 AS k")
        .groupBy("k").count().count();

    StringBuilder jobs = new StringBuilder();
    for (int id : sc.statusTracker().getJobIdsForGroup(null)) {
      jobs.append(jobs.length() == 0 ? "" : ",").append(id);
    }
    System.out.println("SPARKWIRE_E2E {\"kind\":\"result\",\"appId\":\"" + sc.sc().applicationId()
        + "\",\"appName\":\"" + sc.appName() + "\",\"sparkVersion\":\"" + sc.version()
        + "\",\"pi\":" + pi + ",\"groups\":" + groups + ",\"jobIds\":[" + jobs + "]}");
    spark.stop();
  }
}
