package io.sparkwire.spark;

import com.google.protobuf.Descriptors;
import com.google.protobuf.Message;

import io.grpc.MethodDescriptor;
import io.grpc.protobuf.ProtoUtils;
import io.sparkwire.proto.v1.CommitRequest;
import io.sparkwire.proto.v1.CommitResponse;
import io.sparkwire.proto.v1.FetchRequest;
import io.sparkwire.proto.v1.FetchResponse;
import io.sparkwire.proto.v1.LagRequest;
import io.sparkwire.proto.v1.LagResponse;
import io.sparkwire.proto.v1.OffsetsProto;

/**
 * The methods of sparkwire.v1.OffsetsService, described from the compiled offsets.proto (as
 * {@link ListenerRpc} does for ListenerService): no protoc-gen-grpc-java stub is needed.
 */
final class OffsetsRpc {
  private OffsetsRpc() {}

  public static final Descriptors.ServiceDescriptor SERVICE =
      OffsetsProto.getDescriptor().findServiceByName("OffsetsService");

  public static final MethodDescriptor<CommitRequest, CommitResponse> COMMIT =
      unary("Commit", CommitRequest.getDefaultInstance(), CommitResponse.getDefaultInstance());
  public static final MethodDescriptor<FetchRequest, FetchResponse> FETCH =
      unary("Fetch", FetchRequest.getDefaultInstance(), FetchResponse.getDefaultInstance());
  public static final MethodDescriptor<LagRequest, LagResponse> LAG =
      unary("Lag", LagRequest.getDefaultInstance(), LagResponse.getDefaultInstance());

  private static <Q extends Message, R extends Message> MethodDescriptor<Q, R> unary(String method, Q req, R res) {
    return MethodDescriptor.<Q, R>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(
            SERVICE.getFullName(), SERVICE.findMethodByName(method).getName()))
        .setRequestMarshaller(ProtoUtils.marshaller(req))
        .setResponseMarshaller(ProtoUtils.marshaller(res))
        .setSampledToLocalTracing(false)
        .build();
  }
}
