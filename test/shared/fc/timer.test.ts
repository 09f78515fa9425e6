import { describe, expect, it } from 'vitest';
import { decodeTimerEvent } from '../../../shared/fc/timer.js';
import { fixture } from '../rules/helpers.js';

const tick = (fields: Record<string, unknown>) =>
  Buffer.from(
    JSON.stringify({ triggerTime: '2026-06-01T00:00:00Z', triggerName: 'morning-scale', ...fields }),
  );

describe('decodeTimerEvent', () => {
  it('decodes the FC timer event Buffer with its JSON payload', () => {
    const decoded = decodeTimerEvent(fixture('timer/scale.json'));

    expect(decoded).toEqual({
      triggerTime: new Date('2026-06-01T00:00:00Z'),
      triggerName: 'morning-scale',
      payload: { action: 'scale', jobGroupIds: ['3'], planedJobCount: 4 },
    });
  });

  it('reads an absent or blank payload as an empty action', () => {
    expect(decodeTimerEvent(tick({})).payload).toEqual({});
    expect(decodeTimerEvent(tick({ payload: '  ' })).payload).toEqual({});
  });

  it.each([
    ['no offset', '2026-06-01T00:00:00'],
    ['a day that does not exist', '2026-02-30T00:00:00Z'],
    ['not a time', 'yesterday'],
    ['a number', 1780272000000],
  ])('refuses a triggerTime with %s as INVALID_INPUT naming triggerTime', (_case, triggerTime) => {
    expect(() => decodeTimerEvent(tick({ triggerTime }))).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', field: 'triggerTime' }),
    );
  });

  it('refuses an event without triggerName as INVALID_INPUT naming the event', () => {
    expect(() => decodeTimerEvent(tick({ triggerName: undefined }))).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', field: 'event' }),
    );
  });

  it('refuses a payload that is not JSON, naming payload', () => {
    expect(() => decodeTimerEvent(tick({ payload: 'scale to 4' }))).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', field: 'payload' }),
    );
  });

  it('refuses bytes that are not JSON', () => {
    expect(() => decodeTimerEvent(Buffer.from('{"triggerTime":'))).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
  });
});
