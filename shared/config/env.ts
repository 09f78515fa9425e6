import { z } from 'zod';
import { RegionIdSchema } from '../cityvisual/fields.js';
import { AutopilotError } from '../errors.js';
import { zodIssues } from '../validation.js';

const intFromEnv = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .optional()
    .transform((v) => v ?? fallback);

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/**
 * Every environment variable the functions read. Parsed once per cold start; a bad value fails the
 * start listing every bad key. Credentials are deliberately absent: they are not config (STYLE 7).
 */
export const EnvSchema = z.object({
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
  /** debug | info | warn | error */
  LOG_LEVEL: optionalString
    .pipe(z.enum(['debug', 'info', 'warn', 'error']).optional())
    .transform((v) => v ?? 'info'),
});
export type Env = z.infer<typeof EnvSchema>;

/** The variable names the code reads; s.yaml must declare each (checked by a test). */
export const ENV_KEYS = Object.keys(EnvSchema.shape) as Array<keyof Env>;

/** Parses the environment, throwing CONFIG_INVALID listing every bad variable. */
export function parseEnv(env: NodeJS.ProcessEnv = process.env): Env {
  const result = EnvSchema.safeParse(env);
  if (result.success) return result.data;
  const issues = zodIssues(result.error);
  throw new AutopilotError('CONFIG_INVALID', {
    message: `Invalid environment: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    details: { issues },
  });
}
