import path from 'node:path';
import {
  type CityVisualClient,
  type CityVisualClientConfig,
  createCityVisualClient,
  pacedClient,
} from './cityvisual/client.js';
import { resolveCredentials } from './cityvisual/credentials.js';
import { type ConfigFile, type ConfigSection, loadConfigFor } from './config/core.js';
import { type Env, parseEnv } from './config/env.js';
import type { Invocation } from './fc/context.js';
import type { ApplyDeps } from './jobgroup/apply.js';
import { createTokenBucket, type RateLimiter } from './scheduler/rate-limiter.js';
import { stateStoreFor } from './state/select.js';

/** What a function instance parses once at cold start and keeps while warm. */
export interface Runtime {
  readonly env: Env;
  readonly config: ConfigFile;
}

const cached = new Map<string, Runtime>();
let last: { sections: readonly ConfigSection[]; env: NodeJS.ProcessEnv; runtime: Runtime } | undefined;

/**
 * Env and config file, parsed once per instance. `sections` are the config sections this function
 * reads (schedules, rules); the others are not parsed and read as empty. A relative AUTOPILOT_CONFIG is
 * resolved against the bundle's folder (the build copies the config file beside each bundle and records
 * the folder in a banner) and against the cwd when run from source.
 */
export function getRuntime(
  sections: readonly ConfigSection[],
  env: NodeJS.ProcessEnv = process.env,
): Runtime {
  // The same sections as the last call (every request of a warm instance asks alike): no key to build.
  if (
    last &&
    last.env === env &&
    last.sections.length === sections.length &&
    last.sections.every((section, i) => section === sections[i])
  )
    return last.runtime;
  const key = sections.map((section) => section.key).join(',');
  const hit = cached.get(key);
  if (hit) {
    last = { sections: [...sections], env, runtime: hit };
    return hit;
  }
  const parsed = parseEnv(env);
  const stamped = globalThis as { __AUTOPILOT_BUNDLE_DIR__?: string; __AUTOPILOT_CONFIG_DIGEST__?: string };
  const baseDir = stamped.__AUTOPILOT_BUNDLE_DIR__ ?? process.cwd();
  const config = loadConfigFor(sections, parsed.AUTOPILOT_CONFIG, path.resolve(baseDir), {
    ...(stamped.__AUTOPILOT_CONFIG_DIGEST__ !== undefined && {
      trustedDigest: stamped.__AUTOPILOT_CONFIG_DIGEST__,
    }),
  });
  const runtime: Runtime = { env: parsed, config };
  cached.set(key, runtime);
  last = { sections: [...sections], env, runtime };
  return runtime;
}

/** Forget the cached runtimes (tests change env between cases; `npm start` reloads config). */
export function resetRuntime(): void {
  cached.clear();
  last = undefined;
}

/** A CityVisual client for this invocation's credentials (STS from the context, or env locally). */
export function clientFor(
  invocation: Invocation,
  runtime: Runtime,
  overrides: Partial<Omit<CityVisualClientConfig, 'credentials'>> = {},
): CityVisualClient {
  const { env } = runtime;
  return createCityVisualClient({
    credentials: resolveCredentials(invocation.credentials),
    region: env.CITYVISUAL_REGION,
    ...(env.CITYVISUAL_ENDPOINT !== undefined && { endpoint: env.CITYVISUAL_ENDPOINT }),
    timeoutMs: env.CITYVISUAL_TIMEOUT_MS,
    maxAttempts: env.CITYVISUAL_MAX_ATTEMPTS,
    ...overrides,
  });
}

/**
 * Attempts back to back before the pace sets in: one change (its live read, then its write) never
 * waits; a batch runs at `limits.qps`.
 */
const LIMITS_BURST = 2;

/**
 * The rate limit of one invocation that is not a reconcile — a webhook request, an event delivery, a
 * timer action: `limits.qps` for all its CityVisual attempts, so one big batch cannot take the
 * account's quota from the scheduler.
 */
export function invocationLimiter(runtime: Runtime): RateLimiter {
  return createTokenBucket({ ratePerSecond: runtime.config.limits.qps, burst: LIMITS_BURST });
}

/**
 * Everything applyIntent needs, for this invocation. The default client is paced by
 * {@link invocationLimiter}; a caller passing its own client paces it itself.
 */
export function applyDepsFor(
  invocation: Invocation,
  runtime: Runtime,
  client: CityVisualClient = pacedClient(clientFor(invocation, runtime), invocationLimiter(runtime)),
): ApplyDeps {
  return {
    client,
    registry: runtime.config.jobGroups,
    regionId: runtime.env.CITYVISUAL_REGION,
    store: stateStoreFor(runtime.env, invocation),
    ...(runtime.env.CITYVISUAL_INSTANCE_ID !== undefined && {
      instanceId: runtime.env.CITYVISUAL_INSTANCE_ID,
    }),
  };
}
