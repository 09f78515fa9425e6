import type { IncomingMessage } from 'node:http';
import { EmulatorApiError, invalidParameter } from './errors.js';

/** Largest accepted body, bytes. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** The parts of an HTTP request the API looks at. */
export interface ApiRequest {
  /** Uppercase HTTP method, as signed. */
  method: string;
  /** Query and form body merged (a name given twice is rejected, so merging loses nothing). */
  params: Record<string, string>;
}

/**
 * Reads the body (up to {@link MAX_BODY_BYTES}) and merges query and form parameters. Throws
 * `UnsupportedHTTPMethod`, `RequestEntityTooLarge`, `UnsupportedMediaType` or `InvalidParameter`.
 */
export async function readApiRequest(req: IncomingMessage): Promise<ApiRequest> {
  const method = (req.method ?? 'GET').toUpperCase();
  if (method !== 'GET' && method !== 'POST') throw new EmulatorApiError('UnsupportedHTTPMethod');
  const body = await readBody(req);
  const url = new URL(req.url ?? '/', 'http://emulator.invalid');
  const entries = [...url.searchParams];
  if (body.length > 0) {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded') throw new EmulatorApiError('UnsupportedMediaType');
    entries.push(...new URLSearchParams(body.toString('utf8')));
  }
  const params: Record<string, string> = Object.create(null);
  for (const [name, value] of entries) {
    if (Object.hasOwn(params, name)) throw invalidParameter(name, 'The parameter is given more than once.');
    params[name] = value;
  }
  return { method, params };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) return Promise.reject(new EmulatorApiError('RequestEntityTooLarge'));
  // Listeners rather than for-await: leaving a for-await loop early destroys the socket we answer on.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        tooLarge = true;
        chunks.length = 0;
        reject(new EmulatorApiError('RequestEntityTooLarge'));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
