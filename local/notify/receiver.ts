import { Webhook } from 'standardwebhooks';
import { jsonObject, type Robot, type RobotOptions, type RobotRequest, startRobot } from './robot.js';

export interface WebhookReceiverOptions extends RobotOptions {
  /** The `whsec_…` secret the sender signs with. */
  readonly secret: string;
  /** Path it listens on; default `/hooks/autopilot`. */
  readonly path?: string;
}

/**
 * A generic receiver of signed webhooks on 127.0.0.1: verifies each request with the `standardwebhooks`
 * library's own `verify` (webhook-id, webhook-timestamp within 5 minutes, webhook-signature), as any tool
 * of the user's would, answers 401 on a bad signature and 200 on success, and records what it took.
 *
 * @example
 * const receiver = await startWebhookReceiver({ secret: 'whsec_…' });
 * // receiver.messages[0].body.type === 'autopilot.digest'
 */
export async function startWebhookReceiver(options: WebhookReceiverOptions): Promise<Robot> {
  const webhook = new Webhook(options.secret);
  const path = options.path ?? '/hooks/autopilot';
  const handle = (request: RobotRequest) => {
    if (request.method !== 'POST' || request.path !== path)
      return { status: 404, body: { error: 'not found' } };
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(request.headers))
      if (typeof value === 'string') headers[key] = value;
    try {
      webhook.verify(request.raw, headers);
    } catch {
      return { status: 401, body: { error: 'signature does not verify' } };
    }
    if (!jsonObject(request.raw)) return { status: 400, body: { error: 'not a JSON object' } };
    return { status: 200, body: { ok: true }, accepted: true };
  };
  return startRobot({ ...options, url: (base) => `${base}${path}`, handle });
}
