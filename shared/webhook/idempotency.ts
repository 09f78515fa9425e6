import * as crypto from 'node:crypto';
import { AutopilotError } from '../errors.js';
import type { HttpRequest } from '../fc/http.js';
import { KEYS } from '../state/keys.js';
import type { StateStore, StoredRecord } from '../state/store.js';
import type { Caller } from './auth.js';

/** A finished request's answer is kept this long (Standard Webhooks senders retry for about a day). */
export const IDEMPOTENCY_KEEP_MS = 24 * 3_600_000;
/** Past the invocation deadline, an in-progress claim of a crashed instance frees itself after this. */
const IN_PROGRESS_GRACE_MS = 5_000;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,256}$/;

interface IdempotencyValue {
  readonly state: 'in-progress' | 'completed';
  /** SHA-256 of method, path, query and body: the same id for another request is refused. */
  readonly fingerprint: string;
  readonly status?: number;
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A claimed id: complete it with the answer, or release it so a retry runs again. */
export interface IdempotencyClaim {
  readonly key: string;
  readonly record: StoredRecord;
  readonly fingerprint: string;
}

export type ClaimOutcome =
  | { readonly kind: 'none' }
  | { readonly kind: 'claimed'; readonly claim: IdempotencyClaim }
  | {
      readonly kind: 'replay';
      readonly status: number;
      readonly body: string;
      readonly headers: Readonly<Record<string, string>>;
    };

/**
 * The id that makes a request idempotent: a signed request's `webhook-id` (Standard Webhooks keeps it
 * across a sender's retries), or a bearer caller's `Idempotency-Key`. Scoped by how the caller
 * authenticated, so one caller's ids cannot collide with another's.
 */
export function idempotencyKeyOf(request: HttpRequest, caller: Caller): string | undefined {
  if (caller.via === 'signature')
    return caller.webhookId && KEYS.idempotency('sig', keyPart(caller.webhookId));
  const key = request.headers['idempotency-key'];
  if (key === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(key)) {
    throw new AutopilotError('INVALID_INPUT', {
      message: 'Idempotency-Key: must be 1-256 printable ASCII characters.',
      field: 'Idempotency-Key',
    });
  }
  // Scoped by the token itself, not its name or position: reordering WEBHOOK_TOKENS moves no id.
  return KEYS.idempotency(
    `bearer-${caller.tokenFingerprint ?? caller.who.replace(/[^A-Za-z0-9_.:@-]/g, '_')}`,
    keyPart(key),
  );
}

/** An id as a key part: as sent when short and plain, else its SHA-256 (a store key is at most 512 bytes). */
function keyPart(id: string): string {
  return /^[A-Za-z0-9_.:@-]{1,128}$/.test(id)
    ? id
    : `sha256-${crypto.createHash('sha256').update(id).digest('hex')}`;
}

function fingerprintOf(request: HttpRequest): string {
  // (Most requests have no query: no URLSearchParams for them.)
  const query =
    Object.keys(request.query).length === 0
      ? ''
      : new URLSearchParams(request.query as Record<string, string>).toString();
  return crypto
    .createHash('sha256')
    .update(`${request.method} ${request.rawPath}?${query}\n`)
    .update(request.body)
    .digest('hex');
}

/**
 * Claims the request's id with a create-only write before anything is sent, on any instance: a repeat of
 * a finished request gets its stored answer again; a repeat while the first still runs is 409
 * REQUEST_IN_PROGRESS; the same id for a different request is 422 IDEMPOTENCY_KEY_REUSED. A store that
 * cannot be reached throws STATE_UNAVAILABLE (503): nothing is sent.
 */
export async function claimRequest(
  store: StateStore,
  key: string | undefined,
  request: HttpRequest,
  deadline: number,
  now = Date.now(),
): Promise<ClaimOutcome> {
  if (key === undefined) return { kind: 'none' };
  const fingerprint = fingerprintOf(request);
  const value: IdempotencyValue = { state: 'in-progress', fingerprint };
  const expiresAt = Math.max(deadline, now) + IN_PROGRESS_GRACE_MS;
  const created = await store.create(key, { ...value }, { expiresAt });
  if (created.ok) return { kind: 'claimed', claim: { key, record: created.record, fingerprint } };
  const existing = created.existing.value as unknown as IdempotencyValue;
  if (existing.fingerprint !== fingerprint) throw new AutopilotError('IDEMPOTENCY_KEY_REUSED');
  if (existing.state === 'completed' && existing.status !== undefined && existing.body !== undefined) {
    return { kind: 'replay', status: existing.status, body: existing.body, headers: existing.headers ?? {} };
  }
  const left = (created.existing.expiresAt ?? now + 1_000) - now;
  throw new AutopilotError('REQUEST_IN_PROGRESS', {
    retryAfterSeconds: Math.min(60, Math.max(1, Math.ceil(left / 1000))),
  });
}

/** Stores the final answer with the claim (kept 24 hours). A store failure here loses only the replay. */
export async function completeRequest(
  store: StateStore,
  claim: IdempotencyClaim,
  answer: { status: number; body: string; headers: Readonly<Record<string, string>> },
  now = Date.now(),
): Promise<boolean> {
  const value: IdempotencyValue = { state: 'completed', fingerprint: claim.fingerprint, ...answer };
  const result = await store.update(
    claim.key,
    { ...value },
    {
      expectedVersion: claim.record.version,
      expiresAt: now + IDEMPOTENCY_KEEP_MS,
    },
  );
  return result.ok;
}

/** Frees the id after a failure, so the sender's retry runs again. */
export async function releaseRequest(store: StateStore, claim: IdempotencyClaim): Promise<void> {
  await store.delete(claim.key, { expectedVersion: claim.record.version });
}
