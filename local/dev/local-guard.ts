/**
 * The checks every `npm start` port makes before anything else, so that a web page the operator
 * visits cannot drive the local product: the port binds to loopback, and a request must name a
 * loopback host with this port (DNS rebinding), carry no foreign `Origin`, send bodies as
 * `application/json` (a cross-site request then needs a CORS preflight, which is never granted) and,
 * where asked, the local bearer token.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'] as const;
const JSON_TYPE = /^application\/json\s*(;|$)/i;

/** Loopback interfaces a local port may bind to. */
export const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

/** One refusal: a stable code, its status and a message (answered as `{"error": {code, message}}`). */
export interface LocalRefusal {
  readonly status: number;
  readonly code:
    | 'LOCAL_HOST_REFUSED'
    | 'LOCAL_ORIGIN_REFUSED'
    | 'UNSUPPORTED_MEDIA_TYPE'
    | 'UNAUTHORIZED'
    | 'METHOD_NOT_ALLOWED'
    | 'PAYLOAD_TOO_LARGE';
  readonly message: string;
}

export interface LocalGuardOptions {
  /** The port this server listens on: the only one its `Host` and `Origin` may name. */
  readonly port: number;
  /** When set, `Authorization: Bearer <token>` is required. */
  readonly token?: string;
  /** Require `Content-Type: application/json` on a request with a body; default true. */
  readonly requireJson?: boolean;
}

/** Refuses a bind address that is not loopback (the local product is never exposed by accident). */
export function assertLoopback(host: string): void {
  if (!LOOPBACK_HOSTS.has(host)) {
    throw new Error(`A local port binds to loopback only (127.0.0.1, ::1, localhost), not ${host}.`);
  }
}

const sameBytes = (a: string, b: string) => {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
};

/** The first check `req` fails, or undefined when it may proceed. */
export function checkLocalRequest(
  req: IncomingMessage,
  options: LocalGuardOptions,
): LocalRefusal | undefined {
  const own = LOOPBACK_NAMES.map((name) => `${name}:${options.port}`);
  const host = req.headers.host?.toLowerCase();
  if (host === undefined || !own.includes(host)) {
    return {
      status: 421,
      code: 'LOCAL_HOST_REFUSED',
      message: `This local port answers only Host ${own.join(', ')}.`,
    };
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !own.some((name) => origin.toLowerCase() === `http://${name}`)) {
    return {
      status: 403,
      code: 'LOCAL_ORIGIN_REFUSED',
      message: 'Requests from another origin (a web page) are refused by the local server.',
    };
  }
  if (options.token !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!match?.[1] || !sameBytes(match[1], options.token)) {
      return {
        status: 401,
        code: 'UNAUTHORIZED',
        message: 'Send the local bearer token that `npm start` prints: Authorization: Bearer <token>.',
      };
    }
  }
  const hasBody =
    req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if ((options.requireJson ?? true) && hasBody && !JSON_TYPE.test(req.headers['content-type'] ?? '')) {
    return {
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: 'Send the body as JSON (Content-Type: application/json).',
    };
  }
  return undefined;
}

/** Writes a refusal as a JSON error and closes the connection (the body is not read). */
export function writeRefusal(
  res: ServerResponse,
  refusal: LocalRefusal,
  headers: Record<string, string> = {},
): void {
  res
    .writeHead(refusal.status, {
      'Content-Type': 'application/json; charset=utf-8',
      Connection: 'close',
      ...headers,
    })
    .end(`${JSON.stringify({ error: { code: refusal.code, message: refusal.message } })}\n`);
}

/** Listens on `host:port` (loopback, checked by the caller) and answers the URL and a close that ends every connection. */
export async function listenLocal(
  server: Server,
  port: number,
  host: string,
): Promise<{ url: string; port: number; close: () => Promise<void> }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** The request body, or undefined once it passes `limit` bytes (the caller answers 413). */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
