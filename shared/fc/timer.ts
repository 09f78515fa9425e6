import { z } from 'zod';
import { AutopilotError } from '../errors.js';
import { parseInstant } from '../instant.js';
import { parseJsonSafe } from '../json.js';
import { lazySchema } from '../lazy-schema.js';

/**
 * FC timer trigger event, delivered as a Buffer: `payload` is the string configured on the trigger.
 * https://www.alibabacloud.com/help/en/functioncompute/fc/user-guide/time-triggers
 */
export const FcTimerEventSchema = lazySchema(() =>
  z.looseObject({
    // Read with parseInstant below, so a bad one is named as such (and read once).
    triggerTime: z.unknown(),
    triggerName: z.string(),
    payload: z.string().optional().default(''),
  }),
);

/** A timer tick as the product sees it: when, which trigger, and the payload already JSON-decoded. */
export interface TimerTick {
  readonly triggerTime: Date;
  readonly triggerName: string;
  readonly payload: unknown;
}

/** Buffer (as FC delivers it) → TimerTick; a non-JSON payload is an INVALID_INPUT naming `payload`. */
export function decodeTimerEvent(raw: unknown): TimerTick {
  let json: unknown = raw;
  try {
    if (Buffer.isBuffer(raw) || typeof raw === 'string') json = parseJsonSafe(raw.toString());
  } catch {
    throw new AutopilotError('INVALID_INPUT', { message: 'The FC timer event is not JSON.' });
  }
  const parsed = FcTimerEventSchema.safeParse(json);
  if (!parsed.success || parsed.data.triggerTime === undefined) {
    throw new AutopilotError('INVALID_INPUT', {
      message: 'The FC timer event lacks triggerTime/triggerName.',
      field: 'event',
    });
  }
  const { triggerTime } = parsed.data;
  const at = typeof triggerTime === 'string' ? parseInstant(triggerTime) : Number.NaN;
  if (!Number.isFinite(at)) {
    throw new AutopilotError('INVALID_INPUT', {
      message: 'The FC timer event has a triggerTime that is not an RFC 3339 instant with an offset.',
      field: 'triggerTime',
    });
  }
  let payload: unknown;
  try {
    payload = parsed.data.payload.trim() === '' ? {} : parseJsonSafe(parsed.data.payload);
  } catch {
    throw new AutopilotError('INVALID_INPUT', {
      message: 'The timer payload is not JSON; configure the trigger payload as a JSON action.',
      field: 'payload',
    });
  }
  return { triggerTime: new Date(at), triggerName: parsed.data.triggerName, payload };
}
