import { AutopilotError } from '../errors.js';
import type { StateStore } from './store.js';

const refuse = (operation: string) => () =>
  Promise.reject(
    new AutopilotError('INTERNAL', {
      message: `The state store is read-only here: ${operation} is not allowed (a bug of ours).`,
    }),
  );

/**
 * A view of `store` that reads (get, getMany, list) and refuses every write. The console function reads the
 * holds and the history through it: the code-side twin of its RAM policy (ots:GetRow and ots:GetRange
 * only), so a read that grew a side effect fails in tests before the policy refuses it deployed.
 */
export function readOnlyStore(store: StateStore): StateStore {
  return {
    kind: store.kind,
    get: (key) => store.get(key),
    getMany: (keys) => store.getMany(keys),
    list: (prefix, options) => store.list(prefix, options),
    create: refuse('create'),
    update: refuse('update'),
    delete: refuse('delete'),
  };
}
