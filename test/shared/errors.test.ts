import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AutopilotError, ERROR_TABLE, isErrorCode, toAutopilotError } from '../../shared/errors.js';
import { ModifyBodySchema } from '../../shared/intent/index.js';
import { suggestField, validationError } from '../../shared/validation.js';

/** The ModifyJobGroup error codes of the API doc, with the doc's HTTP status. */
const SEED_CODES = [
  ['InvalidName.Malformed', 400],
  ['InvalidName.Duplicate', 400],
  ['InvalidAlgoLibId.NotFound', 404],
  ['InvalidResourceProfileId.NotFound', 404],
  ['InvalidStatus.ValueNotSupported', 400],
  ['InvalidParameter.KeyNotSupported', 403],
  ['MissingParameter', 403],
  ['InvalidJobGroupId.NotFound', 404],
] as const;

const GATEWAY_CODES = [
  'Throttling',
  'Throttling.User',
  'Throttling.Api',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'InvalidAccessKeyId.NotFound',
  'InvalidTimeStamp.Expired',
  'SignatureNonceUsed',
  'MissingSecurityToken',
  'InvalidSecurityToken.Expired',
  'Forbidden.RAM',
  'MissingParameter',
  'InvalidParameter',
  'InvalidAction.NotFound',
  'InvalidVersion',
  'InternalError',
  'ServiceUnavailable',
] as const;

describe('error table', () => {
  it.each(SEED_CODES)('carries the API doc code %s with status %i', (code, status) => {
    expect(ERROR_TABLE[code].status).toBe(status);
    expect(ERROR_TABLE[code].retryable).toBe(false);
  });

  it.each(GATEWAY_CODES)('carries the gateway code %s', (code) => {
    expect(isErrorCode(code)).toBe(true);
  });

  it.each([
    ['Throttling', true],
    ['ServiceUnavailable', true],
    ['InternalError', true],
    ['UPSTREAM_TIMEOUT', true],
    ['UPSTREAM_NETWORK', true],
    ['SignatureDoesNotMatch', false],
    ['InvalidTimeStamp.Expired', false],
    ['Forbidden.RAM', false],
    ['INVALID_INPUT', false],
  ] as const)('marks %s retryable=%s', (code, retryable) => {
    expect(ERROR_TABLE[code].retryable).toBe(retryable);
  });

  it('gives every entry an operator message and a 4xx/5xx status', () => {
    for (const [code, entry] of Object.entries(ERROR_TABLE)) {
      expect(entry.message.length, code).toBeGreaterThan(10);
      expect(entry.status, code).toBeGreaterThanOrEqual(400);
      expect(entry.status, code).toBeLessThan(600);
    }
  });

  it('hides the message of a non-exposed error from callers', () => {
    const error = new AutopilotError('SignatureDoesNotMatch', { message: 'internal detail' });
    expect(error.toPublic()).toEqual({
      code: 'SignatureDoesNotMatch',
      message: ERROR_TABLE.SignatureDoesNotMatch.message,
    });
  });

  it('turns a foreign error into INTERNAL without its message, and never serialises the cause', () => {
    const foreign = new Error(
      'Specified signature is not matched, URL: https://x/?Signature=abc&AccessKeyId=k',
    );
    const error = toAutopilotError(foreign);
    expect(error.code).toBe('INTERNAL');
    expect(JSON.stringify(error)).not.toContain('Signature=abc');
    expect(JSON.stringify(error.toPublic())).not.toContain('Signature=abc');
    expect(Object.keys(error)).not.toContain('cause');
  });
});

describe('validation errors', () => {
  it('names an unknown field and suggests the near miss', () => {
    const result = ModifyBodySchema.safeParse({ plannedJobCount: 3 });
    const error = validationError(result.error as z.ZodError);
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.field).toBe('plannedJobCount');
    expect(error.message).toBe(
      'plannedJobCount: unknown field "plannedJobCount" (did you mean "planedJobCount"?)',
    );
  });

  it('lists every problem in details with its path', () => {
    const schema = z.strictObject({ a: z.number(), b: z.array(z.string()) });
    const result = schema.safeParse({ a: 'x', b: [1] });
    const error = validationError(result.error as z.ZodError, 'body');
    expect((error.details!.issues as Array<{ path: string }>).map((i) => i.path)).toEqual([
      'body.a',
      'body.b[0]',
    ]);
  });

  it.each([
    ['plannedJobCount', 'planedJobCount'],
    ['jobcount', 'jobCount'],
    ['stream_per_job', 'streamPerJob'],
    ['paramz', 'params'],
    ['zzz', undefined],
    ['statsu', 'status'],
  ])('suggests %s → %s', (key, expected) => {
    expect(suggestField(key)).toBe(expected);
  });

  it('does not suggest the very field it refuses (a known field in the wrong shape)', () => {
    const result = z.strictObject({ action: z.literal('stop') }).safeParse({ action: 'stop', changes: [] });
    const error = validationError(result.error as z.ZodError, 'payload');

    expect(error.message).toBe('payload.changes: unknown field "changes" (not accepted here)');
  });

  it('shows a hostile key escaped and cut short, not as sent', () => {
    const huge = 'k'.repeat(1024 * 1024);
    const result = ModifyBodySchema.safeParse(
      Object.fromEntries([
        [huge, 1],
        ['a\u0000\u001b[31mEVIL\u202e', 1],
      ]),
    );
    const error = validationError(result.error as z.ZodError);
    const issues = error.details!.issues as Array<{ path: string; message: string }>;

    expect(error.field).toBe(`${'k'.repeat(40)}…(1048576 characters)`);
    expect(issues[1]).toEqual({
      path: 'a\\u{0}\\u{1b}[31mEVIL\\u{202e}',
      message: 'unknown field "a\\u{0}\\u{1b}[31mEVIL\\u{202e}"',
    });
    expect(JSON.stringify(error.toPublic()).length).toBeLessThan(1000);
    const shown = JSON.stringify(error.toPublic());
    expect([...shown].filter((c) => (c.codePointAt(0) as number) < 0x20 || c === '\u202e')).toEqual([]);
  });

  it('lists at most 20 issues and counts the rest', () => {
    const keys = Array.from({ length: 100_000 }, (_, i) => [`unknownField${i}`, 1]);
    const result = ModifyBodySchema.safeParse(Object.fromEntries(keys));
    const error = validationError(result.error as z.ZodError);

    expect((error.details!.issues as unknown[]).length).toBe(20);
    expect(error.details!.moreIssues).toBe(100_000 - 20);
    expect(error.field).toBe('unknownField0');
  });
});
