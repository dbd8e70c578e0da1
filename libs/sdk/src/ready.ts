/**
 * The sidecar's readiness signal: once the gRPC server is bound (and the metrics and status
 * servers, when enabled), it writes one JSON log line (pino, to stdout) whose `msg` is this
 * constant. Supervisors and tests find the sidecar's address in that line instead of polling.
 * Its fields:
 *   address         host:port of the gRPC server (the bound port when server.port is 0)
 *   metricsAddress  host:port of the Prometheus endpoint; absent when metrics are off
 *   statusUrl       URL of the status page; absent when the page is off
 *   sink            the sink's name ("kafka", "file")
 *   sinkReady       whether the sink could take records at that moment
 *   spool           { dir, fsync, replaying } or false when the spool is off
 *   extended, tls, auth, traces, offsets   booleans: the configuration in force
 * The message text is a stable interface: change it only with the release notes.
 */
export const SIDECAR_READY_MESSAGE = 'sparkwire sidecar listening';
