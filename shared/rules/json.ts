import { FORBIDDEN_KEYS, parseJsonSafe } from '../json.js';

/** A JSON value, as produced by `JSON.parse`. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export { FORBIDDEN_KEYS };

export type JsonParseResult = { ok: true; value: JsonValue } | { ok: false; message: string };

/**
 * `parseJsonSafe` as a result instead of a throw. Parses untrusted JSON text, dropping `__proto__`, `constructor` and `prototype` keys at every depth.
 * Never throws: bad syntax (or nesting deep enough to exhaust the stack) is an `ok: false` result.
 *
 * @example
 * parseJsonSafely('{"__proto__": {"x": 1}, "a": 2}'); // { ok: true, value: { a: 2 } }
 */
export function parseJsonSafely(text: string): JsonParseResult {
  try {
    return { ok: true, value: parseJsonSafe(text) as JsonValue };
  } catch (error) {
    // The message names a position, never the input itself.
    const reason = error instanceof RangeError ? 'nesting too deep' : 'not valid JSON';
    return { ok: false, message: reason };
  }
}

/**
 * Copies an already-parsed value into plain JSON (functions and `undefined` dropped, forbidden keys
 * removed). Cycles, BigInts and values that are not JSON at all are an `ok: false` result.
 */
export function toSafeJson(value: unknown): JsonParseResult {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    return { ok: false, message: 'not serialisable as JSON' };
  }
  if (text === undefined) return { ok: false, message: 'not a JSON value' };
  return parseJsonSafely(text);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes a payload that may be raw bytes (a Buffer), JSON text, or an already-parsed value, with the
 * same guarantees as `parseJsonSafely`. Bytes must be UTF-8 (a BOM is skipped).
 */
export function decodeJsonInput(input: unknown): JsonParseResult {
  if (input instanceof Uint8Array) {
    let text: string;
    try {
      text = utf8.decode(input);
    } catch {
      return { ok: false, message: 'not UTF-8 text' };
    }
    return parseJsonSafely(text);
  }
  if (typeof input === 'string') return parseJsonSafely(input);
  return toSafeJson(input);
}

/** A non-null, non-array object. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The media types whose `data` is JSON: `application/json`, any `…+json`, with or without parameters. */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return true; // CloudEvents JSON format: absent means application/json.
  const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return mediaType === 'application/json' || mediaType === 'text/json' || mediaType.endsWith('+json');
}

export type PathLookup = { found: true; value: unknown } | { found: false };

/**
 * Reads a dotted path (`data.labels.group`, `data.items.0.id`) from own properties only. Objects are
 * entered by key, arrays by a decimal index; strings, numbers and the like are never entered, so
 * `subject.length` is not found rather than 7. A property whose value is `undefined` is not found.
 */
export function readPath(root: unknown, path: string): PathLookup {
  let current: unknown = root;
  for (const segment of path.split('.')) {
    if (FORBIDDEN_KEYS.has(segment)) return { found: false };
    if (Array.isArray(current)) {
      if (!/^(0|[1-9][0-9]*)$/.test(segment)) return { found: false };
      current = current[Number(segment)];
    } else if (isPlainObject(current)) {
      if (!Object.hasOwn(current, segment)) return { found: false };
      current = current[segment];
    } else {
      return { found: false };
    }
    if (current === undefined) return { found: false };
  }
  return { found: true, value: current };
}
