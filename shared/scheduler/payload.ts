import { z } from 'zod';
import { MAX_SHARD_SIZE } from '../config/core.js';
import { AutopilotError } from '../errors.js';
import {
  BatchSchema,
  type Change,
  changeSchemaFor,
  expandMultiChange,
  multiChangeSchemaFor,
} from '../intent/index.js';
import { JobGroupIdSchema } from '../jobgroup/id.js';
import { lazySchema } from '../lazy-schema.js';
import { parseOrThrow } from '../validation.js';

/**
 * `{"action": "reconcile"}`: evaluate the config's schedules at this tick and apply what is due. With
 * `jobGroupIds` it is a fan-out shard: only those groups are reconciled, and a shard never fans out
 * again.
 */
export const ReconcilePayloadSchema = lazySchema(() =>
  z
    .strictObject({
      action: z.literal('reconcile'),
      jobGroupIds: z.array(JobGroupIdSchema).min(1).optional(),
      /** A shard's listing pages (DescribeJobGroups, PageSize 100) where its parent saw its groups. */
      pages: z.array(z.number().int().min(1).max(2_147_483_647)).min(1).max(MAX_SHARD_SIZE).optional(),
      /** This invocation's share of `reconcile.qps` (never more than the whole budget). */
      qps: z.number().positive().max(1_000).optional(),
    })
    .refine((payload) => payload.pages === undefined || payload.jobGroupIds !== undefined, {
      message: 'pages belong to a shard: give them with jobGroupIds',
      path: ['pages'],
    }),
);
export type ReconcilePayload = z.infer<typeof ReconcilePayloadSchema>;

/** A timer payload, decoded: either a reconcile or a list of changes to apply as they are. */
export type TimerPayload =
  | {
      readonly kind: 'reconcile';
      readonly shard?: readonly string[];
      readonly pages?: readonly number[];
      readonly qps?: number;
    }
  | { readonly kind: 'changes'; readonly action: string; readonly changes: readonly Change[] };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The timer trigger's payload (already JSON-decoded) → what to do, validated with the webhook's own
 * schemas: `{"action": "reconcile"[, "jobGroupIds": […]]}`, the multi-group form
 * `{"action": "stop", "jobGroupIds": ["3", "7"]}`, the single-group form with `jobGroupId`, or the batch
 * form `{"changes": […]}`. The whole payload is checked before anything is sent: one bad change
 * fails the tick with INVALID_INPUT naming its field (`payload.changes[1].planedJobCount`), so a
 * mistyped trigger never half-applies.
 *
 * @example
 * parseTimerPayload({ action: 'scale', jobGroupIds: ['3'], planedJobCount: 4 });
 * // { kind: 'changes', action: 'scale', changes: [{ action: 'scale', jobGroupId: '3', planedJobCount: 4 }] }
 */
export function parseTimerPayload(payload: unknown): TimerPayload {
  if (!isObject(payload) || (payload.action === undefined && payload.changes === undefined)) {
    throw new AutopilotError('INVALID_INPUT', {
      message:
        'payload: expected a JSON action such as {"action": "reconcile"}, {"action": "stop", "jobGroupIds": ["3"]} or {"changes": [...]}',
      field: 'payload',
    });
  }
  if (payload.changes !== undefined && payload.action === undefined) {
    const batch = parseOrThrow(BatchSchema, payload, 'payload');
    const changes = batch.changes.map((change, index) =>
      parseOrThrow(changeSchemaFor(change), change, `payload.changes[${index}]`),
    );
    return { kind: 'changes', action: 'batch', changes };
  }
  if (payload.action === 'reconcile') {
    const reconcile = parseOrThrow(ReconcilePayloadSchema, payload, 'payload');
    return {
      kind: 'reconcile',
      ...(reconcile.jobGroupIds && { shard: [...new Set(reconcile.jobGroupIds)] }),
      ...(reconcile.pages && { pages: [...new Set(reconcile.pages)] }),
      ...(reconcile.qps !== undefined && { qps: reconcile.qps }),
    };
  }
  if (payload.jobGroupId !== undefined && payload.jobGroupIds === undefined) {
    const change = parseOrThrow(changeSchemaFor(payload), payload, 'payload');
    return { kind: 'changes', action: change.action, changes: [change] };
  }
  const multi = parseOrThrow(multiChangeSchemaFor(payload), payload, 'payload');
  return { kind: 'changes', action: multi.action, changes: expandMultiChange(multi) };
}
