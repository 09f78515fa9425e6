/**
 * `npm run bench`: builds the bundles, then measures against baselines taken in the same run, on this
 * machine, and prints ratios and the budgets they answer to:
 *
 * 1. cold start — per bundle, `node -e "require(bundle)"` vs a bare `node -e 0`, spawned alternately N
 *    times (median): overhead ≤ 20 ms, bundle ≤ 200 KB; then load plus one real first request
 *    (webhook: a signed scale; scheduler: a timer action; events: an EventBridge scale event) against
 *    the emulators with STATE_STORE=tablestore, as a ratio to a fresh node that loads pop-core alone
 *    and makes one signed call (bench/cold-baseline.ts): ≤ 1.35×;
 * 2. warm overhead — a signed webhook request through the whole built handler (Standard Webhooks auth,
 *    parse, plan, sign, HTTP to the emulator, translate) vs `bench/floor.ts` (the steps such a request
 *    cannot skip, without the product's plumbing) at 0 ms upstream latency (median): ≤ 1.15×; the ratio
 *    to a bare pop-core ModifyJobGroup call to the same emulator is printed for information;
 * 3. fleet — the built scheduler reconciling 1,000 groups inline against the emulator with 20 ms
 *    latency and a 200 QPS limit vs the ideal 1000 / 200 = 5 s: ≤ 1.15×, zero failures;
 * 4. fleet at scale — 10,000 groups with live reads, fan-out on: an FC 3.0 stand-in runs every shard it
 *    accepts in a fresh instance of the built scheduler, all at once, against the emulator (in a process
 *    of its own) with 20 ms latency and an account-wide limit of 1,000 QPS; time vs the ideal (the
 *    requests the reconcile needs / 1,000 QPS) ≤ 1.15×, peak QPS at the emulator ≤ the limit + 5 %,
 *    zero failures; then the reads of a steady tick of 1,000 groups: ≤ 11 reads, 0 writes.
 *
 * Not a test: numbers vary by machine. `BENCH_RUNS` (default 21) sets the cold-start spawns;
 * `BENCH_ONLY=cold,warm,fleet,scale` (any subset) runs only those parts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import RPCClientModule from '@alicloud/pop-core/lib/rpc.js';
import { build } from 'esbuild';
import { Webhook } from 'standardwebhooks';
import { buildAll, bundleOptions } from '../build.js';
import { DEMO_CREDENTIAL, makeFleetSeed, startEmulator } from '../local/emulator/index.js';
import { startTablestoreEmulator } from '../local/tablestore/server.js';
import { ensureTable } from '../shared/state/tablestore.js';
import { type Fc3StandIn, startFc3StandIn } from './fc3-stand-in.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const load = createRequire(import.meta.url);
const RUNS = Number(process.env.BENCH_RUNS ?? 21);
const ONLY = process.env.BENCH_ONLY?.split(',').map((part) => part.trim());
const runs = (part: 'cold' | 'warm' | 'fleet' | 'scale') => !ONLY || ONLY.includes(part);
const BUDGET = {
  bytes: 200 * 1024,
  loadMs: 20,
  warmRatio: 1.15,
  fleetRatio: 1.15,
  coldRatio: 1.35,
  peakOverLimit: 1.05,
  steadyReads: 11,
};

type Handler = (event: Buffer, context: object) => Promise<unknown>;
type FloorModule = typeof import('./floor.js');
type PopClient = { request(action: string, params: object, opts: object): Promise<unknown> };
const RPCClient = RPCClientModule as unknown as new (config: object) => PopClient;

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const ms = (value: number) => `${value.toFixed(value < 10 ? 2 : 1)} ms`;
const verdict = (ok: boolean) => (ok ? 'within budget' : 'OVER BUDGET');
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

function machine(): string {
  const cpuinfo = (() => {
    try {
      return readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      return '';
    }
  })();
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  return `node ${process.version}, ${os.availableParallelism()} CPU (nproc), ${model}, ${os.platform()} ${os.release()}`;
}

function fcContext(name: string, timeout = 60) {
  return {
    requestId: `bench-${Math.random().toString(36).slice(2)}`,
    credentials: { ...DEMO_CREDENTIAL },
    function: { name, handler: 'index.handler', memory: 512, timeout },
    region: 'cn-shanghai',
    accountId: '1234567890123456',
  };
}

/** Loads a fresh instance of a built bundle with `env` set (a bundle reads its env on first call). */
function loadBundle(name: string, env: Record<string, string | undefined>, from = dist): Handler {
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  const file = path.join(from, name, 'index.js');
  delete load.cache[file];
  return (load(file) as { handler: Handler }).handler;
}

/** Swaps stdout for a byte counter while `fn` runs: the handlers' log lines are part of their work. */
async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    return await fn();
  } finally {
    process.stdout.write = write;
  }
}

// ---- 1. cold start -----------------------------------------------------------------------------------

function coldStart(sizes: Record<string, number>): void {
  console.log(
    `\n1. Cold start: load each bundle in a fresh node vs bare \`node -e 0\` (${RUNS} spawns each, median)`,
  );
  const names = Object.keys(sizes);
  const samples: Record<string, number[]> = { bare: [], ...Object.fromEntries(names.map((n) => [n, []])) };
  const spawnMs = (args: string[]) => {
    const start = nowMs();
    const result = spawnSync(process.execPath, args, { stdio: 'ignore' });
    if (result.status !== 0) throw new Error(`node ${args.join(' ')} failed`);
    return nowMs() - start;
  };
  for (let i = 0; i < RUNS; i++) {
    samples.bare?.push(spawnMs(['-e', '0']));
    for (const name of names) {
      samples[name]?.push(spawnMs(['-e', `require(${JSON.stringify(path.join(dist, name, 'index.js'))})`]));
    }
  }
  const bare = median(samples.bare ?? []);
  console.log(`   bare node -e 0: ${ms(bare)}`);
  console.log('   bundle       size       load        overhead   ratio   budget (≤200 KB, ≤+20 ms)');
  for (const name of names) {
    const load = median(samples[name] ?? []);
    const bytes = sizes[name] ?? 0;
    const ok = bytes <= BUDGET.bytes && load - bare <= BUDGET.loadMs;
    console.log(
      `   ${name.padEnd(10)} ${`${(bytes / 1024).toFixed(1)} KB`.padStart(9)}  ${ms(load).padStart(9)}  ${`+${ms(load - bare)}`.padStart(10)}   ${(load / bare).toFixed(2)}×   ${verdict(ok)}`,
    );
  }
}

/** One spawn of `node -e script`, timed to its exit; the parent's event loop stays free (emulator). */
function spawnTimed(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = nowMs();
    const child = spawn(process.execPath, args, { stdio: 'ignore', env });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(nowMs() - start) : reject(new Error(`node ${args.join(' ')} exited ${code}`)),
    );
  });
}

/** A fixture under `test/events/<trigger>/`, parsed. */
const readFixture = (trigger: string, name: string) =>
  JSON.parse(readFileSync(path.join(root, 'test', 'events', trigger, name), 'utf8'));

/** The scale fixture as FC delivers it, with `planedJobCount` and a fresh Standard Webhooks signature. */
function signedScaleEvent(
  template: Record<string, unknown> & { headers: Record<string, string> },
  signer: Webhook,
  id: string,
  planedJobCount: number,
): Record<string, unknown> {
  const body = JSON.stringify({ planedJobCount });
  const at = new Date();
  return {
    ...template,
    body,
    headers: {
      ...template.headers,
      'Content-Length': String(body.length),
      'Webhook-Id': id,
      'Webhook-Timestamp': String(Math.floor(at.getTime() / 1000)),
      'Webhook-Signature': signer.sign(id, at, body),
    },
  };
}

/** Cold start as FC bills it: a fresh node loads the bundle and serves one real request. */
async function coldFirstRequest(names: readonly string[]): Promise<void> {
  console.log(
    `\n   load + first request (fresh node: require, one invocation against the emulators, STATE_STORE=tablestore, exit; ${RUNS} spawns, median)`,
  );
  const emu = await startEmulator({ port: 0 });
  // The state store as deployed: the tablestore adapter, against the local Tablestore wire emulator.
  const tablestore = await startTablestoreEmulator({ ...DEMO_CREDENTIAL, instance: 'autopilot' });
  await ensureTable({
    endpoint: tablestore.url,
    instance: 'autopilot',
    table: 'autopilot_state',
    credentials: DEMO_CREDENTIAL,
    timeToLiveSeconds: 31 * 86_400,
  });
  const secret = `whsec_${Buffer.from('benchmark-secret-of-32-bytes!!!!').toString('base64')}`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'autopilot-bench-first-'));
  try {
    const fixture = (trigger: string, name: string) =>
      readFileSync(path.join(root, 'test', 'events', trigger, name), 'utf8');
    const template = readFixture('http', 'scale.json');
    // A new id and count each spawn: a repeated webhook-id is answered from its stored response, and a
    // group already at its target could be left alone.
    const spawns = { webhook: 0, events: 0 };
    const webhookEvent = () =>
      JSON.stringify(
        signedScaleEvent(
          template,
          new Webhook(secret),
          `msg_bench_${randomUUID()}`,
          12 + (spawns.webhook++ % 2),
        ),
      );
    const events: Record<string, () => string> = {
      webhook: webhookEvent,
      scheduler: () => fixture('timer', 'scale.json'),
      // A new event each spawn (id and time): a copy of an applied one would be acknowledged unsent.
      events: () => {
        const event = JSON.parse(fixture('eventbridge', 'custom-scale.json')) as Record<string, unknown>;
        const data = { ...(event.data as Record<string, unknown>), count: 24 + (spawns.events++ % 2) };
        return JSON.stringify({
          ...event,
          id: `evt-bench-${randomUUID()}`,
          time: new Date().toISOString(),
          data,
        });
      },
    };
    const env = {
      ...process.env,
      CITYVISUAL_ENDPOINT: emu.url,
      CITYVISUAL_INSTANCE_ID: '',
      AUTOPILOT_CONFIG: 'autopilot.json',
      WEBHOOK_SECRETS: secret,
      FANOUT_INVOKER: 'none',
      LOG_LEVEL: 'warn',
      STATE_STORE: 'tablestore',
      TABLESTORE_ENDPOINT: tablestore.url,
      TABLESTORE_INSTANCE: 'autopilot',
      // The SDK's one-time Buffer() deprecation warning is not part of the measurement.
      NODE_NO_WARNINGS: '1',
    };
    const script = (name: string, eventFile: string) =>
      [
        `const {handler} = require(${JSON.stringify(path.join(dist, name, 'index.js'))});`,
        `const event = require('node:fs').readFileSync(${JSON.stringify(eventFile)});`,
        `const context = ${JSON.stringify(fcContext(`autopilot-${name}`))};`,
        'handler(event, context).then((r) => process.exit(r && r.statusCode >= 300 ? 2 : 0), () => process.exit(1));',
      ].join('\n');
    // The baseline: a fresh node loading only pop-core (bundled like a function) for one signed call.
    const baselineDir = mkdtempSync(path.join(os.tmpdir(), 'autopilot-bench-cold-'));
    await build(bundleOptions(path.join(root, 'bench', 'cold-baseline.ts'), baselineDir));
    writeFileSync(path.join(baselineDir, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
    const baselineScript = [
      `const {callOnce} = require(${JSON.stringify(path.join(baselineDir, 'index.js'))});`,
      `callOnce(${JSON.stringify(emu.url)}, ${JSON.stringify(DEMO_CREDENTIAL.accessKeyId)}, ${JSON.stringify(DEMO_CREDENTIAL.accessKeySecret)}).then(() => process.exit(0), () => process.exit(1));`,
    ].join('\n');
    const samples: Record<string, number[]> = {
      bare: [],
      baseline: [],
      ...Object.fromEntries(names.map((n) => [n, []])),
    };
    const scripts: Record<string, string> = {};
    for (const name of names) {
      const make = events[name];
      if (!make) continue;
      const file = path.join(dir, `${name}.json`);
      writeFileSync(file, make());
      scripts[name] = script(name, file);
    }
    for (let i = 0; i < RUNS; i++) {
      samples.bare?.push(await spawnTimed(['-e', '0'], env));
      samples.baseline?.push(await spawnTimed(['-e', baselineScript], env));
      for (const [name, code] of Object.entries(scripts)) {
        // The webhook and the events function each get a new request: a replay would send nothing.
        if (name === 'webhook' || name === 'events')
          writeFileSync(path.join(dir, `${name}.json`), events[name]?.() ?? '');
        samples[name]?.push(await spawnTimed(['-e', code], env));
      }
    }
    const bare = median(samples.bare ?? []);
    const baseline = median(samples.baseline ?? []);
    console.log(`   bare node -e 0: ${ms(bare)}`);
    console.log(`   baseline (fresh node, pop-core only, one signed call): ${ms(baseline)}`);
    console.log(`   function   load + 1st   over bare   ratio to baseline (budget ≤ ${BUDGET.coldRatio}×)`);
    for (const name of Object.keys(scripts)) {
      const total = median(samples[name] ?? []);
      const ratio = total / baseline;
      console.log(
        `   ${name.padEnd(10)} ${ms(total).padStart(9)}  ${`+${ms(total - bare)}`.padStart(10)}   ${ratio.toFixed(2)}×  ${verdict(ratio <= BUDGET.coldRatio)}`,
      );
    }
  } finally {
    await emu.close();
    await tablestore.close();
  }
}

// ---- 2. warm overhead --------------------------------------------------------------------------------

/** bench/floor.ts, bundled like a function (same options and stubs) into a temporary folder. */
async function loadFloor(): Promise<FloorModule> {
  const outdir = mkdtempSync(path.join(os.tmpdir(), 'autopilot-bench-floor-'));
  await build(bundleOptions(path.join(root, 'bench', 'floor.ts'), outdir));
  writeFileSync(path.join(outdir, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
  return load(path.join(outdir, 'index.js')) as FloorModule;
}

async function warmOverhead(latencyMs: number, floorModule: FloorModule): Promise<void> {
  // A warm instance serves many requests: warm up until V8 has optimised both paths, then measure.
  const WARMUP = latencyMs > 0 ? 50 : 500;
  const ITERATIONS = latencyMs > 0 ? 100 : 1000;
  console.log(
    `\n2. Warm overhead: signed webhook request through the built handler vs bare pop-core, emulator latency ${latencyMs} ms (${WARMUP} warm-up, then ${ITERATIONS} each, median)`,
  );
  const emu = await startEmulator({ port: 0, ...(latencyMs > 0 && { faults: { latencyMs } }) });
  const secret = `whsec_${Buffer.from('benchmark-secret-of-32-bytes!!!!').toString('base64')}`;
  try {
    // Registry mode (the bundled autopilot.json knows group 3): one ModifyJobGroup per request, like the baseline.
    const handler = loadBundle('webhook', {
      CITYVISUAL_ENDPOINT: emu.url,
      CITYVISUAL_INSTANCE_ID: undefined,
      AUTOPILOT_CONFIG: 'autopilot.json',
      WEBHOOK_SECRETS: secret,
      LOG_LEVEL: 'info',
    });
    const signer = new Webhook(secret);
    // The caller's side (reading the fixture, signing, serializing) happens before the clock starts:
    // the budget is about what the function does with a request, not what it costs to make one.
    const template = readFixture('http', 'scale.json');
    const webhookEvent = (count: number) =>
      Buffer.from(
        JSON.stringify(
          signedScaleEvent(
            template,
            signer,
            `msg_bench_${count}_${Math.random().toString(36).slice(2)}`,
            count,
          ),
        ),
      );
    const webhookRequest = async (event: Buffer) => {
      const answer = (await handler(event, fcContext('autopilot-webhook'))) as { statusCode: number };
      if (answer.statusCode !== 200) throw new Error(`webhook answered ${answer.statusCode}`);
    };
    const pop = new RPCClient({
      endpoint: emu.url,
      apiVersion: '2018-10-30',
      accessKeyId: DEMO_CREDENTIAL.accessKeyId,
      accessKeySecret: DEMO_CREDENTIAL.accessKeySecret,
    });
    // The same required steps with none of the product's plumbing (bench/floor.ts).
    const floorHandler = floorModule.createFloorHandler({
      secret,
      endpoint: emu.url,
      credentials: DEMO_CREDENTIAL,
      group: { jobGroupName: 'JobGroupName', algoLibId: '2', resourceProfileId: '23' },
    });
    const floorRequest = async (event: Buffer) => {
      const answer = await floorHandler(event);
      if (answer.statusCode !== 200) throw new Error(`floor answered ${answer.statusCode}`);
    };
    const bareCall = (count: number) =>
      pop.request(
        'ModifyJobGroup',
        {
          RegionId: 'cn-shanghai',
          JobGroupId: '3',
          JobGroupName: 'JobGroupName',
          AlgoLibId: '2',
          ResourceProfileId: '23',
          PlanedJobCount: String(count),
        },
        { method: 'POST', timeout: 5000 },
      );

    const through: number[] = [];
    const bare: number[] = [];
    const floor: number[] = [];
    await quietly(async () => {
      for (let i = 0; i < WARMUP; i++) {
        await webhookRequest(webhookEvent(10 + (i % 2)));
        await bareCall(10 + (i % 2));
        await floorRequest(webhookEvent(10 + (i % 2)));
      }
      for (let i = 0; i < ITERATIONS; i++) {
        // Alternating values: every request is a real write (no "already at target" shortcut).
        const event = webhookEvent(12 + (i % 2));
        let start = nowMs();
        await webhookRequest(event);
        through.push(nowMs() - start);
        start = nowMs();
        await bareCall(12 + (i % 2));
        bare.push(nowMs() - start);
        const floorEvent = webhookEvent(12 + (i % 2));
        start = nowMs();
        await floorRequest(floorEvent);
        floor.push(nowMs() - start);
      }
    });
    const toFloor = median(through) / median(floor);
    console.log(`   bare pop-core ModifyJobGroup:   ${ms(median(bare))}`);
    console.log(
      `   floor (bench/floor.ts: same schemas, signature check, replay claim, holds read, signed call, history record, audit line; no plumbing): ${ms(median(floor))}  ${(median(floor) / median(bare)).toFixed(2)}× bare`,
    );
    console.log(
      `   webhook through the handler:    ${ms(median(through))}  (+${ms(median(through) - median(floor))} over the floor; ${(median(through) / median(bare)).toFixed(2)}× bare, for information)`,
    );
    // The budget holds at 0 ms, where nothing hides the handler's own time; the others are for information.
    const budget =
      latencyMs === 0
        ? `budget ≤ ${BUDGET.warmRatio}×: ${verdict(toFloor <= BUDGET.warmRatio)}`
        : 'information';
    console.log(`   ratio to the floor ${toFloor.toFixed(2)}×   ${budget}`);
  } finally {
    await emu.close();
  }
}

// ---- 3. fleet ----------------------------------------------------------------------------------------

async function fleet(): Promise<void> {
  const FLEET = 1_000;
  const QPS = 200;
  const ideal = (FLEET / QPS) * 1000;
  console.log(
    `\n3. Fleet: reconcile ${FLEET} groups through the built scheduler; emulator 20 ms latency, ${QPS} QPS limit`,
  );
  const seed = makeFleetSeed(FLEET);
  const emu = await startEmulator({ port: 0, seed, faults: { latencyMs: 20, qpsLimit: QPS } });
  try {
    const config = path.join(mkdtempSync(path.join(os.tmpdir(), 'autopilot-bench-')), 'autopilot.json');
    writeFileSync(
      config,
      JSON.stringify({
        timezone: 'Asia/Shanghai',
        jobGroups: Object.fromEntries(
          seed.jobGroups.map((g) => [
            g.JobGroupId,
            { jobGroupName: g.JobGroupName, algoLibId: g.AlgoLibId, resourceProfileId: g.ResourceProfileId },
          ]),
        ),
        reconcile: { concurrency: 16, qps: QPS, shardSize: FLEET },
        // enforce: every group is re-asserted on every tick, so a tick at the current time (a tick ahead
        // of the clock is refused) has all 1,000 due whatever the time of day.
        schedules: [
          {
            name: 'citywide',
            jobGroupIds: seed.jobGroups.map((g) => g.JobGroupId),
            enforce: true,
            windows: [{ days: 'mon-fri', from: '07:30', to: '21:00', set: { planedJobCount: 20 } }],
            otherwise: { planedJobCount: 2 },
          },
        ],
      }),
    );
    const handler = loadBundle('scheduler', {
      CITYVISUAL_ENDPOINT: emu.url,
      CITYVISUAL_INSTANCE_ID: undefined,
      CITYVISUAL_MAX_ATTEMPTS: '10',
      AUTOPILOT_CONFIG: config,
      FANOUT_INVOKER: 'none',
      LOG_LEVEL: 'warn',
    });
    const event = Buffer.from(
      JSON.stringify({
        triggerTime: new Date().toISOString(),
        triggerName: 'reconcile-every-5m',
        payload: '{"action":"reconcile"}',
      }),
    );
    const start = nowMs();
    const summary = (await quietly(() => handler(event, fcContext('autopilot-scheduler', 300)))) as {
      counts: Record<string, number>;
    };
    const elapsed = nowMs() - start;
    const ratio = elapsed / ideal;
    const { applied = 0, failed = 0 } = summary.counts;
    console.log(`   ideal (${FLEET} / ${QPS} QPS): ${ms(ideal)}`);
    console.log(
      `   reconcile: ${ms(elapsed)}, applied ${applied}, failed ${failed}, throttled by the emulator ${emu.stats.throttled} (absorbed by retries)`,
    );
    console.log(
      `   ratio ${ratio.toFixed(3)}×   budget ≤ ${BUDGET.fleetRatio}× and 0 failures: ${verdict(ratio <= BUDGET.fleetRatio && failed === 0 && applied === FLEET)}`,
    );
  } finally {
    await emu.close();
  }
}

// ---- 4. fleet at scale -------------------------------------------------------------------------------

interface EmulatorReport {
  readonly stats: { requests: number; throttled: number; faults: number; rejected: number };
  readonly arrivals: number[];
  readonly accepted: Record<string, number>;
}

/** bench/emulator-process.ts in a child process (under tsx), driven over IPC. */
async function startEmulatorProcess(groups: number, faults: object) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'bench', 'emulator-process.ts'), JSON.stringify({ groups, faults })],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, NODE_NO_WARNINGS: '1' } },
  );
  const next = <T>() =>
    new Promise<T>((resolve, reject) => {
      child.once('message', (message) => resolve(message as T));
      child.once('exit', (code) => reject(new Error(`emulator process exited ${code}`)));
    });
  const { url } = await next<{ url: string }>();
  return {
    url,
    report: () => {
      const answer = next<EmulatorReport>();
      child.send('report');
      return answer;
    },
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.send('close');
      }),
  };
}

/** Peak requests in any sliding second, and the median of whole seconds from the first arrival. */
function rates(arrivals: readonly number[]): { peak: number; median: number; seconds: number } {
  const sorted = [...arrivals].sort((a, b) => a - b);
  let peak = 0;
  let low = 0;
  for (let high = 0; high < sorted.length; high++) {
    while ((sorted[high] as number) - (sorted[low] as number) >= 1000) low++;
    peak = Math.max(peak, high - low + 1);
  }
  const start = sorted[0] ?? 0;
  const whole = Math.floor(((sorted.at(-1) ?? start) - start) / 1000);
  const buckets = new Array<number>(whole).fill(0);
  for (const at of sorted) {
    const second = Math.floor((at - start) / 1000);
    if (second < whole) buckets[second] = (buckets[second] ?? 0) + 1;
  }
  return { peak, median: buckets.length > 0 ? median(buckets) : sorted.length, seconds: whole };
}

type ShardSummary = { counts: Record<string, number>; failed: Array<{ code: string }> };

/** A shard's (or the parent's) summary, whether its invocation succeeded or failed with it. */
function summaryOf(outcome: { ok: boolean; value?: unknown; error?: unknown }): ShardSummary | undefined {
  if (outcome.ok) return outcome.value as ShardSummary;
  return (outcome.error as { details?: { summary?: ShardSummary } }).details?.summary;
}

const tickEvent = () =>
  Buffer.from(
    JSON.stringify({
      triggerTime: new Date().toISOString(),
      triggerName: 'reconcile-every-5m',
      payload: '{"action":"reconcile"}',
    }),
  );

/** A config of `groups` ids "1".."n", all enforced to 20 at any time, with these reconcile settings. */
function scaleConfig(dir: string, groups: number, reconcile: Record<string, number>): string {
  const file = path.join(dir, `autopilot-${groups}-${reconcile.shardSize}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      timezone: 'Asia/Shanghai',
      reconcile,
      // enforce: every group is due on every tick (the steady tick reads them all).
      schedules: [
        {
          name: 'citywide',
          jobGroupIds: Array.from({ length: groups }, (_, i) => String(i + 1)),
          enforce: true,
          windows: [{ days: 'daily', from: '00:00', to: '12:00', set: { planedJobCount: 20 } }],
          otherwise: { planedJobCount: 20 },
        },
      ],
    }),
  );
  return file;
}

/**
 * One reconcile tick through the stand-in: the parent invocation, then every shard FC accepted,
 * until all have ended; the time, and the sums of their summaries.
 */
async function scaleTick(parent: Handler, standIn: Fc3StandIn) {
  const before = standIn.accepted;
  const start = nowMs();
  const outcomes = await quietly(async () => {
    const own = await parent(tickEvent(), fcContext('autopilot-scheduler', 300)).then(
      (value) => ({ ok: true, value }),
      (error: unknown) => ({ ok: false, error }),
    );
    return [own, ...(await standIn.settled()).slice(before)];
  });
  const elapsed = nowMs() - start;
  const summaries = outcomes.map(summaryOf);
  const total = (key: string) => summaries.reduce((n, summary) => n + (summary?.counts[key] ?? 0), 0);
  const codes = new Map<string, number>();
  for (const summary of summaries)
    for (const failure of summary?.failed ?? []) codes.set(failure.code, (codes.get(failure.code) ?? 0) + 1);
  return {
    elapsed,
    shards: outcomes.length - 1,
    applied: total('applied'),
    failed: total('failed'),
    codes,
    // An invocation that ended without a summary (a crash) would hide its groups.
    lost: summaries.filter((summary) => summary === undefined).length,
  };
}

async function fleetAtScale(): Promise<void> {
  const FLEET = 10_000;
  const STEADY = 1_000;
  const LIMIT = 1_000;
  console.log(
    `\n4. Fleet at scale: reconcile ${FLEET.toLocaleString('en')} groups, live reads, fan-out through an FC 3.0 stand-in (every accepted shard in a fresh instance of the built scheduler, all at once); emulator in its own process, 20 ms latency, account-wide limit ${LIMIT} QPS; reconcile.qps = ${LIMIT} (the budget is the account's limit)`,
  );
  // FC's runtime does not map stack traces through source maps; tsx turned it on for this process, and
  // each fresh bundle instance would read its map.
  process.setSourceMapsEnabled(false);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'autopilot-bench-scale-'));
  let bundles = dist;
  let emulatorUrl = '';
  const standIn = await startFc3StandIn({
    // A fresh instance per shard, as FC starts one per concurrent invocation.
    instance: () => loadBundle('scheduler', {}, bundles),
    context: () => fcContext('autopilot-scheduler', 300),
  });
  const env = (config: string) => ({
    CITYVISUAL_ENDPOINT: emulatorUrl,
    CITYVISUAL_INSTANCE_ID: 'cv-fleet-instance',
    CITYVISUAL_MAX_ATTEMPTS: undefined,
    AUTOPILOT_CONFIG: config,
    FANOUT_INVOKER: 'fc3',
    FANOUT_ENDPOINT: standIn.url,
    FANOUT_TASK_IDS: 'on',
    LOG_LEVEL: 'warn',
  });
  try {
    // Budgeted: shards of 1,000 (10 shards of 100 QPS); then the default 200 (50 of 20), for information.
    for (const [shardSize, budgeted] of [
      [1_000, true],
      [200, false],
    ] as const) {
      const emu = await startEmulatorProcess(FLEET, { latencyMs: 20, qpsLimit: LIMIT });
      try {
        emulatorUrl = emu.url;
        // Built with this config, as deployed: every instance uses the validated config the build shipped.
        bundles = path.join(dir, `dist-${shardSize}`);
        await buildAll({
          configFile: scaleConfig(dir, FLEET, { qps: LIMIT, shardSize, maxShards: 50 }),
          outDir: bundles,
        });
        // Every group is off its target (the seed's counts are 1–12): each one is a write.
        const result = await scaleTick(loadBundle('scheduler', env('autopilot.json'), bundles), standIn);
        const report = await emu.report();
        const { stats } = report;
        const reads = report.accepted.DescribeJobGroups ?? 0;
        const writes = report.accepted.ModifyJobGroup ?? 0;
        // What the reconcile needs, not what it sent: the listing once by the parent and once by the shards
        // (their pages), and one write per group. Extra reads then show in the ratio instead of raising it.
        const needed = 2 * Math.ceil(FLEET / 100) + FLEET;
        const ideal = (needed / LIMIT) * 1000;
        const ratio = result.elapsed / ideal;
        const { peak, median: typical } = rates(report.arrivals);
        const failures = [...result.codes].map(([code, n]) => `${code} ${n}`).join(', ');
        console.log(
          `   shardSize ${shardSize}: ${result.shards} shards; the reconcile needs ${needed.toLocaleString('en')} requests, ideal ${ms(ideal)}; sent ${reads} DescribeJobGroups pages and ${writes.toLocaleString('en')} ModifyJobGroup`,
        );
        console.log(
          `     ${ms(result.elapsed)} (${ratio.toFixed(3)}×), applied ${result.applied.toLocaleString('en')}, failed ${result.failed}${failures ? ` (${failures})` : ''}${result.lost > 0 ? `, ${result.lost} invocations without a summary` : ''}; at the emulator ${stats.requests.toLocaleString('en')} requests, peak ${peak} QPS (sliding second), median ${typical} QPS (whole seconds), ${stats.throttled} throttled, ${stats.faults + stats.rejected} other errors`,
        );
        const ok =
          ratio <= BUDGET.fleetRatio &&
          peak <= LIMIT * BUDGET.peakOverLimit &&
          result.failed === 0 &&
          result.lost === 0 &&
          result.applied === FLEET;
        console.log(
          budgeted
            ? `     budget ≤ ${BUDGET.fleetRatio}×, peak ≤ ${LIMIT * BUDGET.peakOverLimit} QPS, 0 failures: ${verdict(ok)}`
            : `     for information: ${ok ? 'also within' : 'outside'} those budgets (each of its ${result.shards} instances starts cold on this machine's 2 cores, one after another)`,
        );
      } finally {
        await emu.close();
      }
    }

    // Live reads in a steady tick: an instance of 1,000 groups, all at their target after a first tick.
    const emu = await startEmulatorProcess(STEADY, { latencyMs: 20, qpsLimit: LIMIT });
    try {
      emulatorUrl = emu.url;
      bundles = dist;
      const steady = loadBundle(
        'scheduler',
        env(scaleConfig(dir, STEADY, { qps: LIMIT, shardSize: 200, maxShards: 50 })),
      );
      const first = await scaleTick(steady, standIn);
      const converged = await emu.report();
      const second = await scaleTick(steady, standIn);
      const after = await emu.report();
      const reads = (after.accepted.DescribeJobGroups ?? 0) - (converged.accepted.DescribeJobGroups ?? 0);
      const writes = (after.accepted.ModifyJobGroup ?? 0) - (converged.accepted.ModifyJobGroup ?? 0);
      console.log(
        `   steady tick of ${STEADY.toLocaleString('en')} groups (the first tick applied ${first.applied.toLocaleString('en')} in ${first.shards} shards): ${reads} DescribeJobGroups, ${writes} ModifyJobGroup, ${second.shards} shards; budget ≤ ${BUDGET.steadyReads} reads, 0 writes: ${verdict(reads <= BUDGET.steadyReads && writes === 0 && second.failed === 0)}`,
      );
    } finally {
      await emu.close();
    }
  } finally {
    await standIn.close();
  }
}

async function main(): Promise<void> {
  console.log(`jobgroup-autopilot benchmarks — ${machine()}`);
  const sizes = await buildAll();
  if (runs('cold')) {
    coldStart(sizes);
    await coldFirstRequest(Object.keys(sizes));
  }
  // 0 ms: the handler's own CPU cost against a free upstream (the strict reading of the budget);
  // 1 ms: an upstream in the same region; 20 ms: as far away as in the fleet benchmark.
  if (runs('warm')) {
    const floorModule = await loadFloor();
    await warmOverhead(0, floorModule);
    await warmOverhead(1, floorModule);
    await warmOverhead(20, floorModule);
  }
  if (runs('fleet')) await fleet();
  if (runs('scale')) await fleetAtScale();
}

await main();
