package io.sparkwire.spark;

import java.io.File;
import java.io.IOException;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;

/**
 * The channel to the sidecar and the backoff between attempts to reach it, shared by the event
 * stream ({@link GrpcSender}) and the offsets calls ({@link OffsetCommitter}) so both accept
 * the same endpoint forms, TLS settings and token.
 */
final class SidecarChannels {
  private SidecarChannels() {}

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  /**
   * A channel to {@code endpoint} (host:port, optionally with an http(s):// or grpc(s)://
   * prefix and trailing slashes). Which endpoints mean TLS is the caller's decision: the two
   * callers have always differed there. The IOException is an unreadable CA file.
   */
  static ManagedChannel open(String endpoint, boolean tls, String tlsCaCert, String token,
      boolean directExecutor) throws IOException {
    ChannelCredentials creds;
    if (tls) {
      TlsChannelCredentials.Builder tb = TlsChannelCredentials.newBuilder();
      if (tlsCaCert != null) {
        tb.trustManager(new File(tlsCaCert));
      }
      creds = tb.build();
    } else {
      creds = InsecureChannelCredentials.create();
    }
    NettyChannelBuilder b = NettyChannelBuilder.forTarget(target(endpoint), creds);
    if (directExecutor) {
      b.directExecutor();
    }
    b.userAgent("sparkwire-jvm/" + ClientVersion.VERSION);
    if (token != null) {
      Metadata md = new Metadata();
      md.put(AUTHORIZATION, "Bearer " + token);
      b.intercept(MetadataUtils.newAttachHeadersInterceptor(md));
    }
    return b.build();
  }

  static String target(String endpoint) {
    String target = endpoint;
    for (String scheme : new String[] {"http://", "https://", "grpc://", "grpcs://"}) {
      if (target.startsWith(scheme)) {
        target = target.substring(scheme.length());
      }
    }
    while (target.endsWith("/")) {
      target = target.substring(0, target.length() - 1);
    }
    return target;
  }

  /** Doubling waits up to a cap; a success starts over from the shortest. Not thread-safe. */
  static final class Backoff {
    private final long minMs;
    private final long maxMs;
    private long currentMs;

    Backoff(long minMs, long maxMs) {
      this.minMs = minMs;
      this.maxMs = maxMs;
      this.currentMs = minMs;
    }

    /** The wait before the next attempt; the one after it is twice as long. */
    long next() {
      long wait = currentMs;
      currentMs = Math.min(currentMs * 2, maxMs);
      return wait;
    }

    void reset() {
      currentMs = minMs;
    }
  }
}
