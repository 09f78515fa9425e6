/**
 * An instant as the product accepts one (CLARIFICATIONS 9): an RFC 3339 date-time with an offset (`Z`
 * or `±hh:mm`), seconds and a fraction of up to nine digits optional.
 */
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):([0-5]\d)(:[0-5]\d(\.\d{1,9})?)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

/** Epoch ms of `text` when it is an RFC 3339 instant on a real calendar day, else `NaN` (no rollover: 02-30 is refused). */
export function parseInstant(text: string): number {
  const match = RFC3339.exec(text);
  if (!match) return Number.NaN;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const calendar = new Date(0);
  // (setUTCFullYear, not Date.UTC: that reads years 0-99 as 1900-1999.)
  calendar.setUTCFullYear(year, month - 1, day);
  if (calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) return Number.NaN;
  return Date.parse(text);
}
