import type {
  WireDecider,
  WireHistory,
  WireHold,
  WireStep,
  WireTarget,
} from '../../../shared/console/wire.js';

/** `3h 20m`, `45m`, `2d 4h`, `40s`. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h${minutes % 60 ? ` ${minutes % 60}m` : ''}`;
  return `${Math.floor(hours / 24)}d${hours % 24 ? ` ${hours % 24}h` : ''}`;
}

/** `10 · Running`, `2`, `Stopped`, `—` (a target that sets neither). */
export function targetText(target: WireTarget | undefined, paused = false): string {
  const parts: string[] = [];
  if (target?.planedJobCount !== undefined) parts.push(String(target.planedJobCount));
  if (target?.status !== undefined) parts.push(target.status);
  const text = parts.length > 0 ? parts.join(' · ') : '—';
  return paused ? `${text} (paused)` : text;
}

/** `window weekday-peak of downtown-crossroads`, `otherwise of …`, `pin 3~1a2b…`. */
export function deciderText(decider: WireDecider | undefined, holds: readonly WireHold[] = []): string {
  if (!decider) return 'nothing (not automated)';
  if (decider.by === 'hold') {
    const hold = holds.find((h) => h.id === decider.holdId);
    return `pin ${decider.holdId}${hold?.reason ? ` (${hold.reason})` : ''}`;
  }
  return decider.window === 'otherwise'
    ? `otherwise of ${decider.schedule}`
    : `window ${decider.window} of ${decider.schedule}`;
}

/** What decided a state: the count's decider, else the status's. */
export function decidedText(
  decidedBy: Readonly<Record<string, WireDecider>>,
  paused: boolean,
  holds: readonly WireHold[] = [],
): string {
  const decider = decidedBy.planedJobCount ?? decidedBy.status ?? Object.values(decidedBy)[0];
  const text = deciderText(decider, holds);
  if (!paused) return text;
  const pause = holds.find((h) => h.kind === 'pause');
  return `paused${pause ? ` by ${pause.id}${pause.reason ? ` (${pause.reason})` : ''}` : ''}; ${text}`;
}

/** `2026-06-01 07:30 +08:00`. */
export const localWithOffset = (step: Pick<WireStep, 'local' | 'offset'>) => `${step.local} ${step.offset}`;

/** `2026-05-31 23:30:00 UTC` (an instant, to the second). */
export function utcText(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

/** A wall-clock reading of `iso` in `zone`, `2026-06-01 07:30` (display only; the plan carries its own). */
const formatters = new Map<string, Intl.DateTimeFormat>();
export function localText(iso: string, zone: string): string {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(zone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

/** A history record in a line: `2026-06-01 07:30 schedule weekday-peak: planedJobCount=10`. */
export function historyText(entry: WireHistory | null, zone: string): string {
  if (!entry) return '—';
  const when = localText(entry.at, zone);
  if (entry.hold) return `${when} hold ${entry.hold.event}: ${entry.hold.kind} ${entry.hold.id}`;
  const source =
    entry.source.kind === 'webhook'
      ? `webhook ${entry.source.who}`
      : entry.source.kind === 'schedule'
        ? `schedule ${entry.source.window}`
        : entry.source.kind === 'rule'
          ? `rule ${entry.source.rules.join(', ')}`
          : `scheduler ${entry.source.action}`;
  const fields = Object.entries(entry.set)
    .filter(([key]) => key !== 'params')
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(' ');
  return `${when} ${source}${fields ? `: ${fields}` : ''}`;
}

/** A hold in a line: `pin 30 · festival · 3h 20m left`. */
export function holdText(hold: WireHold): string {
  const what =
    hold.kind === 'pin'
      ? `pin ${targetText(hold.set)}`
      : hold.kind === 'skip'
        ? `skip ${hold.window ?? ''} ${hold.date ?? ''}`.trim()
        : 'pause';
  return [what, hold.reason, `${duration(hold.secondsLeft)} left`].filter((part) => part !== '').join(' · ');
}
