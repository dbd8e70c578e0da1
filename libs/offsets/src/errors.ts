// Errors of the offsets API, each with the gRPC status it maps to and, for bad input, the
// request field at fault (e.g. "ranges[2].from_offset"), so a client can say what to fix.

/** gRPC status codes used here (the numbers of grpc.status, without depending on grpc-js). */
export const Code = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  FAILED_PRECONDITION: 9,
  OUT_OF_RANGE: 11,
  UNAVAILABLE: 14,
} as const;
export type Code = (typeof Code)[keyof typeof Code];

export class OffsetsError extends Error {
  constructor(
    readonly code: Code,
    message: string,
    /** The request field at fault, when there is one. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'OffsetsError';
  }
}

export const invalid = (field: string, msg: string) => new OffsetsError(Code.INVALID_ARGUMENT, `${field}: ${msg}`, field);
export const notFound = (field: string, msg: string) => new OffsetsError(Code.NOT_FOUND, `${field}: ${msg}`, field);
export const outOfRange = (field: string, msg: string) => new OffsetsError(Code.OUT_OF_RANGE, `${field}: ${msg}`, field);
export const failedPrecondition = (msg: string, field?: string) => new OffsetsError(Code.FAILED_PRECONDITION, msg, field);
export const unavailable = (msg: string) => new OffsetsError(Code.UNAVAILABLE, msg);
