package io.sparkwire.spark;

import io.sparkwire.proto.v1.ConnectContext;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Spark Connect attribution of a job, from the job's {@code spark.job.tags} property.
 *
 * <p>A Spark Connect server tags every job of an operation with
 * {@code SparkConnect_OperationTag_User_<userId>_Session_<sessionId>_Operation_<operationId>}
 * (ExecuteJobTag in org.apache.spark.sql.connect.service.ExecuteHolder) and each of the client's
 * own tags {@code SparkConnect_SessionTag_User_<userId>_Session_<sessionId>_Tag_<tag>}; the tags
 * are joined with commas in the job properties. Reading the property needs no spark-connect classes, so this works
 * in every app and yields nothing outside a Connect server.
 */
final class ConnectContexts {
  static final String PROP_JOB_TAGS = "spark.job.tags";
  static final int MAX_TAGS = 32;
  // Session and operation ids are UUIDs; the user id is free text and may contain underscores.
  private static final Pattern OPERATION_TAG =
      Pattern.compile(
          "^SparkConnect_OperationTag_User_(.*)_Session_([0-9A-Za-z-]+)_Operation_([0-9A-Za-z-]+)$");

  private ConnectContexts() {}

  /**
   * User, session and operation of one server operation tag (a job's, or the jobTag of a
   * SparkListenerConnectOperation* event), without client tags; null when it is not one.
   */
  static ConnectContext.Builder fromOperationTag(String tag) {
    if (tag == null) {
      return null;
    }
    Matcher m = OPERATION_TAG.matcher(tag.trim());
    if (!m.matches()) {
      return null;
    }
    return ConnectContext.newBuilder().setUserId(m.group(1)).setSessionId(m.group(2)).setOperationId(m.group(3));
  }

  /** The Connect context of a job start's properties, or null when the job is not a Connect one. */
  static ConnectContext fromProperties(Properties p) {
    if (p == null) {
      return null;
    }
    String raw = p.getProperty(PROP_JOB_TAGS);
    if (raw == null || raw.isEmpty()) {
      return null;
    }
    String[] tags = raw.split(",");
    ConnectContext.Builder b = null;
    for (String t : tags) {
      b = fromOperationTag(t);
      if (b != null) {
        break;
      }
    }
    if (b == null) {
      return null;
    }
    // The client's own tags (SparkSession.addTag), which the server scopes to the session as
    // SparkConnect_SessionTag_User_<userId>_Session_<sessionId>_Tag_<tag>: reported as the client set them.
    String sessionTag = "SparkConnect_SessionTag_User_" + b.getUserId() + "_Session_" + b.getSessionId() + "_Tag_";
    int n = 0;
    for (String t : tags) {
      String tag = t.trim();
      if (tag.startsWith(sessionTag) && tag.length() > sessionTag.length() && n < MAX_TAGS) {
        b.addJobTags(EventMapper.truncate(tag.substring(sessionTag.length()), 256));
        n++;
      }
    }
    return b.build();
  }
}
