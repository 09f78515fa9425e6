import { canonicalTarget, sameTarget, type Target } from '../jobgroup/target.js';
import { type CompiledWindow, compileSchedule, occurrenceBounds, startsOn } from './compile.js';
import { toDayNumber } from './local-date.js';
import { mergeTargets } from './merge.js';
import type { Schedule } from './schema.js';
import { instantToLocal } from './tz.js';

export { canonicalTarget, mergeTargets, sameTarget };

/** What a schedule wants at one instant, and which windows (or `otherwise`) decided it. */
export interface Desired {
  readonly target: Target;
  /** Names of the active windows in declaration order, or `['otherwise']` when none is active. */
  readonly windows: readonly string[];
}

/**
 * Merges the `set` of every active window, erring towards capacity: the largest count wins and
 * `Running` beats `Stopped`. Params merge by key; validation rejects overlapping windows that disagree
 * on a key, and should one slip through, the earlier window wins.
 */
function mergeSets(windows: readonly CompiledWindow[]): Target {
  return mergeTargets(windows.map((window) => window.set));
}

/** An occurrence left out (a `skip` hold): the window's name and the local day number it starts on. */
export type SkippedOccurrence = (window: string, startDay: number) => boolean;

/** The windows with an occurrence running at `ms`, in declaration order. */
function activeWindows(
  schedule: Schedule,
  ms: number,
  zone: string,
  skipped?: SkippedOccurrence,
): CompiledWindow[] {
  const compiled = compileSchedule(schedule);
  const today = toDayNumber(instantToLocal(new Date(ms), zone));
  return compiled.windows.filter((window) =>
    // Yesterday's occurrence may run past midnight. Tomorrow's is defensive: where a fall-back crosses
    // midnight (00:30 back to 23:30), it may already run while the clock reads today again.
    [today - 1, today, today + 1].some((day) => {
      if (!startsOn(compiled, window, day)) return false;
      if (skipped?.(window.name, day)) return false;
      const [start, end] = occurrenceBounds(window, day, zone);
      return start <= ms && ms < end;
    }),
  );
}

/**
 * The target a schedule wants at `instant`. Each occurrence of a window belongs to its start date
 * (which must match `days` and not be in `except`) and runs from its `from` instant, inclusive, to its
 * `to` instant, exclusive. While any window is active the target is the capacity-safe merge of the
 * active windows' `set` (fields only `otherwise` sets are left alone); otherwise it is `otherwise`.
 * A field no applicable part of the schedule mentions is absent: never touched.
 *
 * @param schedule a schedule parsed by `ScheduleSchema` (throws on unparsed `days`/`except` text)
 * @param defaultZone the config's top-level `timezone`, used when the schedule names none
 * @example
 * desiredAt(schedule, new Date('2026-06-01T01:00:00Z'), 'Asia/Shanghai');
 * // { target: { planedJobCount: 20, status: 'Running' }, windows: ['weekday-peak'] }
 */
export function desiredAt(
  schedule: Schedule,
  instant: Date,
  defaultZone: string,
  skipped?: SkippedOccurrence,
): Desired {
  const active = activeWindows(schedule, instant.getTime(), schedule.timezone ?? defaultZone, skipped);
  if (active.length === 0) {
    return { target: canonicalTarget(schedule.otherwise ?? {}), windows: ['otherwise'] };
  }
  return { target: mergeSets(active), windows: active.map((window) => window.name) };
}
