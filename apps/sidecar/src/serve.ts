// Lifecycle of `sparkwire serve`: start, run until SIGTERM/SIGINT/SIGHUP, then stop accepting,
// flush and close within the shutdown deadline. A second signal exits at once.
//
// The sidecar runs in the process that `sparkwire` started (bin/sparkwire.js imports the
// bundle), so a signal to it is a signal to the sidecar. Started by npm (`npx sparkwire serve`,
// `npm exec`, an npm script) it runs below `sh -c`, and npm passes a SIGTERM on only to that
// shell, which dies of it without passing it on: the sidecar would be left running, orphaned.
// So under npm the sidecar also watches its parent, and shuts down as if signalled when the
// parent is gone (only under npm: `nohup sparkwire serve &` must outlive its shell).
import { createLogger, startSidecar, type SparkwireConfig } from '@sparkwire/sdk';
import { getHeapStatistics } from 'node:v8';
import { redacted } from './redact';
import { heapSummary } from './young-generation';

export async function serve(config: SparkwireConfig): Promise<number> {
  const log = createLogger(config.logLevel);
  log.info({ config: redacted(config), runtime: heapSummary(getHeapStatistics(), process.execArgv, process.env.NODE_OPTIONS) }, 'starting sparkwire sidecar');
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
      // A process that cannot finish its shutdown must still end: past the deadline (plus a
      // margin for closing clients) it exits, and whatever the spool holds stays on disk.
      const backstop = setTimeout(() => {
        log.error({ deadlineMs: config.shutdownDeadlineMs }, 'shutdown did not finish within the deadline; exiting (spooled batches stay on disk)');
        process.exit(1);
      }, config.shutdownDeadlineMs + 5000);
      backstop.unref();
      const done = (code: number) => {
        clearTimeout(backstop);
        // A client library may leave a timer or socket behind (kafkajs after a broker restart
        // was seen to): once everything is closed, give the event loop 2 s to empty, then exit.
        setTimeout(() => process.exit(code), 2000).unref();
        resolve(code);
      };
      sidecar.stop().then(
        () => done(0),
        (err) => {
          log.error({ err: (err as Error).message }, 'shutdown failed');
          done(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    process.on('SIGHUP', onSignal);
    if (process.env.npm_lifecycle_event !== undefined) watchParent(() => onSignal('SIGTERM'), log);
  });
}

function watchParent(onGone: () => void, log: ReturnType<typeof createLogger>): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    log.info({ parent, now: process.ppid }, 'parent process gone (npm passed a signal only to its shell)');
    onGone();
  }, 250);
  timer.unref();
}
