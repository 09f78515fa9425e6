import { z } from 'zod';
import { lazySchema } from '../lazy-schema.js';
import {
  decodeJsonInput,
  isJsonContentType,
  isPlainObject,
  type JsonValue,
  parseJsonSafely,
} from '../rules/json.js';

/** At most this many events are processed per invocation; the rest are reported, never dropped silently. */
export const MAX_EVENTS_PER_INVOCATION = 1000;

/**
 * How deep an event's `data` may nest (objects and arrays). Alert and command payloads are a few levels
 * deep; a rule reads dotted paths into them. Deeper data is an invalid event (INVALID_INPUT naming
 * `data`), the same whether it arrived as an object or as JSON text.
 */
export const MAX_DATA_DEPTH = 64;

/** Whether `value`'s objects and arrays nest at most `max` levels (walked without recursion). */
function withinDepth(value: unknown, max: number): boolean {
  const stack: Array<readonly [unknown, number]> = [[value, 0]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [node, depth] = item;
    if (typeof node !== 'object' || node === null) continue;
    if (depth >= max) return false;
    for (const child of Array.isArray(node) ? node : Object.values(node)) stack.push([child, depth + 1]);
  }
  return true;
}

/** Why one entry of a delivery was not turned into an event (all permanent: log and acknowledge). */
export const EVENT_PARSE_CODES = {
  /** The bytes (or one JSON-encoded entry of a streaming batch) are not JSON. */
  invalidJson: 'INVALID_JSON',
  /** JSON, but not a CloudEvents 1.0 event. */
  invalidEvent: 'INVALID_INPUT',
  /** Beyond the first `MAX_EVENTS_PER_INVOCATION` entries of one delivery. */
  tooManyEvents: 'TOO_MANY_EVENTS',
} as const;
export type EventParseCode = (typeof EVENT_PARSE_CODES)[keyof typeof EVENT_PARSE_CODES];

/**
 * One CloudEvents 1.0 event as EventBridge delivers it to FC (`eventSchema: CloudEvents`). Unknown
 * extension attributes are kept: CloudEvents allows any. `data` is decoded from a JSON string when the
 * content type is JSON (see `parseEventBridgeEvent`).
 *
 * Platform docs (reference/fc-platform.md §3.1–3.2): envelope and Alibaba extensions
 * https://alibabacloud.com/help/en/doc-detail/181428.html ; trigger delivery (`eventSchema`, batches)
 * https://alibabacloud.com/help/en/functioncompute/api-fc-2023-03-30-struct-deliveryoption
 */
export const CloudEventSchema = lazySchema(() => {
  // One instance of each field kind, shared by the fields of that kind (a cold start builds them).
  const text = z.string().min(1);
  const optionalText = z.string().optional();
  return z.looseObject({
    id: text,
    source: text,
    specversion: z.literal('1.0'),
    type: text,
    subject: optionalText,
    // Formats vary (RFC 3339 with offset, or Alibaba's `…179PRC`): kept as text, never parsed here.
    time: optionalText,
    datacontenttype: optionalText,
    dataschema: optionalText,
    // Already JSON by construction (every entry comes through JSON.parse): only its depth is checked.
    data: z
      .custom<JsonValue>((value) => withinDepth(value, MAX_DATA_DEPTH), {
        message: `nested deeper than ${MAX_DATA_DEPTH} levels`,
      })
      .optional(),
    aliyunaccountid: optionalText,
    aliyunpublishtime: optionalText,
    aliyuneventbusname: optionalText,
    aliyunregionid: optionalText,
    aliyunpublishaddr: optionalText,
  });
});
export type CloudEvent = z.infer<typeof CloudEventSchema>;

/** One entry of a delivery that is not an event: its position, its `id` when it had one, and why. */
export interface InvalidEventEntry {
  readonly index: number;
  readonly id?: string;
  readonly code: EventParseCode;
  readonly message: string;
}

export interface EventBridgeParseResult {
  readonly events: CloudEvent[];
  readonly invalid: InvalidEventEntry[];
}

const MAX_ISSUES_IN_MESSAGE = 5;

/**
 * Decodes what the FC EventBridge trigger hands the function: one CloudEvent object, an array of them
 * (event-streaming batches), or an array of JSON-encoded CloudEvent strings (Kafka batches). Accepts the
 * raw Buffer, its text, or an already-parsed value. Never throws: every entry that is not a valid event
 * is reported in `invalid` with its index, so one bad entry never blocks the others. `__proto__`,
 * `constructor` and `prototype` keys are dropped while parsing. A JSON-typed `data` that arrives as a
 * string holding a JSON object or array is decoded; any other string stays a string.
 *
 * @example
 * const { events, invalid } = parseEventBridgeEvent(Buffer.from(JSON.stringify(cloudEvent)));
 * for (const entry of invalid) logger.warn('invalid event', entry);
 */
export function parseEventBridgeEvent(event: unknown): EventBridgeParseResult {
  const decoded = decodeDelivery(event);
  if (!decoded.ok) {
    return {
      events: [],
      invalid: [{ index: 0, code: EVENT_PARSE_CODES.invalidJson, message: decoded.message }],
    };
  }
  const entries: readonly JsonValue[] = Array.isArray(decoded.value) ? decoded.value : [decoded.value];
  const events: CloudEvent[] = [];
  const invalid: InvalidEventEntry[] = [];
  entries.forEach((entry, index) => {
    if (index >= MAX_EVENTS_PER_INVOCATION) {
      invalid.push({
        index,
        ...idOf(entry),
        code: EVENT_PARSE_CODES.tooManyEvents,
        message: `only the first ${MAX_EVENTS_PER_INVOCATION} events of one delivery are processed`,
      });
      return;
    }
    const outcome = parseEntry(entry);
    if (outcome.ok) events.push(outcome.event);
    else invalid.push({ index, ...outcome.entry });
  });
  return { events, invalid };
}

function decodeDelivery(event: unknown): { ok: true; value: JsonValue } | { ok: false; message: string } {
  const result = decodeJsonInput(event);
  return result.ok ? result : { ok: false, message: `event payload is ${result.message}` };
}

type EntryOutcome = { ok: true; event: CloudEvent } | { ok: false; entry: Omit<InvalidEventEntry, 'index'> };

function parseEntry(raw: JsonValue): EntryOutcome {
  let entry: JsonValue = raw;
  if (typeof raw === 'string') {
    // Kafka batches: each element is the JSON text of one CloudEvent.
    const parsed = parseJsonSafely(raw);
    if (!parsed.ok) {
      return {
        ok: false,
        entry: { code: EVENT_PARSE_CODES.invalidJson, message: `entry is ${parsed.message}` },
      };
    }
    entry = parsed.value;
  }
  const checked = validate(entry);
  if (!checked.ok) return checked;
  const decoded = decodeData(checked.event);
  if (!decoded.ok) return { ok: false, entry: { ...idOf(entry), ...decoded.entry } };
  // JSON `data` sent as text gets the same checks as `data` sent as an object (nesting depth included).
  return decoded.event === checked.event ? checked : validate(decoded.event);
}

function validate(entry: JsonValue | CloudEvent): EntryOutcome {
  const result = CloudEventSchema.safeParse(entry);
  if (!result.success) {
    return {
      ok: false,
      entry: { ...idOf(entry), code: EVENT_PARSE_CODES.invalidEvent, message: describeIssues(result.error) },
    };
  }
  return { ok: true, event: result.data };
}

/**
 * `data` as the event means it: JSON text under a JSON content type is parsed. Text that starts like a
 * JSON object (`{`) but does not parse is a broken event (INVALID_JSON naming `data`): kept as text it
 * would only show up later as a rule that matched nothing. Text starting with `[` that does not parse
 * stays a string: `"[ALERT] group 3 overloaded"` is an ordinary message.
 */
function decodeData(
  event: CloudEvent,
): { ok: true; event: CloudEvent } | { ok: false; entry: Omit<InvalidEventEntry, 'index' | 'id'> } {
  const { data } = event;
  if (typeof data !== 'string' || !isJsonContentType(event.datacontenttype)) return { ok: true, event };
  const text = data.trimStart();
  // A JSON string value that is not itself a JSON document (`"ALERT"`) is legal: kept as it came.
  if (!text.startsWith('{') && !text.startsWith('[')) return { ok: true, event };
  const parsed = parseJsonSafely(data);
  if (parsed.ok) return { ok: true, event: { ...event, data: parsed.value } };
  if (!text.startsWith('{')) return { ok: true, event };
  return {
    ok: false,
    entry: {
      code: EVENT_PARSE_CODES.invalidJson,
      message: `data: ${event.datacontenttype} text that is ${parsed.message}`,
    },
  };
}

function idOf(entry: unknown): { id?: string } {
  return isPlainObject(entry) && typeof entry.id === 'string' && entry.id.length > 0 ? { id: entry.id } : {};
}

function describeIssues(error: z.ZodError): string {
  const parts = error.issues
    .slice(0, MAX_ISSUES_IN_MESSAGE)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(event)'}: ${issue.message}`);
  const more = error.issues.length - MAX_ISSUES_IN_MESSAGE;
  return `not a CloudEvents 1.0 event: ${parts.join('; ')}${more > 0 ? `; and ${more} more` : ''}`;
}
