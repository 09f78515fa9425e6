import { createHmac, randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { isSecureEndpoint } from '../config/env.js';
import { AutopilotError } from '../errors.js';
import { SECRET_BYTES, whsecBytes } from '../webhook/auth.js';
import type { Digest } from './digest.js';
import type { PostAnswer } from './http.js';
import { renderJson, renderMarkdown } from './render.js';
import { CHANNEL_DEFAULTS, type Channel, type ChannelType } from './schema.js';

/** A channel with its URL and secret read from the environment and checked. */
export interface ResolvedChannel {
  readonly channel: Channel;
  readonly url: URL;
  readonly secret?: string;
  readonly perMinute?: number;
  readonly maxBytes: number;
  readonly cooldownMs: number;
}

/** The HTTP request one attempt sends. */
export interface ChannelRequest {
  readonly url: URL;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** One message for a channel: built once, then signed afresh for each attempt (a retry gets a new timestamp). */
export interface PreparedMessage {
  /** Items of the digest in the message, and items cut to fit. */
  readonly shown: number;
  readonly omitted: number;
  readonly request: (now: number) => ChannelRequest;
}

/** What an answer means: sent, refused for good, worth one retry, or "too fast" (cool down). */
export type AnswerVerdict =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly code: 'NOTIFY_REJECTED' | 'NOTIFY_UNAVAILABLE' | 'NOTIFY_RATE_LIMITED';
      /** The robot's own error code (errcode / code) or the HTTP status. */
      readonly channelCode?: number;
    };

function invalid(channel: Channel, message: string): AutopilotError {
  return new AutopilotError('NOTIFY_CHANNEL_INVALID', { message: `Channel ${channel.name}: ${message}` });
}

/**
 * Reads a channel's URL and secret from `env` and checks them: the URL `https://` (http only to a loopback
 * host), a webhook channel's secret a Standard Webhooks `whsec_` secret. Errors name the channel and the
 * variable, never a value. Throws NOTIFY_CHANNEL_INVALID; `reason: 'unset'` in its details when the URL
 * variable is not set at all (the channel is off in this environment).
 */
export function resolveChannel(channel: Channel, env: NodeJS.ProcessEnv): ResolvedChannel {
  const raw = env[channel.urlEnv]?.trim();
  if (!raw) {
    throw new AutopilotError('NOTIFY_CHANNEL_INVALID', {
      message: `Channel ${channel.name}: ${channel.urlEnv} is not set; the channel is off here.`,
      details: { reason: 'unset' },
    });
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid(channel, `${channel.urlEnv} is not a URL.`);
  }
  if (!isSecureEndpoint(url)) {
    throw invalid(
      channel,
      `${channel.urlEnv} must be https:// (http:// is accepted for loopback hosts only).`,
    );
  }
  let secret: string | undefined;
  if (channel.secretEnv !== undefined) {
    secret = env[channel.secretEnv]?.trim();
    if (!secret) throw invalid(channel, `${channel.secretEnv} is not set.`);
    if (channel.type === 'webhook') checkWebhookSecret(channel, secret);
  }
  const defaults = CHANNEL_DEFAULTS[channel.type];
  const perMinute = channel.perMinute ?? defaults.perMinute;
  return {
    channel,
    url,
    ...(secret !== undefined && { secret }),
    ...(perMinute !== undefined && { perMinute }),
    maxBytes: channel.maxBytes ?? defaults.maxBytes,
    cooldownMs: defaults.cooldownMs,
  };
}

function checkWebhookSecret(channel: Channel, secret: string): void {
  const size = whsecBytes(secret);
  if (size < SECRET_BYTES.min || size > SECRET_BYTES.max) {
    throw invalid(
      channel,
      `${channel.secretEnv} is not a Standard Webhooks secret (whsec_ and base64 of ${SECRET_BYTES.min}-${SECRET_BYTES.max} bytes); make one with \`npx autopilot secret\`.`,
    );
  }
}

/**
 * DingTalk 加签: `sign = urlEncode(base64(HMAC-SHA256(key = secret, timestamp + "\n" + secret)))`, the
 * timestamp in milliseconds, both added as query parameters to the bare URL (never to a URL already
 * signed: it would grow with every message).
 */
export function dingtalkSign(secret: string, timestampMs: number): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`, 'utf8').digest('base64');
}

/**
 * Feishu / Lark 签名校验: the key is `timestamp + "\n" + secret` (seconds), the message empty,
 * `sign = base64(HMAC-SHA256)`; `timestamp` and `sign` go in the JSON body.
 */
export function feishuSign(secret: string, timestampSeconds: number): string {
  return createHmac('sha256', `${timestampSeconds}\n${secret}`).update('').digest('base64');
}

/** A robot URL with the DingTalk signature of `now`, from the URL as configured. */
function signedDingTalkUrl(url: URL, secret: string | undefined, now: number): URL {
  const out = new URL(url.href);
  out.searchParams.delete('timestamp');
  out.searchParams.delete('sign');
  if (secret !== undefined) {
    out.searchParams.set('timestamp', String(now));
    out.searchParams.set('sign', dingtalkSign(secret, now));
  }
  return out;
}

/**
 * The message of a digest for one channel, in the channel's own format and size: DingTalk and WeCom
 * markdown, a Feishu interactive card (header + `lark_md`), or the generic webhook's JSON signed with
 * Standard Webhooks (`webhook-id` fixed for the message, so a receiver can drop a retried copy).
 */
export function prepareMessage(
  resolved: ResolvedChannel,
  digest: Digest,
  options: { readonly timezone: string; readonly heldBack?: number },
): PreparedMessage {
  const { channel, url, secret, maxBytes } = resolved;
  const render = { maxBytes, timezone: options.timezone, heldBack: options.heldBack ?? 0 };
  const json = { 'content-type': 'application/json; charset=utf-8' };
  switch (channel.type) {
    case 'dingtalk': {
      const text = renderMarkdown(digest, 'dingtalk', render);
      const body = JSON.stringify({ msgtype: 'markdown', markdown: { title: text.title, text: text.text } });
      return {
        shown: text.shown,
        omitted: text.omitted,
        request: (now) => ({ url: signedDingTalkUrl(url, secret, now), body, headers: json }),
      };
    }
    case 'wecom': {
      const text = renderMarkdown(digest, 'wecom', render);
      const body = JSON.stringify({ msgtype: 'markdown', markdown: { content: text.text } });
      return { shown: text.shown, omitted: text.omitted, request: () => ({ url, body, headers: json }) };
    }
    case 'feishu': {
      const text = renderMarkdown(digest, 'feishu', render);
      const card = {
        config: { wide_screen_mode: true },
        header: {
          title: { tag: 'plain_text', content: text.title },
          template: digest.failed.length > 0 ? 'red' : 'blue',
        },
        elements: [{ tag: 'div', text: { tag: 'lark_md', content: text.text } }],
      };
      return {
        shown: text.shown,
        omitted: text.omitted,
        request: (now) => {
          const seconds = Math.floor(now / 1000);
          const signed =
            secret === undefined ? {} : { timestamp: String(seconds), sign: feishuSign(secret, seconds) };
          return {
            url,
            body: JSON.stringify({ ...signed, msg_type: 'interactive', card }),
            headers: json,
          };
        },
      };
    }
    case 'webhook': {
      const rendered = renderJson(digest, render);
      const signer = new Webhook(secret as string);
      const id = `msg_${randomBytes(12).toString('hex')}`;
      return {
        shown: rendered.shown,
        omitted: rendered.omitted,
        request: (now) => {
          const at = new Date(now);
          return {
            url,
            body: rendered.body,
            headers: {
              ...json,
              'webhook-id': id,
              'webhook-timestamp': String(Math.floor(now / 1000)),
              'webhook-signature': signer.sign(id, at, rendered.body),
            },
          };
        },
      };
    }
  }
}

/**
 * The robots' "too fast" answers: DingTalk 130101, WeCom 45009, Feishu 11232 (UNCONFIRMED for custom bots;
 * a Feishu 9499 whose msg says "too many request" is read the same way).
 */
const TOO_FAST: Readonly<Record<ChannelType, ReadonlySet<number>>> = {
  dingtalk: new Set([130101]),
  wecom: new Set([45009]),
  feishu: new Set([11232]),
  webhook: new Set(),
};

/** System-busy answers worth one retry: DingTalk and WeCom errcode -1. */
const BUSY: ReadonlySet<number> = new Set([-1]);

/**
 * Reads an answer. The robots answer HTTP 200 with their own code: DingTalk and WeCom `errcode` (0 ok),
 * Feishu `code` (0 ok; older bots `StatusCode`). A 5xx or 408 is worth a retry, a 429 or a robot's
 * "too fast" means cool down, anything else is refused for good.
 */
export function judgeAnswer(type: ChannelType, answer: PostAnswer): AnswerVerdict {
  const { status } = answer;
  if (status === 429) return { ok: false, code: 'NOTIFY_RATE_LIMITED', channelCode: 429 };
  if (status >= 500 || status === 408) return { ok: false, code: 'NOTIFY_UNAVAILABLE', channelCode: status };
  if (status < 200 || status >= 300) return { ok: false, code: 'NOTIFY_REJECTED', channelCode: status };
  if (type === 'webhook') return { ok: true };
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(answer.text) as Record<string, unknown>;
  } catch {
    return { ok: false, code: 'NOTIFY_REJECTED', channelCode: status };
  }
  const raw = type === 'feishu' ? (parsed.code ?? parsed.StatusCode) : parsed.errcode;
  const code = typeof raw === 'number' ? raw : Number.NaN;
  if (code === 0) return { ok: true };
  if (!Number.isFinite(code)) return { ok: false, code: 'NOTIFY_REJECTED', channelCode: status };
  const tooMany = type === 'feishu' && code === 9499 && /too many/i.test(String(parsed.msg ?? ''));
  if (TOO_FAST[type].has(code) || tooMany)
    return { ok: false, code: 'NOTIFY_RATE_LIMITED', channelCode: code };
  if (BUSY.has(code)) return { ok: false, code: 'NOTIFY_UNAVAILABLE', channelCode: code };
  return { ok: false, code: 'NOTIFY_REJECTED', channelCode: code };
}
