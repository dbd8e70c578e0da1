// Structured JSON logs (pino) with secrets redacted wherever they could appear.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'sparkwire' },
      redact: {
        paths: ['config.server.token', 'config.kafka.saslPassword', 'token', 'password', 'saslPassword', '*.token', '*.password'],
        censor: '[redacted]',
      },
    },
    destination as pino.DestinationStream | undefined,
  );
}
