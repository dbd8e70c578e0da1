#!/usr/bin/env python3
"""protobuf's reference decoder (upb, the C core of Python protobuf) on many frames.

Reads frames from the file named on the command line (each a 4-byte big-endian length and
the bytes of a sparkwire.v1.PublishRequest) and prints one character per frame: 1 if
PublishRequest.ParseFromString accepts it, 0 if it refuses it. Used by
test/hostile-frames.test.ts to count the malformed frames protobuf itself refuses.
"""
import struct
import sys

from google.protobuf.internal import api_implementation
from sparkwire._gen.sparkwire.v1 import listener_pb2


def main() -> None:
    data = open(sys.argv[1], "rb").read()
    out = []
    pos = 0
    while pos < len(data):
        (n,) = struct.unpack_from(">I", data, pos)
        frame = data[pos + 4 : pos + 4 + n]
        pos += 4 + n
        try:
            listener_pb2.PublishRequest().ParseFromString(frame)
            out.append("1")
        except Exception:  # DecodeError, and anything else protobuf raises on bad input
            out.append("0")
    sys.stdout.write(api_implementation.Type() + "\n" + "".join(out) + "\n")


if __name__ == "__main__":
    main()
