// Errors the pipeline raises, carrying the gRPC status code a receiver should answer with.
// The pipeline itself does not depend on gRPC: the codes are plain numbers from the
// gRPC spec so that embedding programs can map them however they like.

export const Status = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;
export type StatusCode = (typeof Status)[keyof typeof Status];

export class PipelineError extends Error {
  constructor(
    readonly code: StatusCode,
    message: string,
    /** The field at fault, e.g. "events[3].event_time_ms". */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'PipelineError';
  }

  /** True when the client should retry the same batch later. */
  get retryable(): boolean {
    return this.code === Status.UNAVAILABLE;
  }
}

export function invalid(field: string, problem: string): PipelineError {
  return new PipelineError(Status.INVALID_ARGUMENT, `${field}: ${problem}`, field);
}
