import { z } from 'zod';
import { RegionIdSchema } from '../cityvisual/fields.js';
import { AutopilotError } from '../errors.js';
import { lazySchema } from '../lazy-schema.js';
import { zodIssues } from '../validation.js';

const intFromEnv = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .optional()
    .transform((v) => v ?? fallback);

/** FC function, service and qualifier names. */
const FcNameSchema = lazySchema(() =>
  z.string().regex(/^[_a-zA-Z][-_a-zA-Z0-9]{0,127}$/, 'must be an FC name ([_a-zA-Z][-_a-zA-Z0-9]*)'),
);

const optionalString = lazySchema(() =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim())),
);

/**
 * Every environment variable the functions read. Parsed once per cold start; a bad value fails the
 * start listing every bad key. Credentials are deliberately absent: they are not config (STYLE 7).
 */
export const EnvSchema = lazySchema(() =>
  z.object({
    /** Full CityVisual endpoint URL; default `https://cityvisual.<region>.aliyuncs.com`. */
    CITYVISUAL_ENDPOINT: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
    /** Region of the CityVisual endpoint and `RegionId` of every call. */
    CITYVISUAL_REGION: optionalString.pipe(RegionIdSchema.optional()).transform((v) => v ?? 'cn-shanghai'),
    /** CityVisual instance: enables live reads (DescribeJobGroups) of job groups. */
    CITYVISUAL_INSTANCE_ID: optionalString,
    /** Per-attempt timeout of a CityVisual call, ms. */
    CITYVISUAL_TIMEOUT_MS: intFromEnv(100, 60_000, 5_000),
    /** Attempts per CityVisual call, including the first. */
    CITYVISUAL_MAX_ATTEMPTS: intFromEnv(1, 10, 4),
    /** Path of the YAML/JSON config file (schedules, rules, registry); relative to the bundle. */
    AUTOPILOT_CONFIG: optionalString,
    /** Standard Webhooks secrets `whsec_…`, comma-separated (rotation: old and new side by side). */
    WEBHOOK_SECRETS: optionalString,
    /** Bearer tokens for tools that cannot sign: `token` or `name=token`, comma-separated. */
    WEBHOOK_TOKENS: optionalString,
    /** Read-only bearer tokens of the console function: `token` or `name=token`, comma-separated. */
    CONSOLE_TOKENS: optionalString,
    /**
     * How the scheduler fans large reconciles out as asynchronous invocations of itself: `none` (work
     * inline), `fc3` (FC 3.0 InvokeFunction, signed ACS3-HMAC-SHA256) or `fc2` (FC 2.0 API through the
     * runtime's `@alicloud/fc2`). Default `none`.
     */
    FANOUT_INVOKER: optionalString
      .pipe(z.enum(['none', 'fc2', 'fc3']).optional())
      .transform((v) => v ?? 'none'),
    /** Function the shards are sent to; default the invoking function itself (FC context). */
    FANOUT_FUNCTION_NAME: optionalString.pipe(FcNameSchema.optional()),
    /** fc2 only, required there: the FC 2.0 service of that function. */
    FANOUT_SERVICE_NAME: optionalString.pipe(FcNameSchema.optional()),
    /** Version or alias to invoke; default none (LATEST). */
    FANOUT_QUALIFIER: optionalString.pipe(FcNameSchema.optional()),
    /** Account id of the FC endpoint; default the FC context's `accountId`. */
    FANOUT_ACCOUNT_ID: optionalString.pipe(
      z
        .string()
        .regex(/^\d{1,32}$/, 'must be an account id')
        .optional(),
    ),
    /** Region of the FC endpoint; default the FC context's `region`. */
    FANOUT_REGION: optionalString.pipe(RegionIdSchema.optional()),
    /** FC endpoint URL; default `https://<account>.<region>.fc.aliyuncs.com`. */
    FANOUT_ENDPOINT: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
    /** Per-request timeout of submitting one shard, ms. */
    FANOUT_TIMEOUT_MS: intFromEnv(100, 60_000, 5_000),
    /**
     * `on`: each shard carries a deterministic async task id, so a retried tick does not re-run shards FC
     * already accepted (needs `asyncTask: true` in the function's async config). Default `off`.
     */
    FANOUT_TASK_IDS: optionalString.pipe(z.enum(['on', 'off']).optional()).transform((v) => v ?? 'off'),
    /**
     * The shared state store (webhook ids, what the scheduler applied, event order, holds, history):
     * `memory` (embedded, one process: `npm start` and tests) or `tablestore` (deployed). Default `memory`.
     */
    STATE_STORE: optionalString
      .pipe(z.enum(['memory', 'tablestore']).optional())
      .transform((v) => v ?? 'memory'),
    /** Tablestore instance endpoint; default `https://<TABLESTORE_INSTANCE>.<CITYVISUAL_REGION>.ots.aliyuncs.com`. */
    TABLESTORE_ENDPOINT: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
    /** Tablestore instance name; required with `tablestore`. */
    TABLESTORE_INSTANCE: optionalString.pipe(
      z
        .string()
        .regex(/^[a-zA-Z][a-zA-Z0-9-]{2,15}$/, 'must be a Tablestore instance name')
        .optional(),
    ),
    /** Table of the state store; default `autopilot_state`. */
    TABLESTORE_TABLE: optionalString
      .pipe(
        z
          .string()
          .regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,254}$/, 'must be a Tablestore table name')
          .optional(),
      )
      .transform((v) => v ?? 'autopilot_state'),
    /** debug | info | warn | error */
    LOG_LEVEL: optionalString
      .pipe(z.enum(['debug', 'info', 'warn', 'error']).optional())
      .transform((v) => v ?? 'info'),
  }),
);
export type Env = z.infer<typeof EnvSchema>;

/**
 * The variable names the code reads; s.yaml must declare each (checked by a test). Spelled out rather
 * than read from `EnvSchema.shape`, which would build the schema when this module loads; the type
 * below fails the typecheck if a key of the schema is missing here.
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
  const result = EnvSchema.safeParse(env);
  const cleartext = result.success ? cleartextEndpoints(result.data) : [];
  if (cleartext.length > 0) {
    throw new AutopilotError('CONFIG_INVALID', {
      message: `Invalid environment: ${cleartext.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      details: { issues: cleartext },
    });
  }
  if (result.success && result.data.FANOUT_INVOKER === 'fc2' && !result.data.FANOUT_SERVICE_NAME) {
    throw new AutopilotError('CONFIG_INVALID', {
      message: 'Invalid environment: FANOUT_SERVICE_NAME: required when FANOUT_INVOKER is fc2',
      details: { issues: [{ path: 'FANOUT_SERVICE_NAME', message: 'required when FANOUT_INVOKER is fc2' }] },
    });
  }
  if (result.success && result.data.STATE_STORE === 'tablestore') {
    const missing = (['TABLESTORE_INSTANCE'] as const).filter((key) => result.data[key] === undefined);
    if (missing.length > 0) {
      const issues = missing.map((path) => ({ path, message: 'required when STATE_STORE is tablestore' }));
      throw new AutopilotError('CONFIG_INVALID', {
        message: `Invalid environment: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
        details: { issues },
      });
    }
  }
  if (result.success) return result.data;
  const issues = zodIssues(result.error);
  throw new AutopilotError('CONFIG_INVALID', {
    message: `Invalid environment: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    details: { issues },
  });
}
