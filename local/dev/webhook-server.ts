/**
 * Serves the webhook function on a local port the way FC 3.0 does: each real HTTP request becomes an FC
 * v1 HTTP event in a Buffer (Go-canonicalised header names, repeated values comma-joined, base64 for
 * non-text bodies), the handler is called with an FC-like context, and its `{statusCode, headers, body,
 * isBase64Encoded}` is written back. Used by `npm start` (local/dev-server.ts) and end-to-end tests.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { FcContext } from '../../shared/fc/context.js';
import { resetRuntime } from '../../shared/runtime.js';
import { assertLoopback, checkLocalRequest, listenLocal, readBody, writeRefusal } from './local-guard.js';

/** An FC handler as the nodejs20 runtime calls it (source or built bundle). */
export type FcEventHandler = (event: Buffer, context: FcContext) => Promise<unknown>;

export interface WebhookServerOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  readonly port?: number;
  /** Loopback interface to bind; default 127.0.0.1 (anything else is refused: never exposed). */
  readonly host?: string;
  /** Variables for the handler (CITYVISUAL_ENDPOINT, WEBHOOK_SECRETS, …), set on process.env before start. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The handler to call; default the source handler of functions/webhook (pass the built bundle's to test it). */
  readonly handler?: FcEventHandler;
  /** Function timeout reported in the context, seconds; default 60. */
  readonly timeoutSeconds?: number;
  /** Function name reported in the context; default `webhook`. */
  readonly functionName?: string;
  /**
   * Require `Content-Type: application/json` on bodies (default true). Only tests of the FC event
   * shape of other bodies turn it off; the Host, Origin checks always apply.
   */
  readonly requireJson?: boolean;
  /** Requests with a larger body are refused here with 413 (FC's own sync limit is 32 MB); default 8 MiB. */
  readonly maxBodyBytes?: number;
}

export interface WebhookServer {
  /** Base URL, e.g. `http://127.0.0.1:9000`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Header names that may not reach an FC function (reference §1.2) or are hop-by-hop. */
const DROPPED_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade']);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const TEXT_TYPE =
  /^(text\/[^;]+|application\/(?:[^;]+\+)?(?:json|xml)|application\/(?:javascript|x-www-form-urlencoded))\s*(;|$)/i;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Go's `textproto.CanonicalMIMEHeaderKey`: `x-hub-signature-256` → `X-Hub-Signature-256`; odd names unchanged. */
export function canonicalHeaderName(name: string): string {
  if (!TOKEN.test(name)) return name;
  return name
    .toLowerCase()
    .replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase());
}

/** Whether FC would pass the body as text; anything else (or invalid UTF-8) goes base64. */
function isText(contentType: string | undefined, body: Buffer): boolean {
  if (contentType === undefined || !TEXT_TYPE.test(contentType.trim())) return false;
  try {
    utf8.decode(body);
    return true;
  } catch {
    return false;
  }
}

/** Node request + its body → the FC v1 HTTP event (as an object; the caller encodes it to a Buffer). */
export function toFcHttpEvent(req: IncomingMessage, body: Buffer, now = new Date()): Record<string, unknown> {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    if (DROPPED_HEADERS.has(name.toLowerCase())) continue;
    const key = canonicalHeaderName(name);
    headers[key] =
      headers[key] === undefined ? req.rawHeaders[i + 1]! : `${headers[key]},${req.rawHeaders[i + 1]}`;
  }
  const target = req.url ?? '/';
  const queryStart = target.indexOf('?');
  const rawPath = queryStart < 0 ? target : target.slice(0, queryStart);
  const queryParameters: Record<string, string> = {};
  if (queryStart >= 0) {
    for (const [key, value] of new URLSearchParams(target.slice(queryStart + 1))) {
      queryParameters[key] = queryParameters[key] === undefined ? value : `${queryParameters[key]},${value}`;
    }
  }
  let path = rawPath;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    // FC would have refused a malformed path; keep it raw so the router answers 404/400.
  }
  const text = body.length === 0 || isText(req.headers['content-type'], body);
  const host = req.headers.host ?? 'localhost';
  return {
    version: 'v1',
    rawPath,
    body: text ? body.toString('utf8') : body.toString('base64'),
    isBase64Encoded: !text,
    headers,
    queryParameters,
    requestContext: {
      accountId: 'local',
      domainName: host,
      domainPrefix: host.split('.')[0],
      http: {
        method: req.method ?? 'GET',
        path,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: req.headers['user-agent'] ?? '',
      },
      requestId: `1-${now.getTime().toString(16)}-${randomUUID().slice(0, 12)}`,
      time: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      timeEpoch: String(now.getTime()),
    },
  };
}

interface FcHttpResult {
  statusCode: number;
  headers?: Record<string, unknown>;
  body?: unknown;
  isBase64Encoded?: boolean;
}

function writeResult(res: ServerResponse, result: unknown): void {
  if (Buffer.isBuffer(result)) {
    res.writeHead(200).end(result);
    return;
  }
  const struct = result as Partial<FcHttpResult> | null;
  if (struct === null || typeof struct !== 'object' || typeof struct.statusCode !== 'number') {
    // Not the response struct: answered like a JSON body (what FC does here is unconfirmed, §1.4).
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(result ?? null));
    return;
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(struct.headers ?? {})) headers[name] = String(value);
  const raw =
    typeof struct.body === 'string'
      ? struct.body
      : struct.body === undefined
        ? ''
        : JSON.stringify(struct.body);
  res.writeHead(struct.statusCode, headers).end(struct.isBase64Encoded ? Buffer.from(raw, 'base64') : raw);
}

function writeError(res: ServerResponse, status: number, code: string, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res
    .writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' })
    .end(`${JSON.stringify({ error: { code, message } })}\n`);
}

/**
 * Starts the local webhook server.
 *
 * @example
 * const server = await startWebhookServer({ port: 9000, env: { CITYVISUAL_ENDPOINT: emu.url } });
 * console.log(signedCurlExample({ url: server.url, secret, path: '/v1/job-groups/3/scale', body: '{"planedJobCount":12}' }));
 */
export async function startWebhookServer(options: WebhookServerOptions = {}): Promise<WebhookServer> {
  if (options.env) {
    for (const [key, value] of Object.entries(options.env)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    resetRuntime();
  }
  const handler: FcEventHandler =
    options.handler ?? ((await import('../../functions/webhook/handler.js')).handler as FcEventHandler);
  const timeout = options.timeoutSeconds ?? 60;
  const maxBodyBytes = options.maxBodyBytes ?? 8 * 1024 * 1024;

  const host = options.host ?? '127.0.0.1';
  assertLoopback(host);
  const requireJson = options.requireJson ?? true;

  const server = createServer((req, res) => {
    void (async () => {
      const port = (server.address() as AddressInfo).port;
      const refusal = checkLocalRequest(req, { port, requireJson });
      if (refusal) return writeRefusal(res, refusal);
      const body = await readBody(req, maxBodyBytes);
      if (body === undefined) {
        res.setHeader('Connection', 'close');
        writeError(res, 413, 'PAYLOAD_TOO_LARGE', 'The body is over the local server limit.');
        return;
      }
      const event = toFcHttpEvent(req, body);
      const context: FcContext = {
        requestId: (event.requestContext as { requestId: string }).requestId,
        // Empty like FC without a role: the client falls back to ALIBABA_CLOUD_* variables.
        credentials: {},
        function: { name: options.functionName ?? 'webhook', handler: 'index.handler', memory: 512, timeout },
        region: process.env.CITYVISUAL_REGION ?? 'cn-shanghai',
        accountId: 'local',
      };
      writeResult(res, await handler(Buffer.from(JSON.stringify(event)), context));
    })().catch(() =>
      writeError(res, 502, 'INTERNAL', 'The function threw instead of answering; see its log.'),
    );
  });
  return listenLocal(server, options.port ?? 0, host);
}

/**
 * A ready-to-paste signed `curl` for the banner of `npm start`. The signature is valid for 5 minutes
 * (the Standard Webhooks tolerance) and its `webhook-id` once: `npm run call` signs fresh every time.
 */
export function signedCurlExample(input: {
  url: string;
  secret: string;
  path?: string;
  body?: string;
  now?: Date;
}): string {
  const path = input.path ?? '/v1/job-groups/3/scale';
  const body = input.body ?? '{"planedJobCount":12}';
  const now = input.now ?? new Date();
  const id = `msg_${randomUUID().replaceAll('-', '')}`;
  const signature = new Webhook(input.secret).sign(id, now, body);
  return [
    `curl -sS -X POST '${input.url}${path}'`,
    `  -H 'content-type: application/json'`,
    `  -H 'webhook-id: ${id}'`,
    `  -H 'webhook-timestamp: ${Math.floor(now.getTime() / 1000)}'`,
    `  -H 'webhook-signature: ${signature}'`,
    `  -d '${body.replaceAll("'", "'\\''")}'`,
  ].join(' \\\n');
}
