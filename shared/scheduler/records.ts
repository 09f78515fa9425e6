import { createHash } from 'node:crypto';
import { toAutopilotError } from '../errors.js';
import type { Target } from '../jobgroup/target.js';
import { logger } from '../log.js';
import type { Schedule } from '../schedule/index.js';
import { KEYS } from '../state/keys.js';
import type { StateStore, StoredRecord } from '../state/store.js';

/** What the scheduler last applied to a group: the record schedules converge against. */
export interface ScheduledRecord {
  /** The desired state applied (fields the schedule set at that instant). */
  readonly set: Target;
  readonly schedule: string;
  readonly window: string;
  /** Digest of the schedule's definition when it was applied (a config edit shows as a new digest). */
  readonly configDigest: string;
  readonly at: string;
}

/** Records are kept while a group is scheduled; a year without a tick lets them go. */
const RECORD_MS = 366 * 86_400_000;
const digests = new WeakMap<Schedule, string>();

/** A short digest of one schedule's definition. */
export function scheduleDigest(schedule: Schedule): string {
  let digest = digests.get(schedule);
  if (digest === undefined) {
    // The calendar it names is part of it (linked in, not serialised with the schedule).
    const text = JSON.stringify(schedule) + JSON.stringify(schedule.calendarSpec ?? null);
    digest = createHash('sha256').update(text).digest('hex').slice(0, 16);
    digests.set(schedule, digest);
  }
  return digest;
}

/**
 * The groups' records, by job group id: every group's (one prefix read: a fleet's records in a few
 * pages), or only those of `only` (a fan-out shard: its own rows, 100 to a read, not the whole fleet's).
 */
export async function readScheduled(
  store: StateStore,
  only?: readonly string[],
): Promise<Map<string, StoredRecord>> {
  const prefix = KEYS.scheduled('').length;
  const records = only
    ? (await store.getMany(only.map((id) => KEYS.scheduled(id)))).values()
    : await store.list(KEYS.scheduled(''), { limit: 1_000_000 });
  const out = new Map<string, StoredRecord>();
  for (const record of records) out.set(record.key.slice(prefix), record);
  return out;
}

/**
 * Writes a group's record after the scheduler brought it to `value.set` (or found it there). A
 * concurrent writer (a retried tick, an overlapping shard) that got there first wrote the same desired
 * state: the conflict is left alone. A store failure is logged: the change happened, and the missing
 * record only makes the next tick send it again (an absolute target, so harmless).
 */
export async function writeScheduled(
  store: StateStore,
  jobGroupId: string,
  value: ScheduledRecord,
  previous: StoredRecord | undefined,
  now = Date.now(),
): Promise<void> {
  const key = KEYS.scheduled(jobGroupId);
  const expiresAt = now + RECORD_MS;
  try {
    if (previous) await store.update(key, { ...value }, { expectedVersion: previous.version, expiresAt });
    else await store.create(key, { ...value }, { expiresAt });
  } catch (thrown) {
    logger.warn('schedule record not written; the next tick sends this group again', {
      jobGroupId,
      code: toAutopilotError(thrown).code,
    });
  }
}
