const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * JSON.parse that drops `__proto__`, `constructor` and `prototype` keys, so hostile input can neither
 * pollute prototypes nor smuggle a field past a schema. Throws SyntaxError like JSON.parse.
 */
export function parseJsonSafe(text: string): unknown {
  return JSON.parse(text, (key, value) => (FORBIDDEN_KEYS.has(key) ? undefined : value));
}
