import type { ConfigFile } from '../config/core.js';
import { type Hold, holdsByGroup } from '../holds/index.js';
import type { Target } from '../jobgroup/target.js';
import { compileSchedule, occurrenceBounds } from '../schedule/compile.js';
import { planTransitions, type Schedule, sameTarget } from '../schedule/index.js';
import { parseIsoDate, toDayNumber } from '../schedule/local-date.js';
import { effectiveDesired } from './index.js';

/** One change the schedules make to one group, and what the holds in force do to it. */
export interface PlanRow {
  readonly at: string;
  readonly jobGroupId: string;
  readonly schedule: string;
  /** The window (or `otherwise`) that decides the schedule's state from `at`; `hold ends` for a hold's end. */
  readonly window: string;
  /** The schedule's desired state from `at` (for a hold's end: the state automation applies then). */
  readonly set: Target;
  /** A skip removes this change: the occurrence it starts or ends does not apply. */
  readonly skipped?: { readonly holdId: string };
  /** Holds change what automation sends at `at`: what it sends instead (or nothing while paused). */
  readonly held?: {
    readonly holdIds: readonly string[];
    readonly paused: boolean;
    readonly effective: Target;
  };
  /** The row is a hold's end: automation takes the group back then. */
  readonly holdEnds?: { readonly holdId: string; readonly kind: Hold['kind'] };
}

/** The instants a skip hold removes: the start and end of its occurrence. */
function skipInstants(hold: Hold, schedule: Schedule, zone: string): number[] {
  if (hold.kind !== 'skip' || hold.schedule !== schedule.name) return [];
  const window = compileSchedule(schedule).windows.find((w) => w.name === hold.window);
  const date = parseIsoDate(hold.date ?? '');
  if (!window || !date) return [];
  return occurrenceBounds(window, toDayNumber(date), zone);
}

/**
 * The schedules' changes in `[from, to]` per group, with `holds` applied: a change a skip removes is
 * marked `skipped`, a change a pin or pause alters is marked `held` with what automation sends instead,
 * and each pin's or pause's end in the range is a row of its own. Without holds, the rows are exactly
 * `planTransitions`. What `autopilot plan --url` prints and the console draws.
 */
export function planWithHolds(
  config: Pick<ConfigFile, 'schedules' | 'timezone'>,
  holds: readonly Hold[],
  from: Date,
  to: Date,
): PlanRow[] {
  const byGroup = holdsByGroup(holds);
  const schedules = new Map<string, Schedule>();
  for (const schedule of config.schedules) for (const id of schedule.jobGroupIds) schedules.set(id, schedule);
  const rows: PlanRow[] = [];
  for (const t of planTransitions(config.schedules, config.timezone, from, to)) {
    const row: PlanRow = {
      at: t.at.toISOString(),
      jobGroupId: t.jobGroupId,
      schedule: t.schedule,
      window: t.window,
      set: t.set,
    };
    const held = byGroup.get(t.jobGroupId);
    const schedule = schedules.get(t.jobGroupId);
    if (!held || !schedule) {
      rows.push(row);
      continue;
    }
    const zone = schedule.timezone ?? config.timezone;
    const skip = held.find((hold) => skipInstants(hold, schedule, zone).includes(t.at.getTime()));
    const effective = effectiveDesired(schedule, held, t.at, config.timezone);
    const deciding = held.filter(
      (hold) =>
        hold.kind !== 'skip' &&
        Date.parse(hold.from) <= t.at.getTime() &&
        t.at.getTime() < Date.parse(hold.until),
    );
    rows.push({
      ...row,
      ...(skip && { skipped: { holdId: skip.id } }),
      ...(deciding.length > 0 &&
        (effective.paused || !sameTarget(effective.target, t.set)) && {
          held: {
            holdIds: deciding.map((hold) => hold.id),
            paused: effective.paused,
            effective: effective.target,
          },
        }),
    });
  }
  for (const hold of holds) {
    const until = Date.parse(hold.until);
    const schedule = schedules.get(hold.jobGroupId);
    if (hold.kind === 'skip' || until <= from.getTime() || until > to.getTime()) continue;
    const after = effectiveDesired(
      schedule,
      holds.filter((h) => h.jobGroupId === hold.jobGroupId),
      new Date(until),
      config.timezone,
    );
    rows.push({
      at: new Date(until).toISOString(),
      jobGroupId: hold.jobGroupId,
      schedule: schedule?.name ?? '',
      window: 'hold ends',
      set: after.target,
      holdEnds: { holdId: hold.id, kind: hold.kind },
      ...(after.paused && {
        held: {
          holdIds: holds
            .filter((h) => h.jobGroupId === hold.jobGroupId && h.kind === 'pause')
            .map((h) => h.id),
          paused: true,
          effective: after.target,
        },
      }),
    });
  }
  return rows.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.jobGroupId < b.jobGroupId ? -1 : 1));
}
