import { daysInMonth, fromDayNumber, isoWeekdayOf } from './local-date.js';

/**
 * A parsed `days` value. Each mask has bit `weekday - 1` set (ISO weekday, Monday = 1): `weekdays`
 * for every such day, `nth[n]` for the n-th such day of the month (n = 1..5), `last` for the last one.
 */
export interface DaySpec {
  readonly weekdays: number;
  readonly nth: readonly [number, number, number, number, number, number];
  readonly last: number;
}

/** `days` as written in the config: one string (`"mon-fri"`, `"mon,wed"`) or a list of them. */
export type DaysInput = string | readonly string[];

/** A problem in a `days` value; `index` is the list entry it is in, when `days` is a list. */
export interface DaysProblem {
  readonly index?: number;
  readonly message: string;
}

/** What decides whether a date matches any `days` value: its weekday and its place in the month. */
export interface DayFeatures {
  readonly weekday: number;
  readonly nth: number;
  readonly isLast: boolean;
}

const WEEKDAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const FULL_NAMES = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
const ALL_DAYS = 0b111_1111;
const EXPECTED =
  'expected mon..sun, a range like mon-fri, a list like mon,wed, sat#1..sat#5, fri#L, daily or *';

function weekdayOf(name: string): number | undefined {
  const short = WEEKDAY_NAMES.indexOf(name as (typeof WEEKDAY_NAMES)[number]);
  if (short >= 0) return short + 1;
  const full = FULL_NAMES.indexOf(name as (typeof FULL_NAMES)[number]);
  return full >= 0 ? full + 1 : undefined;
}

const bit = (weekday: number) => 1 << (weekday - 1);

interface MutableSpec {
  weekdays: number;
  nth: [number, number, number, number, number, number];
  last: number;
}

/** Adds one token to `spec`, or returns why it cannot. */
function addToken(spec: MutableSpec, raw: string): string | undefined {
  const token = raw.trim().toLowerCase();
  if (token === '') return 'empty day token (stray comma?)';
  if (token === 'daily' || token === '*') {
    spec.weekdays |= ALL_DAYS;
    return undefined;
  }
  const nth = /^([a-z]+)#(.*)$/.exec(token);
  if (nth) {
    const weekday = weekdayOf(nth[1]!);
    if (weekday === undefined)
      return `unknown weekday "${nth[1]}" in day token "${raw.trim()}" (${EXPECTED})`;
    const which = nth[2]!;
    if (which === 'l') spec.last |= bit(weekday);
    else if (/^[1-5]$/.test(which)) spec.nth[Number(which)]! |= bit(weekday);
    else return `day token "${raw.trim()}": after "#" use 1..5 or L (${EXPECTED})`;
    return undefined;
  }
  const range = /^([a-z]+)-([a-z]+)$/.exec(token);
  if (range) {
    const first = weekdayOf(range[1]!);
    const last = weekdayOf(range[2]!);
    if (first === undefined || last === undefined) {
      const bad = first === undefined ? range[1] : range[2];
      return `unknown weekday "${bad}" in day range "${raw.trim()}" (${EXPECTED})`;
    }
    // Ranges wrap around the week: fri-mon is fri, sat, sun, mon.
    for (let weekday = first; ; weekday = (weekday % 7) + 1) {
      spec.weekdays |= bit(weekday);
      if (weekday === last) break;
    }
    return undefined;
  }
  const weekday = weekdayOf(token);
  if (weekday === undefined) return `unknown day token "${raw.trim()}" (${EXPECTED})`;
  spec.weekdays |= bit(weekday);
  return undefined;
}

/**
 * Parses a `days` value. Tokens are case-insensitive and separated by commas within a string; a list
 * is the union of its entries. Every bad token is reported, each message naming it.
 *
 * @example
 * parseDays('mon-fri,sat#1');  // { spec: mon..fri plus the first Saturday of each month, problems: [] }
 * parseDays(['fri#L', 'sun']); // the last Friday of each month, and every Sunday
 * parseDays('mon,funday');     // problems: [{ message: 'unknown day token "funday" (expected …)' }]
 */
export function parseDays(days: DaysInput): { spec: DaySpec; problems: DaysProblem[] } {
  const spec: MutableSpec = { weekdays: 0, nth: [0, 0, 0, 0, 0, 0], last: 0 };
  const problems: DaysProblem[] = [];
  const entries = typeof days === 'string' ? [days] : days;
  if (entries.length === 0) problems.push({ message: 'must name at least one day' });
  entries.forEach((entry, index) => {
    for (const token of entry.split(',')) {
      const problem = addToken(spec, token);
      if (problem !== undefined) {
        problems.push(typeof days === 'string' ? { message: problem } : { index, message: problem });
      }
    }
  });
  return { spec, problems };
}

const compiled = new Map<string, DaySpec>();

/**
 * The spec of an already validated `days` value, parsed once per distinct value.
 * @throws Error when `days` is invalid: the schema should have rejected it first.
 */
export function daySpecOf(days: DaysInput): DaySpec {
  const key = typeof days === 'string' ? days : JSON.stringify(days);
  let spec = compiled.get(key);
  if (!spec) {
    const parsed = parseDays(days);
    if (parsed.problems.length > 0) throw new Error(`invalid days ${key}: ${parsed.problems[0]!.message}`);
    spec = parsed.spec;
    compiled.set(key, spec);
  }
  return spec;
}

/** The features of a day number (days since 1970-01-01). */
export function dayFeaturesOf(dayNumber: number): DayFeatures {
  const date = fromDayNumber(dayNumber);
  return {
    weekday: isoWeekdayOf(dayNumber),
    nth: Math.ceil(date.day / 7),
    isLast: date.day > daysInMonth(date.year, date.month) - 7,
  };
}

/** True when a date with these features is one of the spec's days. */
export function matchesFeatures(spec: DaySpec, features: DayFeatures): boolean {
  const mask = bit(features.weekday);
  return (
    (spec.weekdays & mask) !== 0 ||
    (spec.nth[features.nth]! & mask) !== 0 ||
    (features.isLast && (spec.last & mask) !== 0)
  );
}

/** True when the day number (days since 1970-01-01) is one of the spec's days. */
export function matchesDay(spec: DaySpec, dayNumber: number): boolean {
  return matchesFeatures(spec, dayFeaturesOf(dayNumber));
}

/**
 * Every (day, next day) pair of features the Gregorian calendar can produce: any month of 28 to 31
 * days starts on any weekday, given enough years. Lets "can these two windows ever overlap?" be
 * answered exactly without scanning centuries of dates.
 */
export function adjacentDayFeatures(): ReadonlyArray<readonly [DayFeatures, DayFeatures]> {
  // Computed on first use (config validation), not at module load: a cold start should not pay for it.
  adjacent ??= computeAdjacentDayFeatures();
  return adjacent;
}

let adjacent: ReadonlyArray<readonly [DayFeatures, DayFeatures]> | undefined;

function computeAdjacentDayFeatures(): ReadonlyArray<readonly [DayFeatures, DayFeatures]> {
  const pairs: Array<readonly [DayFeatures, DayFeatures]> = [];
  const seen = new Set<string>();
  const features = (weekday: number, day: number, length: number): DayFeatures => ({
    weekday,
    nth: Math.ceil(day / 7),
    isLast: day > length - 7,
  });
  for (const length of [28, 29, 30, 31]) {
    for (let firstWeekday = 1; firstWeekday <= 7; firstWeekday++) {
      for (let day = 1; day <= length; day++) {
        const weekday = ((firstWeekday - 1 + day - 1) % 7) + 1;
        const nextWeekday = (weekday % 7) + 1;
        // The day after a month's last day is the 1st of a month of at least 28 days.
        const next = day < length ? features(nextWeekday, day + 1, length) : features(nextWeekday, 1, 28);
        const pair = [features(weekday, day, length), next] as const;
        const key = JSON.stringify(pair);
        if (!seen.has(key)) {
          seen.add(key);
          pairs.push(pair);
        }
      }
    }
  }
  return pairs;
}
