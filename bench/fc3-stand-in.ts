/**
 * FC 3.0 for the fleet benchmark: an `InvokeFunction` endpoint (`POST /2023-03-30/functions/<fn>/
 * invocations`, `x-fc-invocation-type: Async`) that answers 202 at once and then runs the accepted
 * event the way FC runs an async invocation — in a fresh instance of the built function (its own
 * module state, agents and caches), every accepted invocation concurrently, none waiting for another.
 * A task id FC already accepted answers 409, as `FANOUT_TASK_IDS` expects. FC's async retries are not
 * modelled: a shard that fails stays failed, so the benchmark sees every failure.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (event: Buffer, context: object) => Promise<unknown>;

/** How one accepted invocation ended. */
export type InvocationOutcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: unknown };

export interface Fc3StandIn {
  readonly url: string;
  /** Accepted invocations so far. */
  readonly accepted: number;
  /** Resolves when every accepted invocation (and any it caused) has ended; their outcomes, in order. */
  settled(): Promise<InvocationOutcome[]>;
  close(): Promise<void>;
}

export interface Fc3StandInOptions {
  /** A fresh instance of the function for one invocation (the bundle loaded anew). */
  readonly instance: () => Handler;
  /** The FC context of one invocation. */
  readonly context: () => object;
}

export async function startFc3StandIn(options: Fc3StandInOptions): Promise<Fc3StandIn> {
  const runs: Promise<InvocationOutcome>[] = [];
  const taskIds = new Set<string>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const async = String(req.headers['x-fc-invocation-type'] ?? '').toLowerCase() === 'async';
      if (
        req.method !== 'POST' ||
        !/^\/2023-03-30\/functions\/[^/]+\/invocations/.test(req.url ?? '') ||
        !async
      ) {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"Code":"InvalidArgument"}');
        return;
      }
      const taskId = req.headers['x-fc-async-task-id'];
      if (typeof taskId === 'string') {
        if (taskIds.has(taskId)) {
          res.writeHead(409, { 'content-type': 'application/json' }).end('{"Code":"AsyncTaskAlreadyExists"}');
          return;
        }
        taskIds.add(taskId);
      }
      res.writeHead(202, { 'x-fc-request-id': `standin-${runs.length + 1}`, 'content-length': '0' }).end();
      const event = Buffer.concat(chunks);
      // Off this request's turn of the event loop, as FC starts the invocation elsewhere.
      runs.push(
        new Promise<InvocationOutcome>((resolve) => {
          setImmediate(() => {
            options
              .instance()(event, options.context())
              .then(
                (value) => resolve({ ok: true, value }),
                (error: unknown) => resolve({ ok: false, error }),
              );
          });
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get accepted() {
      return runs.length;
    },
    async settled() {
      for (let seen = -1; seen !== runs.length; ) {
        seen = runs.length;
        await Promise.all(runs);
      }
      return Promise.all(runs);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
