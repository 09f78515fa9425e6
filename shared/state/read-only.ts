import { AutopilotError } from '../errors.js';
import type { StateStore } from './store.js';

const refuse = (operation: string) => () =>
  Promise.reject(
    new AutopilotError('INTERNAL', {
      message: `The state store is read-only here: ${operation} is not allowed (a bug of ours).`,
    }),
  );

/**
 * A view of `store` that reads (get, list) and refuses every write and every read by many keys. The console function reads the
 * holds and the history through it: the code-side twin of its RAM policy (ots:GetRow and ots:GetRange
 * only), so a read that grew a side effect fails in tests before the policy refuses it deployed.
 */
export function readOnlyStore(store: StateStore): StateStore {
  return {
    kind: store.kind,
    get: (key) => store.get(key),
    // The console's role has no ots:BatchGetRow: a read by many keys would be refused deployed.
    getMany: () =>
      Promise.reject(
        new AutopilotError('INTERNAL', {
          message: 'A read by many keys is not granted here (no ots:BatchGetRow in the role; a bug of ours).',
        }),
      ),
    list: (prefix, options) => store.list(prefix, options),
    create: refuse('create'),
    update: refuse('update'),
    delete: refuse('delete'),
  };
}
