/**
 * Notifications: one digest per tick, event delivery and webhook request — what changed (fields from →
 * to, who decided), what failed (code and what to do), holds created, released and expired — to DingTalk,
 * Feishu, WeCom robots and signed generic webhooks, after the change and within the invocation deadline.
 * The history journal (`journaling`) is what a digest is made of; the callers add their failures.
 */
export { coolDown, type Reservation, reserveSend } from './budget.js';
export {
  dingtalkSign,
  feishuSign,
  judgeAnswer,
  prepareMessage,
  type ResolvedChannel,
  resolveChannel,
} from './channels.js';
export {
  type AppliedItem,
  buildDigest,
  type Digest,
  type DigestInput,
  describeSource,
  digestFor,
  digestSize,
  type FailedItem,
  type HoldItem,
  isReportedFailure,
  type NotifyFailure,
  type NotifyOrigin,
} from './digest.js';
export { PostFailure, postJson } from './http.js';
export { type DigestPayload, localTime, plain, renderJson, renderMarkdown } from './render.js';
export {
  CHANNEL_DEFAULTS,
  CHANNEL_TYPES,
  type Channel,
  ChannelSchema,
  type ChannelType,
  NOTIFY_TOPICS,
  type NotifySettings,
  NotifySettingsSchema,
  type NotifyTopic,
} from './schema.js';
export { type ChannelResult, type NotifyDeps, type NotifyReport, sendNotifications } from './send.js';
