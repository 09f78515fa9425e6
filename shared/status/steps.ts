import type { ConfigFile } from '../config/core.js';
import { type Hold, holdsByGroup, withTimeLeft } from '../holds/index.js';
import type { Target } from '../jobgroup/target.js';
import { compileSchedule, occurrenceBounds } from '../schedule/compile.js';
import { instantToLocal, localToInstant, planTransitions, type Schedule } from '../schedule/index.js';
import { formatIsoDate, fromDayNumber, parseIsoDate, toDayNumber } from '../schedule/local-date.js';
import { type Decider, effectiveDesired } from './index.js';
import { localText, offsetText } from './plan.js';

/** Why the desired state may change at a step's instant. */
export type StepCause = 'range-start' | 'schedule' | 'hold-start' | 'hold-end';

/** One step of a group's desired state over a range: in force from `at` until the next step. */
export interface PlanStep {
  readonly at: string;
  /** `2026-10-10 07:30` in the lane's zone, and the UTC offset then. */
  readonly local: string;
  readonly offset: string;
  readonly cause: StepCause;
  /** What automation wants from `at` (schedule, then holds), and what decided each field. */
  readonly target: Target;
  readonly decidedBy: Readonly<Record<string, Decider>>;
  readonly paused: boolean;
}

/**
 * A group's lane over a range: its steps are `tracks[track]`. Groups of one schedule without holds
 * share one track (they do the same thing), so a fleet of 500 groups in 25 schedules answers 25 tracks.
 */
export interface PlanLane {
  readonly jobGroupId: string;
  readonly schedule: string | null;
  readonly zone: string;
  /** `schedule:<name>`, `group:<id>` (a group with holds of its own) or `none` (no schedule, no hold). */
  readonly track: string;
}

export interface PlanLanes {
  readonly lanes: readonly PlanLane[];
  readonly tracks: Readonly<Record<string, readonly PlanStep[]>>;
}

/** A hold as a band over the range: from the instant it takes effect (a skip: its occurrence) to its end. */
export type HoldBand = Hold & {
  readonly secondsLeft: number;
  readonly band: { from: string; until: string };
};

const sameStep = (a: PlanStep, b: Omit<PlanStep, 'at' | 'local' | 'offset' | 'cause'>) =>
  a.paused === b.paused &&
  JSON.stringify(a.target) === JSON.stringify(b.target) &&
  JSON.stringify(a.decidedBy) === JSON.stringify(b.decidedBy);

/** The instants in `(from, to]` a schedule's target changes (the same for each of its groups). */
function scheduleInstants(schedule: Schedule, defaultZone: string, from: Date, to: Date): number[] {
  // The schedule itself, not a copy: its calendar is linked in as a non-enumerable property.
  const instants = new Set<number>();
  for (const t of planTransitions([schedule], defaultZone, from, to)) instants.add(t.at.getTime());
  return [...instants];
}

function stepsOf(
  schedule: Schedule | undefined,
  holds: readonly Hold[],
  instants: ReadonlyMap<number, StepCause>,
  zone: string,
  defaultZone: string,
): PlanStep[] {
  const steps: PlanStep[] = [];
  for (const [ms, cause] of [...instants].sort((a, b) => a[0] - b[0])) {
    const at = new Date(ms);
    const desired = effectiveDesired(schedule, holds, at, defaultZone);
    const next = { target: desired.target, decidedBy: desired.decidedBy, paused: desired.paused };
    const last = steps.at(-1);
    if (last && sameStep(last, next)) continue;
    steps.push({
      at: at.toISOString(),
      local: localText(at, zone),
      offset: offsetText(at, zone),
      cause,
      ...next,
    });
  }
  return steps;
}

/**
 * Each group's desired state over `[from, to]` as steps, holds applied: the state at `from`, then one
 * step wherever the schedule, a hold's start or a hold's end changes it (target, pause, or what decides
 * it). The same decision function as status and the scheduler ({@link effectiveDesired}), evaluated at
 * every instant something can change, so the console draws exactly what automation will do.
 */
export function planLanes(
  config: Pick<ConfigFile, 'schedules' | 'timezone'>,
  holds: readonly Hold[],
  from: Date,
  to: Date,
  jobGroupIds: readonly string[],
): PlanLanes {
  const scheduleOf = new Map<string, Schedule>();
  for (const schedule of config.schedules)
    for (const id of schedule.jobGroupIds) scheduleOf.set(id, schedule);
  const byGroup = holdsByGroup(holds);
  const tracks: Record<string, PlanStep[]> = {};
  const lanes: PlanLane[] = [];
  for (const jobGroupId of jobGroupIds) {
    const schedule = scheduleOf.get(jobGroupId);
    const zone = schedule?.timezone ?? config.timezone;
    const held = byGroup.get(jobGroupId) ?? [];
    const track = held.length > 0 ? `group:${jobGroupId}` : schedule ? `schedule:${schedule.name}` : 'none';
    if (!tracks[track]) {
      const instants = new Map<number, StepCause>([[from.getTime(), 'range-start']]);
      if (schedule) {
        for (const ms of scheduleInstants(schedule, config.timezone, from, to)) instants.set(ms, 'schedule');
      }
      for (const hold of held) {
        const start = Date.parse(hold.from);
        const end = Date.parse(hold.until);
        if (start > from.getTime() && start <= to.getTime()) instants.set(start, 'hold-start');
        if (end > from.getTime() && end <= to.getTime()) instants.set(end, 'hold-end');
      }
      tracks[track] = stepsOf(schedule, held, instants, zone, config.timezone);
    }
    lanes.push({ jobGroupId, schedule: schedule?.name ?? null, zone, track });
  }
  return { lanes, tracks };
}

/** Each hold that overlaps `[from, to]`, with its band: a skip's is its occurrence, a pin's or pause's its span. */
export function holdBands(
  config: Pick<ConfigFile, 'schedules' | 'timezone'>,
  holds: readonly Hold[],
  from: Date,
  to: Date,
  now = Date.now(),
): HoldBand[] {
  const bands: HoldBand[] = [];
  for (const hold of holds) {
    let start = Date.parse(hold.from);
    if (hold.kind === 'skip') {
      const schedule = config.schedules.find((s) => s.name === hold.schedule);
      const window = schedule && compileSchedule(schedule).windows.find((w) => w.name === hold.window);
      const date = parseIsoDate(hold.date ?? '');
      if (schedule && window && date) {
        [start] = occurrenceBounds(window, toDayNumber(date), schedule.timezone ?? config.timezone);
      }
    }
    const end = Date.parse(hold.until);
    if (end <= from.getTime() || start > to.getTime()) continue;
    bands.push({
      ...withTimeLeft(hold, now),
      band: { from: new Date(start).toISOString(), until: new Date(end).toISOString() },
    });
  }
  return bands;
}

/** Where a zone's UTC offset changes (DST), and its local midnights, over a range. */
export interface ZoneFacts {
  readonly zone: string;
  readonly offsetChanges: ReadonlyArray<{
    readonly at: string;
    readonly before: string;
    readonly after: string;
    /** The local wall-clock time just after the change. */
    readonly local: string;
  }>;
  readonly midnights: ReadonlyArray<{ readonly date: string; readonly at: string }>;
}

const HOUR_MS = 3_600_000;

/**
 * The offset changes and local midnights of `zone` in `[from, to]`: the console marks DST changes and
 * day lines with them instead of working out time zones itself. Offsets are sampled hourly (every zone
 * changes at most once in an hour) and each change is found to the millisecond.
 */
export function zoneFacts(zone: string, from: Date, to: Date): ZoneFacts {
  const offsetChanges: Array<ZoneFacts['offsetChanges'][number]> = [];
  let previousMs = from.getTime();
  let previous = offsetText(from, zone);
  for (let ms = previousMs + HOUR_MS; ; ms += HOUR_MS) {
    const at = Math.min(ms, to.getTime());
    const offset = offsetText(new Date(at), zone);
    if (offset !== previous) {
      let lo = previousMs;
      let hi = at;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (offsetText(new Date(mid), zone) === previous) lo = mid;
        else hi = mid;
      }
      offsetChanges.push({
        at: new Date(hi).toISOString(),
        before: previous,
        after: offset,
        local: localText(new Date(hi), zone),
      });
      previous = offset;
    }
    previousMs = at;
    if (at >= to.getTime()) break;
  }
  const midnights: Array<ZoneFacts['midnights'][number]> = [];
  for (let number = toDayNumber(instantToLocal(from, zone)); ; number++) {
    const day = fromDayNumber(number);
    const at = localToInstant({ ...day, hour: 0, minute: 0 }, zone);
    if (at.getTime() > to.getTime()) break;
    if (at.getTime() >= from.getTime()) midnights.push({ date: formatIsoDate(day), at: at.toISOString() });
  }
  return { zone, offsetChanges, midnights };
}
