import { AutopilotError } from '../../shared/errors.js';
import type { StateStore } from '../../shared/state/store.js';

/** A state store that cannot be reached: every operation fails with STATE_UNAVAILABLE. */
export function downStore(retryAfterSeconds?: number): StateStore {
  const down = async (): Promise<never> => {
    throw new AutopilotError(
      'STATE_UNAVAILABLE',
      retryAfterSeconds === undefined ? {} : { retryAfterSeconds },
    );
  };
  return { kind: 'memory', get: down, getMany: down, create: down, update: down, delete: down, list: down };
}
