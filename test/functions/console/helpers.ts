import path from 'node:path';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startConsoleServer } from '../../../local/dev/console-server.js';
import { startWebhookServer, type WebhookServer } from '../../../local/dev/webhook-server.js';
import { DEMO_CREDENTIAL, type Emulator } from '../../../local/emulator/index.js';
import { type UseEmulatorOptions, useEmulator } from '../../support/emulator.js';
import { applyEnv } from '../../support/env.js';
import { CI_TOKEN } from '../webhook/helpers.js';

export const REPO = path.resolve(import.meta.dirname, '..', '..', '..');
/** The demo config `npm start` runs with. */
export const DEMO_CONFIG = path.join(REPO, 'config', 'autopilot.yaml');
/** A read token of the console (CONSOLE_TOKENS), named `ops`. */
export const CONSOLE_TOKEN = 'tok_console_read_5c4b3a29180f7e6d5c4b3a2';
/** A webhook token: it opens the webhook, never the console. */
export const WEBHOOK_TOKEN = CI_TOKEN;

/** The console's (and the webhook's) env: emulator with live reads, the demo config, both token lists. */
export function consoleEnv(
  emu: Emulator,
  extra: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return {
    CITYVISUAL_ENDPOINT: emu.url,
    CITYVISUAL_REGION: 'cn-shanghai',
    CITYVISUAL_INSTANCE_ID: 'cv-demo-instance',
    CITYVISUAL_MAX_ATTEMPTS: '2',
    AUTOPILOT_CONFIG: DEMO_CONFIG,
    CONSOLE_TOKENS: `ops=${CONSOLE_TOKEN}`,
    WEBHOOK_TOKENS: `ci=${WEBHOOK_TOKEN}`,
    WEBHOOK_SECRETS: undefined,
    STATE_STORE: undefined,
    TABLESTORE_ENDPOINT: undefined,
    TABLESTORE_INSTANCE: undefined,
    // The local servers pass FC's empty credentials of a function without a role: the env is used.
    ALIBABA_CLOUD_ACCESS_KEY_ID: DEMO_CREDENTIAL.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: DEMO_CREDENTIAL.accessKeySecret,
    ALIBABA_CLOUD_SECURITY_TOKEN: undefined,
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

export interface ConsoleRig {
  readonly emu: Emulator;
  readonly console: WebhookServer;
  readonly webhook: WebhookServer;
}

/**
 * The emulator (demo fleet, reset before each test), the console and the webhook served over real
 * HTTP as FC would, sharing this process's embedded store (fresh for each test), env set before each.
 */
export function useConsoleRig(
  extra: Record<string, string | undefined> = {},
  emulator: UseEmulatorOptions = {},
): ConsoleRig {
  const emu = useEmulator(emulator);
  let consoleServer: WebhookServer | undefined;
  let webhookServer: WebhookServer | undefined;
  beforeAll(async () => {
    applyEnv(consoleEnv(emu, extra));
    consoleServer = await startConsoleServer();
    webhookServer = await startWebhookServer();
  }, 60_000);
  afterAll(async () => {
    await consoleServer?.close();
    await webhookServer?.close();
  });
  beforeEach(() => applyEnv(consoleEnv(emu, extra)));
  return {
    emu,
    get console() {
      return consoleServer as WebhookServer;
    },
    get webhook() {
      return webhookServer as WebhookServer;
    },
  };
}

/** A GET (or other method) to the console with the read token unless told otherwise. */
export async function read(
  server: WebhookServer,
  urlPath: string,
  options: { method?: string; token?: string | null; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; text: string; json: () => unknown }> {
  const token = options.token === undefined ? CONSOLE_TOKEN : options.token;
  const response = await fetch(`${server.url}${urlPath}`, {
    method: options.method ?? 'GET',
    headers: { ...(token !== null && { Authorization: `Bearer ${token}` }), ...options.headers },
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) };
}

/** A pin made through the webhook with its bearer token, as an operator would. */
export async function pinThroughWebhook(
  webhook: WebhookServer,
  jobGroupId: string,
  body: Record<string, unknown>,
): Promise<{ hold: { id: string; until: string } }> {
  const response = await fetch(`${webhook.url}/v1/job-groups/${jobGroupId}/holds`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${WEBHOOK_TOKEN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== 201) throw new Error(`the webhook answered ${response.status}: ${text}`);
  return JSON.parse(text) as { hold: { id: string; until: string } };
}
