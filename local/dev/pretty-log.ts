/**
 * `npm start`'s log lines for a person at a terminal: `15:04:05 WARN  stale event acknowledged  jobGroupId=3 …`
 * instead of the JSON the functions write (and always write when deployed, for SLS). `LOG_FORMAT=json`
 * keeps the JSON; a non-terminal stdout (a pipe, a file) gets JSON too, so tools can read it.
 */
const LEVEL_TEXT: Record<string, string> = { debug: 'DEBUG', info: 'INFO ', warn: 'WARN ', error: 'ERROR' };
const COLOURS: Record<string, string> = { debug: '\x1b[2m', info: '', warn: '\x1b[33m', error: '\x1b[31m' };
const MAX_VALUE = 160;

function valueText(value: unknown): string {
  const text =
    typeof value === 'string'
      ? /[\s"=]/.test(value)
        ? JSON.stringify(value)
        : value
      : JSON.stringify(value);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE)}…` : text;
}

/** One JSON log line → one readable line (time of day, level, message, then key=value pairs). */
export function prettyLogLine(line: string, colour = false): string {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return line;
  const { level, time, msg, audit, ...fields } = parsed;
  const clock = typeof time === 'string' && time.length >= 19 ? time.slice(11, 19) : '--:--:--';
  const name = String(level ?? 'info');
  const head = `${clock} ${LEVEL_TEXT[name] ?? name.toUpperCase().padEnd(5)} ${audit === true ? 'AUDIT ' : ''}${String(msg ?? '')}`;
  const rest = Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${valueText(value)}`)
    .join(' ');
  const text = rest === '' ? head : `${head}  ${rest}`;
  const tint = colour ? (COLOURS[name] ?? '') : '';
  return tint === '' ? text : `${tint}${text}\x1b[0m`;
}

/** Readable lines when stdout is a terminal and LOG_FORMAT is not `json`. */
export function wantsPrettyLogs(env: NodeJS.ProcessEnv, isTty: boolean): boolean {
  return isTty && (env.LOG_FORMAT ?? '').toLowerCase() !== 'json';
}
