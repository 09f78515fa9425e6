import { resetRuntime } from '../../shared/runtime.js';

/** Sets (or, for `undefined`, deletes) env variables and drops the runtime parsed from the previous ones. */
export function applyEnv(env: Record<string, string | undefined>): void {
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  resetRuntime();
}

/** Remembers `keys` as they are now; the returned function puts them back (and drops the runtime). */
export function snapshotEnv(keys: readonly string[]): () => void {
  const saved = Object.fromEntries(keys.map((key) => [key, process.env[key]]));
  return () => applyEnv(saved);
}
