/**
 * Structured JSON logging, one line per event, to stdout (FC ships stdout to SLS with `logConfig`).
 * Keys that can hold a secret are redacted wherever they appear, so a careless field cannot leak one.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

const SECRET_KEY = /secret|token|signature|password|authorization|accesskey|credential|cookie/i;
/** Field names seen so far → whether they can hold a secret (a line reuses the same few dozen names). */
const secretKeys = new Map<string, boolean>();
function isSecretKey(key: string): boolean {
  let secret = secretKeys.get(key);
  if (secret === undefined) {
    secret = SECRET_KEY.test(key);
    // Bounded: field names come from our code, but a map of caller-chosen keys must not grow it forever.
    if (secretKeys.size < 1_000) secretKeys.set(key, secret);
  }
  return secret;
}
export const REDACTED = '[redacted]';

export type LogSink = (line: string) => void;
const stdoutSink: LogSink = (line) => {
  process.stdout.write(`${line}\n`);
};
let sink: LogSink = stdoutSink;

/** Replaces where log lines go (tests capture them; `npm start` pretty-prints). Returns the previous sink. */
export function setLogSink(next: LogSink | undefined): LogSink {
  const previous = sink;
  sink = next ?? stdoutSink;
  return previous;
}

/** The level read once for the invocations running now (see {@link pinLogLevel}); else read each time. */
let pinned: number | undefined;
/** The invocations that pinned it (their middy requests); it is read again once none is left. */
const pinners = new Set<object>();

function threshold(): number {
  if (pinned !== undefined) return pinned;
  const level = (process.env.LOG_LEVEL ?? 'info').toLowerCase();
  return LEVELS[level as LogLevel] ?? LEVELS.info;
}

/**
 * Reads `LOG_LEVEL` once while invocations run, not once per line (reading `process.env` costs about a
 * microsecond each time, several times a request). The handler stack calls it as an invocation starts
 * and {@link unpinLogLevel} with the same `owner` as it ends. The level is the process's, so while any
 * invocation runs every line is judged by the level read when the first of those still running
 * started; once none runs, lines read `LOG_LEVEL` again. On FC (one request per instance, `LOG_LEVEL`
 * fixed) that is exactly per invocation; in `npm start` and tests a change applies once the
 * invocations running have ended.
 */
export function pinLogLevel(owner: object): void {
  if (pinners.size === 0) {
    pinned = undefined;
    pinned = threshold();
  }
  pinners.add(owner);
}

/** Ends `owner`'s {@link pinLogLevel}; an owner that did not pin changes nothing. */
export function unpinLogLevel(owner: object): void {
  if (pinners.delete(owner) && pinners.size === 0) pinned = undefined;
}

function redact(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8) return '[depth]';
  if (value instanceof Error) {
    const json = (value as { toJSON?: () => unknown }).toJSON;
    return typeof json === 'function' ? redact(json.call(value), depth + 1) : { name: value.name };
  }
  if (Array.isArray(value)) {
    // A list of plain values (ids, request ids) is written as it is.
    if (value.every((item) => item === null || typeof item !== 'object')) return value;
    return value.map((item) => redact(item, depth + 1));
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = isSecretKey(key) ? REDACTED : redact(item, depth + 1);
  }
  return out;
}

/** `line` plus `fields`, each redacted, written straight into `line` (no intermediate copy). */
function write(line: Record<string, unknown>, fields: Record<string, unknown>): void {
  for (const key in fields) {
    if (!Object.hasOwn(fields, key) || key === '__proto__') continue;
    const value = fields[key];
    // Most fields are plain values: nothing to walk.
    line[key] = isSecretKey(key)
      ? REDACTED
      : value === null || typeof value !== 'object'
        ? value
        : redact(value, 1);
  }
  sink(JSON.stringify(line));
}

/** Writes one JSON log line: `{level, time, msg, ...fields}`, secrets redacted. */
export function log(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void {
  if (LEVELS[level] < threshold()) return;
  write({ level, time: new Date().toISOString(), msg }, fields);
}

/**
 * Writes one audit line (`audit: true`, level info) whatever LOG_LEVEL says: an audit trail that a
 * log-level change can switch off is not one. Secrets are redacted like any other line.
 */
export function audit(msg: string, fields: Record<string, unknown> = {}): void {
  write({ level: 'info', time: new Date().toISOString(), msg, audit: true }, fields);
}

export const logger = {
  /** Whether a line at `level` would be written now (to skip building fields nobody will see). */
  enabled: (level: LogLevel) => LEVELS[level] >= threshold(),
  debug: (msg: string, fields?: Record<string, unknown>) => log('debug', msg, fields),
  info: (msg: string, fields?: Record<string, unknown>) => log('info', msg, fields),
  warn: (msg: string, fields?: Record<string, unknown>) => log('warn', msg, fields),
  error: (msg: string, fields?: Record<string, unknown>) => log('error', msg, fields),
};
export type Logger = typeof logger;
