import type { z } from 'zod';
import { lazySchema } from '../lazy-schema.js';
import type { RuleSchema } from '../rules/schema.js';
import { rulesSection } from '../rules/section.js';
import type { ScheduleSchema } from '../schedule/schema.js';
import { schedulesSection } from '../schedule/section.js';
import type { Issue } from '../validation.js';
import {
  type ConfigFile,
  type ConfigSection,
  checkConfigFor,
  type configHead,
  configSchemaFor,
  type configTail,
  loadConfigFor,
} from './core.js';

export {
  type BaseConfig,
  type ConfigFile,
  type ConfigSection,
  ReconcileSettingsSchema,
  RegistryEntrySchema,
  readConfigDocument,
} from './core.js';

/** Every section: what `autopilot validate`, the build and the generated JSON Schema cover. */
export const ALL_SECTIONS: readonly ConfigSection[] = [schedulesSection, rulesSection];

type FullConfigSchema = z.ZodObject<
  ReturnType<typeof configHead> & {
    schedules: z.ZodDefault<z.ZodArray<typeof ScheduleSchema>>;
    rules: z.ZodDefault<z.ZodArray<typeof RuleSchema>>;
  } & ReturnType<typeof configTail>,
  z.core.$strict
>;

/**
 * The whole config file (`AUTOPILOT_CONFIG`, YAML or JSON): default time zone, schedules, rules, the
 * static job-group registry and reconcile settings. A JSON Schema generated from this ships for editors.
 * (The same schema `configSchemaFor` builds, typed field by field.)
 */
export const ConfigFileSchema = lazySchema(
  () => configSchemaFor(ALL_SECTIONS) as unknown as FullConfigSchema,
);

/** Every problem of a config document, with its path; empty when the config is valid. */
export function checkConfig(document: unknown): { config?: ConfigFile; issues: Issue[] } {
  return checkConfigFor(document, ALL_SECTIONS);
}

/** Loads and validates the whole config file (see {@link loadConfigFor}). */
export function loadConfig(file: string | undefined, baseDir = process.cwd()): ConfigFile {
  return loadConfigFor(ALL_SECTIONS, file, baseDir);
}
