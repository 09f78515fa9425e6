/**
 * `npm start`: the whole product on this machine. Starts the CityVisual emulator with the demo fleet,
 * serves the webhook function over real HTTP (requests become FC v1 event Buffers), accepts CloudEvents
 * for the events function, and ticks the scheduler's reconcile — all against the emulator, or against a
 * real CityVisual endpoint when CITYVISUAL_ENDPOINT and ALIBABA_CLOUD_* credentials are set.
 */
import path from 'node:path';
import { handler as eventsHandler } from '../functions/events/handler.js';
import { setLogSink } from '../shared/log.js';
import { KEYS } from '../shared/state/keys.js';
import { createMemoryStore } from '../shared/state/memory.js';
import { useMemoryStore } from '../shared/state/select.js';
import { main as cli } from './cli.js';
import { startConsoleServer } from './dev/console-server.js';
import {
  DEV_CONSOLE_TOKEN,
  DEV_NOTIFY_PORTS,
  DEV_PORTS,
  DEV_WEBHOOK_SECRET,
  DEV_WEBHOOK_TOKEN,
} from './dev/defaults.js';
import { startEventsServer } from './dev/events-server.js';
import { startDevNotify } from './dev/notify-stand-ins.js';
import { prettyLogLine, wantsPrettyLogs } from './dev/pretty-log.js';
import { startSchedulerTicker } from './dev/scheduler-ticker.js';
import { type FcEventHandler, signedCurlExample, startWebhookServer } from './dev/webhook-server.js';
import { DEMO_CREDENTIAL, type Emulator, startEmulator } from './emulator/index.js';

const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

/** The embedded store, kept in a git-ignored file so holds and records survive a restart of npm start. */
export const DEV_STATE_FILE = path.resolve(process.env.AUTOPILOT_STATE_FILE ?? '.autopilot/state.json');

/**
 * The config, checked as `autopilot validate` checks it, before anything starts: an invalid config
 * stops `npm start` at once with the report (exit 1), instead of a server that logs CONFIG_INVALID
 * every tick. Warnings are printed and the start goes on.
 */
async function checkConfigFirst(file: string): Promise<void> {
  const out: string[] = [];
  const code = await cli(['validate', file], {
    stdout: (text) => out.push(text),
    stderr: (text) => out.push(text),
    env: process.env,
    cwd: process.cwd(),
  });
  if (code !== 0) {
    process.stderr.write(`npm start: the config is invalid; nothing was started.\n${out.join('')}`);
    process.exit(code);
  }
  const warnings = out
    .join('')
    .split('\n')
    .filter((line) => line.trim().startsWith('warning:'));
  if (warnings.length > 0) process.stderr.write(`${warnings.join('\n')}\n`);
}

async function main(): Promise<void> {
  const configFile = process.env.AUTOPILOT_CONFIG ?? path.resolve('config/autopilot.yaml');
  await checkConfigFirst(configFile);
  // Every function of this process shares one embedded store (STATE_STORE=memory), as they share one
  // Tablestore table when deployed.
  const store = createMemoryStore({ file: DEV_STATE_FILE });
  useMemoryStore(store);
  const realEndpoint = process.env.CITYVISUAL_ENDPOINT;
  const useEmulator = !realEndpoint || !process.env.ALIBABA_CLOUD_ACCESS_KEY_ID;
  let emulator: Emulator | undefined;
  if (useEmulator) {
    emulator = await startEmulator({ port: port('EMULATOR_PORT', DEV_PORTS.emulator) });
    // A new emulator has a new demo fleet: what the scheduler applied to the last one says nothing about it.
    for (const record of await store.list(KEYS.scheduled(''), { limit: 100_000 }))
      await store.delete(record.key);
  }
  // The demo config's notification channels go to local stand-ins unless the shell names real ones.
  const notify = await startDevNotify(process.env, (text) => process.stdout.write(text), {
    dingtalk: port('DINGTALK_PORT', DEV_NOTIFY_PORTS.dingtalk),
    webhook: port('RECEIVER_PORT', DEV_NOTIFY_PORTS.webhook),
  });
  const env: Record<string, string | undefined> = {
    ...process.env,
    ...notify.env,
    AUTOPILOT_CONFIG: configFile,
    WEBHOOK_SECRETS: process.env.WEBHOOK_SECRETS ?? DEV_WEBHOOK_SECRET,
    WEBHOOK_TOKENS: process.env.WEBHOOK_TOKENS ?? `dev=${DEV_WEBHOOK_TOKEN}`,
    CONSOLE_TOKENS: process.env.CONSOLE_TOKENS ?? `dev=${DEV_CONSOLE_TOKEN}`,
    ...(emulator && {
      CITYVISUAL_ENDPOINT: emulator.url,
      CITYVISUAL_INSTANCE_ID: 'cv-demo-instance',
      ALIBABA_CLOUD_ACCESS_KEY_ID: DEMO_CREDENTIAL.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: DEMO_CREDENTIAL.accessKeySecret,
      ALIBABA_CLOUD_SECURITY_TOKEN: undefined,
    }),
  };
  const webhook = await startWebhookServer({ port: port('WEBHOOK_PORT', DEV_PORTS.webhook), env });

  const events = await startEventsServer({
    port: port('EVENTS_PORT', DEV_PORTS.events),
    token: DEV_WEBHOOK_TOKEN,
    credentials: {
      accessKeyId: env.ALIBABA_CLOUD_ACCESS_KEY_ID,
      accessKeySecret: env.ALIBABA_CLOUD_ACCESS_KEY_SECRET,
    },
    handler: eventsHandler as FcEventHandler,
  });

  // The console's page is built from source at start (npm run build writes it beside the bundle).
  const consoleServer = await startConsoleServer({ port: port('CONSOLE_PORT', DEV_PORTS.console) });
  // The token travels in the fragment, which the browser never sends; the page stores it and removes it.
  const consoleToken = env.CONSOLE_TOKENS === `dev=${DEV_CONSOLE_TOKEN}` ? DEV_CONSOLE_TOKEN : undefined;
  const consoleUrl = `${consoleServer.url}/${consoleToken ? `#token=${consoleToken}` : ''}`;

  const tickSeconds = port('TICK_SECONDS', 30);
  const ticker = startSchedulerTicker({ intervalMs: tickSeconds * 1000, env });

  const pretty = wantsPrettyLogs(process.env, process.stdout.isTTY === true);
  const lastSecret = env.WEBHOOK_SECRETS?.split(',').at(-1)?.trim();
  const curl = lastSecret
    ? signedCurlExample({ url: webhook.url, secret: lastSecret })
    : '(no WEBHOOK_SECRETS: signed requests answer 401)';
  console.log(`
jobgroup-autopilot is running locally
  CityVisual     ${emulator ? `${emulator.url}  (emulator, demo fleet: instance cv-demo-instance, groups 1-8)` : `${realEndpoint}  (real endpoint)`}
  webhook        ${webhook.url}   GET /healthz, POST /v1/job-groups/{id}/scale|stop|start, PATCH /v1/job-groups/{id}, POST /v1/batch,
                 POST /v1/job-groups/{id}/holds, GET /v1/holds, DELETE /v1/holds/{holdId}, GET /v1/job-groups/{id}[/status|/history],
                 POST /v1/hooks/alertmanager, POST|PUT /v1/hooks/grafana
  events         ${events.url}   POST a CloudEvent (or an array) as EventBridge would deliver it, with the bearer token
  console        ${consoleUrl}   the week ahead of every group (open it in a browser${consoleToken ? '; the local read token is in the fragment' : '; CONSOLE_TOKENS is yours'})
  scheduler      reconcile every ${tickSeconds}s with ${env.AUTOPILOT_CONFIG}
  state store    embedded, kept in ${path.relative(process.cwd(), DEV_STATE_FILE)} (delete it to start afresh)
  notify         ${notify.banner.join('\n                 ')}

Try it:
  npm run call -- scale 3 12          (signs with the local secret; --dry-run to preview)
  (the signed curl below was signed at start: it works once, and only within 5 minutes)
  curl -s -H 'Authorization: Bearer ${DEV_WEBHOOK_TOKEN}' -H 'Content-Type: application/json' -d '{"planedJobCount":5}' ${webhook.url}/v1/job-groups/1/scale
  ${curl.split('\n').join('\n  ')}
  curl -s -H 'Authorization: Bearer ${DEV_WEBHOOK_TOKEN}' -H 'Content-Type: application/json' -d '{"specversion":"1.0","id":"e1","source":"ops","type":"autopilot.jobgroup.changes","data":{"changes":[{"jobGroupId":"8","action":"scale","planedJobCount":6}]}}' ${events.url}

${pretty ? 'Logs below, one line each (LOG_FORMAT=json for the JSON the functions write).' : "Logs below are the functions' JSON lines."} Ctrl+C stops everything.
`);
  setLogSink((line) => process.stdout.write(`${pretty ? prettyLogLine(line, true) : line}\n`));

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await ticker.stop();
    await webhook.close();
    await events.close();
    await notify.close();
    await consoleServer.close();
    await emulator?.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`npm start failed: ${(error as Error).message}`);
  process.exit(1);
});
