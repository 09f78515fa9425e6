import { AutopilotError, ERROR_TABLE, isErrorCode, type PublicError, toAutopilotError } from '../errors.js';
import type { ChangeSource } from '../history/index.js';
import { type Change, type ChangeAction, changeSchemaFor, toIntent } from '../intent/index.js';
import { type ApplyDeps, type ApplyResult, applyIntent } from '../jobgroup/apply.js';
import { JobGroupIdSchema } from '../jobgroup/id.js';
import { validationError } from '../validation.js';
import type { AuditChange, AuditFacts } from './audit.js';

/** The success body of a single-group route. `requestId` is CityVisual's, null when nothing was sent. */
export interface ChangeSuccess {
  readonly jobGroupId: string;
  readonly changed: boolean;
  readonly dryRun: boolean;
  readonly requestId: string | null;
  /** The ModifyJobGroup parameters sent (or, on a dry run, that would be sent); `{}` for a no-op. */
  readonly applied: Readonly<Record<string, string>>;
}

/** One result of a batch, in request order: a success, or the error body a single route would send. */
export type BatchEntry =
  | ({ readonly index: number; readonly action: ChangeAction; readonly status: 200 } & ChangeSuccess)
  | {
      readonly index: number;
      readonly jobGroupId?: string;
      readonly action?: string;
      readonly status: number;
      readonly error: PublicError;
    };

export interface ApplyContext {
  readonly deps: () => ApplyDeps;
  readonly dryRun: boolean;
  readonly deadline: number;
  readonly audit?: AuditFacts;
  /** Who asked, for the history record. */
  readonly source?: ChangeSource;
}

/** applyIntent's result → the success body (stable keys: `requestId` is null, never absent). */
export function toSuccess(result: ApplyResult): ChangeSuccess {
  return {
    jobGroupId: result.jobGroupId,
    changed: result.changed,
    dryRun: result.dryRun,
    requestId: result.requestId ?? null,
    applied: result.applied,
  };
}

/** Which outcome word the audit line uses for a result. */
export function outcomeOf(result: ApplyResult): 'changed' | 'unchanged' | 'planned' {
  if (!result.changed) return 'unchanged';
  return result.dryRun ? 'planned' : 'changed';
}

/** Runs one validated change: plan, and one ModifyJobGroup unless it is a dry run or a no-op. */
export async function applyChange(change: Change, ctx: ApplyContext): Promise<ApplyResult> {
  const result = await applyIntent(toIntent(change), ctx.deps(), {
    dryRun: ctx.dryRun,
    deadline: ctx.deadline,
    ...(ctx.source && { source: ctx.source }),
  });
  if (result.requestId !== undefined) ctx.audit?.cityVisualRequestIds.push(result.requestId);
  return result;
}

const ACTIONS: ReadonlySet<string> = new Set<ChangeAction>([
  'scale',
  'stop',
  'start',
  'set-params',
  'modify',
]);

/** Changes to different groups run this many at a time; changes to one group run in request order. */
export const BATCH_CONCURRENCY = 4;

function errorEntry(index: number, raw: unknown, error: unknown): BatchEntry {
  const e = toAutopilotError(error);
  const fields = (raw ?? {}) as { jobGroupId?: unknown; action?: unknown };
  const jobGroupId = JobGroupIdSchema.safeParse(fields.jobGroupId);
  const action = typeof fields.action === 'string' && ACTIONS.has(fields.action);
  return {
    index,
    ...(jobGroupId.success && { jobGroupId: jobGroupId.data }),
    ...(action && { action: fields.action as string }),
    status: e.status,
    error: e.toPublic(),
  };
}

function parseChange(raw: unknown, index: number): Change {
  const parsed = changeSchemaFor(raw).safeParse(raw);
  if (parsed.success) return parsed.data;
  const prefix = `changes[${index}]`;
  const idIssue = parsed.error.issues.some((i) => i.path.length === 1 && i.path[0] === 'jobGroupId');
  throw validationError(parsed.error, prefix, idIssue ? 'INVALID_JOB_GROUP_ID' : 'INVALID_INPUT');
}

/**
 * Validates and applies each change of a batch: results in request order, one per change; a failing
 * change (invalid, unknown group, upstream error) becomes its error entry and never stops the others.
 * Invalid changes cause no upstream call. Exported for routes that turn other payloads into changes.
 */
export async function applyChanges(changes: readonly unknown[], ctx: ApplyContext): Promise<BatchEntry[]> {
  const results: BatchEntry[] = new Array(changes.length);
  const byGroup = new Map<string, Array<{ index: number; change: Change }>>();
  changes.forEach((raw, index) => {
    try {
      const change = parseChange(raw, index);
      const queue = byGroup.get(change.jobGroupId);
      if (queue) queue.push({ index, change });
      else byGroup.set(change.jobGroupId, [{ index, change }]);
      if (!ctx.audit?.jobGroupIds.includes(change.jobGroupId)) ctx.audit?.jobGroupIds.push(change.jobGroupId);
    } catch (error) {
      results[index] = errorEntry(index, raw, error);
    }
  });
  const queues = [...byGroup.values()];
  let next = 0;
  const worker = async () => {
    for (let queue = queues[next++]; queue !== undefined; queue = queues[next++]) {
      for (const { index, change } of queue) {
        try {
          const result = await applyChange(change, ctx);
          results[index] = { index, action: change.action, status: 200, ...toSuccess(result) };
        } catch (error) {
          results[index] = errorEntry(index, change, error);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(BATCH_CONCURRENCY, queues.length) }, worker));
  if (ctx.audit) {
    ctx.audit.changes = results.map(auditChange);
    const failed = results.filter((r) => 'error' in r).length;
    ctx.audit.outcome = failed === 0 ? 'ok' : failed === results.length ? 'failed' : 'partial';
  }
  return results;
}

/** How a batch is answered: the status, and for a retryable one when to send it again. */
export interface BatchAnswer {
  /**
   * 207 when every change succeeded or failed for good; 503 when some change failed retryably
   * (throttled, CityVisual 5xx, timeout, deadline), 429 when one of those was throttled. Standard
   * Webhooks senders take every 2xx as delivered, so a retryable failure must not be a 2xx.
   */
  readonly status: 207 | 429 | 503;
  /** How many changes failed retryably (sending the same batch again may apply them). */
  readonly retryable: number;
  /** Seconds to wait before resending: the longest any failed change asked for, at least 1. */
  readonly retryAfterSeconds?: number;
}

/** A batch's results → its answer status ({@link BatchAnswer}); an entry's code is looked up in the table. */
export function batchAnswer(results: readonly BatchEntry[]): BatchAnswer {
  let retryable = 0;
  let throttled = false;
  let retryAfterSeconds = 1;
  for (const entry of results) {
    if (!('error' in entry)) continue;
    const { code } = entry.error;
    if (!isErrorCode(code) || !ERROR_TABLE[code].retryable) continue;
    retryable++;
    if (code.startsWith('Throttling')) throttled = true;
    retryAfterSeconds = Math.max(retryAfterSeconds, entry.error.retryAfterSeconds ?? 1);
  }
  if (retryable === 0) return { status: 207, retryable };
  return { status: throttled ? 429 : 503, retryable, retryAfterSeconds };
}

function auditChange(entry: BatchEntry): AuditChange {
  if ('error' in entry) {
    return {
      index: entry.index,
      ...(entry.jobGroupId !== undefined && { jobGroupId: entry.jobGroupId }),
      status: entry.status,
      code: entry.error.code,
      ...(entry.error.requestId !== undefined && { requestId: entry.error.requestId }),
    };
  }
  return {
    index: entry.index,
    jobGroupId: entry.jobGroupId,
    status: entry.status,
    changed: entry.changed,
    ...(entry.requestId !== null && { requestId: entry.requestId }),
  };
}

/** A PATCH body with nothing in it would send a write that changes nothing: refuse it up front. */
export function requireSomeField(body: Readonly<Record<string, unknown>>): void {
  if (Object.keys(body).length === 0) {
    throw new AutopilotError('INVALID_INPUT', {
      message:
        '(root): send at least one of jobGroupName, algoLibId, resourceProfileId, jobCount, planedJobCount, streamPerJob, status, params',
      field: '(root)',
    });
  }
}

/** The history's name for a webhook change: the caller (token name or key fingerprint) and the route. */
export function webhookSource(
  ctx: { readonly caller?: { readonly who: string } },
  route: string,
): ChangeSource {
  return { kind: 'webhook', who: ctx.caller?.who ?? 'unknown', route };
}
