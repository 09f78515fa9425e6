import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a stand-in accepted (answered as a success). */
export interface RecordedMessage {
  readonly at: number;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  /** The body as sent, and parsed. */
  readonly raw: string;
  readonly body: Record<string, unknown>;
}

/** What a stand-in does to the next requests instead of answering them as the real API would. */
export type RobotFault =
  /** Never answers (the connection stays open until the client gives up or the stand-in closes). */
  | { readonly kind: 'hang' }
  /** Closes the connection without an answer. */
  | { readonly kind: 'reset' }
  /** Answers this status and body. */
  | { readonly kind: 'answer'; readonly status: number; readonly body: unknown };

/** A request as a stand-in's API logic sees it. */
export interface RobotRequest {
  readonly method: string;
  readonly path: string;
  /** Query parameters as the real server decodes them (form decoding: an unescaped `+` is a space). */
  readonly query: URLSearchParams;
  readonly headers: http.IncomingHttpHeaders;
  readonly raw: string;
  readonly now: number;
}

export interface RobotAnswer {
  readonly status: number;
  readonly body: unknown;
  /** True when the message was taken: it is recorded. */
  readonly accepted?: boolean;
}

export interface RobotOptions {
  /** 0 (default): any free port on 127.0.0.1. */
  readonly port?: number;
  /** Epoch ms "now" for timestamps and rate windows; default Date.now. */
  readonly clock?: () => number;
  /** Called with each message it accepts (`npm start` prints them). */
  readonly onMessage?: (message: RecordedMessage) => void;
}

/** A running stand-in: the URL to configure, what it took and answered, faults, and close. */
export interface Robot {
  /** The webhook URL as the robot's settings page shows it (token or key included). */
  readonly url: string;
  readonly messages: RecordedMessage[];
  /** Every answer given, in order (errors included): `{status, body}`. */
  readonly answers: Array<{ readonly status: number; readonly body: unknown }>;
  /** Requests received, faults included. */
  readonly requests: () => number;
  /** Applies `fault` to the next `times` requests (default every request), or clears it. */
  setFault(fault: RobotFault | undefined, times?: number): void;
  /** Forgets messages, answers, faults and rate windows. */
  reset(): void;
  close(): Promise<void>;
}

const MAX_BODY = 1024 * 1024;

/**
 * The HTTP shell every stand-in shares: reads the request, applies a fault, asks the API logic
 * (`handle`) for the answer, records accepted messages. `reset` of the logic's own state is `onReset`.
 */
export async function startRobot(
  options: RobotOptions & {
    readonly url: (base: string) => string;
    readonly handle: (request: RobotRequest) => RobotAnswer;
    readonly onReset?: () => void;
  },
): Promise<Robot> {
  const clock = options.clock ?? Date.now;
  const messages: RecordedMessage[] = [];
  const answers: Array<{ status: number; body: unknown }> = [];
  let requests = 0;
  let fault: { fault: RobotFault; left: number } | undefined;
  const hanging = new Set<http.ServerResponse>();

  const server = http.createServer(async (req, res) => {
    requests++;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size <= MAX_BODY) chunks.push(chunk as Buffer);
    }
    const active = fault && fault.left > 0 ? fault.fault : undefined;
    if (fault && active) fault.left--;
    if (active?.kind === 'hang') {
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      return;
    }
    if (active?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const raw = Buffer.concat(chunks).toString('utf8');
    const answer: RobotAnswer =
      active?.kind === 'answer'
        ? { status: active.status, body: active.body }
        : options.handle({
            method: req.method ?? 'GET',
            path: url.pathname,
            query: url.searchParams,
            headers: req.headers,
            raw,
            now: clock(),
          });
    answers.push({ status: answer.status, body: answer.body });
    if (answer.accepted) {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        // the logic accepted it: it parsed
      }
      const message: RecordedMessage = {
        at: clock(),
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: Object.fromEntries(Object.entries(req.headers).map(([key, value]) => [key, String(value)])),
        raw,
        body,
      };
      messages.push(message);
      options.onMessage?.(message);
    }
    res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: options.url(base),
    messages,
    answers,
    requests: () => requests,
    setFault(next, times = Number.POSITIVE_INFINITY) {
      fault = next ? { fault: next, left: times } : undefined;
    },
    reset() {
      messages.length = 0;
      answers.length = 0;
      requests = 0;
      fault = undefined;
      options.onReset?.();
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Parses a JSON object body; undefined when it is not one. */
export function jsonObject(raw: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(raw) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A sliding one-minute window of accepted sends, for a robot's "too fast" answer. */
export function sendWindow(perMinute: number, throttleMs: number) {
  let sent: number[] = [];
  let throttledUntil = 0;
  return {
    /** True when one more send is allowed now (and counts it); false starts the throttle. */
    take(now: number): boolean {
      if (now < throttledUntil) return false;
      sent = sent.filter((at) => at > now - 60_000);
      if (sent.length >= perMinute) {
        throttledUntil = now + throttleMs;
        return false;
      }
      sent.push(now);
      return true;
    },
    reset() {
      sent = [];
      throttledUntil = 0;
    },
  };
}
