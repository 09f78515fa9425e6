import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { beforeEach } from 'vitest';
import { DEMO_CREDENTIAL, type Emulator } from '../../../local/emulator/index.js';
import type { FcContext } from '../../../shared/fc/context.js';
import { useEmulator } from '../../support/emulator.js';
import { applyEnv } from '../../support/env.js';
import { type CapturedLogs, useLogCapture } from '../../support/logs.js';

export { applyEnv } from '../../support/env.js';
export { captureLogs } from '../../support/logs.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../events/http');

/** Two secrets side by side, as during a rotation (old first, new second). */
export const OLD_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
export const NEW_SECRET = `whsec_${Buffer.from('a-new-32-byte-secret-for-rotation').toString('base64')}`;
export const WRONG_SECRET = `whsec_${Buffer.from('not-the-configured-secret-at-all').toString('base64')}`;
export const CI_TOKEN = 'tok_ci_9f8e7d6c5b4a39281706f5e4d3c2b1a0';
export const PLAIN_TOKEN = 'tok_plain_0a1b2c3d4e5f60718293a4b5c6d7e8f9';

/** Env of the function under test: emulator endpoint, live reads, both secrets, two tokens. */
export function webhookEnv(
  emu: Emulator,
  extra: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return {
    CITYVISUAL_ENDPOINT: emu.url,
    CITYVISUAL_REGION: 'cn-shanghai',
    CITYVISUAL_INSTANCE_ID: 'cv-demo-instance',
    AUTOPILOT_CONFIG: undefined,
    WEBHOOK_SECRETS: `${OLD_SECRET},${NEW_SECRET}`,
    WEBHOOK_TOKENS: `ci=${CI_TOKEN},${PLAIN_TOKEN}`,
    ALIBABA_CLOUD_ACCESS_KEY_ID: undefined,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: undefined,
    ...extra,
  };
}

/**
 * The lifecycle the webhook e2e files share: one emulator (reset before each test), the function's
 * env pointed at it before each test ({@link webhookEnv}), and every log line of the file.
 */
export function useWebhookEmulator(): { emu: Emulator; logs: CapturedLogs } {
  const emu = useEmulator();
  const logs = useLogCapture('file');
  beforeEach(() => applyEnv(webhookEnv(emu)));
  return { emu, logs };
}

/** A config file with a job-group registry (for runs without CITYVISUAL_INSTANCE_ID). */
function writeRegistryConfig(jobGroups: Record<string, unknown>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'webhook-config-'));
  const file = path.join(dir, 'autopilot.json');
  writeFileSync(file, JSON.stringify({ jobGroups }));
  return file;
}

/** Registry mode: no live reads (CITYVISUAL_INSTANCE_ID unset), a config file registering `jobGroups`. */
export function applyRegistryEnv(jobGroups: Record<string, unknown>): void {
  applyEnv({ CITYVISUAL_INSTANCE_ID: undefined, AUTOPILOT_CONFIG: writeRegistryConfig(jobGroups) });
}

/** The FC context of one invocation, with the STS-like credentials the emulator accepts. */
export function fcContext(overrides: Partial<FcContext> = {}): FcContext {
  return {
    requestId: `req-${randomUUID()}`,
    credentials: { ...DEMO_CREDENTIAL },
    function: { name: 'webhook', handler: 'index.handler', memory: 512, timeout: 30 },
    region: 'cn-shanghai',
    accountId: '123456789012',
    ...overrides,
  };
}

export type HttpEvent = {
  rawPath: string;
  body: string;
  isBase64Encoded: boolean;
  headers: Record<string, string>;
  queryParameters: Record<string, string>;
  requestContext: { http: { method: string; path: string } } & Record<string, unknown>;
} & Record<string, unknown>;

/** A fixture of test/events/http as FC sends it (parsed, so a test can adjust it before encoding). */
export function loadHttpEvent(name: string): HttpEvent {
  return JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8')) as HttpEvent;
}

export interface EventChanges {
  method?: string;
  /** Encoded path; `requestContext.http.path` gets the decoded one. */
  path?: string;
  body?: string;
  query?: Record<string, string>;
  /** Merged into the fixture's headers; `undefined` deletes one. Names as FC sends them (canonical). */
  headers?: Record<string, string | undefined>;
}

/** Fixture + changes → the event object (body changes update Content-Length). */
export function httpEvent(name: string, changes: EventChanges = {}): HttpEvent {
  const event = loadHttpEvent(name);
  if (changes.method !== undefined) event.requestContext.http.method = changes.method;
  if (changes.path !== undefined) {
    event.rawPath = changes.path;
    let decoded = changes.path;
    try {
      decoded = decodeURIComponent(changes.path);
    } catch {
      // keep raw
    }
    event.requestContext.http.path = decoded;
  }
  if (changes.body !== undefined) {
    event.body = changes.body;
    event.isBase64Encoded = false;
    event.headers['Content-Length'] = String(Buffer.byteLength(changes.body));
    if (changes.body !== '') event.headers['Content-Type'] ??= 'application/json';
  }
  if (changes.query !== undefined) event.queryParameters = changes.query;
  for (const [key, value] of Object.entries(changes.headers ?? {})) {
    if (value === undefined) delete event.headers[key];
    else event.headers[key] = value;
  }
  return event;
}

/** The raw body bytes of an event, as the signature covers them. */
export function rawBody(event: HttpEvent): string {
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

export interface SignOptions {
  secret?: string;
  id?: string;
  at?: Date;
  /** Signs this instead of the event's body (for tampering tests). */
  signedBody?: string;
}

/** Adds Standard Webhooks headers (Go-canonical names, as FC delivers them), signed by the library. */
export function signed(event: HttpEvent, options: SignOptions = {}): HttpEvent {
  const id = options.id ?? `msg_${randomUUID().replaceAll('-', '')}`;
  const at = options.at ?? new Date();
  const signature = new Webhook(options.secret ?? NEW_SECRET).sign(
    id,
    at,
    options.signedBody ?? rawBody(event),
  );
  event.headers['Webhook-Id'] = id;
  event.headers['Webhook-Timestamp'] = String(Math.floor(at.getTime() / 1000));
  event.headers['Webhook-Signature'] = signature;
  return event;
}

/** Adds `Authorization: Bearer <token>`. */
export function bearer(event: HttpEvent, token = CI_TOKEN): HttpEvent {
  event.headers.Authorization = `Bearer ${token}`;
  return event;
}

export const toBuffer = (event: unknown): Buffer => Buffer.from(JSON.stringify(event));

export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
  json: Record<string, unknown> & { error?: { code: string; message: string } & Record<string, unknown> };
}

type Handler = (event: Buffer, context: FcContext) => Promise<unknown>;

/** Calls the handler with a Buffer event and reads its FC response struct. */
export async function invoke(
  handler: Handler,
  event: unknown,
  context: FcContext = fcContext(),
): Promise<Answer> {
  const raw = (await handler(Buffer.isBuffer(event) ? event : toBuffer(event), context)) as {
    statusCode: number;
    headers: Record<string, string>;
    body: string;
    isBase64Encoded: boolean;
  };
  const body = raw.isBase64Encoded ? Buffer.from(raw.body, 'base64').toString('utf8') : raw.body;
  // A HEAD answer has no body.
  return {
    status: raw.statusCode,
    headers: raw.headers,
    body,
    json: body === '' ? undefined : JSON.parse(body),
  };
}

/** Audit lines written so far. */
export const auditLines = (lines: Array<Record<string, unknown>>) =>
  lines.filter((line) => line.audit === true);

/** Upstream requests the emulator received while `act` ran (every HTTP request, accepted or not). */
export async function upstreamDuring<T>(
  emu: Emulator,
  act: () => Promise<T>,
): Promise<{ result: T; requests: number; calls: string[] }> {
  const requests = emu.stats.requests;
  const calls = emu.calls.length;
  const result = await act();
  return {
    result,
    requests: emu.stats.requests - requests,
    calls: emu.calls.slice(calls).map((call) => call.action),
  };
}
