import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseInstant } from '../../shared/instant.js';

describe('parseInstant', () => {
  it.each([
    ['2026-06-01T00:00:00Z', Date.UTC(2026, 5, 1)],
    ['2026-06-01T08:00+08:00', Date.UTC(2026, 5, 1)],
    ['2026-12-24T18:00:00.123456789-05:30', Date.UTC(2026, 11, 24, 23, 30, 0, 123)],
    ['2024-02-29T23:59:59Z', Date.UTC(2024, 1, 29, 23, 59, 59)],
    ['0000-02-29T00:00:00Z', Date.parse('0000-02-29T00:00:00Z')],
  ])('reads %s', (text, ms) => {
    expect(parseInstant(text)).toBe(ms);
  });

  it.each([
    ['no offset', '2026-06-01T00:00:00'],
    ['a date only', '2026-06-01'],
    ['a day that does not exist', '2026-02-30T00:00:00Z'],
    ['29 February outside a leap year', '2026-02-29T00:00:00Z'],
    ['month 13', '2026-13-01T00:00:00Z'],
    ['month 0', '2026-00-10T00:00:00Z'],
    ['hour 24', '2026-06-01T24:00:00Z'],
    ['minute 60', '2026-06-01T10:60:00Z'],
    ['an offset without a colon', '2026-06-01T10:00:00+0800'],
    ['a space for the T', '2026-06-01 10:00:00Z'],
    ['text', 'yesterday'],
  ])('refuses %s', (_case, text) => {
    expect(parseInstant(text)).toBeNaN();
  });

  it('reads back every instant written by toISOString', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('1970-01-01T00:00:00Z'),
          max: new Date('9999-12-31T23:59:59Z'),
          noInvalidDate: true,
        }),
        (date) => {
          expect(parseInstant(date.toISOString())).toBe(date.getTime());
        },
      ),
    );
  });
});
