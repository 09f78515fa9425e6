import { toAutopilotError } from '../errors.js';
import { logger } from '../log.js';
import type { StateStore } from '../state/store.js';
import { coolDown, reserveSend } from './budget.js';
import {
  judgeAnswer,
  type PreparedMessage,
  prepareMessage,
  type ResolvedChannel,
  resolveChannel,
} from './channels.js';
import { buildDigest, type Digest, type DigestInput, digestFor } from './digest.js';
import { PostFailure, postJson } from './http.js';
import type { Channel, ChannelType, NotifySettings } from './schema.js';

export interface NotifyDeps {
  readonly settings: NotifySettings;
  /** Zone instants are shown in (the config's `timezone`). */
  readonly timezone: string;
  /** Epoch ms after which nothing is sent: the invocation deadline. */
  readonly deadline: number;
  /** Where the channels' rate-limit counters live (the shared state store); without it, this instance. */
  readonly store?: StateStore;
  /** Where `urlEnv` and `secretEnv` are read; default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: () => number;
  /** Seam for the HTTP post (default node:http / node:https). */
  readonly post?: typeof postJson;
}

/** What became of one channel's message. */
export interface ChannelResult {
  readonly channel: string;
  readonly type: ChannelType;
  /** `skipped`: not attempted (rate limit, off here, no time left); `failed`: attempted, or unusable. */
  readonly status: 'sent' | 'failed' | 'skipped';
  readonly code?: string;
  /** The robot's own error code, or the HTTP status. */
  readonly channelCode?: number;
  readonly attempts: number;
  /** Items of the digest sent, and items cut to fit. */
  readonly items?: number;
  readonly omitted?: number;
  /** NOTIFY_CHANNEL_INVALID: what is wrong, naming the variable (never its value). */
  readonly problem?: string;
}

/** What the notifications of one invocation came to; part of its summary. */
export interface NotifyReport {
  readonly sent: number;
  readonly failed: number;
  readonly skipped: number;
  readonly channels: readonly ChannelResult[];
}

/** An attempt needs at least this long; a retry is made only with this much time left. */
const MIN_ATTEMPT_MS = 100;
const MIN_RETRY_MS = 250;
const RETRY_DELAY_MS = 200;

const warnedOnce = new Set<string>();
/** Whether each channel (config object) is on in an environment object, as first read there. */
let onByChannel = new WeakMap<Channel, { readonly env: NodeJS.ProcessEnv; readonly on: boolean }>();

/**
 * Sends one digest of an invocation to every configured channel that has something in it — the changes
 * applied, the failures with what to do, the holds created, released and expired — and never throws nor
 * delays the invocation past its deadline: all channels at once, at most `notify.timeoutMs` in all,
 * one retry on a retryable failure when time is left, each send paced by the channel's budget in the
 * store. Failures are logged with the channel's name and a code (never its URL or secret) and counted in
 * the report. A channel whose URL variable is unset is off here: not tried, not counted. Undefined when no
 * channel that is on had anything to send.
 *
 * @example
 * const report = await sendNotifications({ origin, entries: journal, failures: summary.failed },
 *   { settings: config.notify, timezone: config.timezone, deadline: invocation.deadline, store });
 * // { sent: 1, failed: 0, skipped: 0, channels: [{ channel: 'ops-dingtalk', status: 'sent', attempts: 1, … }] }
 */
export async function sendNotifications(
  input: DigestInput,
  deps: NotifyDeps,
): Promise<NotifyReport | undefined> {
  const test = input.origin.kind === 'test';
  const env = deps.env ?? process.env;
  // A channel whose URL variable is unset is off in this environment: not tried, not counted (said once).
  // A test message reports it.
  const channels = test ? deps.settings.channels : deps.settings.channels.filter((c) => isOn(c, env));
  if (channels.length === 0) return undefined;
  try {
    const digest = buildDigest(input);
    const targets = channels.flatMap((channel) => {
      // A test message goes to every channel, with nothing in it but itself.
      const part = test ? digest : digestFor(digest, channel);
      return part ? [{ channel, part }] : [];
    });
    if (targets.length === 0) return undefined;
    const now = deps.now ?? Date.now;
    const end = Math.min(now() + deps.settings.timeoutMs, deps.deadline);
    const results = await Promise.all(
      targets.map(({ channel, part }) =>
        sendOne(channel, part, { ...deps, env, now, end }).catch(
          (thrown: unknown): ChannelResult => failure(channel, toAutopilotError(thrown).code, 0),
        ),
      ),
    );
    return {
      sent: results.filter((r) => r.status === 'sent').length,
      failed: results.filter((r) => r.status === 'failed').length,
      skipped: results.filter((r) => r.status === 'skipped').length,
      channels: results,
    };
  } catch (thrown) {
    logger.warn('notifications not sent', { code: toAutopilotError(thrown).code });
    return { sent: 0, failed: channels.length, skipped: 0, channels: [] };
  }
}

function isOn(channel: Channel, env: NodeJS.ProcessEnv): boolean {
  // Asked on every request and tick, and a read of process.env is not free: decided once per channel
  // of the loaded config and environment object (FC fixes an instance's variables at its start).
  const known = onByChannel.get(channel);
  if (known?.env === env) return known.on;
  const on = Boolean(env[channel.urlEnv]?.trim());
  onByChannel.set(channel, { env, on });
  if (on) return true;
  warnOnce(
    channel,
    'notification channel off',
    `Channel ${channel.name}: ${channel.urlEnv} is not set; the channel is off here.`,
  );
  return false;
}

/** Said once per instance: a channel that is off here (or broken) must not fill the log every tick. */
function warnOnce(channel: Channel, msg: string, problem: string): void {
  const key = `${channel.name}\n${problem}`;
  if (warnedOnce.has(key)) return;
  warnedOnce.add(key);
  logger.warn(msg, { channel: channel.name, code: 'NOTIFY_CHANNEL_INVALID', problem });
}

function failure(
  channel: Channel,
  code: string,
  attempts: number,
  status: 'failed' | 'skipped' = 'failed',
  channelCode?: number,
): ChannelResult {
  const result: ChannelResult = {
    channel: channel.name,
    type: channel.type,
    status,
    code,
    attempts,
    ...(channelCode !== undefined && { channelCode }),
  };
  logger.warn(status === 'skipped' ? 'notification skipped' : 'notification not sent', {
    channel: channel.name,
    code,
    ...(channelCode !== undefined && { channelCode }),
    attempts,
  });
  return result;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function sendOne(
  channel: Channel,
  part: Digest,
  deps: NotifyDeps & { readonly env: NodeJS.ProcessEnv; readonly now: () => number; readonly end: number },
): Promise<ChannelResult> {
  const { now, end, store } = deps;
  let resolved: ResolvedChannel;
  try {
    resolved = resolveChannel(channel, deps.env);
  } catch (thrown) {
    const error = toAutopilotError(thrown);
    const unset = error.details?.reason === 'unset';
    warnOnce(channel, unset ? 'notification channel off' : 'notification channel unusable', error.message);
    return {
      channel: channel.name,
      type: channel.type,
      status: unset ? 'skipped' : 'failed',
      code: error.code,
      attempts: 0,
      problem: error.message,
    };
  }
  const left = () => end - now();
  if (left() < MIN_ATTEMPT_MS) return failure(channel, 'DEADLINE_EXCEEDED', 0, 'skipped');
  const limit = resolved.perMinute;
  // Every channel honours a cool-down its receiver asked for (429, "too fast"); a limited one its budget too.
  const slot = await reserveSend(store, channel.name, limit, now());
  if (!slot.granted) return failure(channel, 'NOTIFY_RATE_LIMITED', 0, 'skipped');
  const { heldBack } = slot;
  const message: PreparedMessage = prepareMessage(resolved, part, { timezone: deps.timezone, heldBack });
  const post = deps.post ?? postJson;
  for (let attempt = 1; ; attempt++) {
    const request = message.request(now());
    let verdict: ReturnType<typeof judgeAnswer>;
    let retryAfterMs: number | undefined;
    try {
      const answer = await post(request.url, request.body, request.headers, Math.max(1, left()));
      verdict = judgeAnswer(channel.type, answer);
      if (answer.retryAfterSeconds !== undefined) retryAfterMs = answer.retryAfterSeconds * 1000;
    } catch (thrown) {
      if (!(thrown instanceof PostFailure)) throw thrown;
      verdict = { ok: false, code: 'NOTIFY_UNAVAILABLE' };
    }
    if (verdict.ok) {
      logger.info('notification sent', {
        channel: channel.name,
        items: message.shown,
        ...(message.omitted > 0 && { omitted: message.omitted }),
        attempts: attempt,
      });
      return {
        channel: channel.name,
        type: channel.type,
        status: 'sent',
        attempts: attempt,
        items: message.shown,
        omitted: message.omitted,
      };
    }
    if (verdict.code === 'NOTIFY_RATE_LIMITED') {
      const at = now();
      // A Retry-After longer than an hour is not believed: the budget takes over again after that.
      const wait = Math.max(resolved.cooldownMs, Math.min(retryAfterMs ?? 0, 3_600_000));
      await coolDown(store, channel.name, at + wait, at);
      return failure(channel, verdict.code, attempt, 'failed', verdict.channelCode);
    }
    const retry = verdict.code === 'NOTIFY_UNAVAILABLE' && attempt < 2 && left() > MIN_RETRY_MS;
    if (!retry) return failure(channel, verdict.code, attempt, 'failed', verdict.channelCode);
    await sleep(Math.min(RETRY_DELAY_MS, left() / 4));
    if (limit !== undefined && !(await reserveSend(store, channel.name, limit, now())).granted) {
      return failure(channel, verdict.code, attempt, 'failed', verdict.channelCode);
    }
  }
}

/** Forget which channel problems were already logged (tests). */
export function resetNotifyWarnings(): void {
  warnedOnce.clear();
  onByChannel = new WeakMap();
}
