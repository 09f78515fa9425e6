import { AutopilotError } from '../errors.js';
import { STORE_KEY } from './store.js';

/**
 * The key layout: `<kind>/<id…>`, one prefix per concern, so a concern lists its records with one
 * prefix read. Ids inside keys are job group ids (CLARIFICATIONS 3: letters, digits, `_`, `-`) or
 * values this product made; anything else is encoded by the caller.
 */
export const KEYS = {
  /** A webhook-id (signed) or Idempotency-Key (bearer) claim and its stored response. */
  idempotency: (scope: string, id: string) => `idem/${scope}/${encodeKeyPart(id)}`,
  /** The desired state the scheduler last applied to a group. */
  scheduled: (jobGroupId: string) => `sched/${jobGroupId}`,
  /** The time of the newest applied event per group. */
  eventOrder: (jobGroupId: string) => `evt/${jobGroupId}`,
  /** One applied change; `at` is a fixed-width timestamp so a prefix read lists a group's history in order. */
  history: (jobGroupId: string, at: number, unique: string) =>
    `hist/${jobGroupId}/${String(at).padStart(15, '0')}-${unique}`,
  /** A hold on a group (pin, pause, skip); its id already names the group. */
  hold: (jobGroupId: string, holdId: string) => `hold/${jobGroupId}/${encodeKeyPart(holdId)}`,
  /** A notification channel's sends of the last minute and cool-down (its name is [A-Za-z0-9_-]). */
  notifyBudget: (channel: string) => `notify/${channel}`,
  holdPrefix: (jobGroupId?: string) => (jobGroupId === undefined ? 'hold/' : `hold/${jobGroupId}/`),
  historyPrefix: (jobGroupId?: string) => (jobGroupId === undefined ? 'hist/' : `hist/${jobGroupId}/`),
} as const;

const PLAIN_PART = /^[A-Za-z0-9_.-]*$/;

/** Encodes a caller-chosen part (a webhook-id may hold `/`) so keys stay printable and prefix-safe. */
export function encodeKeyPart(part: string): string {
  // Most parts (ids, webhook-ids) have nothing to encode.
  if (PLAIN_PART.test(part)) return part;
  return encodeURIComponent(part).replace(
    /[!'()*~]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** A key that cannot be a primary key is a bug of ours, never input: fail loudly. */
export function checkKey(key: string): void {
  if (!STORE_KEY.test(key))
    throw new AutopilotError('INTERNAL', { message: 'A state store key is malformed.' });
}
