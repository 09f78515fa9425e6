import { isoWeekdayOf, toDayNumber, wallClockMs } from './local-date.js';

/** A wall-clock date and time in some zone, to the minute: what `from` and `to` resolve from. */
export interface LocalDateTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
}

/** What an instant reads on a wall clock in some zone; `weekday` is ISO: 1 = Monday … 7 = Sunday. */
export interface LocalReading extends LocalDateTime {
  readonly second: number;
  readonly weekday: number;
}

const DAY_MS = 86_400_000;

// Building an Intl.DateTimeFormat costs far more than using one, and every evaluation needs one.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      // h23, not hour12: false: the latter prints midnight as "24" on some ICU versions.
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, formatter);
  }
  return formatter;
}

// Listing Intl's canonical zones costs about a millisecond; the first formatter costs ~10 ms of ICU
// start-up, which a cold start that never evaluates a schedule (webhook, events) would pay only to
// validate the config's zone names. Anything not listed (aliases, other casing) still asks a formatter.
let listed: ReadonlySet<string> | undefined;
function listedTimeZones(): ReadonlySet<string> {
  // "UTC" is one every implementation must accept (ECMA-402); the list holds canonical IANA names only.
  listed ??= new Set([...Intl.supportedValuesOf('timeZone'), 'UTC']);
  return listed;
}

/**
 * True when `Intl` knows the zone (IANA names and their aliases, case-insensitive).
 *
 * @example
 * isValidTimeZone('Asia/Shanghai'); // true
 * isValidTimeZone('Asia/Shangai');  // false
 */
export function isValidTimeZone(zone: string): boolean {
  if (zone.trim() === '') return false;
  if (listedTimeZones().has(zone)) return true;
  try {
    formatterFor(zone);
    return true;
  } catch {
    return false;
  }
}

/** The wall clock of `ms` in `zone` as if it were UTC, to the second, plus the instant's sub-second part. */
function wallClockAt(ms: number, zone: string): number {
  const fields: Record<string, string> = {};
  for (const part of formatterFor(zone).formatToParts(new Date(ms))) fields[part.type] = part.value;
  const year = fields.era === 'BC' || fields.era === 'B' ? 1 - Number(fields.year) : Number(fields.year);
  const wall = wallClockMs(
    year,
    Number(fields.month),
    Number(fields.day),
    Number(fields.hour),
    Number(fields.minute),
    Number(fields.second),
  );
  return wall + (((ms % 1000) + 1000) % 1000);
}

/** UTC offset of `zone` at instant `ms`, in milliseconds (positive east of Greenwich). */
function offsetAt(ms: number, zone: string): number {
  return wallClockAt(ms, zone) - ms;
}

/**
 * What instant `date` reads on a wall clock in `zone`.
 *
 * @example
 * instantToLocal(new Date('2026-03-08T07:00:00Z'), 'America/New_York');
 * // { year: 2026, month: 3, day: 8, hour: 3, minute: 0, second: 0, weekday: 7 }
 */
export function instantToLocal(date: Date, zone: string): LocalReading {
  const wall = new Date(wallClockAt(date.getTime(), zone));
  const year = wall.getUTCFullYear();
  const month = wall.getUTCMonth() + 1;
  const day = wall.getUTCDate();
  return {
    year,
    month,
    day,
    hour: wall.getUTCHours(),
    minute: wall.getUTCMinutes(),
    second: wall.getUTCSeconds(),
    weekday: isoWeekdayOf(toDayNumber({ year, month, day })),
  };
}

// Evaluating a schedule minute by minute resolves the same few wall-clock times over and over.
const resolved = new Map<string, number>();
const RESOLVED_LIMIT = 100_000;

/**
 * Epoch milliseconds of {@link localToInstant}; the form the evaluator compares, without allocating Dates.
 * @internal
 */
export function localToEpochMs(local: LocalDateTime, zone: string): number {
  const key = `${zone}|${local.year}|${local.month}|${local.day}|${local.hour}|${local.minute}`;
  const cached = resolved.get(key);
  if (cached !== undefined) return cached;
  const result = resolve(wallClockMs(local.year, local.month, local.day, local.hour, local.minute), zone);
  if (resolved.size >= RESOLVED_LIMIT) resolved.clear();
  resolved.set(key, result);
  return result;
}

function resolve(wall: number, zone: string): number {
  // A day either side is clear of any transition that could matter here, so these are the two
  // offsets in force around `wall`; at most one transition lies between them.
  const offsets = new Set([offsetAt(wall - DAY_MS, zone), offsetAt(wall + DAY_MS, zone)]);
  let earliest = Number.POSITIVE_INFINITY;
  for (const offset of offsets) {
    const candidate = wall - offset;
    if (offsetAt(candidate, zone) === offset) earliest = Math.min(earliest, candidate);
  }
  // One valid candidate: an ordinary time. Two: a fall-back overlap, and the rule takes the first.
  if (earliest !== Number.POSITIVE_INFINITY) return earliest;
  // None: `wall` is in a spring-forward gap. The rule takes the first instant after the gap, which is
  // the transition itself; bisect for it (transitions fall on whole seconds).
  const [lowOffset, highOffset] = [Math.min(...offsets), Math.max(...offsets)];
  let before = Math.floor((wall - highOffset) / 1000);
  let after = Math.ceil((wall - lowOffset) / 1000);
  const offsetBefore = offsetAt(before * 1000, zone);
  while (after - before > 1) {
    const middle = Math.floor((before + after) / 2);
    if (offsetAt(middle * 1000, zone) === offsetBefore) before = middle;
    else after = middle;
  }
  return after * 1000;
}

/**
 * The instant a wall-clock time in `zone` names. Ambiguous times resolve like the schedules promise
 * (CLARIFICATIONS 1): in a spring-forward gap, the first instant after the gap; in a fall-back
 * overlap, the first (earlier) occurrence.
 *
 * @example
 * localToInstant({ year: 2026, month: 3, day: 8, hour: 2, minute: 30 }, 'America/New_York');
 * // 2026-03-08T07:00:00.000Z (03:00 EDT: the gap ends there)
 * localToInstant({ year: 2026, month: 11, day: 1, hour: 1, minute: 30 }, 'America/New_York');
 * // 2026-11-01T05:30:00.000Z (01:30 EDT, the first of the two 01:30s)
 */
export function localToInstant(local: LocalDateTime, zone: string): Date {
  return new Date(localToEpochMs(local, zone));
}
