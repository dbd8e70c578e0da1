package io.sparkwire.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.sparkwire.proto.v1.ConnectContext;
import java.util.Arrays;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class ConnectContextsTest {
  private static Properties tags(String v) {
    Properties p = new Properties();
    if (v != null) {
      p.setProperty("spark.job.tags", v);
    }
    return p;
  }

  @Test
  void parsesTheConnectOperationTagAndTheClientsOwnTags() {
    String s = "8c9c97ba-2e27-4842-a75c-d01301b41547";
    String o = "6d86e80e-c792-4480-a342-22779000291f";
    ConnectContext c =
        ConnectContexts.fromProperties(
            tags(
                "spark-session-6876b203-execution-root-id-0,"
                    + "SparkConnect_SessionTag_User_data_eng_Session_" + s + "_Tag_nightly,"
                    + "SparkConnect_OperationTag_User_data_eng_Session_" + s + "_Operation_" + o + ","
                    + "SparkConnect_SessionTag_User_other_Session_" + s + "_Tag_notmine,"
                    + "SparkConnect_SessionTag_User_data_eng_Session_" + s + "_Tag_team_a"));
    assertEquals("data_eng", c.getUserId());
    assertEquals(s, c.getSessionId());
    assertEquals(o, c.getOperationId());
    assertEquals(Arrays.asList("nightly", "team_a"), c.getJobTagsList());
  }

  @Test
  void nothingOutsideConnect() {
    assertNull(ConnectContexts.fromProperties(null));
    assertNull(ConnectContexts.fromProperties(tags(null)));
    assertNull(ConnectContexts.fromProperties(tags("spark-session-1,my-tag")));
  }
}
