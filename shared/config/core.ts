import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { JobGroupNameSchema, ResourceIdSchema } from '../cityvisual/fields.js';
import { AutopilotError } from '../errors.js';
import { JobGroupIdSchema } from '../jobgroup/id.js';
import { lazySchema } from '../lazy-schema.js';
import { NotifySettingsSchema } from '../notify/schema.js';
import type { Rule } from '../rules/schema.js';
import type { Calendar } from '../schedule/calendar.js';
import type { Schedule } from '../schedule/schema.js';
import { TimeZoneSchema } from '../schedule/timezone.js';
import { parseDuration } from '../state/duration.js';
import { type Issue, zodIssues } from '../validation.js';

/**
 * The config file machinery every function shares, without the schemas of the sections only some
 * functions read. Schedules belong to the scheduler and rules to the events function and the alert hooks:
 * each function validates the sections it reads, so it does not carry (in its bundle) nor parse (at cold
 * start) the others. `autopilot validate` and the build check the whole file (`./file.ts`).
 */

/** Static facts about a job group, for when live reads (CITYVISUAL_INSTANCE_ID) are off. */
export const RegistryEntrySchema = lazySchema(() =>
  z.strictObject({
    jobGroupName: JobGroupNameSchema,
    algoLibId: ResourceIdSchema,
    resourceProfileId: ResourceIdSchema,
  }),
);

/** Largest `reconcile.shardSize`: 1,500 ids of 64 characters make a shard event of about 104 KB. */
export const MAX_SHARD_SIZE = 1_500;

/** How the scheduler reconciles a fleet; defaults are safe for the API. */
export const ReconcileSettingsSchema = lazySchema(() =>
  z.strictObject({
    /** Groups worked on at once. */
    concurrency: z.number().int().min(1).max(64).default(8),
    /**
     * CityVisual calls per second of a whole reconcile: every shard, reads, writes and retries
     * together (a fan-out divides it among the shards it starts).
     */
    qps: z.number().positive().max(1_000).default(20),
    /** How often the reconcile trigger fires, seconds (must match the timer). */
    tickSeconds: z.number().int().min(60).max(86_400).default(300),
    /** How many ticks back a transition still counts as due (a late or missed tick loses nothing). */
    lookbackTicks: z.number().int().min(1).max(48).default(2),
    /**
     * Above this many groups, the scheduler fans out shards as async invocations of itself. At most
     * MAX_SHARD_SIZE: a shard of that many 64-character ids still fits FC's 128 KB async payload.
     */
    shardSize: z.number().int().min(1).max(MAX_SHARD_SIZE).default(200),
    /**
     * Most shards one fan-out starts (each an FC instance running at once, within the account's
     * concurrency quota); past `maxShards × shardSize` groups the shards grow, up to MAX_SHARD_SIZE.
     */
    maxShards: z.number().int().min(1).max(1_000).default(50),
  }),
);

/** Limits of the invocations that are not a reconcile: webhook requests, event deliveries, timer actions. */
export const LimitsSettingsSchema = lazySchema(() =>
  z.strictObject({
    /**
     * CityVisual calls per second of one such invocation, retries and reads included: one big batch
     * cannot take the account's quota from the scheduler.
     */
    qps: z.number().positive().max(1_000).default(20),
  }),
);

/** Most `events.commandSources` entries; a few trusted publishers is the expected use. */
export const MAX_COMMAND_SOURCES = 100;

/** What the events function (and the alert hooks) accept besides rules. */
export const EventsSettingsSchema = lazySchema(() =>
  z.strictObject({
    /**
     * Exact CloudEvent `source` values whose built-in command events (`autopilot.jobgroup.changes`)
     * are applied; a command event from any other source is acknowledged, not applied. Default none.
     */
    commandSources: z.array(z.string().min(1).max(256)).max(MAX_COMMAND_SOURCES).default([]),
  }),
);

/** The fields every function reads: default time zone, job-group registry, reconcile settings. */
export function configHead() {
  return {
    $schema: z.string().optional(),
    timezone: TimeZoneSchema.default('UTC'),
    jobGroups: z.record(JobGroupIdSchema, RegistryEntrySchema).default({}),
  };
}
/** Holds (pin, pause, skip): every pin and pause ends, at most `maxDuration` after it starts. */
export const HoldSettingsSchema = lazySchema(() =>
  z.strictObject({
    /** The longest pin or pause: `90m`, `2h`, `3d` (default `7d`, at most `90d`). */
    maxDuration: z
      .string()
      .regex(/^[1-9]\d{0,5}[mhd]$/, 'must be a duration such as 90m, 2h or 7d')
      .refine(
        (text) => (parseDuration(text) ?? Number.POSITIVE_INFINITY) <= 90 * 86_400_000,
        'must be at most 90d',
      )
      .default('7d'),
  }),
);

export function configTail() {
  return {
    reconcile: ReconcileSettingsSchema.default(ReconcileSettingsSchema.parse({})),
    limits: LimitsSettingsSchema.default(LimitsSettingsSchema.parse({})),
    holds: HoldSettingsSchema.default(HoldSettingsSchema.parse({})),
    events: EventsSettingsSchema.default(EventsSettingsSchema.parse({})),
    /** Where the digests of what the product did go (chat robots, signed webhooks); default none. */
    notify: NotifySettingsSchema.default(NotifySettingsSchema.parse({})),
  };
}
export type BaseConfig = z.infer<z.ZodObject<ReturnType<typeof configHead> & ReturnType<typeof configTail>>>;

/** The parsed config file. A section the running function does not read is an empty list there. */
export type ConfigFile = BaseConfig & {
  schedules: Schedule[];
  rules: Rule[];
  /** Named working calendars (read with `schedules`; `{}` where that section is not read). */
  calendars?: Record<string, Calendar>;
};

/** Top-level keys a section brings along (schema from the section; accepted as is where it is not read). */
export const SECTION_EXTRA_KEYS: Readonly<Record<SectionKey, readonly string[]>> = {
  schedules: ['calendars'],
  rules: [],
};

export const SECTION_KEYS = ['schedules', 'rules'] as const;
export type SectionKey = (typeof SECTION_KEYS)[number];

/** A list-valued section of the config file, with the schema of one entry and its cross-entry checks. */
export interface ConfigSection {
  readonly key: SectionKey;
  readonly entry: z.ZodType;
  /** Checks a schema cannot express (duplicates, references), each with its path. */
  readonly validate: (entries: readonly unknown[], config: BaseConfig) => Issue[];
  /** Schemas of the top-level keys of {@link SECTION_EXTRA_KEYS} this section brings along. */
  readonly extraKeys?: () => Record<string, z.ZodType>;
  /** After validation: entries linked to what they refer to elsewhere in the config (a calendar). */
  readonly resolve?: (entries: readonly unknown[], config: BaseConfig) => unknown[];
}

/** Runs every section's `resolve` on a valid config (also a shipped one, which skips validation). */
function resolveSections(config: ConfigFile, sections: readonly ConfigSection[]): ConfigFile {
  for (const section of sections) {
    if (section.resolve)
      (config as Record<string, unknown>)[section.key] = section.resolve(config[section.key], config);
  }
  return config;
}

/**
 * Config this function does not read (a section, or a mapping a section brings along): any value is
 * accepted (the build validated it) and reads as `empty` — `[]` for a section, `{}` for a mapping.
 */
const notReadHere = <T>(empty: () => T) =>
  z
    .unknown()
    .transform(empty)
    .default(empty() as never)
    .meta({ description: 'Not read by this function' });

const schemas = new Map<string, z.ZodType>();

/** The config file schema of a function that reads `sections` (built once per set of sections). */
export function configSchemaFor(sections: readonly ConfigSection[]): z.ZodType {
  const cacheKey = sections.map((section) => section.key).join(',');
  let schema = schemas.get(cacheKey);
  if (!schema) {
    const shape: Record<string, z.ZodType> = { ...configHead() };
    for (const key of SECTION_KEYS) {
      const section = sections.find((candidate) => candidate.key === key);
      shape[key] = section ? z.array(section.entry).default([]) : notReadHere((): never[] => []);
      const extra = section?.extraKeys?.() ?? {};
      for (const name of SECTION_EXTRA_KEYS[key])
        shape[name] = extra[name] ?? notReadHere((): Record<string, never> => ({}));
    }
    schema = z.strictObject({ ...shape, ...configTail() });
    schemas.set(cacheKey, schema);
  }
  return schema;
}

/** Every problem of a config document for a function reading `sections`; empty when valid. */
export function checkConfigFor(
  document: unknown,
  sections: readonly ConfigSection[],
): { config?: ConfigFile; issues: Issue[] } {
  const schema = configSchemaFor(sections);
  const parsed = schema.safeParse(document ?? {});
  // "Did you mean" from the config schema's own keys at the place of the unknown one.
  if (!parsed.success) return { issues: zodIssues(parsed.error, '', Number.POSITIVE_INFINITY, schema) };
  const config = parsed.data as ConfigFile;
  const issues = sections.flatMap((section) => section.validate(config[section.key], config));
  return issues.length > 0 ? { issues } : { config: resolveSections(config, sections), issues };
}

function readConfigText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw new AutopilotError('CONFIG_INVALID', {
      message: `Cannot read the config file ${file}: check AUTOPILOT_CONFIG.`,
    });
  }
}

/** SHA-256 (hex) of a config file's text, as `npm run build` stamps it into each bundle. */
export function configDigest(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Reads and parses a YAML or JSON document (YAML is a superset of JSON). */
export function readConfigDocument(file: string): unknown {
  return parseConfigText(readConfigText(file), file);
}

function parseConfigText(text: string, file: string): unknown {
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

export interface LoadConfigOptions {
  /**
   * The digest of the config text `npm run build` validated (whole file, same schemas) and shipped
   * beside the bundle, already in its parsed form. A file with exactly that text is used as it is;
   * any other text — edited after the build, or another file — is validated here.
   */
  readonly trustedDigest?: string;
}

/**
 * Loads and validates the config file for a function reading `sections`; throws CONFIG_INVALID listing
 * every problem with its path, so a bad config never half-applies. Without a file, an empty config.
 */
export function loadConfigFor(
  sections: readonly ConfigSection[],
  file: string | undefined,
  baseDir = process.cwd(),
  options: LoadConfigOptions = {},
): ConfigFile {
  if (!file) return configSchemaFor(sections).parse({}) as ConfigFile;
  const resolved = path.resolve(baseDir, file);
  const text = readConfigText(resolved);
  if (options.trustedDigest !== undefined && configDigest(text) === options.trustedDigest) {
    const shipped = JSON.parse(text) as ConfigFile;
    // As on the validating path: a section this function does not read reads as empty.
    for (const key of SECTION_KEYS) if (!sections.some((section) => section.key === key)) shipped[key] = [];
    return resolveSections(shipped, sections);
  }
  const { config, issues } = checkConfigFor(parseConfigText(text, resolved), sections);
  if (config) return config;
  throw new AutopilotError('CONFIG_INVALID', {
    message: `Invalid config ${resolved}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    details: { issues },
  });
}
