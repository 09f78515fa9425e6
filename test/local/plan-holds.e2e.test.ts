import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as cli } from '../../local/cli.js';
import { startWebhookServer, type WebhookServer } from '../../local/dev/webhook-server.js';
import { DEMO_CREDENTIAL } from '../../local/emulator/index.js';
import { FLEET_HISTORY_SCAN } from '../../shared/history/index.js';
import { KEYS } from '../../shared/state/keys.js';
import { createMemoryStore } from '../../shared/state/memory.js';
import { useMemoryStore } from '../../shared/state/select.js';
import { NEW_SECRET, OLD_SECRET, webhookEnv } from '../functions/webhook/helpers.js';
import { useEmulator } from '../support/emulator.js';
import { useLogCapture } from '../support/logs.js';

// Group 6 stops every night (UTC); group 7 runs 10 jobs by day and 2 at night.
const CONFIG = {
  timezone: 'UTC',
  schedules: [
    {
      name: 'nightly',
      jobGroupIds: ['6'],
      windows: [
        { name: 'night-stop', days: 'mon-sun', from: '22:00', to: '06:00', set: { status: 'Stopped' } },
      ],
      otherwise: { status: 'Running' },
    },
    {
      name: 'daytime',
      jobGroupIds: ['7'],
      windows: [{ name: 'day', days: 'mon-sun', from: '08:00', to: '20:00', set: { planedJobCount: 10 } }],
      otherwise: { planedJobCount: 2 },
    },
  ],
};

interface Row {
  at: string;
  jobGroupId: string;
  window: string;
  skipped?: { holdId: string };
  held?: { holdIds: string[]; effective: { planedJobCount?: number } };
  holdEnds?: { holdId: string };
}

describe('autopilot plan --url: the holds in force, read through the webhook', () => {
  useLogCapture('file');
  const emu = useEmulator({ reset: 'never' });
  let server: WebhookServer;
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'plan-holds-')), 'autopilot.json');
  writeFileSync(file, JSON.stringify(CONFIG));

  beforeAll(async () => {
    server = await startWebhookServer({
      env: {
        ...webhookEnv(emu, { AUTOPILOT_CONFIG: file }),
        ALIBABA_CLOUD_ACCESS_KEY_ID: DEMO_CREDENTIAL.accessKeyId,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: DEMO_CREDENTIAL.accessKeySecret,
      },
    });
  });
  afterAll(async () => {
    await server.close();
  });

  const out: string[] = [];
  const io = {
    stdout: (text: string) => out.push(text),
    stderr: (text: string) => out.push(`ERR ${text}`),
    get env() {
      return { WEBHOOK_URL: server.url, WEBHOOK_SECRETS: `${OLD_SECRET},${NEW_SECRET}` };
    },
    cwd: process.cwd(),
  };
  const take = () => {
    const text = out.join('');
    out.length = 0;
    return text;
  };

  it('marks the occurrence a skip removes, what a pin sends instead, and when each hold ends', async () => {
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const from = new Date().toISOString();
    const to = new Date(Date.now() + 3 * 86_400_000).toISOString();

    const skipped = await cli(
      ['hold', '6', '--skip', 'night-stop', '--date', tomorrow, '--reason', 'gala'],
      io,
    );
    const skipText = take();
    if (skipped !== 0) throw new Error(skipText);
    const skip = (JSON.parse(skipText) as { hold: { id: string } }).hold;
    const pinned = await cli(['hold', '7', '--pin', 'planedJobCount=30', '--for', '2d'], io);
    const pinText = take();
    if (pinned !== 0) throw new Error(pinText);
    const pin = (JSON.parse(pinText) as { hold: { id: string; until: string } }).hold;
    const json = await cli(
      ['plan', '--config', file, '--from', from, '--to', to, '--json', '--url', server.url],
      io,
    );
    const rows = JSON.parse(take()) as Row[];
    const text = await cli(['plan', '--config', file, '--from', from, '--to', to, '--url', server.url], io);
    const view = take();
    const history = await cli(['history', '--group', '6'], io);
    const lines = take();

    expect([skipped, pinned, json, text, history]).toEqual([0, 0, 0, 0, 0]);
    // The skipped occurrence: its start (tomorrow 22:00) and its end (the morning after), nothing else.
    const marked = rows.filter((row) => row.skipped).map((row) => row.at);
    const after = new Date(Date.parse(`${tomorrow}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    expect(marked).toEqual([`${tomorrow}T22:00:00.000Z`, `${after}T06:00:00.000Z`]);
    expect(rows.filter((row) => row.skipped).every((row) => row.skipped?.holdId === skip.id)).toBe(true);
    // Every change of group 7 during the pin sends 30 instead; the pin's end is a row of its own.
    const during = rows.filter((row) => row.jobGroupId === '7' && row.at < pin.until && !row.holdEnds);
    expect(during.length).toBeGreaterThan(0);
    expect(during.every((row) => row.held?.effective.planedJobCount === 30)).toBe(true);
    expect(rows.filter((row) => row.jobGroupId === '7' && row.at > pin.until).every((row) => !row.held)).toBe(
      true,
    );
    expect(rows.find((row) => row.holdEnds)).toMatchObject({
      at: pin.until,
      jobGroupId: '7',
      window: 'hold ends',
    });
    expect(view).toContain('Holds in force (read from the webhook): 2 holds');
    expect(view).toMatch(new RegExp(`${tomorrow} 22:00 UTC {2}group 6 {2}SKIPPED \\[night-stop\\]`));
    expect(view).toContain(`sends planedJobCount 30 instead of`);
    expect(lines).toMatch(/group 6 {2}hold created: skip until \S+ "gala" {2}by webhook \S+ POST/);
  });

  it('exits 1 and says why when the webhook cannot be read', async () => {
    const code = await cli(
      ['plan', '--config', file, '--from', '2026-06-01', '--to', '2026-06-02', '--url', 'http://127.0.0.1:9'],
      io,
    );

    expect(code).toBe(1);
    expect(take()).toContain('ERR autopilot: no answer from http://127.0.0.1:9');
  });

  it('history says on stderr when more records are stored than a read over every group looks at', async () => {
    // Prepare: a store with one record more than that, each its own group
    const store = createMemoryStore();
    const at = Date.now() - 60_000;
    for (let n = 0; n <= FLEET_HISTORY_SCAN; n++) {
      const jobGroupId = `g${n}`;
      const entry = { at: new Date(at).toISOString(), jobGroupId, source: { kind: 'webhook', who: 'ops' } };
      await store.create(
        KEYS.history(jobGroupId, at, 'u'),
        { ...entry, sent: {}, set: {}, requestId: `r${n}` },
        {
          expiresAt: undefined,
        },
      );
    }
    useMemoryStore(store);
    try {
      // Act
      const code = await cli(['history', '--limit', '2', '--json'], io);

      // Assess: the two records printed, the note beside them
      const printed = take();
      expect(code).toBe(0);
      expect(printed).toContain(`ERR note: More than ${FLEET_HISTORY_SCAN} history records are stored`);
      expect(JSON.parse(printed.slice(printed.indexOf('['))) as unknown[]).toHaveLength(2);
    } finally {
      useMemoryStore(undefined);
    }
  });
});
