import { z } from 'zod';
import { displayKey } from './validation.js';

/**
 * Validation messages in our own words, for every schema (set once, where schemas are built): a count
 * sent as `"12"` says `expected a whole number, got the string "12"`, a missing field says it is
 * required, an unknown `action` lists the actions as the README quotes them. A message a schema gives
 * itself always wins over these.
 */
function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  // Printable ASCII up to 64 characters as is, anything else escaped and cut short (displayKey).
  if (typeof value === 'string') return `the string "${displayKey(value)}"`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  return 'an object';
}

const EXPECTED: Record<string, string> = {
  number: 'a whole number',
  int: 'a whole number',
  string: 'a string',
  boolean: 'true or false',
  object: 'an object',
  record: 'an object',
  array: 'a list',
};

/** True when a number schema only takes integers (`z.number().int()`). */
function wholeNumber(schema: unknown): boolean {
  const checks = (schema as { _zod?: { def?: { checks?: Array<{ _zod?: { def?: { format?: string } } }> } } })
    ?._zod?.def?.checks;
  return (checks ?? []).some((check) => /int/.test(check?._zod?.def?.format ?? ''));
}

const quoted = (values: readonly unknown[]) => values.map((value) => `\`${String(value)}\``).join(', ');

type Issue = z.core.$ZodRawIssue;

export function ourMessage(issue: Issue): string | undefined {
  const raw = issue as Issue & Record<string, unknown>;
  switch (issue.code) {
    case 'invalid_type': {
      if (raw.input === undefined) return 'is required';
      // `number` is a whole number only where the schema says int; `qps: "2.5"` wants a number.
      const expected =
        raw.expected === 'number' && !wholeNumber(raw.inst)
          ? 'a number'
          : (EXPECTED[String(raw.expected)] ?? String(raw.expected));
      return `expected ${expected}, got ${shown(raw.input)}`;
    }
    case 'too_small': {
      const min = raw.minimum as number | bigint;
      if (raw.origin === 'array' || raw.origin === 'set')
        return `needs at least ${min} ${Number(min) === 1 ? 'entry' : 'entries'}`;
      if (raw.origin === 'string')
        return `must be at least ${min} character${Number(min) === 1 ? '' : 's'} long`;
      return `must be ${raw.inclusive ? 'at least' : 'more than'} ${min}, got ${shown(raw.input)}`;
    }
    case 'too_big': {
      const max = raw.maximum as number | bigint;
      if (raw.origin === 'array' || raw.origin === 'set') return `takes at most ${max} entries`;
      if (raw.origin === 'string') return `must be at most ${max} characters long`;
      return `must be ${raw.inclusive ? 'at most' : 'less than'} ${max}, got ${shown(raw.input)}`;
    }
    case 'invalid_value':
      return `expected one of ${quoted(raw.values as unknown[])}, got ${shown(raw.input)}`;
    case 'invalid_union': {
      if (typeof raw.discriminator !== 'string' || !Array.isArray(raw.options))
        return raw.input === undefined ? 'is required' : undefined;
      const input = raw.input as Record<string, unknown> | undefined;
      const value = input && typeof input === 'object' ? input[raw.discriminator] : undefined;
      if (value === undefined) return `is required: one of ${quoted(raw.options)}`;
      const named = typeof value === 'string' ? `"${displayKey(value)}"` : shown(value);
      return `unknown ${raw.discriminator} ${named}: use one of ${quoted(raw.options)}`;
    }
    default:
      return undefined;
  }
}

let installed = false;

/** Installs {@link ourMessage} as zod's error map (once). */
export function useOurMessages(): void {
  if (installed) return;
  installed = true;
  z.config({ customError: ourMessage, jitless: true });
}
