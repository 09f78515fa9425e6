/**
 * `npm run call -- scale 3 12`: a tiny signing client for the webhook. Signs with the last secret of
 * WEBHOOK_SECRETS (Standard Webhooks, via the `standardwebhooks` library), or sends WEBHOOK_TOKEN /
 * the first WEBHOOK_TOKENS entry as a bearer token; prints the status and the JSON answer.
 *
 *   scale <jobGroupId> <planedJobCount> [jobCount] [streamPerJob]
 *   stop <jobGroupId> | start <jobGroupId>
 *   patch <jobGroupId> '<json body>'
 *   batch '<json: {"changes": [...]} or [...]>'
 *   healthz
 * Flags: --dry-run. Env: WEBHOOK_URL (default http://127.0.0.1:9000).
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { DEV_WEBHOOK_SECRET } from './dev/defaults.js';

export const DEFAULT_WEBHOOK_URL = 'http://127.0.0.1:9000';

export interface CallRequest {
  readonly method: 'GET' | 'POST' | 'PATCH';
  readonly path: string;
  readonly body: string;
}

export const USAGE = `usage: npm run call -- <command> [--dry-run]
  scale <jobGroupId> <planedJobCount> [jobCount] [streamPerJob]
  stop <jobGroupId>
  start <jobGroupId>
  patch <jobGroupId> '<json body>'
  batch '<json: {"changes": [...]} or [...]>'
  healthz
env: WEBHOOK_URL (default ${DEFAULT_WEBHOOK_URL}), WEBHOOK_SECRETS (signs) or WEBHOOK_TOKEN / WEBHOOK_TOKENS (bearer)`;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

function count(value: string | undefined, name: string): number {
  if (value === undefined || !/^\d+$/.test(value)) throw new UsageError(`${name} must be a whole number`);
  return Number(value);
}

function jobGroup(value: string | undefined): string {
  if (value === undefined) throw new UsageError('missing <jobGroupId>');
  return encodeURIComponent(value);
}

function json(value: string | undefined, what: string): unknown {
  if (value === undefined) throw new UsageError(`missing ${what}`);
  try {
    return JSON.parse(value);
  } catch {
    throw new UsageError(`${what} is not valid JSON`);
  }
}

/** Command-line words → the HTTP request to send (no network, no env). */
export function buildCallRequest(argv: readonly string[]): CallRequest {
  const dryRun = argv.includes('--dry-run');
  const [command, ...args] = argv.filter((arg) => arg !== '--dry-run');
  const query = dryRun ? '?dryRun=true' : '';
  switch (command) {
    case 'scale': {
      const body: Record<string, number> = { planedJobCount: count(args[1], 'planedJobCount') };
      if (args[2] !== undefined) body.jobCount = count(args[2], 'jobCount');
      if (args[3] !== undefined) body.streamPerJob = count(args[3], 'streamPerJob');
      return {
        method: 'POST',
        path: `/v1/job-groups/${jobGroup(args[0])}/scale${query}`,
        body: JSON.stringify(body),
      };
    }
    case 'stop':
    case 'start':
      return { method: 'POST', path: `/v1/job-groups/${jobGroup(args[0])}/${command}${query}`, body: '' };
    case 'patch':
      return {
        method: 'PATCH',
        path: `/v1/job-groups/${jobGroup(args[0])}${query}`,
        body: JSON.stringify(json(args[1], '<json body>')),
      };
    case 'batch': {
      const parsed = json(args[0], '<json changes>');
      return {
        method: 'POST',
        path: `/v1/batch${query}`,
        body: JSON.stringify(Array.isArray(parsed) ? { changes: parsed } : parsed),
      };
    }
    case 'healthz':
      return { method: 'GET', path: '/healthz', body: '' };
    default:
      throw new UsageError(command === undefined ? 'missing <command>' : `unknown command "${command}"`);
  }
}

/** The auth headers for `body`: a Standard Webhooks signature, else a bearer token, else none. */
export function authHeaders(
  body: string,
  env: NodeJS.ProcessEnv = process.env,
  now = new Date(),
): Record<string, string> {
  // With nothing configured, sign like `npm start`'s local webhook expects.
  const secrets = (env.WEBHOOK_SECRETS ?? (env.WEBHOOK_TOKEN || env.WEBHOOK_TOKENS ? '' : DEV_WEBHOOK_SECRET))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const secret = secrets[secrets.length - 1];
  if (secret !== undefined) {
    const id = `msg_${randomUUID().replaceAll('-', '')}`;
    return {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': new Webhook(secret).sign(id, now, body),
    };
  }
  const entry = env.WEBHOOK_TOKEN?.trim() || (env.WEBHOOK_TOKENS ?? '').split(',')[0]?.trim();
  if (entry) {
    const eq = entry.indexOf('=');
    const token = eq > 0 && !/^=*$/.test(entry.slice(eq + 1)) ? entry.slice(eq + 1) : entry;
    return { authorization: `Bearer ${token}` };
  }
  return {};
}

/** Sends one call and returns the status and the answer's text. */
export async function call(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ status: number; body: string }> {
  const request = buildCallRequest(argv);
  const base = (env.WEBHOOK_URL ?? DEFAULT_WEBHOOK_URL).replace(/\/+$/, '');
  const headers: Record<string, string> = { ...authHeaders(request.body, env) };
  if (request.body !== '') headers['content-type'] = 'application/json';
  const response = await fetch(`${base}${request.path}`, {
    method: request.method,
    headers,
    ...(request.body !== '' && { body: request.body }),
  });
  return { status: response.status, body: await response.text() };
}

/** Where `runCall` writes (the process's stdout and stderr, or a test's buffers). */
export interface CallIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

/**
 * `npm run call` without the process: prints the status and the answer, and returns the exit code —
 * 0 for a 2xx answer with nothing failed, 1 for an error answer or a batch with failures (207), or when
 * nothing answered, 2 for bad arguments (usage on stderr; none at all is bad arguments too).
 */
export async function runCall(argv: readonly string[], io: CallIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  if (argv.length === 0) {
    io.stderr(`${USAGE}\n`);
    return 2;
  }
  try {
    const { status, body } = await call(argv, io.env);
    let pretty = body;
    try {
      pretty = JSON.stringify(JSON.parse(body), null, 2);
    } catch {
      // not JSON: print as received
    }
    io.stdout(`HTTP ${status}\n${pretty}\n`);
    // 207: some changes of the batch failed, which a script must not take as success.
    return status >= 200 && status < 300 && status !== 207 ? 0 : 1;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    io.stderr(`call failed: ${(error as Error).message} (is the webhook server running at WEBHOOK_URL?)\n`);
    return 1;
  }
}

async function main(): Promise<void> {
  process.exitCode = await runCall(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  void main();
}
