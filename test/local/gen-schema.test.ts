import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateConfigSchema, SCHEMA_FILE } from '../../local/gen-schema.js';

describe('config/autopilot.schema.json', () => {
  it('is exactly what local/gen-schema.ts generates from ConfigFileSchema now (run it after schema changes)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(generateConfigSchema());
  });

  it('describes the input side: fields with defaults are optional, unknown keys are refused', () => {
    const schema = JSON.parse(generateConfigSchema()) as {
      required?: string[];
      additionalProperties: boolean;
      properties: Record<string, unknown>;
    };

    expect(schema.required ?? []).toEqual([]);
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['timezone', 'jobGroups', 'schedules', 'rules', 'reconcile']),
    );
  });
});
