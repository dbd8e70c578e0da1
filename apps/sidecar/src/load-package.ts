// npm packages that only some commands or settings use, loaded when one does rather than at
// import, so that `serve` does not carry them: the YAML parser (a config file), the table and
// progress-bar packages (the operator commands and replay).
import { createRequire } from 'node:module';

/**
 * The package `name`, loaded now. Synchronous, so that the code needing it stays synchronous;
 * a package that cannot be loaded fails the call with `need` in the message.
 *
 * `bundled` must be the literal `() => require(name)`: the sidecar's bundles (build.mjs) inline
 * the package, find it through it and have a working `require`. Run from source, as an ES module,
 * this file has none (a bundle without one would have esbuild's stand-in, which throws): the
 * package is then required from here.
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
