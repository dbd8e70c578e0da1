// Lifecycle of `sparkwire serve`: start, run until SIGTERM/SIGINT, then stop accepting,
// flush and close within the shutdown deadline. A second signal exits at once.
import { createLogger, startSidecar, type SparkwireConfig } from '@sparkwire/sdk';
import { redacted } from './redact';

export async function serve(config: SparkwireConfig): Promise<number> {
  const log = createLogger(config.logLevel);
  log.info({ config: redacted(config) }, 'starting sparkwire sidecar');
  const sidecar = await startSidecar(config, log);
  const statsTimer = setInterval(() => log.info({ stats: sidecar.built.pipeline.stats.snapshot(), spool: sidecar.built.spool?.stats() }, 'sparkwire stats'), 60_000);
  statsTimer.unref();

  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        log.warn({ signal }, 'second signal: exiting without waiting');
        process.exit(1);
      }
      stopping = true;
      log.info({ signal, deadlineMs: config.shutdownDeadlineMs }, 'shutting down');
      clearInterval(statsTimer);
      sidecar.stop().then(
        () => resolve(0),
        (err) => {
          log.error({ err: (err as Error).message }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
