/**
 * The events port of `npm start`: an EventBridge stand-in. The POSTed body (one CloudEvent or an
 * array) is the event Buffer FC delivers to the events function. Guarded like every local port, and
 * it needs the local bearer token: a CloudEvent here changes job groups.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FcContext } from '../../shared/fc/context.js';
import { assertLoopback, checkLocalRequest, listenLocal, readBody, writeRefusal } from './local-guard.js';
import type { FcEventHandler } from './webhook-server.js';

export interface EventsServerOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  readonly port?: number;
  /** Loopback interface to bind; default 127.0.0.1. */
  readonly host?: string;
  /** The bearer token every request must carry (`npm start` uses the local webhook token). */
  readonly token: string;
  /** Credentials put in the context, like FC's STS ones. */
  readonly credentials?: FcContext['credentials'];
  /** The handler; default the source handler of functions/events. */
  readonly handler?: FcEventHandler;
  /** Bodies over this are refused with 413; default 8 MiB. */
  readonly maxBodyBytes?: number;
}

export interface EventsServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Starts the events port.
 *
 * @example
 * const events = await startEventsServer({ port: 9001, token: DEV_WEBHOOK_TOKEN });
 */
export async function startEventsServer(options: EventsServerOptions): Promise<EventsServer> {
  const host = options.host ?? '127.0.0.1';
  assertLoopback(host);
  const handler: FcEventHandler =
    options.handler ?? ((await import('../../functions/events/handler.js')).handler as FcEventHandler);
  const maxBodyBytes = options.maxBodyBytes ?? 8 * 1024 * 1024;

  const server = createServer((req, res) => {
    void (async () => {
      const port = (server.address() as AddressInfo).port;
      const refusal = checkLocalRequest(req, { port, token: options.token });
      if (refusal) return writeRefusal(res, refusal);
      if (req.method !== 'POST') {
        return writeRefusal(
          res,
          { status: 405, code: 'METHOD_NOT_ALLOWED', message: 'POST a CloudEvent or an array of them.' },
          { Allow: 'POST' },
        );
      }
      const body = await readBody(req, maxBodyBytes);
      if (body === undefined) {
        return writeRefusal(res, {
          status: 413,
          code: 'PAYLOAD_TOO_LARGE',
          message: 'The body is over the local server limit.',
        });
      }
      try {
        const summary = await handler(body, {
          requestId: `dev-event-${Date.now().toString(36)}`,
          credentials: options.credentials ?? {},
          function: { name: 'events', handler: 'index.handler', memory: 512, timeout: 60 },
        });
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(`${JSON.stringify(summary, null, 2)}\n`);
      } catch (error) {
        // What FC would record as a failed async invocation (and retry), with the error table's status.
        const status = (error as { status?: unknown }).status;
        res
          .writeHead(typeof status === 'number' ? status : 500, { 'content-type': 'application/json' })
          .end(`${JSON.stringify({ failed: error }, null, 2)}\n`);
      }
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify({ error: { code: 'INTERNAL', message: 'The events function threw.' } })}\n`);
    });
  });
  return listenLocal(server, options.port ?? 0, host);
}
