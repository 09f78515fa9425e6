/**
 * Writes config/autopilot.schema.json, the JSON Schema of the config file generated from
 * `ConfigFileSchema` (zod 4 `z.toJSONSchema`, input side: defaults make fields optional), so editors
 * autocomplete and check `config/autopilot.yaml`. `--check` only verifies the committed file is current.
 *
 *   npx tsx local/gen-schema.ts          # regenerate
 *   npx tsx local/gen-schema.ts --check  # exit 1 when stale
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigFileSchema } from '../shared/config/file.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SCHEMA_FILE = path.join(root, 'config', 'autopilot.schema.json');

/** The schema file's exact text: 2-space JSON and a final newline. */
export function generateConfigSchema(): string {
  const schema = z.toJSONSchema(ConfigFileSchema, {
    io: 'input',
    target: 'draft-2020-12',
    // Refinements (time zones, day grammar, overlaps) cannot be expressed; `autopilot validate` checks them.
    unrepresentable: 'any',
  });
  const { $schema, ...rest } = schema;
  const document = {
    $schema,
    $id: 'https://jobgroup-autopilot.local/autopilot.schema.json',
    title: 'jobgroup-autopilot config (AUTOPILOT_CONFIG)',
    description:
      'Schedules, rules, the static job-group registry and reconcile settings. Generated from ConfigFileSchema by local/gen-schema.ts; do not edit. Cross-field checks: npx autopilot validate.',
    ...rest,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

function main(argv: readonly string[]): number {
  const fresh = generateConfigSchema();
  if (argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(SCHEMA_FILE, 'utf8');
    } catch {
      // missing counts as stale
    }
    if (current === fresh) return 0;
    process.stderr.write(
      `${path.relative(process.cwd(), SCHEMA_FILE)} is stale: run npx tsx local/gen-schema.ts\n`,
    );
    return 1;
  }
  writeFileSync(SCHEMA_FILE, fresh);
  process.stdout.write(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)}\n`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
