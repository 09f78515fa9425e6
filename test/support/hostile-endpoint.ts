import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a hostile endpoint managed to send on one connection before the client hung up. */
export interface SentAnswer {
  bytes: number;
  finished: boolean;
  /** Resolves when the answer's connection closed (finished or dropped by the client). */
  readonly closed: Promise<void>;
}

export interface HostileEndpoint {
  readonly url: string;
  readonly sent: SentAnswer[];
  close(): Promise<void>;
}

const CHUNK = Buffer.alloc(64 * 1024, 'a');

/**
 * A server that answers every request with `status` and a body of `totalBytes` (a JSON string's
 * opening, then filler), written with backpressure so it only sends what the client reads.
 */
export async function startHostileEndpoint(options: {
  readonly status?: number;
  readonly totalBytes: number;
  readonly headers?: http.OutgoingHttpHeaders;
}): Promise<HostileEndpoint> {
  const sent: SentAnswer[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    let onClosed = () => {};
    const entry: SentAnswer = { bytes: 0, finished: false, closed: new Promise((r) => (onClosed = r)) };
    sent.push(entry);
    res.on('close', onClosed);
    res.writeHead(options.status ?? 200, { 'content-type': 'application/json', ...options.headers });
    res.write('{"RequestId":"');
    const pump = () => {
      while (!res.destroyed && entry.bytes < options.totalBytes) {
        entry.bytes += CHUNK.length;
        if (!res.write(CHUNK)) {
          res.once('drain', pump);
          return;
        }
      }
      if (!res.destroyed) {
        entry.finished = true;
        res.end('"}');
      }
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sent,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
