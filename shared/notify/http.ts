import http from 'node:http';
import https from 'node:https';

/** What a channel answered: status, a bounded body, and Retry-After when given. */
export interface PostAnswer {
  readonly status: number;
  readonly text: string;
  readonly retryAfterSeconds?: number;
}

/** Why a post got no answer; never carries the URL (robot URLs hold their token) or a socket message. */
export class PostFailure extends Error {
  override readonly name = 'PostFailure';
  constructor(readonly kind: 'timeout' | 'network') {
    super(kind === 'timeout' ? 'no answer in time' : 'connection failed');
  }
}

/** Answers longer than this are cut: a robot's JSON answer is a few dozen bytes. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * POSTs a JSON body and reads the answer, all within `timeoutMs` (connect, send and read). No redirect
 * is followed (a robot never redirects; following one could carry the token elsewhere) and nothing of the
 * URL reaches an error.
 *
 * @example
 * const answer = await postJson(new URL(robotUrl), JSON.stringify(message), {}, 2_000);
 */
export function postJson(
  url: URL,
  body: string,
  headers: Readonly<Record<string, string>>,
  timeoutMs: number,
): Promise<PostAnswer> {
  const client = url.protocol === 'https:' ? https : http;
  const payload = Buffer.from(body, 'utf8');
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const request = client.request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'content-length': String(payload.length),
          'user-agent': 'jobgroup-autopilot',
          ...headers,
        },
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const answer = () => {
          const retryAfter = Number(response.headers['retry-after']);
          finish(() =>
            resolve({
              status: response.statusCode ?? 0,
              text: Buffer.concat(chunks).subarray(0, MAX_ANSWER_BYTES).toString('utf8'),
              ...(Number.isFinite(retryAfter) && retryAfter >= 0 && { retryAfterSeconds: retryAfter }),
            }),
          );
        };
        response.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          size += chunk.length;
          // Enough to judge the answer: the rest is not read (an endless answer ends here, not at the timer).
          if (size >= MAX_ANSWER_BYTES) {
            answer();
            response.destroy();
          }
        });
        response.on('end', answer);
        response.on('error', () => finish(() => reject(new PostFailure('network'))));
      },
    );
    const timer = setTimeout(
      () => {
        finish(() => reject(new PostFailure('timeout')));
        request.destroy();
      },
      Math.max(1, timeoutMs),
    );
    request.on('error', () => finish(() => reject(new PostFailure('network'))));
    request.end(payload);
  });
}
