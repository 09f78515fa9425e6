import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { assertLoopback, checkLocalRequest, writeRefusal } from '../dev/local-guard.js';
import { isKnownAction, UNRECORDED_PARAMS } from './actions.js';
import { DEMO_CREDENTIAL, type EmulatorCredential, indexCredentials } from './credentials.js';
import type { DescribeShape } from './describe-job-groups.js';
import { runAction } from './dispatch.js';
import {
  DEFAULT_HOST_ID,
  EmulatorApiError,
  type EmulatorErrorCode,
  errorBody,
  newRequestId,
} from './errors.js';
import { type FaultConfig, FaultInjector, type FaultOutcome } from './faults.js';
import { checkGateway } from './gateway.js';
import { NonceCache } from './nonces.js';
import { type ApiRequest, readApiRequest } from './request.js';
import { demoSeed, type EmulatorSeed, type JobGroupState, parseSeed } from './seed.js';
import { EmulatorState } from './state.js';

/** Options of {@link startEmulator}; every field has a default. */
export interface EmulatorOptions {
  /** Loopback interface to bind; default `127.0.0.1` (anything else is refused). */
  host?: string;
  /** Port; default 0 (ephemeral). */
  port?: number;
  /** Starting world; default the demo fleet of `seed.json`. */
  seed?: EmulatorSeed;
  /** Accepted keys; default `[DEMO_CREDENTIAL]`. */
  credentials?: EmulatorCredential[];
  /** Allowed distance between `Timestamp` and the emulator's clock, seconds; default 900. */
  timestampSkewSeconds?: number;
  /** How long a `SignatureNonce` stays used, seconds; default 900. */
  nonceTtlSeconds?: number;
  /** DescribeJobGroups body shape; default `sdk`. */
  describeShape?: DescribeShape;
  /** Faults injected from the start; default none. */
  faults?: FaultConfig;
  /** Receives one line per request (method, action, status, code, request id; never parameters). */
  log?: (line: string) => void;
  /**
   * Called with the clock at the arrival of every HTTP request, before any check or fault: what a
   * gateway's rate metering sees (the fleet benchmark measures peak and median QPS with it).
   */
  onRequest?: (at: number) => void;
  /** Clock for timestamps, nonces, qps and recorded calls, epoch ms; default `Date.now`. */
  clock?: () => number;
}

/** One accepted call, without `Signature`, `AccessKeyId`, `SecurityToken` and `SignatureNonce`. */
export interface RecordedCall {
  action: string;
  params: Record<string, string>;
  requestId: string;
  at: number;
}

/** Counters since start or the last {@link Emulator.reset}. */
export interface EmulatorStats {
  /** Every HTTP request received. */
  requests: number;
  /** Answered `Throttling` or `Throttling.User` by fault injection or the qps limit. */
  throttled: number;
  /** Injected 503/500 answers, resets and hangs. */
  faults: number;
  /** Answered with an error by parsing, the gateway checks or the action's validation. */
  rejected: number;
}

/** A running emulator. */
export interface Emulator {
  /** Base URL, e.g. `http://127.0.0.1:40123`; use it as pop-core's `endpoint`. */
  readonly url: string;
  readonly port: number;
  /** Every accepted call, oldest first (the same array across resets). */
  readonly calls: RecordedCall[];
  readonly stats: EmulatorStats;
  /** Replaces the fault config; restarts its script, PRNG and qps window. Throws on an invalid config. */
  setFaults(faults: FaultConfig): void;
  /** A copy of a job group's current state, for assertions. */
  jobGroup(id: string): JobGroupState | undefined;
  /** Restores the seed (or loads `seed`), clears calls, stats, nonces and faults. */
  reset(seed?: EmulatorSeed): void;
  /** Stops listening and destroys every socket, hung and keep-alive ones included. */
  close(): Promise<void>;
}

const FAULT_ERRORS: Partial<Record<FaultOutcome, EmulatorErrorCode>> = {
  throttle: 'Throttling',
  'throttle-user': 'Throttling.User',
  unavailable: 'ServiceUnavailable',
  internal: 'InternalError',
};

/**
 * Starts a CityVisual 2018-10-30 RPC emulator over real HTTP: signature v1 verified exactly, gateway
 * checks, ModifyJobGroup and DescribeJobGroups modelled on the API doc, and injectable faults.
 *
 * @example
 * const emu = await startEmulator();
 * const client = new RPCClient({ ...keysOf(DEMO_CREDENTIAL), endpoint: emu.url, apiVersion: '2018-10-30' });
 * await client.request('ModifyJobGroup', { JobGroupId: '3', ... }, { method: 'POST' });
 * await emu.close();
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const clock = options.clock ?? Date.now;
  const initialSeed = options.seed ? parseSeed(options.seed) : demoSeed();
  const credentials = indexCredentials(options.credentials ?? [DEMO_CREDENTIAL]);
  const describeShape = options.describeShape ?? 'sdk';
  const log = options.log;
  const state = new EmulatorState(initialSeed, clock);
  const nonces = new NonceCache((options.nonceTtlSeconds ?? 900) * 1000, clock);
  const faults = new FaultInjector(clock);
  faults.configure(options.faults ?? {});
  const gateway = {
    credentials,
    nonces,
    timestampSkewMs: (options.timestampSkewSeconds ?? 900) * 1000,
    clock,
  };
  const calls: RecordedCall[] = [];
  const stats: EmulatorStats = { requests: 0, throttled: 0, faults: 0, rejected: 0 };
  const hung = new Set<Socket>();
  // Latency waits in progress, each with its own cancel: close() ends them all. One set instead of an
  // AbortSignal per wait: a signal shared by every request collects one listener per request in
  // flight (MaxListenersExceededWarning past 10).
  const waiting = new Set<() => void>();
  let closing = false;
  const wait = (ms: number) =>
    new Promise<boolean>((resolve) => {
      const finish = (elapsed: boolean) => {
        clearTimeout(timer);
        waiting.delete(cancel);
        resolve(elapsed);
      };
      const cancel = () => finish(false);
      const timer = setTimeout(() => finish(true), ms);
      waiting.add(cancel);
    });

  const send = (res: ServerResponse, requestId: string, status: number, body: object, close = false) => {
    const payload = JSON.stringify(body);
    res.writeHead(status, {
      'Content-Type': 'application/json;charset=utf-8',
      'Content-Length': Buffer.byteLength(payload),
      'x-acs-request-id': requestId,
      ...(close ? { Connection: 'close' } : {}),
    });
    res.end(payload);
  };

  const sendError = (res: ServerResponse, requestId: string, error: EmulatorApiError, close = false) => {
    send(
      res,
      requestId,
      error.status,
      errorBody(requestId, error.code, error.message, DEFAULT_HOST_ID),
      close,
    );
  };

  const logLine = (
    method: string,
    action: string,
    status: number | string,
    code: string,
    requestId: string,
  ) => {
    log?.(`${method} ${action} ${status} ${code} ${requestId}`);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    stats.requests++;
    options.onRequest?.(clock());
    const requestId = newRequestId();
    const method = req.method ?? '-';
    let request: ApiRequest;
    try {
      request = await readApiRequest(req);
    } catch (error) {
      const apiError = error instanceof EmulatorApiError ? error : new EmulatorApiError('InternalError');
      stats.rejected++;
      // The body may be unread: close so the rest of it is not taken for the next request.
      sendError(res, requestId, apiError, true);
      logLine(method, '-', apiError.status, apiError.code, requestId);
      return;
    }
    // Only a known action name reaches the log: the raw value is caller-controlled text.
    const action = isKnownAction(request.params.Action ?? '') ? request.params.Action! : '?';

    const outcome = faults.next();
    if (faults.latencyMs > 0 && (closing || !(await wait(faults.latencyMs)))) {
      return; // closing: the socket is being destroyed
    }
    if (outcome === 'hang') {
      stats.faults++;
      hung.add(req.socket);
      req.socket.once('close', () => hung.delete(req.socket));
      logLine(method, action, 'hang', '-', requestId);
      return;
    }
    if (outcome === 'reset') {
      stats.faults++;
      logLine(method, action, 'reset', '-', requestId);
      req.socket.destroy();
      return;
    }
    const faultCode = FAULT_ERRORS[outcome];
    if (faultCode) {
      if (outcome === 'throttle' || outcome === 'throttle-user') stats.throttled++;
      else stats.faults++;
      const error = new EmulatorApiError(faultCode);
      sendError(res, requestId, error);
      logLine(method, action, error.status, error.code, requestId);
      return;
    }

    try {
      const known = checkGateway(request, gateway);
      const body = runAction(known, request.params, { state, describeShape, now: clock() });
      calls.push({ action: known, params: recordable(request.params), requestId, at: clock() });
      send(res, requestId, 200, { RequestId: requestId, ...body });
      logLine(method, action, 200, '-', requestId);
    } catch (error) {
      stats.rejected++;
      // Anything else is an emulator bug; its message is not echoed.
      const apiError = error instanceof EmulatorApiError ? error : new EmulatorApiError('InternalError');
      sendError(res, requestId, apiError);
      logLine(method, action, apiError.status, apiError.code, requestId);
    }
  }

  const bindHost = options.host ?? '127.0.0.1';
  assertLoopback(bindHost);
  const server = createServer((req, res) => {
    // Host and Origin as on every local port; bodies stay form-encoded, as pop-core sends them.
    const refusal = checkLocalRequest(req, {
      port: (server.address() as AddressInfo).port,
      requireJson: false,
    });
    if (refusal) return writeRefusal(res, refusal);
    // A write to a socket the client already dropped must not become an unhandled rejection.
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, bindHost, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;

  let closed: Promise<void> | undefined;
  return {
    url,
    port: address.port,
    calls,
    stats,
    setFaults(config) {
      faults.configure(config);
    },
    jobGroup(id) {
      return state.group(id);
    },
    reset(seed) {
      state.load(seed ? parseSeed(seed) : initialSeed);
      calls.length = 0;
      Object.assign(stats, { requests: 0, throttled: 0, faults: 0, rejected: 0 });
      nonces.clear();
      faults.configure({});
    },
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        closing = true;
        for (const cancel of [...waiting]) cancel();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
        for (const socket of hung) socket.destroy();
        hung.clear();
      });
      return closed;
    },
  };
}

function recordable(params: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).filter(([name]) => !UNRECORDED_PARAMS.has(name)));
}
