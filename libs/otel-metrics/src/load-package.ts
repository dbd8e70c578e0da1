// npm packages that only some configurations use, loaded when one does rather than at import:
// the OTLP push exporters would cost heap in every sidecar, and most only serve Prometheus.
// (The same helper as libs/otel-traces/src/load-package.ts: neither library depends on the other.)
import { createRequire } from 'node:module';

/**
 * The package `name`, loaded now. Synchronous on purpose: a package that cannot be loaded
 * fails the call that needs it (createMetrics, so the sidecar's start) with `need` in the
 * message, not a later export.
 *
 * `bundled` must be the literal `() => require(name)`: a bundle that inlines npm packages
 * (the sidecar's, apps/sidecar/build.mjs) finds the package through it and has a working
 * `require`. A bundle that keeps them external (the SDK's npm package) has none (esbuild's
 * stand-in throws), nor has this file run from source as an ES module: those require the
 * package from here.
 */
export function loadPackage<T>(name: string, need: string, bundled: () => T): T {
  try {
    return hasRequire() ? bundled() : (createRequire(import.meta.url)(name) as T);
  } catch (err) {
    throw new Error(`${need} needs the npm package ${name}, which could not be loaded: ${(err as Error).message}`);
  }
}

// esbuild's stand-in for a missing require is a function too, but without require.resolve.
function hasRequire(): boolean {
  return typeof require === 'function' && typeof require.resolve === 'function';
}
