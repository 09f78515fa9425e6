import { describe, expect, it } from 'vitest';
import { AutopilotError } from '../../../shared/errors.js';
import type { HttpRequest } from '../../../shared/fc/http.js';
import { isJsonContentType, parseQuery, readJsonBody } from '../../../shared/webhook/index.js';

const request = (body: string | Buffer, contentType?: string): HttpRequest => ({
  method: 'POST',
  path: '/v1/batch',
  rawPath: '/v1/batch',
  headers: contentType === undefined ? {} : { 'content-type': contentType },
  query: {},
  body: Buffer.isBuffer(body) ? body : Buffer.from(body),
});

const codeOf = (act: () => unknown) => {
  try {
    act();
    return 'ok';
  } catch (error) {
    return (error as AutopilotError).code;
  }
};

describe('JSON media types', () => {
  it.each([
    ['application/json', true],
    ['application/json; charset=utf-8', true],
    ['application/json;charset="UTF-8"', true],
    ['APPLICATION/JSON', true],
    ['application/merge-patch+json', true],
    ['application/vnd.autopilot.v1+json', true],
    ['application/json; charset=iso-8859-1', false],
    ['application/jsonp', false],
    ['text/json', false],
    ['text/plain', false],
    ['application/json,text/plain', false],
    ['', false],
    [undefined, false],
  ])('%s → %s', (value, ok) => {
    expect(isJsonContentType(value)).toBe(ok);
  });
});

describe('reading the body', () => {
  it.each([
    ['an empty body is {} whatever the type', request(''), 'ok'],
    ['JSON', request('{"a":1}', 'application/json'), 'ok'],
    ['a body without Content-Type', request('{"a":1}'), 'UNSUPPORTED_MEDIA_TYPE'],
    ['a text body', request('{"a":1}', 'text/plain'), 'UNSUPPORTED_MEDIA_TYPE'],
    ['broken JSON', request('{"a":', 'application/json'), 'INVALID_JSON'],
    ['whitespace only', request('  ', 'application/json'), 'INVALID_JSON'],
    ['invalid UTF-8', request(Buffer.from([0x22, 0xc3, 0x22]), 'application/json'), 'INVALID_JSON'],
    ['a lone surrogate escape (valid JSON)', request('"\\ud800"', 'application/json'), 'ok'],
  ])('%s → %s', (_case, req, code) => {
    expect(codeOf(() => readJsonBody(req))).toBe(code);
  });

  it.each([
    ['{"__proto__": {"x": 1}, "a": 1}', '__proto__'],
    ['{"a": {"b": [{"constructor": 1}]}}', 'constructor'],
    ['{"prototype": null}', 'prototype'],
    ['{"__pro\\u0074o__": 1}', '__proto__'],
  ])('refuses %s, naming %s', (text, key) => {
    let thrown: unknown;
    try {
      readJsonBody(request(text, 'application/json'));
    } catch (error) {
      thrown = error;
    }

    expect(thrown).toMatchObject({ code: 'INVALID_INPUT', field: key });
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('keeps those words as values and inside longer keys', () => {
    expect(
      readJsonBody(request('{"a": "__proto__", "my_constructor": 1, "prototypes": 2}', 'application/json')),
    ).toEqual({ a: '__proto__', my_constructor: 1, prototypes: 2 });
  });
});

describe('the query of a mutating route', () => {
  it.each([
    [{}, false],
    [{ dryRun: 'true' }, true],
    [{ dryRun: 'TRUE' }, true],
    [{ dryRun: '1' }, true],
    [{ dryRun: '' }, true],
    [{ dryRun: 'false' }, false],
    [{ dryRun: '0' }, false],
  ])('%o → dryRun %s', (query, dryRun) => {
    expect(parseQuery(query)).toEqual({ dryRun });
  });

  it.each([[{ dryRun: 'yes' }], [{ dryRun: 'true,true' }], [{ dry_run: 'true' }], [{ foo: 'bar' }]])(
    'refuses %o',
    (query) => {
      expect(() => parseQuery(query)).toThrow(AutopilotError);
    },
  );
});
