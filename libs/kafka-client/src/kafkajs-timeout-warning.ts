// kafkajs 2.2.4 (unmaintained) schedules its request-queue check with a negative timestamp as
// the delay (tulios/kafkajs#1751). Node up to 22 silently fires such a timer after 1 ms, as
// kafkajs expects; Node 23+ also prints "TimeoutNegativeWarning: -1796148094352 is a negative
// number" on stderr, once per process: noise in every CLI command's output and in the sidecar's
// stderr on Node 24, which is the runtime of the container image. Only that warning is dropped,
// recognised by its message (a negative number of 12 or more digits: a timestamp, never a delay
// anyone meant); every other warning, and a negative delay of our own, is still reported.
const KAFKAJS_NEGATIVE_TIMESTAMP = /^-\d{12,} is a negative number\./;

let installed = false;

export function dropKafkajsTimeoutWarning(): void {
  if (installed) return;
  installed = true;
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = function (warning: string | Error, ...rest: unknown[]): void {
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    const name = warning instanceof Error ? warning.name : type;
    const message = warning instanceof Error ? warning.message : warning;
    if (name === 'TimeoutNegativeWarning' && KAFKAJS_NEGATIVE_TIMESTAMP.test(String(message))) return;
    emit(warning, ...rest);
  } as typeof process.emitWarning;
}
