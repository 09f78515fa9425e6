import { z } from 'zod';
import { ENV_KEYS } from '../config/env.js';
import { JobGroupIdSchema } from '../jobgroup/id.js';
import { lazySchema } from '../lazy-schema.js';

/** The chat robots and the signed generic webhook a digest can go to. */
export const CHANNEL_TYPES = ['dingtalk', 'feishu', 'wecom', 'webhook'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

/** What a channel can be told about: applied changes, failed changes, holds created / released / expired. */
export const NOTIFY_TOPICS = ['applied', 'failed', 'hold'] as const;
export type NotifyTopic = (typeof NOTIFY_TOPICS)[number];

/**
 * Per-type defaults. `perMinute`: DingTalk allows 20 messages a minute per robot and then throttles it for
 * 10 minutes (18 leaves room for clock skew between instances and for a `notify test`); WeCom documents 20 a
 * minute per robot; Feishu's custom bot 100 a minute (UNCONFIRMED); a generic receiver has no limit.
 * `maxBytes`: what one message's text may take (WeCom's markdown content is at most 4096 bytes; Feishu's
 * body at most 20 KB; DingTalk's markdown limit is UNCONFIRMED, so it stays well under 20 KB).
 * `cooldownMs`: how long a robot that answered "too fast" is left alone.
 */
export const CHANNEL_DEFAULTS: Readonly<
  Record<ChannelType, { perMinute?: number; maxBytes: number; cooldownMs: number }>
> = {
  dingtalk: { perMinute: 18, maxBytes: 16_000, cooldownMs: 10 * 60_000 },
  feishu: { perMinute: 90, maxBytes: 16_000, cooldownMs: 60_000 },
  wecom: { perMinute: 18, maxBytes: 4_000, cooldownMs: 60_000 },
  webhook: { maxBytes: 256 * 1024, cooldownMs: 60_000 },
};

/** An environment variable name; never one the functions read for themselves or a credential's. */
const EnvNameSchema = lazySchema(() =>
  z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]{0,127}$/, 'must be an environment variable name (A-Z, 0-9, _)')
    .refine(
      (name) => !/^(ALIBABA_CLOUD_|FC_)/.test(name) && !RESERVED_ENV.has(name),
      'must not name a variable the functions read for themselves (credentials, FC_*, the product settings)',
    ),
);

/** Variables a channel may not point at: the product's own settings, every one env.ts reads. */
const RESERVED_ENV: ReadonlySet<string> = new Set<string>(ENV_KEYS);

/** One notification channel of `notify.channels`. */
export const ChannelSchema = lazySchema(() =>
  z
    .strictObject({
      /** Names the channel in logs, summaries and `notify test` (and its rate-limit record). */
      name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, "_" or "-"'),
      type: z.enum(CHANNEL_TYPES),
      /** The variable holding the robot's webhook URL; it carries the robot's token, so it is a secret too. */
      urlEnv: EnvNameSchema,
      /**
       * The variable holding the signing secret: DingTalk 加签 (`SEC…`), Feishu 签名校验, the generic
       * webhook's `whsec_…` (required there). WeCom robots do not sign.
       */
      secretEnv: EnvNameSchema.optional(),
      /** What to send: any of applied, failed, hold (default all). */
      on: z
        .array(z.enum(NOTIFY_TOPICS))
        .min(1)
        .refine((topics) => new Set(topics).size === topics.length, 'must not repeat a topic')
        .optional(),
      /** Only these job groups (default every group). */
      jobGroupIds: z.array(JobGroupIdSchema).min(1).max(10_000).optional(),
      /** Messages a minute this channel may take, counted across instances in the state store. */
      perMinute: z.number().int().min(1).max(1_000).optional(),
      /** Longest text of one message; a longer digest is cut with "and N more". */
      maxBytes: z.number().int().min(500).max(1_048_576).optional(),
    })
    .superRefine((channel, ctx) => {
      if (channel.type === 'webhook' && channel.secretEnv === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['secretEnv'],
          message: 'a webhook channel signs every message (Standard Webhooks): name the whsec_ secret',
        });
      }
      if (channel.type === 'wecom' && channel.secretEnv !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['secretEnv'],
          message: 'a WeCom group robot does not sign: its key is in the URL (leave secretEnv out)',
        });
      }
    }),
);
export type Channel = z.infer<typeof ChannelSchema>;

/** `notify`: where the digests of what the product did go. */
export const NotifySettingsSchema = lazySchema(() =>
  z
    .strictObject({
      /**
       * The most time, ms, notifications may take in one invocation (every channel at once, a retry
       * included), and never past the invocation deadline. Default 3000.
       */
      timeoutMs: z.number().int().min(200).max(30_000).default(3_000),
      channels: z.array(ChannelSchema).max(20).default([]),
    })
    .superRefine((settings, ctx) => {
      const seen = new Map<string, number>();
      settings.channels.forEach((channel, index) => {
        const first = seen.get(channel.name);
        if (first !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['channels', index, 'name'],
            message: `duplicate channel name "${channel.name}" (also notify.channels[${first}])`,
          });
        } else seen.set(channel.name, index);
      });
    }),
);
export type NotifySettings = z.infer<typeof NotifySettingsSchema>;
