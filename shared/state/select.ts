import { resolveCredentials } from '../cityvisual/credentials.js';
import type { Env } from '../config/env.js';
import type { Invocation } from '../fc/context.js';
import { logger } from '../log.js';
import { createMemoryStore } from './memory.js';
import type { StateStore } from './store.js';
import { createTablestoreStore } from './tablestore.js';

let memory: StateStore | undefined;
let warned = false;
const perInvocation = new WeakMap<Invocation, StateStore>();

/**
 * The embedded store of this process: every function running here shares it (`npm start` runs all of
 * them in one process). `npm start` and tests may put their own in place.
 */
export function useMemoryStore(store: StateStore | undefined): void {
  memory = store;
}

/**
 * The state store for this invocation: `STATE_STORE=memory` (embedded) or `tablestore` (deployed, with
 * this invocation's credentials). On FC the embedded store is per instance: that is said once per cold
 * start, since it is exactly the per-instance memory the store exists to replace.
 */
export function stateStoreFor(env: Env, invocation: Invocation): StateStore {
  if (env.STATE_STORE === 'tablestore') {
    // One client per invocation (its credentials and deadline); every use in it shares that one.
    let store = perInvocation.get(invocation);
    if (!store) {
      // parseEnv requires TABLESTORE_INSTANCE with `tablestore`; the adapter loads the SDK on first use.
      store = createTablestoreStore({
        endpoint: tablestoreEndpoint(env),
        instance: env.TABLESTORE_INSTANCE as string,
        table: env.TABLESTORE_TABLE,
        credentials: resolveCredentials(invocation.credentials),
        deadline: invocation.deadline,
      });
      perInvocation.set(invocation, store);
    }
    return store;
  }
  // FC's context always names the account; local runs call it `local` or leave it out.
  const onFc = invocation.accountId !== undefined && invocation.accountId !== 'local';
  if (!warned && onFc) {
    warned = true;
    logger.warn(
      'STATE_STORE is memory on FC: webhook ids, holds, schedule records, event order and history live in this instance only and are lost at its end; deploy with STATE_STORE=tablestore',
    );
  }
  memory ??= createMemoryStore();
  return memory;
}

/** TABLESTORE_ENDPOINT, else the instance's public endpoint in CITYVISUAL_REGION (reached without a VPC). */
export function tablestoreEndpoint(
  env: Pick<Env, 'TABLESTORE_ENDPOINT' | 'TABLESTORE_INSTANCE' | 'CITYVISUAL_REGION'>,
): string {
  return (
    env.TABLESTORE_ENDPOINT ?? `https://${env.TABLESTORE_INSTANCE}.${env.CITYVISUAL_REGION}.ots.aliyuncs.com`
  );
}
