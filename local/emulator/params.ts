import { COMMON_PARAMS } from './actions.js';
import { invalidParameter, missingParameter } from './errors.js';

// pop-core sends an undefined or null parameter as these literal strings.
const NULLISH_LITERALS = new Set(['undefined', 'null']);

/** The value of a parameter, treating an empty string as absent. */
export function given(params: Record<string, string>, name: string): string | undefined {
  const value = params[name];
  return value === undefined || value === '' ? undefined : value;
}

/** `InvalidParameter` for the first parameter (by name) whose value is the literal "undefined" or "null". */
export function rejectNullishLiterals(params: Record<string, string>): void {
  for (const name of Object.keys(params).sort()) {
    if (NULLISH_LITERALS.has(params[name]!)) {
      throw invalidParameter(name, `"${params[name]}" is not a value; the caller sent an unset field.`);
    }
  }
}

/**
 * `InvalidParameter` for the first parameter (by name) that is neither common nor allowed for the
 * action; `isAllowed` decides for business parameters.
 */
export function rejectUnknownParams(
  params: Record<string, string>,
  isAllowed: (name: string) => boolean,
): void {
  for (const name of Object.keys(params).sort()) {
    if (!COMMON_PARAMS.has(name) && !isAllowed(name)) {
      throw invalidParameter(name, 'The parameter is not supported by this action.');
    }
  }
}

/** `MissingParameter` naming the first of `names` that is absent or empty. */
export function requireParams(params: Record<string, string>, names: readonly string[]): void {
  for (const name of names) {
    if (given(params, name) === undefined) throw missingParameter(name);
  }
}

const INT32_MAX = 2_147_483_647;

/** An optional non-negative decimal Integer parameter (Java int range); `InvalidParameter` otherwise. */
export function optionalCount(params: Record<string, string>, name: string): number | undefined {
  const value = params[name];
  if (value === undefined) return undefined;
  if (!/^\d{1,10}$/.test(value) || Number(value) > INT32_MAX) {
    throw invalidParameter(name, 'It must be a non-negative integer.');
  }
  return Number(value);
}

/** `PageNumber` (default 1, from 1) and `PageSize` (default 10, 1..100). */
export function paging(params: Record<string, string>): { pageNumber: number; pageSize: number } {
  const read = (name: string, fallback: number, max: number): number => {
    const value = params[name];
    if (value === undefined || value === '') return fallback;
    if (!/^[1-9]\d{0,9}$/.test(value) || Number(value) > max) {
      throw invalidParameter(name, `It must be an integer from 1 to ${max}.`);
    }
    return Number(value);
  };
  return { pageNumber: read('PageNumber', 1, INT32_MAX), pageSize: read('PageSize', 10, 100) };
}

/** Items of one page, 1-based. */
export function pageOf<T>(items: readonly T[], pageNumber: number, pageSize: number): T[] {
  const start = (pageNumber - 1) * pageSize;
  return items.slice(start, start + pageSize);
}
