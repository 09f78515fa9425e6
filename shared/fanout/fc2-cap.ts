import { createRequire } from 'node:module';
import path from 'node:path';
import { Transform } from 'node:stream';
import zlib from 'node:zlib';
import { MAX_ANSWER_BYTES } from './fc3.js';

/**
 * `@alicloud/fc2` reads every answer whole with `httpx.read` and offers no transport seam. So that a
 * hostile or misconfigured endpoint cannot fill the instance's memory, the httpx that fc2 itself loads
 * gets a read that stops at MAX_ANSWER_BYTES (after decompression, so a gzip bomb stops too): past it
 * the connection is dropped and the read fails (FANOUT_UNAVAILABLE through translateFc2Error). The
 * original read still runs, on the capped stream, so its read timeout works as before. Anything else
 * sharing that httpx module instance gets the same cap (the bundle carries its own copy for pop-core,
 * whose answers are capped the same way already).
 */
const CAPPED = Symbol.for('jobgroup-autopilot.httpx-read-capped');

type Read = (
  response: NodeJS.ReadableStream & Record<string, unknown>,
  encoding?: string,
) => Promise<unknown>;
interface Httpx {
  read: Read;
  [CAPPED]?: true;
}

/** The answer as httpx should read it: decoded here, and ended with an error past the cap. */
export function cappedAnswer(
  response: NodeJS.ReadableStream & Record<string, unknown>,
  max = MAX_ANSWER_BYTES,
) {
  const headers = { ...(response.headers as Record<string, string | undefined>) };
  const encoding = headers['content-encoding'];
  delete headers['content-encoding'];
  let size = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > max) {
        (response as unknown as { destroy?: (error?: Error) => void }).destroy?.();
        done(Object.assign(new Error(`answer over ${max} bytes`), { code: 'ANSWER_TOO_LARGE' }));
        return;
      }
      done(null, chunk);
    },
  });
  const decoder =
    encoding === 'gzip' ? zlib.createGunzip() : encoding === 'deflate' ? zlib.createInflate() : undefined;
  const forward = (error: Error) => limit.destroy(error);
  if (decoder) {
    response.on('error', forward);
    decoder.on('error', forward);
    response.pipe(decoder).pipe(limit);
  } else {
    response.on('error', forward);
    response.pipe(limit);
  }
  // What httpx.read looks at besides the data: the socket (read timer), the request and the status.
  return Object.assign(limit, {
    headers,
    socket: response.socket,
    client: response.client,
    req: response.req,
    statusCode: response.statusCode,
  });
}

/** Caps the `read` of the httpx module `@alicloud/fc2` resolves (once per process); false if not found. */
export function capFc2Reads(fc2Entry?: string): boolean {
  let entry = fc2Entry;
  try {
    // Resolved as the bundle's own import resolves it: from the bundle's directory, then NODE_PATH.
    const base =
      (globalThis as { __AUTOPILOT_BUNDLE_DIR__?: string }).__AUTOPILOT_BUNDLE_DIR__ ?? process.cwd();
    entry ??= createRequire(path.join(base, 'index.js')).resolve('@alicloud/fc2');
    const httpx = createRequire(entry)('httpx') as Httpx;
    if (httpx[CAPPED]) return true;
    const read = httpx.read;
    httpx.read = (response, encoding) =>
      read(cappedAnswer(response) as unknown as NodeJS.ReadableStream & Record<string, unknown>, encoding);
    httpx[CAPPED] = true;
    return true;
  } catch {
    return false;
  }
}
