import { describe, expect, it } from 'vitest';
import { type DaysInput, matchesDay, parseDays, toDayNumber } from '../../../shared/schedule/index.js';

/** Days of the month in year-month that a `days` value matches. */
function matching(days: DaysInput, year: number, month: number): number[] {
  const { spec, problems } = parseDays(days);
  expect(problems).toEqual([]);
  const out: number[] = [];
  for (let day = 1; day <= 31; day++) {
    const date = new Date(Date.UTC(year, month - 1, day));
    if (date.getUTCMonth() !== month - 1) break;
    if (matchesDay(spec, toDayNumber({ year, month, day }))) out.push(day);
  }
  return out;
}

describe('parseDays', () => {
  // June 2026 starts on a Monday; May 2026 on a Friday; February 2028 (leap) on a Tuesday.
  it.each<[string, DaysInput, number, number, number[]]>([
    [
      'a weekday range',
      'mon-fri',
      2026,
      6,
      [1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 15, 16, 17, 18, 19, 22, 23, 24, 25, 26, 29, 30],
    ],
    [
      'a range that wraps the week end',
      'fri-mon',
      2026,
      6,
      [1, 5, 6, 7, 8, 12, 13, 14, 15, 19, 20, 21, 22, 26, 27, 28, 29],
    ],
    ['a range of one day', 'sun-sun', 2026, 6, [7, 14, 21, 28]],
    ['a comma list, case-insensitive', 'MON, Wed', 2026, 6, [1, 3, 8, 10, 15, 17, 22, 24, 29]],
    ['full day names', 'monday,Sunday', 2026, 6, [1, 7, 8, 14, 15, 21, 22, 28, 29]],
    ['a list of strings', ['sat#1', 'fri#L'], 2026, 6, [6, 26]],
    ['the first Saturday', 'sat#1', 2026, 8, [1]],
    ['a fifth Saturday where the month has one', 'sat#5', 2026, 5, [30]],
    ['no fifth Saturday where the month lacks one', 'sat#5', 2026, 6, []],
    ['the last Friday of a 28-day February', 'fri#L', 2026, 2, [27]],
    ['the last Tuesday on a leap day', 'tue#l', 2028, 2, [29]],
    ['the fifth Tuesday on a leap day', 'tue#5', 2028, 2, [29]],
    ['daily', 'daily', 2026, 2, Array.from({ length: 28 }, (_, i) => i + 1)],
    ['a star', '*', 2028, 2, Array.from({ length: 29 }, (_, i) => i + 1)],
  ])('matches %s (%j)', (_behaviour, days, year, month, expected) => {
    expect(matching(days, year, month)).toEqual(expected);
  });

  it.each<[DaysInput, Array<{ index?: number; message: string }>]>([
    ['funday', [{ message: expect.stringContaining('unknown day token "funday"') }]],
    ['mon-fun', [{ message: expect.stringContaining('unknown weekday "fun" in day range "mon-fun"') }]],
    ['mon#6', [{ message: expect.stringContaining('day token "mon#6": after "#" use 1..5 or L') }]],
    ['mun#1', [{ message: expect.stringContaining('unknown weekday "mun" in day token "mun#1"') }]],
    ['mon,,tue', [{ message: 'empty day token (stray comma?)' }]],
    ['', [{ message: 'empty day token (stray comma?)' }]],
    [[], [{ message: 'must name at least one day' }]],
    [
      ['mon', 'tues', 'fri#0'],
      [
        { index: 1, message: expect.stringContaining('"tues"') },
        { index: 2, message: expect.stringContaining('"fri#0"') },
      ],
    ],
  ])('reports %j with a message naming the bad token', (days, problems) => {
    expect(parseDays(days).problems).toEqual(problems);
  });
});
