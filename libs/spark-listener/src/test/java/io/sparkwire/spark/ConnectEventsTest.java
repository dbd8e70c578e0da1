package io.sparkwire.spark;

import static io.sparkwire.spark.SparkObjects.none;
import static io.sparkwire.spark.SparkObjects.seq;
import static io.sparkwire.spark.SparkObjects.some;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;

import org.apache.spark.sql.connect.service.SparkListenerConnectFakes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.sparkwire.proto.v1.ConnectOperation;
import io.sparkwire.proto.v1.ConnectOperationPhase;
import io.sparkwire.proto.v1.ConnectSession;
import io.sparkwire.proto.v1.ConnectSessionPhase;
import io.sparkwire.proto.v1.SparkEvent;

/** Spark Connect's operation and session events, through the listener's onOtherEvent. */
class ConnectEventsTest {
  private static final String S = "8c9c97ba-2e27-4842-a75c-d01301b41547";
  private static final String O = "6d86e80e-c792-4480-a342-22779000291f";
  private static final String TAG =
      "SparkConnect_OperationTag_User_data_eng_Session_" + S + "_Operation_" + O;

  private SparkwireClient client;

  private SparkwireListener listener() {
    client = TestClients.offline("spark.app.id", "app-connect");
    return new SparkwireListener(client);
  }

  @AfterEach
  void close() {
    if (client != null) {
      client.close(true);
    }
  }

  private SparkEvent only() {
    List<SparkEvent> events = TestClients.drain(client);
    assertEquals(1, events.size(), events.toString());
    return events.get(0);
  }

  @Test
  void operationStartedCarriesSessionUserStatementAndTheClientsTags() {
    SparkwireListener l = listener();
    l.onOtherEvent(SparkListenerConnectFakes.operationStarted(TAG, O, 5_000L, S, "data_eng",
        "spark", "SELECT 1", seq("nightly", "b-tag")));
    SparkEvent e = only();
    assertEquals(5_000L, e.getEventTimeMs());
    assertEquals("app-connect", e.getAppId());
    ConnectOperation op = e.getConnectOperation();
    assertEquals(ConnectOperationPhase.CONNECT_OPERATION_PHASE_STARTED, op.getPhase());
    assertEquals(TAG, op.getJobTag());
    assertEquals(O, op.getOperationId());
    assertEquals(S, op.getSessionId());
    assertEquals("data_eng", op.getUserId());
    assertEquals("spark", op.getUserName());
    assertEquals("SELECT 1", op.getStatementText());
    assertEquals(Arrays.asList("b-tag", "nightly"), op.getJobTagsList());
    assertEquals("", op.getErrorMessage());
    assertFalse(op.hasProducedRowCount());
  }

  @Test
  void laterPhasesTakeSessionAndUserFromTheJobTag() {
    SparkwireListener l = listener();
    l.onOtherEvent(SparkListenerConnectFakes.operationAnalyzed(TAG, O, 5_001L));
    l.onOtherEvent(SparkListenerConnectFakes.operationReady(TAG, O, 5_002L));
    l.onOtherEvent(SparkListenerConnectFakes.operationFinished(TAG, O, 5_003L, some((Object) 42L)));
    l.onOtherEvent(SparkListenerConnectFakes.operationClosed(TAG, O, 5_004L));
    l.onOtherEvent(SparkListenerConnectFakes.operationCanceled(TAG, O, 5_005L));
    List<SparkEvent> events = TestClients.drain(client);
    assertEquals(5, events.size(), events.toString());
    ConnectOperationPhase[] phases = {
        ConnectOperationPhase.CONNECT_OPERATION_PHASE_ANALYZED,
        ConnectOperationPhase.CONNECT_OPERATION_PHASE_READY_FOR_EXECUTION,
        ConnectOperationPhase.CONNECT_OPERATION_PHASE_FINISHED,
        ConnectOperationPhase.CONNECT_OPERATION_PHASE_CLOSED,
        ConnectOperationPhase.CONNECT_OPERATION_PHASE_CANCELED};
    for (int i = 0; i < phases.length; i++) {
      SparkEvent e = events.get(i);
      ConnectOperation op = e.getConnectOperation();
      assertEquals(5_001L + i, e.getEventTimeMs());
      assertEquals(phases[i], op.getPhase());
      assertEquals(O, op.getOperationId());
      assertEquals(S, op.getSessionId());
      assertEquals("data_eng", op.getUserId());
      assertEquals("", op.getUserName());
      assertEquals("", op.getStatementText());
      assertEquals(0, op.getJobTagsCount());
      assertEquals(i == 2, op.hasProducedRowCount());
    }
    assertEquals(42L, events.get(2).getConnectOperation().getProducedRowCount());

    l.onOtherEvent(SparkListenerConnectFakes.operationFinished(TAG, O, 5_006L, none()));
    assertFalse(only().getConnectOperation().hasProducedRowCount());
  }

  @Test
  void failedCarriesTheErrorTruncated() {
    SparkwireListener l = listener();
    char[] big = new char[EventMapper.MAX_MESSAGE_CHARS + 100];
    Arrays.fill(big, 'x');
    l.onOtherEvent(SparkListenerConnectFakes.operationFailed(TAG, O, 6_000L, new String(big)));
    ConnectOperation op = only().getConnectOperation();
    assertEquals(ConnectOperationPhase.CONNECT_OPERATION_PHASE_FAILED, op.getPhase());
    assertEquals(EventMapper.MAX_MESSAGE_CHARS + 3, op.getErrorMessage().length());
    assertTrue(op.getErrorMessage().endsWith("..."));
    assertEquals(S, op.getSessionId());
  }

  @Test
  void longStatementsAreTruncatedAndOddTagsGiveEmptyIds() {
    SparkwireListener l = listener();
    char[] big = new char[EventMapper.MAX_TEXT_CHARS * 2];
    Arrays.fill(big, 's');
    l.onOtherEvent(SparkListenerConnectFakes.operationStarted("not-a-connect-tag", O, 0L, null,
        null, null, new String(big), null));
    SparkEvent e = only();
    ConnectOperation op = e.getConnectOperation();
    assertEquals(EventMapper.MAX_TEXT_CHARS + 3, op.getStatementText().length());
    assertEquals("", op.getSessionId());
    assertEquals("", op.getUserId());
    assertEquals(O, op.getOperationId());
    assertTrue(e.getEventTimeMs() > 0, "no Spark time: the listener's");
  }

  @Test
  void sessionStartedAndClosed() {
    SparkwireListener l = listener();
    l.onOtherEvent(SparkListenerConnectFakes.sessionStarted(S, "alice", 7_000L));
    SparkEvent e = only();
    assertEquals(7_000L, e.getEventTimeMs());
    ConnectSession s = e.getConnectSession();
    assertEquals(ConnectSessionPhase.CONNECT_SESSION_PHASE_STARTED, s.getPhase());
    assertEquals(S, s.getSessionId());
    assertEquals("alice", s.getUserId());
    l.onOtherEvent(SparkListenerConnectFakes.sessionClosed(S, "alice", 8_000L));
    assertEquals(ConnectSessionPhase.CONNECT_SESSION_PHASE_CLOSED, only().getConnectSession().getPhase());
  }

  @Test
  void namesMatchExactly() {
    assertTrue(ConnectEvents.isConnectEvent(
        "org.apache.spark.sql.connect.service.SparkListenerConnectOperationStarted"));
    assertTrue(ConnectEvents.isConnectEvent(
        "org.apache.spark.sql.connect.service.SparkListenerConnectSessionClosed"));
    // the service's own start/end carry no session: not mapped
    assertFalse(ConnectEvents.isConnectEvent(
        "org.apache.spark.sql.connect.service.SparkListenerConnectServiceStarted"));
    assertFalse(ConnectEvents.isConnectEvent("org.apache.spark.sql.connect.service.SparkListenerConnectOperationStartedX"));
  }
}
