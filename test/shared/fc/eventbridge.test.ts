import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  CloudEventSchema,
  EVENT_PARSE_CODES,
  MAX_DATA_DEPTH,
  MAX_EVENTS_PER_INVOCATION,
  parseEventBridgeEvent,
} from '../../../shared/fc/eventbridge.js';
import { fixture } from '../rules/helpers.js';

const base = {
  id: 'evt-1',
  source: 'com.example.capacity',
  specversion: '1.0',
  type: 'com.example.jobgroup.scale',
} as const;

const buffer = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

describe('parseEventBridgeEvent: real-shaped deliveries', () => {
  it('parses a single CloudMonitor alarm event with every Alibaba extension', () => {
    // Prepare
    const delivery = fixture('eventbridge/cms-alarm.json');

    // Act
    const { events, invalid } = parseEventBridgeEvent(delivery);

    // Assess
    expect(invalid).toEqual([]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      id: '2f3c4d5e-7a8b-4c9d-8e0f-1a2b3c4d5e6f',
      source: 'acs.cms',
      specversion: '1.0',
      type: 'cms:Alarm:Alert',
      aliyunaccountid: '123456789098****',
      aliyunpublishtime: '2024-05-20T09:15:00.412PRC',
      aliyuneventbusname: 'default',
      aliyunregionid: 'cn-shanghai',
      aliyunpublishaddr: '172.25.XX.XX',
      data: { alertName: 'stream-backlog', alertState: 'ALERT' },
    });
  });

  it.each([
    ['custom-command.json', 'autopilot.jobgroup.changes'],
    ['custom-scale.json', 'com.example.jobgroup.scale'],
  ])('parses the single event in %s', (name, type) => {
    const { events, invalid } = parseEventBridgeEvent(fixture(`eventbridge/${name}`));

    expect(invalid).toEqual([]);
    expect(events.map((event) => event.type)).toEqual([type]);
  });

  it('parses an event-streaming batch (array of events) and decodes a JSON-string data', () => {
    const { events, invalid } = parseEventBridgeEvent(fixture('eventbridge/batch.json'));

    expect(invalid).toEqual([]);
    expect(events.map((event) => event.id)).toEqual(['evt-batch-0001', 'evt-batch-0002', 'evt-batch-0003']);
    expect(events[1]?.data).toEqual({ jobGroupId: '7', count: '6' });
  });

  it('parses a Kafka batch (array of JSON-encoded CloudEvent strings)', () => {
    const { events, invalid } = parseEventBridgeEvent(fixture('eventbridge/kafka-batch.json'));

    expect(invalid).toEqual([]);
    expect(events.map((event) => [event.id, event.data])).toEqual([
      ['kafka-orders-0-1042', { jobGroupId: '3', count: 30 }],
      ['kafka-orders-0-1043', { jobGroupId: '7', count: 8 }],
    ]);
  });

  it.each([
    ['a Buffer', buffer(base)],
    ['a Uint8Array', new Uint8Array(buffer(base))],
    ['JSON text', JSON.stringify(base)],
    ['an already-parsed object', { ...base }],
    ['a JSON-encoded event string', buffer(JSON.stringify(base))],
  ])('accepts %s', (_label, delivery) => {
    const { events, invalid } = parseEventBridgeEvent(delivery);

    expect(invalid).toEqual([]);
    expect(events).toEqual([base]);
  });

  it('keeps unknown extension attributes (CloudEvents allows any)', () => {
    const { events } = parseEventBridgeEvent(buffer({ ...base, traceparent: '00-abc-def-01', partition: 3 }));

    expect(events[0]).toMatchObject({ traceparent: '00-abc-def-01', partition: 3 });
  });

  it('answers an empty batch with no events and no invalid entries', () => {
    expect(parseEventBridgeEvent(Buffer.from('[]'))).toEqual({ events: [], invalid: [] });
  });
});

describe('parseEventBridgeEvent: data decoding', () => {
  it.each([
    ['application/json', '{"a":1}', { a: 1 }],
    ['application/json; charset=utf-8', '[1,2]', [1, 2]],
    ['application/cloudevents+json', '{"a":1}', { a: 1 }],
    [undefined, '{"a":1}', { a: 1 }],
    ['application/json', 'not json {', 'not json {'],
    ['application/json', '[ALERT] group 3 overloaded', '[ALERT] group 3 overloaded'],
    ['application/json', '12', '12'],
    ['text/plain', '{"a":1}', '{"a":1}'],
  ])('content type %s with data %j gives %j', (datacontenttype, data, expected) => {
    const event = datacontenttype === undefined ? { ...base, data } : { ...base, datacontenttype, data };

    const { events } = parseEventBridgeEvent(buffer(event));

    expect(events[0]?.data).toEqual(expected);
  });
});

describe('parseEventBridgeEvent: broken JSON data', () => {
  it.each([
    ['an unclosed object', '{broken'],
    ['a trailing comma', '{"jobGroupId": "3",}'],
    ['trailing text', '{"a": 1} and more'],
  ])('refuses %s under a JSON content type as INVALID_JSON naming data', (_case, data) => {
    const { events, invalid } = parseEventBridgeEvent(
      buffer({ ...base, datacontenttype: 'application/json', data }),
    );

    expect(events).toEqual([]);
    expect(invalid).toEqual([
      {
        index: 0,
        id: base.id,
        code: 'INVALID_JSON',
        message: 'data: application/json text that is not valid JSON',
      },
    ]);
  });

  it.each([
    ['an object', (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`],
    ['an array', (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`],
  ])('accepts data nested %s MAX_DATA_DEPTH levels deep and refuses one level more', (_kind, nest) => {
    const delivery = (depth: number) =>
      Buffer.from(`{${JSON.stringify(base).slice(1, -1)}, "data": ${nest(depth)}}`);

    const atLimit = parseEventBridgeEvent(delivery(MAX_DATA_DEPTH));
    const over = parseEventBridgeEvent(delivery(MAX_DATA_DEPTH + 1));

    expect(atLimit.invalid).toEqual([]);
    expect(atLimit.events).toHaveLength(1);
    expect(over.events).toEqual([]);
    expect(over.invalid).toEqual([
      {
        index: 0,
        id: base.id,
        code: 'INVALID_INPUT',
        message: `not a CloudEvents 1.0 event: data: nested deeper than ${MAX_DATA_DEPTH} levels`,
      },
    ]);
  });

  it('checks JSON data sent as text like data sent as an object (nesting depth)', () => {
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    const asText = parseEventBridgeEvent(
      buffer({ ...base, datacontenttype: 'application/json', data: `{"jobGroupId": "3", "x": ${deep}}` }),
    );
    const asObject = parseEventBridgeEvent(
      Buffer.from(
        `{${JSON.stringify({ ...base, datacontenttype: 'application/json' }).slice(1, -1)}, "data": {"jobGroupId": "3", "x": ${deep}}}`,
      ),
    );

    expect(asText.events).toEqual([]);
    expect(asText.invalid.map((entry) => entry.code)).toEqual(asObject.invalid.map((entry) => entry.code));
    expect(asObject.invalid).toHaveLength(1);
  });
});

describe('parseEventBridgeEvent: invalid deliveries never throw', () => {
  it.each([
    ['bytes that are not JSON', Buffer.from('{"id": "evt-1", ')],
    ['an empty Buffer', Buffer.alloc(0)],
    ['bytes that are not UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d])],
    [
      'a cyclic object',
      (() => {
        const cyclic: Record<string, unknown> = { ...base };
        cyclic.self = cyclic;
        return cyclic;
      })(),
    ],
    ['undefined', undefined],
  ])('reports %s as one INVALID_JSON entry', (_label, delivery) => {
    const result = parseEventBridgeEvent(delivery);

    expect(result.events).toEqual([]);
    expect(result.invalid).toEqual([
      { index: 0, code: EVENT_PARSE_CODES.invalidJson, message: expect.any(String) },
    ]);
  });

  it.each([
    ['a number', 42],
    ['null', null],
    ['an event without an id', { source: 'a', specversion: '1.0', type: 't' }],
    ['an event of another specversion', { ...base, specversion: '0.3' }],
    ['an event with an empty type', { ...base, type: '' }],
    ['an event with a numeric subject', { ...base, subject: 3 }],
    ['a nested array', [[base]]],
  ])('reports %s as INVALID_INPUT', (_label, delivery) => {
    const { events, invalid } = parseEventBridgeEvent(buffer(delivery));

    expect(events).toEqual([]);
    expect(invalid).toEqual([expect.objectContaining({ index: 0, code: EVENT_PARSE_CODES.invalidEvent })]);
  });

  it('names the bad field and keeps the event id, so the log line can be traced', () => {
    const { invalid } = parseEventBridgeEvent(buffer({ ...base, type: 7 }));

    expect(invalid).toEqual([
      { index: 0, id: 'evt-1', code: 'INVALID_INPUT', message: expect.stringContaining('type') },
    ]);
  });

  it('does not let one bad entry of a batch block the others', () => {
    const delivery = buffer([
      { ...base, id: 'a' },
      { ...base, id: 'b', source: '' },
      { ...base, id: 'c' },
    ]);

    const { events, invalid } = parseEventBridgeEvent(delivery);

    expect(events.map((event) => event.id)).toEqual(['a', 'c']);
    expect(invalid).toEqual([
      { index: 1, id: 'b', code: 'INVALID_INPUT', message: expect.stringContaining('source') },
    ]);
  });

  it('reports a Kafka entry that is not JSON text by its index', () => {
    const delivery = buffer([
      JSON.stringify({ ...base, id: 'k0' }),
      '{"id": "k1", ',
      JSON.stringify({ ...base, id: 'k2' }),
    ]);

    const { events, invalid } = parseEventBridgeEvent(delivery);

    expect(events.map((event) => event.id)).toEqual(['k0', 'k2']);
    expect(invalid).toEqual([{ index: 1, code: 'INVALID_JSON', message: expect.any(String) }]);
  });

  it(`processes the first ${MAX_EVENTS_PER_INVOCATION} events and reports the rest as TOO_MANY_EVENTS`, () => {
    const delivery = buffer(
      Array.from({ length: MAX_EVENTS_PER_INVOCATION + 2 }, (_, i) => ({ ...base, id: `e${i}` })),
    );

    const { events, invalid } = parseEventBridgeEvent(delivery);

    expect(events).toHaveLength(MAX_EVENTS_PER_INVOCATION);
    expect(invalid).toEqual([
      { index: 1000, id: 'e1000', code: 'TOO_MANY_EVENTS', message: expect.stringContaining('1000') },
      { index: 1001, id: 'e1001', code: 'TOO_MANY_EVENTS', message: expect.stringContaining('1000') },
    ]);
  });

  it('reports nesting too deep for the stack as invalid instead of throwing', () => {
    const deep = `{"id":"d","source":"s","specversion":"1.0","type":"t","data":${'['.repeat(200_000)}${']'.repeat(200_000)}}`;

    const { events, invalid } = parseEventBridgeEvent(Buffer.from(deep));

    expect(events.length + invalid.length).toBe(1);
  });
});

describe('parseEventBridgeEvent: prototype keys', () => {
  const hostile =
    '{"id":"p","source":"s","specversion":"1.0","type":"t","__proto__":{"polluted":true},' +
    '"constructor":{"prototype":{"polluted":true}},' +
    '"data":{"__proto__":{"polluted":true},"labels":{"constructor":"x","prototype":"y","ok":"1"}}}';

  it.each([
    ['a Buffer', Buffer.from(hostile)],
    ['a Kafka string entry', Buffer.from(JSON.stringify([hostile]))],
    ['an already-parsed object', JSON.parse(hostile)],
  ])('drops __proto__, constructor and prototype keys from %s', (_label, delivery) => {
    const { events, invalid } = parseEventBridgeEvent(delivery);

    expect(invalid).toEqual([]);
    const [event] = events;
    expect(Object.keys(event ?? {}).sort()).toEqual(['data', 'id', 'source', 'specversion', 'type']);
    expect(event?.data).toEqual({ labels: { ok: '1' } });
    expect(Object.getPrototypeOf(event)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('drops them from a data string it decodes', () => {
    const delivery = buffer({ ...base, data: '{"__proto__":{"polluted":true},"a":1}' });

    const { events } = parseEventBridgeEvent(delivery);

    expect(events[0]?.data).toEqual({ a: 1 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('produces events that CloudEventSchema accepts again', () => {
    const { events } = parseEventBridgeEvent(fixture('eventbridge/batch.json'));

    for (const event of events) {
      expect(CloudEventSchema.safeParse(event).success).toBe(true);
      expect(z.json().optional().safeParse(event.data).success).toBe(true);
    }
  });
});
