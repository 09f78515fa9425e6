import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { type Emulator, type EmulatorOptions, startEmulator } from '../../local/emulator/index.js';

export interface UseEmulatorOptions extends EmulatorOptions {
  /** When to restore the seed (and clear calls, stats, nonces and faults); default `beforeEach`. */
  readonly reset?: 'beforeEach' | 'afterEach' | 'never';
}

/**
 * One emulator for the enclosing suite (the file, or the `describe` it is called in): started in
 * `beforeAll`, closed in `afterAll`, reset around each test as `reset` says.
 *
 * Returns a handle that forwards to the running emulator, so tests and hooks registered after this
 * call use it like the `Emulator` itself; touching it outside them (while nothing runs) throws.
 * Hooks run in the order vitest's default `sequence.hooks: 'stack'` gives: `beforeAll`/`beforeEach`
 * of this call before those registered after it, its `afterAll` (close) after theirs.
 */
export function useEmulator({ reset = 'beforeEach', ...options }: UseEmulatorOptions = {}): Emulator {
  let running: Emulator | undefined;
  const current = (): Emulator => {
    if (!running)
      throw new Error('useEmulator: no emulator is running outside the hooks and tests of its suite');
    return running;
  };

  beforeAll(async () => {
    running = await startEmulator(options);
  });
  afterAll(async () => {
    await running?.close();
    running = undefined;
  });
  if (reset === 'beforeEach') beforeEach(() => current().reset());
  if (reset === 'afterEach') afterEach(() => current().reset());

  return {
    get url() {
      return current().url;
    },
    get port() {
      return current().port;
    },
    get calls() {
      return current().calls;
    },
    get stats() {
      return current().stats;
    },
    setFaults: (faults) => current().setFaults(faults),
    jobGroup: (id) => current().jobGroup(id),
    reset: (seed) => current().reset(seed),
    close: () => current().close(),
  };
}
