// The logger every component takes. pino's loggers fit, and so does a test's recorder: the
// sidecar hands each component a child logger of its one JSON log.
export interface ComponentLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  /** Optional: what is only worth seeing while debugging (e.g. a client library's chatter). */
  debug?(obj: object, msg: string): void;
}
