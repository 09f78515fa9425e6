import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { JobGroupNameSchema, ResourceIdSchema } from '../cityvisual/fields.js';
import { AutopilotError } from '../errors.js';
import { JobGroupIdSchema } from '../jobgroup/id.js';
import { lazySchema } from '../lazy-schema.js';
import { RuleSchema, validateRules } from '../rules/schema.js';
import { ScheduleSchema, TimeZoneSchema, validateSchedules } from '../schedule/index.js';
import { type Issue, zodIssues } from '../validation.js';

/** Static facts about a job group, for when live reads (CITYVISUAL_INSTANCE_ID) are off. */
export const RegistryEntrySchema = lazySchema(() =>
  z.strictObject({
    jobGroupName: JobGroupNameSchema,
    algoLibId: ResourceIdSchema,
    resourceProfileId: ResourceIdSchema,
  }),
);

/** How the scheduler reconciles a fleet; defaults are safe for the API. */
export const ReconcileSettingsSchema = lazySchema(() =>
  z.strictObject({
    /** Groups worked on at once. */
    concurrency: z.number().int().min(1).max(64).default(8),
    /** Client-side limit of CityVisual calls per second, shared by one invocation. */
    qps: z.number().positive().max(1_000).default(20),
    /** How often the reconcile trigger fires, seconds (must match the timer). */
    tickSeconds: z.number().int().min(60).max(86_400).default(300),
    /** How many ticks back a transition still counts as due (a late or missed tick loses nothing). */
    lookbackTicks: z.number().int().min(1).max(48).default(2),
    /** Above this many groups, the scheduler fans out shards as async invocations of itself. */
    shardSize: z.number().int().min(1).max(10_000).default(200),
  }),
);

/**
 * The config file (`AUTOPILOT_CONFIG`, YAML or JSON): default time zone, schedules, rules, the static
 * job-group registry and reconcile settings. A JSON Schema generated from this ships for editors.
 */
export const ConfigFileSchema = lazySchema(() =>
  z.strictObject({
    $schema: z.string().optional(),
    timezone: TimeZoneSchema.default('UTC'),
    jobGroups: z.record(JobGroupIdSchema, RegistryEntrySchema).default({}),
    schedules: z.array(ScheduleSchema).default([]),
    rules: z.array(RuleSchema).default([]),
    reconcile: ReconcileSettingsSchema.default(ReconcileSettingsSchema.parse({})),
  }),
);
export type ConfigFile = z.infer<typeof ConfigFileSchema>;

/** Every problem of a config document, with its path; empty when the config is valid. */
export function checkConfig(document: unknown): { config?: ConfigFile; issues: Issue[] } {
  const parsed = ConfigFileSchema.safeParse(document ?? {});
  if (!parsed.success) return { issues: zodIssues(parsed.error) };
  const config = parsed.data;
  const issues = [...validateSchedules(config.schedules, config.timezone), ...validateRules(config.rules)];
  return issues.length > 0 ? { issues } : { config, issues };
}

/** Reads and parses a YAML or JSON document (YAML is a superset of JSON). */
export function readConfigDocument(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new AutopilotError('CONFIG_INVALID', {
      message: `Cannot read the config file ${file}: check AUTOPILOT_CONFIG.`,
    });
  }
  try {
    return parseYaml(text, { maxAliasCount: 100 });
  } catch (error) {
    const { linePos, hint } = error as { linePos?: Array<{ line: number; col: number }>; hint?: unknown };
    const where = linePos?.[0];
    throw new AutopilotError('CONFIG_INVALID', {
      message:
        `The config file ${file} is not valid YAML/JSON${where ? ` (line ${where.line}, column ${where.col})` : ''}.` +
        // The bundles' JSON-only parser (local/bundle/stubs/yaml.ts) says what to do instead.
        (typeof hint === 'string' ? ` ${hint}` : ''),
    });
  }
}

/**
 * Loads and validates the config file; throws CONFIG_INVALID listing every problem with its path, so a
 * bad config never half-applies. Without a file, an empty config (no schedules, rules or registry).
 */
export function loadConfig(file: string | undefined, baseDir = process.cwd()): ConfigFile {
  if (!file) return ConfigFileSchema.parse({});
  const resolved = path.resolve(baseDir, file);
  const { config, issues } = checkConfig(readConfigDocument(resolved));
  if (config) return config;
  throw new AutopilotError('CONFIG_INVALID', {
    message: `Invalid config ${resolved}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    details: { issues },
  });
}
