import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAll } from '../../build.js';
import { DEMO_CREDENTIAL } from '../../local/emulator/index.js';
import { startTablestoreEmulator, type TablestoreEmulator } from '../../local/tablestore/server.js';
import { ensureTable } from '../../shared/state/tablestore.js';
import { useEmulator } from '../support/emulator.js';
import { useLogCapture } from '../support/logs.js';
import { fcContext, fixture, loadBundle, REPO, setEnv } from './helpers.js';

// Two FC instances of the same built function are two separate module instances: nothing of one is in
// the other. With STATE_STORE=tablestore they share only the (emulated) Tablestore table, as deployed.
const OUT = path.join(REPO, 'node_modules', '.cache', 'autopilot-shared-state-bundles');
const SECRET = `whsec_${Buffer.from('shared-state-test-secret-32bytes').toString('base64')}`;
const INSTANCE = 'autopilot';

const emu = useEmulator({ reset: 'never' });
useLogCapture('file');
let tablestore: TablestoreEmulator;
let restore: () => void;

beforeAll(async () => {
  await buildAll({ outDir: OUT });
  tablestore = await startTablestoreEmulator({ ...DEMO_CREDENTIAL, instance: INSTANCE });
  await ensureTable({
    endpoint: tablestore.url,
    instance: INSTANCE,
    table: 'autopilot_state',
    credentials: DEMO_CREDENTIAL,
    timeToLiveSeconds: 31 * 86_400,
  });
  restore = setEnv({
    STATE_STORE: 'tablestore',
    TABLESTORE_ENDPOINT: tablestore.url,
    TABLESTORE_INSTANCE: INSTANCE,
    TABLESTORE_TABLE: undefined,
    CITYVISUAL_ENDPOINT: emu.url,
    CITYVISUAL_INSTANCE_ID: undefined,
    AUTOPILOT_CONFIG: 'autopilot.json',
    WEBHOOK_SECRETS: SECRET,
    WEBHOOK_TOKENS: undefined,
    FANOUT_INVOKER: 'none',
  });
}, 120_000);
afterAll(async () => {
  restore?.();
  await tablestore?.close();
});

function signedScale(id: string, planedJobCount: number): Buffer {
  const event = JSON.parse(fixture('http', 'scale.json').toString('utf8'));
  const body = JSON.stringify({ planedJobCount });
  const now = new Date();
  event.body = body;
  event.isBase64Encoded = false;
  event.headers['Content-Length'] = String(body.length);
  event.headers['Webhook-Id'] = id;
  event.headers['Webhook-Timestamp'] = String(Math.floor(now.getTime() / 1000));
  event.headers['Webhook-Signature'] = new Webhook(SECRET).sign(id, now, body);
  return Buffer.from(JSON.stringify(event));
}

const modifies = () => emu.calls.filter((call) => call.action === 'ModifyJobGroup').length;

describe('two instances of a built function share one Tablestore table', () => {
  it('a webhook-id accepted on instance A is answered from the store on instance B, sending nothing', async () => {
    const a = loadBundle('webhook', OUT).handler;
    const b = loadBundle('webhook', OUT).handler;
    expect(a).not.toBe(b);
    const delivery = signedScale('msg_two_instances', 11);
    const before = modifies();

    const first = (await a(delivery, fcContext('autopilot-webhook'))) as {
      statusCode: number;
      body: string;
      headers: Record<string, string>;
    };
    const afterFirst = modifies();
    const replay = (await b(delivery, fcContext('autopilot-webhook'))) as typeof first;
    const reused = (await b(
      signedScale('msg_two_instances', 2),
      fcContext('autopilot-webhook'),
    )) as typeof first;

    expect(first.statusCode).toBe(200);
    expect(afterFirst).toBe(before + 1);
    expect(replay).toMatchObject({
      statusCode: 200,
      body: first.body,
      headers: { 'Idempotent-Replayed': 'true' },
    });
    expect(reused.statusCode).toBe(422);
    expect(JSON.parse(reused.body).error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(modifies()).toBe(afterFirst);
    // The claim and its answer are rows of the shared table.
    expect(
      tablestore.rows('autopilot_state').some((row) => JSON.stringify(row).includes('msg_two_instances')),
    ).toBe(true);
  });

  it("a tick on instance B sends nothing that A's tick applied (only the enforced group is re-asserted)", async () => {
    const a = loadBundle('scheduler', OUT).handler;
    const b = loadBundle('scheduler', OUT).handler;
    const tick = () => {
      const event = JSON.parse(fixture('timer', 'reconcile.json').toString('utf8'));
      event.triggerTime = new Date().toISOString();
      return Buffer.from(JSON.stringify(event));
    };

    const first = (await a(tick(), fcContext('autopilot-scheduler'))) as {
      due: string[];
      applied: unknown[];
    };
    const second = (await b(tick(), fcContext('autopilot-scheduler'))) as { due: string[] };

    expect(first.due).toEqual(['1', '2', '3', '7']);
    expect(first.applied).toHaveLength(4);
    expect(second.due).toEqual(['7']);
  });

  it('an older alarm event on instance B waits while A sends the newer OK, then is stale', async () => {
    const a = loadBundle('events', OUT).handler;
    const b = loadBundle('events', OUT).handler;
    const okEvent = fixture('eventbridge', 'cms-alarm-recovered.json'); // 09:42 OK: scale group 8 to 8
    const alertEvent = fixture('eventbridge', 'cms-alarm.json'); // 09:15 ALERT: scale group 8 to 16
    const leased = () =>
      tablestore
        .rows('autopilot_state')
        .some((row) => JSON.stringify(row).includes('evt/8') && JSON.stringify(row).includes('lease'));
    const writes = () =>
      emu.calls.filter((call) => call.action === 'ModifyJobGroup' && call.params.JobGroupId === '8');
    type Summary = { events: Array<{ changes: Array<{ outcome: string; stale?: unknown }> }> };
    const before = writes().length;
    emu.setFaults({ latencyMs: 1_000 });
    try {
      // Act: A's write of the OK is in flight (its lease is in the table) when B gets the ALERT
      const sending = a(okEvent, fcContext('autopilot-events'));
      for (let waited = 0; !leased() && waited < 5_000; waited += 10) await sleep(10);
      const leasedWhileSending = leased();
      const [sent, during] = (await Promise.all([sending, b(alertEvent, fcContext('autopilot-events'))])) as [
        Summary,
        Summary,
      ];

      // Assess: B waited for A's lease, then found its event stale and sent nothing; group 8 stays at 8
      expect(leasedWhileSending).toBe(true);
      expect(sent.events[0]?.changes[0]?.outcome).toBe('applied');
      expect(during.events[0]?.changes[0]).toMatchObject({ outcome: 'unchanged', stale: {} });
      expect(
        writes()
          .slice(before)
          .map((call) => call.params.PlanedJobCount),
      ).toEqual(['8']);
      expect(leased()).toBe(false);
    } finally {
      emu.setFaults({});
    }
  });

  it('fails closed when the table cannot be reached: 503 STATE_UNAVAILABLE and nothing sent', async () => {
    const handler = loadBundle('webhook', OUT).handler;
    // The claim is the first store call, and the adapter does not retry: one fault is enough.
    tablestore.inject('unavailable', 1);
    const before = modifies();
    try {
      const answer = (await handler(signedScale('msg_store_down', 9), fcContext('autopilot-webhook'))) as {
        statusCode: number;
        body: string;
        headers: Record<string, string>;
      };
      expect(answer.statusCode).toBe(503);
      expect(JSON.parse(answer.body).error.code).toBe('STATE_UNAVAILABLE');
      expect(answer.headers['Retry-After']).toBeDefined();
      expect(modifies()).toBe(before);
    } finally {
      // Nothing left injected: the answer used the one fault.
      expect(tablestore.requests.PutRow).toBeGreaterThan(0);
    }
  });
});
