/**
 * `json-bigint` for the bundles, in its `storeAsString` mode on the native parser: a number literal
 * longer than 15 characters (where a double may lose digits) is kept as its exact string instead of a
 * bignumber.js `BigNumber` (19 KB), so a large id survives exactly and the response schemas' id
 * unions accept it. As in json-bigint's defaults, a `__proto__` or `constructor` key is refused, and
 * text that is not JSON throws a `SyntaxError` (the client maps it to UPSTREAM_BAD_RESPONSE).
 * pop-core only calls `parse`.
 */

/** A JSON string literal (skipped whole) or a number literal. */
const TOKEN = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;
const MAX_NUMBER_CHARS = 15;

function quoteLongNumbers(text: string): string {
  return text.replace(TOKEN, (token) =>
    token.startsWith('"') || token.length <= MAX_NUMBER_CHARS ? token : `"${token}"`,
  );
}

function refuseSuspectKeys(key: string, value: unknown): unknown {
  if (key === '__proto__' || key === 'constructor') {
    throw new SyntaxError(
      `Object contains forbidden ${key === '__proto__' ? 'prototype' : 'constructor'} property`,
    );
  }
  return value;
}

/**
 * Text that may need the slow path: a run of 16+ number characters that starts like a number literal
 * (`-` or a digit: the only way a literal can be longer than 15), a suspect key, or a `\u` escape
 * (which could spell one). Anything else — every ordinary CityVisual answer — parses natively with no
 * reviver: same result, a fraction of the time. (Requiring the literal's first character keeps the scan
 * from starting a run at every `e` of ordinary text: a 100 KB DescribeJobGroups page took 2× its
 * JSON.parse time to scan before, half after.)
 */
const MAYBE_SPECIAL = /[-0-9][-+.0-9eE]{15}|__proto__|constructor|\\u/;

function parse(source: string | Buffer): unknown {
  const text = String(source);
  if (!MAYBE_SPECIAL.test(text)) return JSON.parse(text);
  return JSON.parse(quoteLongNumbers(text), refuseSuspectKeys);
}

const api = { parse, stringify: JSON.stringify };

export = api;
