package io.sparkwire.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.sparkwire.proto.v1.SparkEvent;

/**
 * Structured Streaming events for sessions where {@link SparkwireListener} is not on the listener
 * bus. Spark posts streaming query events to the listener bus too, so with
 * {@code spark.extraListeners=io.sparkwire.spark.SparkwireListener} this class is not needed;
 * when both are registered it stays silent and the events are sent once.
 *
 * <pre>
 *   --conf spark.sql.streaming.streamingQueryListeners=io.sparkwire.spark.SparkwireStreamingListener
 * </pre>
 * or, in job code, {@code spark.streams().addListener(new SparkwireStreamingListener())}.
 * Shares the application's one client (buffer, sender, stream) with the other entry points.
 */
public class SparkwireStreamingListener extends StreamingQueryListener {
  private static final Logger LOG = LoggerFactory.getLogger(SparkwireStreamingListener.class);

  private volatile SparkwireClient client;
  private volatile boolean failureLogged;

  /** Used by spark.sql.streaming.streamingQueryListeners. */
  public SparkwireStreamingListener(SparkConf conf) {
    this.client = acquire(conf);
  }

  /** For {@code spark.streams().addListener(...)}: reads the running SparkContext's conf. */
  public SparkwireStreamingListener() {
    SparkConf conf = null;
    try {
      SparkEnv env = SparkEnv.get();
      if (env != null) {
        conf = env.conf();
      }
    } catch (Throwable ignored) {
      // no SparkEnv: fall back to an already running client
    }
    this.client = conf != null ? acquire(conf) : ClientRegistry.active();
  }

  SparkwireStreamingListener(SparkwireClient client) {
    this.client = client;
  }

  private static SparkwireClient acquire(SparkConf conf) {
    try {
      return ClientRegistry.acquire(ClientRegistry.toMap(conf));
    } catch (Throwable t) {
      LOG.warn("sparkwire: streaming listener disabled, could not start: {}", t.toString());
      return null;
    }
  }

  @Override
  public void onQueryStarted(QueryStartedEvent event) {
    handle(event);
  }

  @Override
  public void onQueryProgress(QueryProgressEvent event) {
    handle(event);
  }

  @Override
  public void onQueryTerminated(QueryTerminatedEvent event) {
    handle(event);
  }

  @Override
  public void onQueryIdle(QueryIdleEvent event) {
    // ignored: progress events carry what matters
  }

  private void handle(Object event) {
    try {
      SparkwireClient c = client;
      if (c == null || c.isClosed()) {
        c = ClientRegistry.active();
        client = c;
      }
      if (c == null || c.busListenerAttached) {
        // no client, or SparkwireListener already gets this event from the listener bus
        return;
      }
      if (!c.hasRoom()) {
        return;
      }
      SparkEvent.Builder b = StreamingEvents.map(event, System.currentTimeMillis());
      if (b != null) {
        c.emit(b);
      }
    } catch (Throwable t) {
      if (!failureLogged) {
        failureLogged = true;
        LOG.warn("sparkwire: streaming event skipped", t);
      }
    }
  }
}
