import type { RecordedMessage, Robot } from '../notify/index.js';
import { startDingTalkRobot, startWebhookReceiver } from '../notify/index.js';
import { DEV_DINGTALK, DEV_NOTIFY_PORTS, DEV_NOTIFY_WEBHOOK_SECRET } from './defaults.js';

/** The variables the demo config's channels name (config/autopilot.yaml, notify.channels). */
const VARIABLES = {
  dingtalk: { url: 'NOTIFY_DINGTALK_URL', secret: 'NOTIFY_DINGTALK_SECRET' },
  webhook: { url: 'NOTIFY_WEBHOOK_URL', secret: 'NOTIFY_WEBHOOK_SECRET' },
} as const;

export interface DevNotify {
  /** Variables to add to the functions' environment (only those the shell did not set). */
  readonly env: Record<string, string>;
  /** Lines for the `npm start` banner. */
  readonly banner: readonly string[];
  close(): Promise<void>;
}

/** A message as the terminal shows it: DingTalk's markdown text, or the digest's counts. */
function show(kind: 'dingtalk' | 'webhook', message: RecordedMessage, print: (text: string) => void): void {
  const body = message.body as { markdown?: { text?: string }; type?: string; counts?: unknown };
  const text =
    kind === 'dingtalk'
      ? (body.markdown?.text ?? '')
      : `${body.type} ${JSON.stringify(body.counts)} (webhook-id ${message.headers['webhook-id']})`;
  print(`\n[${kind} stand-in] received:\n  ${text.split('\n').join('\n  ')}\n`);
}

/**
 * `npm start`'s chat: a DingTalk robot stand-in (with 加签) and a signed-webhook receiver on fixed local
 * ports, which the demo config's two channels are pointed at unless the shell sets their variables
 * (then the real robot gets the digests). What they receive is printed.
 *
 * @example
 * const notify = await startDevNotify(process.env, (text) => process.stdout.write(text));
 * env = { ...env, ...notify.env };
 */
export async function startDevNotify(
  shell: NodeJS.ProcessEnv,
  print: (text: string) => void,
  ports: { dingtalk: number; webhook: number } = DEV_NOTIFY_PORTS,
): Promise<DevNotify> {
  const env: Record<string, string> = {};
  const banner: string[] = [];
  const robots: Robot[] = [];
  if (!shell[VARIABLES.dingtalk.url]) {
    const robot = await startDingTalkRobot({
      ...DEV_DINGTALK,
      port: ports.dingtalk,
      onMessage: (message) => show('dingtalk', message, print),
    });
    robots.push(robot);
    env[VARIABLES.dingtalk.url] = robot.url;
    env[VARIABLES.dingtalk.secret] = DEV_DINGTALK.secret;
    banner.push(
      `ops-dingtalk → DingTalk robot stand-in ${robot.url.replace(/\?.*/, '')} (set ${VARIABLES.dingtalk.url} and ${VARIABLES.dingtalk.secret} for a real robot)`,
    );
  } else banner.push(`ops-dingtalk → the robot of ${VARIABLES.dingtalk.url}`);
  if (!shell[VARIABLES.webhook.url]) {
    const receiver = await startWebhookReceiver({
      secret: DEV_NOTIFY_WEBHOOK_SECRET,
      port: ports.webhook,
      onMessage: (message) => show('webhook', message, print),
    });
    robots.push(receiver);
    env[VARIABLES.webhook.url] = receiver.url;
    env[VARIABLES.webhook.secret] = DEV_NOTIFY_WEBHOOK_SECRET;
    banner.push(`ops-webhook  → signed-webhook receiver stand-in ${receiver.url}`);
  } else banner.push(`ops-webhook  → the receiver of ${VARIABLES.webhook.url}`);
  return {
    env,
    banner,
    close: async () => {
      await Promise.all(robots.map((robot) => robot.close()));
    },
  };
}
