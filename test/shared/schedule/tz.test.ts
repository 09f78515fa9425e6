import { describe, expect, it } from 'vitest';
import { instantToLocal, isValidTimeZone, localToInstant } from '../../../shared/schedule/index.js';

/** `2026-03-08 02:30` → the fields localToInstant takes. */
function local(text: string) {
  const [date, time] = text.split(' ') as [string, string];
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const [hour, minute] = time.split(':').map(Number) as [number, number];
  return { year, month, day, hour, minute };
}

describe('localToInstant', () => {
  it.each([
    // America/New_York: EST -5, EDT -4; 2026-03-08 02:00 → 03:00, 2026-11-01 02:00 → 01:00.
    ['America/New_York', '2026-07-01 12:00', '2026-07-01T16:00:00Z', 'an ordinary summer time'],
    ['America/New_York', '2026-03-08 01:59', '2026-03-08T06:59:00Z', 'the last minute before the gap'],
    ['America/New_York', '2026-03-08 02:00', '2026-03-08T07:00:00Z', 'the start of the gap to 03:00 EDT'],
    ['America/New_York', '2026-03-08 02:30', '2026-03-08T07:00:00Z', 'the middle of the gap to 03:00 EDT'],
    ['America/New_York', '2026-03-08 02:59', '2026-03-08T07:00:00Z', 'the end of the gap to 03:00 EDT'],
    ['America/New_York', '2026-03-08 03:00', '2026-03-08T07:00:00Z', 'the first time after the gap'],
    ['America/New_York', '2026-11-01 00:59', '2026-11-01T04:59:00Z', 'the minute before the overlap'],
    ['America/New_York', '2026-11-01 01:00', '2026-11-01T05:00:00Z', 'the start of the overlap to EDT'],
    ['America/New_York', '2026-11-01 01:30', '2026-11-01T05:30:00Z', 'the middle of the overlap to EDT'],
    ['America/New_York', '2026-11-01 01:59', '2026-11-01T05:59:00Z', 'the end of the overlap to EDT'],
    ['America/New_York', '2026-11-01 02:00', '2026-11-01T07:00:00Z', 'the first time after the overlap'],
    // Europe/London: GMT 0, BST +1; 2026-03-29 01:00 → 02:00, 2026-10-25 02:00 → 01:00.
    ['Europe/London', '2026-03-29 00:59', '2026-03-29T00:59:00Z', 'the last minute before the gap'],
    ['Europe/London', '2026-03-29 01:00', '2026-03-29T01:00:00Z', 'the start of the gap to 02:00 BST'],
    ['Europe/London', '2026-03-29 01:30', '2026-03-29T01:00:00Z', 'the middle of the gap to 02:00 BST'],
    ['Europe/London', '2026-03-29 02:00', '2026-03-29T01:00:00Z', 'the first time after the gap'],
    ['Europe/London', '2026-10-25 01:00', '2026-10-25T00:00:00Z', 'the start of the overlap to BST'],
    ['Europe/London', '2026-10-25 01:30', '2026-10-25T00:30:00Z', 'the middle of the overlap to BST'],
    ['Europe/London', '2026-10-25 02:00', '2026-10-25T02:00:00Z', 'the first time after the overlap'],
    // Australia/Lord_Howe: +10:30 standard, +11 summer; half-hour shifts at 02:00 local.
    ['Australia/Lord_Howe', '2026-10-04 01:59', '2026-10-03T15:29:00Z', 'the last minute before the gap'],
    ['Australia/Lord_Howe', '2026-10-04 02:00', '2026-10-03T15:30:00Z', 'the start of the half-hour gap'],
    ['Australia/Lord_Howe', '2026-10-04 02:15', '2026-10-03T15:30:00Z', 'the middle of the half-hour gap'],
    ['Australia/Lord_Howe', '2026-10-04 02:30', '2026-10-03T15:30:00Z', 'the first time after the gap'],
    ['Australia/Lord_Howe', '2026-04-05 01:29', '2026-04-04T14:29:00Z', 'the minute before the overlap'],
    ['Australia/Lord_Howe', '2026-04-05 01:30', '2026-04-04T14:30:00Z', 'the start of the half-hour overlap'],
    [
      'Australia/Lord_Howe',
      '2026-04-05 01:45',
      '2026-04-04T14:45:00Z',
      'the middle of the half-hour overlap',
    ],
    ['Australia/Lord_Howe', '2026-04-05 02:00', '2026-04-04T15:30:00Z', 'the first time after the overlap'],
    // Asia/Shanghai: +8 all year, so the New York transition dates are ordinary there.
    ['Asia/Shanghai', '2026-03-08 02:30', '2026-03-07T18:30:00Z', 'a time New York skips'],
    ['Asia/Shanghai', '2026-11-01 01:30', '2026-10-31T17:30:00Z', 'a time New York repeats'],
    ['Asia/Shanghai', '2028-02-29 00:00', '2028-02-28T16:00:00Z', 'a leap day'],
  ])('in %s resolves %s to %s (%s)', (zone, wallClock, expected) => {
    expect(localToInstant(local(wallClock), zone).toISOString()).toBe(new Date(expected).toISOString());
  });
});

describe('instantToLocal', () => {
  it.each([
    ['America/New_York', '2026-03-08T06:59:59Z', '2026-03-08 01:59:59', 7],
    ['America/New_York', '2026-03-08T07:00:00Z', '2026-03-08 03:00:00', 7],
    ['America/New_York', '2026-11-01T05:30:00Z', '2026-11-01 01:30:00', 7],
    ['America/New_York', '2026-11-01T06:30:00Z', '2026-11-01 01:30:00', 7],
    ['Europe/London', '2026-10-25T00:30:00Z', '2026-10-25 01:30:00', 7],
    ['Europe/London', '2026-10-25T01:30:00Z', '2026-10-25 01:30:00', 7],
    ['Australia/Lord_Howe', '2026-04-04T14:59:00Z', '2026-04-05 01:59:00', 7],
    ['Australia/Lord_Howe', '2026-04-04T15:00:00Z', '2026-04-05 01:30:00', 7],
    ['Australia/Lord_Howe', '2026-10-03T15:30:00Z', '2026-10-04 02:30:00', 7],
    ['Asia/Shanghai', '2026-12-31T16:00:00Z', '2027-01-01 00:00:00', 5],
    ['Asia/Shanghai', '2028-02-28T16:00:00Z', '2028-02-29 00:00:00', 2],
  ])('in %s reads %s as %s (ISO weekday %i)', (zone, instant, wallClock, weekday) => {
    const reading = instantToLocal(new Date(instant), zone);
    const pad = (value: number) => String(value).padStart(2, '0');
    const text = `${reading.year}-${pad(reading.month)}-${pad(reading.day)} ${pad(reading.hour)}:${pad(reading.minute)}:${pad(reading.second)}`;
    expect({ text, weekday: reading.weekday }).toEqual({ text: wallClock, weekday });
  });

  it('reads both instants of a repeated hour alike, and localToInstant picks the first', () => {
    const [first, second] = [new Date('2026-11-01T05:30:00Z'), new Date('2026-11-01T06:30:00Z')];

    const back = localToInstant(instantToLocal(second, 'America/New_York'), 'America/New_York');

    expect(instantToLocal(first, 'America/New_York')).toEqual(instantToLocal(second, 'America/New_York'));
    expect(back).toEqual(first);
  });
});

describe('isValidTimeZone', () => {
  it.each([
    ['Asia/Shanghai', true],
    ['Australia/Lord_Howe', true],
    ['asia/shanghai', true],
    ['UTC', true],
    ['Etc/GMT+5', true],
    ['Asia/Shangai', false],
    ['Mars/Olympus_Mons', false],
    ['+08:00', false],
    ['', false],
    [' ', false],
  ])('accepts %j: %s', (zone, valid) => {
    expect(isValidTimeZone(zone)).toBe(valid);
  });
});
