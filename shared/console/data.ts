import type { ConfigFile } from '../config/core.js';
import { AutopilotError } from '../errors.js';
import { listHolds } from '../holds/index.js';
import { parseInstant } from '../instant.js';
import { JobGroupIdSchema } from '../jobgroup/id.js';
import type { StateStore } from '../state/store.js';
import { type FleetInput, fleetStatus } from '../status/fleet.js';
import { planEntries } from '../status/plan.js';
import { holdBands, planLanes, zoneFacts } from '../status/steps.js';
import type { OverviewResponse, PlanResponse, WirePlanEntry, WireTrack } from './wire.js';

const DAY_MS = 86_400_000;
/** The default range: a day back, six ahead — the week around now. */
export const DEFAULT_RANGE = { beforeMs: DAY_MS, afterMs: 6 * DAY_MS } as const;
/** The longest range one answer covers. */
export const MAX_RANGE_DAYS = 31;

const PLAN_QUERY = ['from', 'to', 'jobGroupId', 'view'] as const;

function invalid(field: string, message: string): AutopilotError {
  return new AutopilotError('INVALID_INPUT', { message: `${field}: ${message}`, field });
}

/** Any query parameter not in `allowed` is a 400 naming it (a misspelt `form=` must not be ignored). */
export function refuseUnknownQuery(
  query: Readonly<Record<string, string>>,
  allowed: readonly string[],
): void {
  for (const key of Object.keys(query)) {
    if (allowed.includes(key)) continue;
    const hint = allowed.find((known) => known.toLowerCase() === key.toLowerCase());
    const shown = /^[\x20-\x7e]{1,64}$/.test(key) ? `"${key}"` : 'a parameter';
    throw new AutopilotError('INVALID_INPUT', {
      message: `query: unknown parameter ${shown}${hint ? ` (did you mean "${hint}"?)` : ''}; ${allowed.length > 0 ? `only ${allowed.join(', ')} are accepted` : 'this route takes none'}.`,
      field: 'query',
    });
  }
}

function instant(query: Readonly<Record<string, string>>, field: 'from' | 'to'): number | undefined {
  const text = query[field];
  if (text === undefined) return undefined;
  const ms = parseInstant(text);
  if (!Number.isFinite(ms)) {
    throw invalid(field, 'expected an RFC 3339 instant with an offset, such as 2026-06-01T00:00:00+08:00.');
  }
  return ms;
}

export interface PlanQuery {
  readonly from: Date;
  readonly to: Date;
  readonly jobGroupId?: string;
  /** `full` (default): with planEntries; `lanes`: lanes, tracks, holds and zones only. */
  readonly view: 'full' | 'lanes';
}

/**
 * `from`, `to` (RFC 3339 instants, default the week around now: a day back, six ahead; one alone
 * gives a week from or to it), `jobGroupId` and `view` (`full`, `lanes`); the range is at most 31
 * days. Anything else is a 400 naming the field.
 */
export function parsePlanQuery(query: Readonly<Record<string, string>>, now: Date): PlanQuery {
  refuseUnknownQuery(query, PLAN_QUERY);
  const week = DEFAULT_RANGE.beforeMs + DEFAULT_RANGE.afterMs;
  const fromMs = instant(query, 'from');
  const toMs = instant(query, 'to');
  const from =
    fromMs ?? (toMs === undefined ? now.getTime() - DEFAULT_RANGE.beforeMs : (toMs as number) - week);
  const to = toMs ?? (fromMs === undefined ? now.getTime() + DEFAULT_RANGE.afterMs : from + week);
  if (to <= from) throw invalid('to', 'must be after from.');
  if (to - from > MAX_RANGE_DAYS * DAY_MS) {
    throw invalid('to', `the range is at most ${MAX_RANGE_DAYS} days; ask for a shorter one.`);
  }
  let jobGroupId: string | undefined;
  if (query.jobGroupId !== undefined) {
    const parsed = JobGroupIdSchema.safeParse(query.jobGroupId);
    if (!parsed.success) throw invalid('jobGroupId', 'a job group id is 1-64 letters, digits, "_" or "-".');
    jobGroupId = parsed.data;
  }
  const view = query.view ?? 'full';
  if (view !== 'full' && view !== 'lanes') throw invalid('view', 'must be full or lanes.');
  return { from: new Date(from), to: new Date(to), view, ...(jobGroupId !== undefined && { jobGroupId }) };
}

const collator = new Intl.Collator('en', { numeric: true });

/**
 * The plan over a range: `planEntries` with the store's holds (what `autopilot plan` prints), each
 * group's lane with its track of steps (shared by the groups that do the same), the marked days and
 * unusual changes of each track, the holds as bands and each zone's DST changes and midnights. Lanes
 * cover the groups of the schedules, the registry and the holds; nothing is read from CityVisual.
 * `view: lanes` leaves the per-group entries out: for 500 groups they are most of the answer, and the
 * page draws from the tracks.
 */
export async function planAnswer(
  config: Pick<ConfigFile, 'schedules' | 'timezone' | 'jobGroups'>,
  store: StateStore,
  query: PlanQuery,
  now: Date,
): Promise<PlanResponse> {
  const all = await listHolds(store, query.jobGroupId, now.getTime());
  const ids = new Set<string>([
    ...config.schedules.flatMap((s) => s.jobGroupIds),
    ...Object.keys(config.jobGroups),
    ...all.map((hold) => hold.jobGroupId),
  ]);
  const jobGroupIds = [...ids]
    .filter((id) => query.jobGroupId === undefined || id === query.jobGroupId)
    .sort(collator.compare);
  const { lanes, tracks: steps } = planLanes(config, all, query.from, query.to, jobGroupIds);
  // One group per track tells the track's marks: the groups sharing it have the same entries.
  const representative = new Map<string, string>();
  for (const lane of lanes)
    if (!representative.has(lane.track)) representative.set(lane.track, lane.jobGroupId);
  const wanted = new Set(representative.values());
  // The full view lists every group's entries; the lanes view needs only one group's per track.
  const entries =
    query.view === 'full'
      ? planEntries(config, all, query.from, query.to, query.jobGroupId)
      : [...wanted].flatMap((id) => planEntries(config, all, query.from, query.to, id));
  const byGroup = new Map<string, WirePlanEntry[]>();
  for (const entry of entries) {
    if (!wanted.has(entry.jobGroupId)) continue;
    const list = byGroup.get(entry.jobGroupId);
    if (list) list.push(entry);
    else byGroup.set(entry.jobGroupId, [entry]);
  }
  const tracks: Record<string, WireTrack> = {};
  for (const [track, jobGroupId] of representative) {
    const own = byGroup.get(jobGroupId) ?? [];
    tracks[track] = {
      steps: steps[track] ?? [],
      days: own.flatMap((e) =>
        e.kind === 'change'
          ? []
          : [
              {
                kind: e.kind,
                date: e.date,
                at: e.at,
                windows: e.windows,
                ...(e.calendar !== undefined && { calendar: e.calendar }),
                ...(e.as !== undefined && { as: e.as }),
              },
            ],
      ),
      marks: own.flatMap((e) =>
        e.kind === 'change' && (e.skipped || e.dst)
          ? [
              {
                at: e.at,
                local: e.local,
                window: e.window,
                ...(e.skipped && { skipped: e.skipped }),
                ...(e.dst && { dst: e.dst }),
              },
            ]
          : [],
      ),
    };
  }
  const zones = [...new Set([config.timezone, ...lanes.map((lane) => lane.zone)])].map((zone) =>
    zoneFacts(zone, query.from, query.to),
  );
  return {
    from: query.from.toISOString(),
    to: query.to.toISOString(),
    at: now.toISOString(),
    timezone: config.timezone,
    view: query.view,
    ...(query.view === 'full' && { entries }),
    lanes,
    tracks,
    holds: holdBands(config, all, query.from, query.to, now.getTime()),
    zones,
  };
}

/** Every group's status for the page's table: one answer for the whole fleet. */
export async function overviewAnswer(input: FleetInput): Promise<OverviewResponse> {
  return fleetStatus(input);
}
