/**
 * Fixed settings of `npm start`, shared with `npm run call` so the two work together with no setup.
 * The secret and token are for the local emulator only: they guard nothing real.
 */
export const DEV_PORTS = { emulator: 8787, webhook: 9000, events: 9001, console: 9002 } as const;
/** Standard Webhooks secret of the local webhook (base64 of a fixed 32-byte string). */
export const DEV_WEBHOOK_SECRET = `whsec_${Buffer.from('jobgroup-autopilot-local-only-32').toString('base64')}`;
/** Bearer token of the local webhook, named `dev` in audit lines. */
export const DEV_WEBHOOK_TOKEN = 'dev-local-token-guards-nothing-real';
/** Ports of the notification stand-ins of `npm start` (a DingTalk robot and a signed-webhook receiver). */
export const DEV_NOTIFY_PORTS = { dingtalk: 9003, webhook: 9004 } as const;
/** Token and 加签 secret of the local DingTalk stand-in, and the secret of the local webhook receiver. */
export const DEV_DINGTALK = {
  accessToken: 'dev-local-robot',
  secret: 'SECdev-local-only-guards-nothing',
} as const;
export const DEV_NOTIFY_WEBHOOK_SECRET = `whsec_${Buffer.from('autopilot-local-notify-only-32by').toString('base64')}`;
/** Read token of the local console (`CONSOLE_TOKENS`), handed to the page in its URL fragment. */
export const DEV_CONSOLE_TOKEN = 'dev-console-token-guards-nothing-real';
