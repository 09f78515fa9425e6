import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ACS3_ALGORITHM, canonicalRequest } from '../../../shared/fanout/acs3.js';

/** One request a stand-in received, with what it made of the signature. */
export interface ReceivedInvocation {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  /** Whether the Authorization header verified against the stand-in's secret. */
  readonly signatureValid: boolean;
}

/** What the stand-in answers one request with: a status (202 accepts) and an optional error code. */
export type StandInAnswer = { readonly status: number; readonly code?: string };

export interface StandIn {
  readonly url: string;
  readonly received: ReceivedInvocation[];
  /** Resolves when every accepted event's `onAccepted` work (the "FC" running the shard) has settled. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export interface StandInOptions {
  /** The secret of the key the invoker signs with. */
  readonly accessKeySecret: string;
  /** Decides the answer per request (default 202 for every signed request, 403 for a bad signature). */
  readonly answer?: (request: ReceivedInvocation, index: number) => StandInAnswer;
  /** Runs after a 202, like FC running the async invocation; its promise is awaited by `settled()`. */
  readonly onAccepted?: (body: Buffer) => Promise<unknown>;
}

async function start(
  verify: (request: Omit<ReceivedInvocation, 'signatureValid'>, secret: string) => boolean,
  options: StandInOptions,
): Promise<StandIn> {
  const received: ReceivedInvocation[] = [];
  const work: Promise<unknown>[] = [];
  // Async task ids FC accepted (FC 3.0 and 2.0 header names): a second invocation with one is a 409.
  const taskIds = new Set<string>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const base = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      const request: ReceivedInvocation = { ...base, signatureValid: verify(base, options.accessKeySecret) };
      received.push(request);
      const taskHeader =
        req.headers['x-fc-async-task-id'] ?? req.headers['x-fc-stateful-async-invocation-id'];
      const taskId = Array.isArray(taskHeader) ? taskHeader[0] : taskHeader;
      const answer =
        taskId !== undefined && request.signatureValid && taskIds.has(taskId)
          ? { status: 409, code: 'AsyncTaskAlreadyExists' }
          : (options.answer?.(request, received.length - 1) ?? {
              status: request.signatureValid ? 202 : 403,
              ...(!request.signatureValid && { code: 'SignatureNotMatch' }),
            });
      const requestId = `standin-${received.length}`;
      if (answer.status === 202 && taskId !== undefined) taskIds.add(taskId);
      if (answer.status === 202) {
        res.writeHead(202, { 'x-fc-request-id': requestId, 'content-length': '0' }).end();
        if (options.onAccepted) work.push(options.onAccepted(request.body).catch(() => undefined));
        return;
      }
      const body = JSON.stringify({
        Code: answer.code ?? 'Error',
        Message: 'stand-in refused',
        RequestId: requestId,
      });
      res
        .writeHead(answer.status, { 'content-type': 'application/json', 'x-fc-request-id': requestId })
        .end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    async settled() {
      for (let seen = -1; seen !== work.length; ) {
        seen = work.length;
        await Promise.all(work);
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const AUTH_FC3 = /^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([a-z0-9;-]+),Signature=([0-9a-f]{64})$/;

/**
 * FC 3.0's invoke endpoint: checks the ACS3-HMAC-SHA256 signature by recomputing it from the request
 * as received (signed headers as listed, body hash, path and query) with the known secret.
 */
export function startFc3StandIn(options: StandInOptions): Promise<StandIn> {
  return start((request, secret) => {
    const match = AUTH_FC3.exec(String(request.headers.authorization ?? ''));
    if (!match) return false;
    const [, , signedList, signature] = match;
    const signedNames = (signedList ?? '').split(';');
    const headers: Record<string, string> = {};
    for (const name of signedNames) {
      const value = request.headers[name];
      if (typeof value !== 'string') return false;
      headers[name] = value;
    }
    const bodyHash = createHash('sha256').update(request.body).digest('hex');
    if (headers['x-acs-content-sha256'] !== bodyHash) return false;
    const url = new URL(request.path, 'http://stand-in');
    const { text } = canonicalRequest(
      {
        method: request.method,
        pathname: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers,
      },
      bodyHash,
    );
    const stringToSign = `${ACS3_ALGORITHM}\n${createHash('sha256').update(text).digest('hex')}`;
    return createHmac('sha256', secret).update(stringToSign).digest('hex') === signature;
  }, options);
}

const AUTH_FC2 = /^FC ([^:]+):([A-Za-z0-9+/]+=*)$/;

/**
 * FC 2.0's invoke endpoint: checks `Authorization: FC <id>:<base64 hmac-sha256>` over
 * `METHOD\nContent-MD5\nContent-Type\nDate\n<x-fc-* headers>PATH` (written here from the FC 2.0 signing
 * rules, independently of @alicloud/fc2), and that Content-MD5 matches the body.
 */
export function startFc2StandIn(options: StandInOptions): Promise<StandIn> {
  return start((request, secret) => {
    const match = AUTH_FC2.exec(String(request.headers.authorization ?? ''));
    if (!match) return false;
    const md5 = Buffer.from(createHash('md5').update(request.body).digest('hex')).toString('base64');
    if (request.headers['content-md5'] !== md5) return false;
    const fcHeaders = Object.keys(request.headers)
      .filter((name) => name.startsWith('x-fc-'))
      .sort()
      .map((name) => `${name}:${request.headers[name]}\n`)
      .join('');
    const stringToSign = [
      request.method,
      request.headers['content-md5'] ?? '',
      request.headers['content-type'] ?? '',
      request.headers.date ?? '',
      `${fcHeaders}${new URL(request.path, 'http://stand-in').pathname}`,
    ].join('\n');
    return createHmac('sha256', secret).update(stringToSign).digest('base64') === match[2];
  }, options);
}
