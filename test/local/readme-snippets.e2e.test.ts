import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as eventsHandler } from '../../functions/events/handler.js';
import { runCall } from '../../local/call.js';
import { DEV_WEBHOOK_SECRET, DEV_WEBHOOK_TOKEN } from '../../local/dev/defaults.js';
import { type EventsServer, startEventsServer } from '../../local/dev/events-server.js';
import {
  type FcEventHandler,
  startWebhookServer,
  type WebhookServer,
} from '../../local/dev/webhook-server.js';
import { DEMO_CREDENTIAL } from '../../local/emulator/index.js';
import { resetRuntime } from '../../shared/runtime.js';
import { applyEnv, webhookEnv } from '../functions/webhook/helpers.js';
import { useEmulator } from '../support/emulator.js';
import { useLogCapture } from '../support/logs.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const MARK = '# against npm start, as is';

/** The README's shell blocks that say they work pasted as they are against `npm start`. */
function pasteableSnippets(): string[] {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  return [...readme.matchAll(/```sh\n([\s\S]*?)```/g)]
    .map((match) => match[1] as string)
    .filter((block) => block.startsWith(MARK));
}

const bash = (script: string) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile('bash', ['-euo', 'pipefail', '-c', script], { timeout: 20_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });

describe("the README's curl examples, pasted as they are against npm start's servers", () => {
  useLogCapture('file');
  const emu = useEmulator({ reset: 'never' });
  let webhook: WebhookServer;
  let events: EventsServer;
  const env = () => ({
    ...webhookEnv(emu, { AUTOPILOT_CONFIG: path.join(ROOT, 'config/autopilot.yaml') }),
    WEBHOOK_SECRETS: DEV_WEBHOOK_SECRET,
    WEBHOOK_TOKENS: `dev=${DEV_WEBHOOK_TOKEN}`,
    ALIBABA_CLOUD_ACCESS_KEY_ID: DEMO_CREDENTIAL.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: DEMO_CREDENTIAL.accessKeySecret,
  });

  beforeAll(async () => {
    applyEnv(env());
    resetRuntime();
    webhook = await startWebhookServer({ env: env() });
    events = await startEventsServer({
      token: DEV_WEBHOOK_TOKEN,
      credentials: {
        accessKeyId: DEMO_CREDENTIAL.accessKeyId,
        accessKeySecret: DEMO_CREDENTIAL.accessKeySecret,
      },
      handler: eventsHandler as FcEventHandler,
    });
  });
  afterAll(async () => {
    await webhook.close();
    await events.close();
  });

  // npm start's fixed ports, pointed at this test's servers (the snippets are otherwise run verbatim).
  const onTestPorts = (snippet: string) =>
    snippet.replaceAll('http://127.0.0.1:9000', webhook.url).replaceAll('http://127.0.0.1:9001', events.url);

  it('finds the signed, the bearer and the events example', () => {
    expect(pasteableSnippets()).toHaveLength(3);
  });

  it.each(pasteableSnippets().map((snippet) => [snippet.split('\n')[1] ?? '', snippet]))(
    'runs %s and gets a JSON answer ending with a newline',
    async (_, snippet) => {
      const run = await bash(onTestPorts(snippet));

      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout.endsWith('}\n')).toBe(true);
      const answer = JSON.parse(run.stdout) as { error?: unknown };
      expect(answer.error).toBeUndefined();
    },
  );

  it('`npm run call` exits 0 on success, 1 on an error answer or a batch with failures, 2 without arguments', async () => {
    const out: string[] = [];
    const io = (extra: Record<string, string> = {}) => ({
      stdout: (text: string) => out.push(text),
      stderr: (text: string) => out.push(`ERR ${text}`),
      env: { WEBHOOK_URL: webhook.url, WEBHOOK_SECRETS: DEV_WEBHOOK_SECRET, ...extra },
    });

    const ok = await runCall(['scale', '3', '7'], io());
    const refused = await runCall(
      ['scale', '3', '7'],
      io({ WEBHOOK_SECRETS: `whsec_${Buffer.alloc(32, 7).toString('base64')}` }),
    );
    const partly = await runCall(
      [
        'batch',
        '{"changes":[{"jobGroupId":"3","action":"scale","planedJobCount":8},{"jobGroupId":"99","action":"stop"}]}',
      ],
      io(),
    );
    out.length = 0;
    const none = await runCall([], io());

    expect(ok).toBe(0);
    expect(refused).toBe(1);
    expect(partly).toBe(1);
    expect(none).toBe(2);
    expect(out.join('')).toContain('ERR usage: npm run call');
  });
});
