package io.sparkwire.spark;

import java.lang.reflect.Method;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

import io.sparkwire.proto.v1.ConnectContext;
import io.sparkwire.proto.v1.ConnectOperation;
import io.sparkwire.proto.v1.ConnectOperationPhase;
import io.sparkwire.proto.v1.ConnectSession;
import io.sparkwire.proto.v1.ConnectSessionPhase;
import io.sparkwire.proto.v1.SparkEvent;

/**
 * Spark Connect operation and session events, which a Connect server posts to the listener bus
 * (org.apache.spark.sql.connect.service.SparkListenerConnect*, Spark 3.5+).
 *
 * <p>spark-connect is not a dependency (it is only on a Connect server's class path), so the
 * listener matches the event's class NAME and this class reads the case-class accessors
 * reflectively. The accessors are looked up once per class: these events come a few per client
 * operation, far fewer than tasks. Never extraTags (free-form, could hold anything) and never the
 * plan objects (planRequest, parsedPlan, analyzedPlan).
 */
final class ConnectEvents {
  private ConnectEvents() {}

  static final String PREFIX = "org.apache.spark.sql.connect.service.SparkListenerConnect";
  static final int MAX_TAGS = 32;
  static final int MAX_TAG_CHARS = 256;

  private static final Map<String, ConnectOperationPhase> OPERATION_PHASES;
  private static final Map<String, ConnectSessionPhase> SESSION_PHASES;

  static {
    Map<String, ConnectOperationPhase> op = new HashMap<>();
    op.put(PREFIX + "OperationStarted", ConnectOperationPhase.CONNECT_OPERATION_PHASE_STARTED);
    op.put(PREFIX + "OperationAnalyzed", ConnectOperationPhase.CONNECT_OPERATION_PHASE_ANALYZED);
    op.put(PREFIX + "OperationReadyForExecution",
        ConnectOperationPhase.CONNECT_OPERATION_PHASE_READY_FOR_EXECUTION);
    op.put(PREFIX + "OperationFinished", ConnectOperationPhase.CONNECT_OPERATION_PHASE_FINISHED);
    op.put(PREFIX + "OperationFailed", ConnectOperationPhase.CONNECT_OPERATION_PHASE_FAILED);
    op.put(PREFIX + "OperationCanceled", ConnectOperationPhase.CONNECT_OPERATION_PHASE_CANCELED);
    op.put(PREFIX + "OperationClosed", ConnectOperationPhase.CONNECT_OPERATION_PHASE_CLOSED);
    OPERATION_PHASES = Collections.unmodifiableMap(op);
    Map<String, ConnectSessionPhase> se = new HashMap<>();
    se.put(PREFIX + "SessionStarted", ConnectSessionPhase.CONNECT_SESSION_PHASE_STARTED);
    se.put(PREFIX + "SessionClosed", ConnectSessionPhase.CONNECT_SESSION_PHASE_CLOSED);
    SESSION_PHASES = Collections.unmodifiableMap(se);
  }

  /** Accessors by name, per event class (an absent one maps to null). */
  private static final ClassValue<Map<String, Method>> ACCESSORS =
      new ClassValue<Map<String, Method>>() {
        @Override
        protected Map<String, Method> computeValue(Class<?> type) {
          Map<String, Method> m = new HashMap<>();
          for (Method x : type.getMethods()) {
            if (x.getParameterCount() == 0) {
              m.put(x.getName(), x);
            }
          }
          return m;
        }
      };

  static boolean isConnectEvent(String className) {
    return OPERATION_PHASES.containsKey(className) || SESSION_PHASES.containsKey(className);
  }

  /** The event as a SparkEvent, or null when it is not one of the Connect events above. */
  static SparkEvent.Builder map(Object event, long now) {
    if (event == null) {
      return null;
    }
    String name = event.getClass().getName();
    ConnectOperationPhase op = OPERATION_PHASES.get(name);
    if (op != null) {
      return operation(event, op, now);
    }
    ConnectSessionPhase se = SESSION_PHASES.get(name);
    if (se != null) {
      return session(event, se, now);
    }
    return null;
  }

  static SparkEvent.Builder operation(Object e, ConnectOperationPhase phase, long now) {
    String jobTag = string(e, "jobTag");
    ConnectOperation.Builder b = ConnectOperation.newBuilder()
        .setPhase(phase)
        .setJobTag(EventMapper.nz(jobTag))
        .setOperationId(EventMapper.nz(string(e, "operationId")));
    ConnectContext.Builder fromTag = ConnectContexts.fromOperationTag(jobTag);
    String session = string(e, "sessionId");
    String user = string(e, "userId");
    b.setSessionId(session != null ? session : fromTag != null ? fromTag.getSessionId() : "");
    b.setUserId(user != null ? user : fromTag != null ? fromTag.getUserId() : "");
    if (b.getOperationId().isEmpty() && fromTag != null) {
      b.setOperationId(fromTag.getOperationId());
    }
    switch (phase) {
      case CONNECT_OPERATION_PHASE_STARTED:
        b.setUserName(EventMapper.nz(string(e, "userName")));
        b.setStatementText(EventMapper.truncate(string(e, "statementText"), EventMapper.MAX_TEXT_CHARS));
        addTags(b, get(e, "sparkSessionTags"));
        break;
      case CONNECT_OPERATION_PHASE_FAILED:
        b.setErrorMessage(EventMapper.truncate(string(e, "errorMessage"), EventMapper.MAX_MESSAGE_CHARS));
        break;
      case CONNECT_OPERATION_PHASE_FINISHED:
        Object rows = get(e, "producedRowCount");
        Long n = rows instanceof scala.Option ? EventMapper.optLong((scala.Option<?>) rows) : null;
        if (n != null) {
          b.setProducedRowCount(n);
        }
        break;
      default:
        break;
    }
    return SparkEvent.newBuilder().setEventTimeMs(time(e, now)).setConnectOperation(b);
  }

  static SparkEvent.Builder session(Object e, ConnectSessionPhase phase, long now) {
    ConnectSession.Builder b = ConnectSession.newBuilder()
        .setPhase(phase)
        .setSessionId(EventMapper.nz(string(e, "sessionId")))
        .setUserId(EventMapper.nz(string(e, "userId")));
    return SparkEvent.newBuilder().setEventTimeMs(time(e, now)).setConnectSession(b);
  }

  private static void addTags(ConnectOperation.Builder b, Object tags) {
    if (!(tags instanceof scala.collection.Iterable)) {
      return;
    }
    // A Set has no order: sorted, so that the same tags always give the same event.
    java.util.TreeSet<String> sorted = new java.util.TreeSet<>();
    scala.collection.Iterator<?> it = ((scala.collection.Iterable<?>) tags).iterator();
    while (it.hasNext() && sorted.size() < MAX_TAGS) {
      Object t = it.next();
      if (t != null && !t.toString().isEmpty()) {
        sorted.add(EventMapper.truncate(t.toString(), MAX_TAG_CHARS));
      }
    }
    b.addAllJobTags(sorted);
  }

  private static long time(Object e, long now) {
    Object t = get(e, "eventTime");
    return t instanceof Number && ((Number) t).longValue() > 0 ? ((Number) t).longValue() : now;
  }

  private static String string(Object e, String accessor) {
    Object v = get(e, accessor);
    return v == null ? null : v.toString();
  }

  private static Object get(Object e, String accessor) {
    Method m = ACCESSORS.get(e.getClass()).get(accessor);
    if (m == null) {
      return null;
    }
    try {
      return m.invoke(e);
    } catch (ReflectiveOperationException | RuntimeException ex) {
      return null;
    }
  }
}
