package io.sparkwire.spark;

import com.google.protobuf.Descriptors;

import io.grpc.MethodDescriptor;
import io.grpc.protobuf.ProtoUtils;
import io.sparkwire.proto.v1.ListenerProto;
import io.sparkwire.proto.v1.PublishAck;
import io.sparkwire.proto.v1.PublishRequest;

/**
 * The gRPC method of sparkwire.v1.ListenerService that the client uses, described from the
 * compiled proto itself (service and method names come from listener.proto's descriptor, so
 * they cannot drift from the contract). No protoc-gen-grpc-java stub is needed.
 */
final class ListenerRpc {
  private ListenerRpc() {}

  public static final Descriptors.ServiceDescriptor SERVICE =
      ListenerProto.getDescriptor().findServiceByName("ListenerService");

  public static final MethodDescriptor<PublishRequest, PublishAck> STREAM =
      MethodDescriptor.<PublishRequest, PublishAck>newBuilder()
          .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
          .setFullMethodName(MethodDescriptor.generateFullMethodName(
              SERVICE.getFullName(), SERVICE.findMethodByName("Stream").getName()))
          .setRequestMarshaller(ProtoUtils.marshaller(PublishRequest.getDefaultInstance()))
          .setResponseMarshaller(ProtoUtils.marshaller(PublishAck.getDefaultInstance()))
          .setSampledToLocalTracing(false)
          .build();
}
