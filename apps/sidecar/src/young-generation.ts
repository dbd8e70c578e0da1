// V8 sizes its young generation from the heap limit, and V8 12+ (Node 22 and later) far more
// generously than Node 20: with this machine's 24 GB, Node 24 lets each semi-space grow to
// 64 MiB where Node 20 stops at 16 MiB. Left alone, the sidecar's memory would depend on which
// Node runs it and on the host's RAM rather than on its load: the fault-injection abuse scenario
// peaked at 418 MiB RSS on Node 24 against 294 MiB on Node 20, and with the Kubernetes
// manifests' --max-old-space-size=384 Node 24's heap limit came to 576 MiB, over the
// container's limit. So `serve` pins the semi-space (docs/benchmarks.md, "Node lines and the
// young generation", has the measurements behind the size) unless the operator chose one.
//
// V8 reads the flag only when it creates the heap (v8.setFlagsFromString afterwards changes
// nothing), so the process replaces itself with the flag added: execve keeps the PID, the
// parent and stdin/stdout/stderr, so signals, probes and supervisors see one process. Node 20
// has no process.execve, and needs none: its default is at most 16 MiB already.
export const SEMI_SPACE_FLAG = '--max-semi-space-size';
export const SEMI_SPACE_MIB = 16;

/** The semi-space size the operator chose in the node flags or NODE_OPTIONS, if any. */
export function chosenSemiSpace(execArgv: readonly string[], nodeOptions: string | undefined): string | undefined {
  const words = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)];
  for (let i = 0; i < words.length; i++) {
    const w = words[i].replace(/_/g, '-');
    if (w.startsWith(`${SEMI_SPACE_FLAG}=`)) return w.slice(SEMI_SPACE_FLAG.length + 1);
    if (w === SEMI_SPACE_FLAG) return words[i + 1];
  }
  return undefined;
}

type Execve = (file: string, args: string[], env: NodeJS.ProcessEnv) => never;

/**
 * The arguments the sidecar restarts itself with to pin the young generation, or undefined when
 * it runs as it should already (a size chosen, or a Node without process.execve).
 */
export function pinnedArgv(proc: Pick<NodeJS.Process, 'execPath' | 'execArgv' | 'argv' | 'env'> & { execve?: unknown }): string[] | undefined {
  if (typeof proc.execve !== 'function') return undefined;
  if (chosenSemiSpace(proc.execArgv, proc.env.NODE_OPTIONS) !== undefined) return undefined;
  return [proc.execPath, ...proc.execArgv, `${SEMI_SPACE_FLAG}=${SEMI_SPACE_MIB}`, ...proc.argv.slice(1)];
}

/** Replaces the process with itself plus the semi-space flag when needed; returns otherwise. */
export function pinYoungGeneration(proc: NodeJS.Process = process): void {
  const argv = pinnedArgv(proc);
  if (!argv) return;
  try {
    (proc as unknown as { execve: Execve }).execve(proc.execPath, argv, proc.env);
  } catch (err) {
    // execve failed (the process is unchanged): run with V8's own sizing rather than not at all.
    proc.stderr.write(`sparkwire: could not restart node with ${SEMI_SPACE_FLAG}=${SEMI_SPACE_MIB} (${(err as Error).message}); running with V8's default young generation\n`);
  }
}

/** What the start log says about the heap, so an operator sees the sizing in effect. */
export function heapSummary(heap: { heap_size_limit: number }, execArgv: readonly string[], nodeOptions: string | undefined): Record<string, unknown> {
  return {
    node: process.version,
    heapLimitMiB: Math.round(heap.heap_size_limit / 2 ** 20),
    semiSpaceMiB: chosenSemiSpace(execArgv, nodeOptions) ?? 'V8 default',
  };
}
