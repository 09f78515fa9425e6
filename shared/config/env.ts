import { z } from 'zod';
import { RegionIdSchema } from '../cityvisual/fields.js';
import { AutopilotError } from '../errors.js';
import { useOurMessages } from '../messages.js';
import { type Issue, zodIssues } from '../validation.js';

// The checks' messages are ours, like every schema's (lazy-schema.ts installs them for the others).
useOurMessages();

/** A check of one variable's (trimmed, non-empty) value; what it outputs is the variable's value. */
type Check<T> = () => z.ZodType<T, string>;

/** How one variable is read: unset or blank is `fallback` (or absent); a set value must pass `check`. */
interface EnvVar<T> {
  readonly check?: Check<T>;
  readonly fallback?: T;
}

const wholeNumber =
  (min: number, max: number): Check<number> =>
  () =>
    z
      .string()
      .regex(/^\d+$/, 'must be a whole number')
      .transform(Number)
      .pipe(z.number().int().min(min).max(max));
const httpUrl: Check<string> = () => z.url({ protocol: /^https?$/ });
const fcName: Check<string> = () =>
  z.string().regex(/^[_a-zA-Z][-_a-zA-Z0-9]{0,127}$/, 'must be an FC name ([_a-zA-Z][-_a-zA-Z0-9]*)');
const region: Check<string> = () => RegionIdSchema;
const oneOf =
  <const T extends readonly [string, ...string[]]>(values: T): Check<T[number]> =>
  () =>
    z.enum(values);

/** Every environment variable the functions read (credentials are deliberately absent: STYLE 7). */
// A type, not an interface: callers index it as a record of variables.
export type Env = {
  /** Full CityVisual endpoint URL; default `https://cityvisual.<region>.aliyuncs.com`. */
  readonly CITYVISUAL_ENDPOINT?: string;
  /** Region of the CityVisual endpoint and `RegionId` of every call. */
  readonly CITYVISUAL_REGION: string;
  /** CityVisual instance: enables live reads (DescribeJobGroups) of job groups. */
  readonly CITYVISUAL_INSTANCE_ID?: string;
  /** Per-attempt timeout of a CityVisual call, ms. */
  readonly CITYVISUAL_TIMEOUT_MS: number;
  /** Attempts per CityVisual call, including the first. */
  readonly CITYVISUAL_MAX_ATTEMPTS: number;
  /** Path of the YAML/JSON config file (schedules, rules, registry); relative to the bundle. */
  readonly AUTOPILOT_CONFIG?: string;
  /** Standard Webhooks secrets `whsec_…`, comma-separated (rotation: old and new side by side). */
  readonly WEBHOOK_SECRETS?: string;
  /** Bearer tokens for tools that cannot sign: `token` or `name=token`, comma-separated. */
  readonly WEBHOOK_TOKENS?: string;
  /** Read-only bearer tokens of the console function: `token` or `name=token`, comma-separated. */
  readonly CONSOLE_TOKENS?: string;
  /**
   * How the scheduler fans large reconciles out as asynchronous invocations of itself: `none` (work
   * inline), `fc3` (FC 3.0 InvokeFunction, signed ACS3-HMAC-SHA256) or `fc2` (FC 2.0 API through the
   * runtime's `@alicloud/fc2`). Default `none`.
   */
  readonly FANOUT_INVOKER: 'none' | 'fc2' | 'fc3';
  /** Function the shards are sent to; default the invoking function itself (FC context). */
  readonly FANOUT_FUNCTION_NAME?: string;
  /** fc2 only, required there: the FC 2.0 service of that function. */
  readonly FANOUT_SERVICE_NAME?: string;
  /** Version or alias to invoke; default none (LATEST). */
  readonly FANOUT_QUALIFIER?: string;
  /** Account id of the FC endpoint; default the FC context's `accountId`. */
  readonly FANOUT_ACCOUNT_ID?: string;
  /** Region of the FC endpoint; default the FC context's `region`. */
  readonly FANOUT_REGION?: string;
  /** FC endpoint URL; default `https://<account>.<region>.fc.aliyuncs.com`. */
  readonly FANOUT_ENDPOINT?: string;
  /** Per-request timeout of submitting one shard, ms. */
  readonly FANOUT_TIMEOUT_MS: number;
  /**
   * `on`: each shard carries a deterministic async task id, so a retried tick does not re-run shards FC
   * already accepted (needs `asyncTask: true` in the function's async config). Default `off`.
   */
  readonly FANOUT_TASK_IDS: 'on' | 'off';
  /**
   * The shared state store (webhook ids, what the scheduler applied, event order, holds, history):
   * `memory` (embedded, one process: `npm start` and tests) or `tablestore` (deployed). Default `memory`.
   */
  readonly STATE_STORE: 'memory' | 'tablestore';
  /** Tablestore instance endpoint; default `https://<TABLESTORE_INSTANCE>.<CITYVISUAL_REGION>.ots.aliyuncs.com`. */
  readonly TABLESTORE_ENDPOINT?: string;
  /** Tablestore instance name; required with `tablestore`. */
  readonly TABLESTORE_INSTANCE?: string;
  /** Table of the state store; default `autopilot_state`. */
  readonly TABLESTORE_TABLE: string;
  /** debug | info | warn | error */
  readonly LOG_LEVEL: 'debug' | 'info' | 'warn' | 'error';
};

/**
 * How each variable is read. A value is trimmed; blank is unset. Each check is a zod schema built the
 * first time its variable is set (a cold start builds the few a deployment sets, not one per variable:
 * one object schema of every variable cost ~10 ms of every cold start).
 */
const VARS: { readonly [K in keyof Env]-?: EnvVar<NonNullable<Env[K]>> } = {
  CITYVISUAL_ENDPOINT: { check: httpUrl },
  CITYVISUAL_REGION: { check: region, fallback: 'cn-shanghai' },
  CITYVISUAL_INSTANCE_ID: {},
  CITYVISUAL_TIMEOUT_MS: { check: wholeNumber(100, 60_000), fallback: 5_000 },
  CITYVISUAL_MAX_ATTEMPTS: { check: wholeNumber(1, 10), fallback: 4 },
  AUTOPILOT_CONFIG: {},
  WEBHOOK_SECRETS: {},
  WEBHOOK_TOKENS: {},
  CONSOLE_TOKENS: {},
  FANOUT_INVOKER: { check: oneOf(['none', 'fc2', 'fc3']), fallback: 'none' },
  FANOUT_FUNCTION_NAME: { check: fcName },
  FANOUT_SERVICE_NAME: { check: fcName },
  FANOUT_QUALIFIER: { check: fcName },
  FANOUT_ACCOUNT_ID: { check: () => z.string().regex(/^\d{1,32}$/, 'must be an account id') },
  FANOUT_REGION: { check: region },
  FANOUT_ENDPOINT: { check: httpUrl },
  FANOUT_TIMEOUT_MS: { check: wholeNumber(100, 60_000), fallback: 5_000 },
  FANOUT_TASK_IDS: { check: oneOf(['on', 'off']), fallback: 'off' },
  STATE_STORE: { check: oneOf(['memory', 'tablestore']), fallback: 'memory' },
  TABLESTORE_ENDPOINT: { check: httpUrl },
  TABLESTORE_INSTANCE: {
    check: () => z.string().regex(/^[a-zA-Z][a-zA-Z0-9-]{2,15}$/, 'must be a Tablestore instance name'),
  },
  TABLESTORE_TABLE: {
    check: () => z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,254}$/, 'must be a Tablestore table name'),
    fallback: 'autopilot_state',
  },
  LOG_LEVEL: { check: oneOf(['debug', 'info', 'warn', 'error']), fallback: 'info' },
};

/** Each variable's check, once built. */
const built = new Map<string, z.ZodType>();

/** Reads every variable of {@link VARS}: the parsed env, or every problem (path = the variable). */
function readVars(env: NodeJS.ProcessEnv): { env: Env } | { issues: Issue[] } {
  const out: Record<string, unknown> = {};
  const issues: Issue[] = [];
  for (const key of ENV_KEYS) {
    const spec: EnvVar<unknown> = VARS[key];
    const raw: unknown = env[key];
    if (raw !== undefined && typeof raw !== 'string') {
      issues.push({ path: key, message: 'must be text' });
      continue;
    }
    const value = raw?.trim();
    if (value === undefined || value === '') {
      if (spec.fallback !== undefined) out[key] = spec.fallback;
      continue;
    }
    if (!spec.check) {
      out[key] = value;
      continue;
    }
    let schema = built.get(key);
    if (!schema) {
      schema = spec.check();
      built.set(key, schema);
    }
    const result = schema.safeParse(value);
    if (result.success) out[key] = result.data;
    else issues.push(...zodIssues(result.error, key));
  }
  return issues.length > 0 ? { issues } : { env: out as unknown as Env };
}

/**
 * The variable names the code reads, in the order they are checked; s.yaml must declare each (checked
 * by a test). The type below fails the typecheck if a key of {@link Env} is missing here.
 */
export const ENV_KEYS = [
  'CITYVISUAL_ENDPOINT',
  'CITYVISUAL_REGION',
  'CITYVISUAL_INSTANCE_ID',
  'CITYVISUAL_TIMEOUT_MS',
  'CITYVISUAL_MAX_ATTEMPTS',
  'AUTOPILOT_CONFIG',
  'WEBHOOK_SECRETS',
  'WEBHOOK_TOKENS',
  'CONSOLE_TOKENS',
  'FANOUT_INVOKER',
  'FANOUT_FUNCTION_NAME',
  'FANOUT_SERVICE_NAME',
  'FANOUT_QUALIFIER',
  'FANOUT_ACCOUNT_ID',
  'FANOUT_REGION',
  'FANOUT_ENDPOINT',
  'FANOUT_TIMEOUT_MS',
  'FANOUT_TASK_IDS',
  'STATE_STORE',
  'TABLESTORE_ENDPOINT',
  'TABLESTORE_INSTANCE',
  'TABLESTORE_TABLE',
  'LOG_LEVEL',
] as const satisfies ReadonlyArray<keyof Env>;
type UnlistedEnvKey = Exclude<keyof Env, (typeof ENV_KEYS)[number]>;
const everyEnvKeyListed: [UnlistedEnvKey] extends [never] ? true : UnlistedEnvKey = true;
void everyEnvKeyListed;

/** Loopback hosts (the local emulators): the only ones an `http://` endpoint may name. */
const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/**
 * Whether `url` may carry a secret: `https://`, or `http://` to a loopback host (the local emulators and
 * stand-ins). The rule of every endpoint the functions send a credential or token to.
 */
export function isSecureEndpoint(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.test(url.hostname));
}

/**
 * An endpoint the function sends its STS token to must be `https://`: over `http://` to a remote host the
 * token would travel in clear. Loopback hosts (the emulators of npm start and the tests) are exempt.
 */
function cleartextEndpoints(env: Env): Array<{ path: string; message: string }> {
  const issues: Array<{ path: string; message: string }> = [];
  for (const key of ['CITYVISUAL_ENDPOINT', 'FANOUT_ENDPOINT', 'TABLESTORE_ENDPOINT'] as const) {
    const value = env[key];
    if (value === undefined) continue;
    if (!isSecureEndpoint(new URL(value))) {
      issues.push({ path: key, message: 'must be https:// (http:// is accepted for loopback hosts only)' });
    }
  }
  return issues;
}

/** Parses the environment, throwing CONFIG_INVALID listing every bad variable. */
export function parseEnv(env: NodeJS.ProcessEnv = process.env): Env {
  const read = readVars(env);
  if ('issues' in read) throw invalidEnv(read.issues);
  const parsed = read.env;
  const cleartext = cleartextEndpoints(parsed);
  if (cleartext.length > 0) throw invalidEnv(cleartext);
  if (parsed.FANOUT_INVOKER === 'fc2' && !parsed.FANOUT_SERVICE_NAME) {
    throw invalidEnv([{ path: 'FANOUT_SERVICE_NAME', message: 'required when FANOUT_INVOKER is fc2' }]);
  }
  if (parsed.STATE_STORE === 'tablestore' && parsed.TABLESTORE_INSTANCE === undefined) {
    throw invalidEnv([{ path: 'TABLESTORE_INSTANCE', message: 'required when STATE_STORE is tablestore' }]);
  }
  return parsed;
}

/** CONFIG_INVALID listing every bad variable. */
function invalidEnv(issues: readonly Issue[]): AutopilotError {
  return new AutopilotError('CONFIG_INVALID', {
    message: `Invalid environment: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    details: { issues },
  });
}
