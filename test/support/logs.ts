import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { setLogSink } from '../../shared/log.js';

/** One structured log line, parsed. */
export type LogLine = Record<string, unknown> & { level: string; msg: string };

/** The log lines written since a capture started. */
export interface CapturedLogs {
  /** Every line, parsed. */
  readonly lines: LogLine[];
  /** The same lines exactly as written (for searching the bytes, e.g. for secrets). */
  readonly raw: string[];
}

export interface LogCapture extends CapturedLogs {
  /** Puts back the sink that was there before. */
  readonly restore: () => void;
}

/** Captures every log line from now until `restore` is called. */
export function captureLogs(): LogCapture {
  const lines: LogLine[] = [];
  const raw: string[] = [];
  const previous = setLogSink((line) => {
    raw.push(line);
    lines.push(JSON.parse(line) as LogLine);
  });
  return { lines, raw, restore: () => setLogSink(previous) };
}

/** Drops every log line from now until the returned function is called (it puts the previous sink back). */
export function silenceLogs(): () => void {
  const previous = setLogSink(() => {});
  return () => {
    setLogSink(previous);
  };
}

/**
 * Captures the log lines of the enclosing suite: `file` from `beforeAll` to `afterAll` (lines pile up
 * across its tests), `test` from `beforeEach` to `afterEach` (fresh lines for every test). Returns a
 * handle that reads the current capture.
 */
export function useLogCapture(scope: 'file' | 'test' = 'file'): CapturedLogs {
  let capture: LogCapture | undefined;
  const start = () => {
    capture = captureLogs();
  };
  const stop = () => {
    capture?.restore();
    capture = undefined;
  };
  if (scope === 'file') {
    beforeAll(start);
    afterAll(stop);
  } else {
    beforeEach(start);
    afterEach(stop);
  }
  const current = (): LogCapture => {
    if (!capture)
      throw new Error('useLogCapture: no capture is running outside the hooks and tests of its suite');
    return capture;
  };
  return {
    get lines() {
      return current().lines;
    },
    get raw() {
      return current().raw;
    },
  };
}
