import { instantToLocal } from '../schedule/tz.js';
import type { AppliedItem, Digest, FailedItem, HoldItem } from './digest.js';
import { digestSize } from './digest.js';

/** The three chat dialects: DingTalk and WeCom markdown, Feishu's card `lark_md`. */
export type MarkdownFlavor = 'dingtalk' | 'feishu' | 'wecom';

export interface RenderOptions {
  /** Longest text, UTF-8 bytes; the digest is cut with "…and N more" to fit. */
  readonly maxBytes: number;
  /** IANA zone instants are shown in (the config's `timezone`). */
  readonly timezone: string;
  /** Digests of earlier invocations the rate limit held back, for this channel. */
  readonly heldBack?: number;
}

/** A rendered chat message: the heading (DingTalk's title, Feishu's card header) and the markdown text. */
export interface RenderedText {
  readonly title: string;
  readonly text: string;
  /** Items shown and items cut (counted in the "and N more" line). */
  readonly shown: number;
  readonly omitted: number;
}

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
const MAX_TEXT = 200;
const MAX_IDS_PER_LINE = 20;

/**
 * Free text (names, reasons, who) made inert for chat markdown: one line, at most 200 characters, and
 * no markup — so a hold's reason cannot turn into a link, a heading or an @everyone (`<at id=all>`).
 */
export function plain(text: string): string {
  const flat = text
    .replace(/[\p{Cc}\p{Cf}\u2028\u2029]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const cut = flat.length > MAX_TEXT ? `${flat.slice(0, MAX_TEXT - 1)}…` : flat;
  return cut
    .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`)
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** An instant as the operators' wall clock reads it: `2026-06-01 07:30`. */
export function localTime(at: string | number, zone: string): string {
  const date = new Date(at);
  if (Number.isNaN(date.getTime())) return '?';
  const l = instantToLocal(date, zone);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${l.year}-${two(l.month)}-${two(l.day)} ${two(l.hour)}:${two(l.minute)}`;
}

const value = (v: unknown) => plain(typeof v === 'string' ? v : JSON.stringify(v));

function appliedLine(item: AppliedItem): string {
  const fields = item.fields
    .map((f) => `${f.field} ${'from' in f ? `${value(f.from)} → ` : '→ '}${value(f.to)}`)
    .join(', ');
  return `- **${item.jobGroupId}** ${fields || 'identity fields'} · ${plain(item.by)}`;
}

function failedLine(item: FailedItem): string {
  const { jobGroupIds: ids } = item;
  const who =
    ids.length === 0
      ? 'the whole invocation'
      : `${ids.slice(0, MAX_IDS_PER_LINE).join(', ')}${ids.length > MAX_IDS_PER_LINE ? ` (+${ids.length - MAX_IDS_PER_LINE})` : ''}`;
  return `- \`${item.code}\` (${Math.max(1, ids.length)}): ${who}: ${plain(item.hint)}`;
}

function holdLine(item: HoldItem, zone: string): string {
  const { hold } = item;
  const what =
    hold.kind === 'pin'
      ? `pin ${Object.entries(item.set)
          .flatMap(([k, v]) =>
            k === 'params'
              ? Object.entries(v as Record<string, unknown>).map(([p, pv]) => `params.${p}=${value(pv)}`)
              : [`${k}=${value(v)}`],
          )
          .join(' ')}`.trimEnd()
      : hold.kind === 'pause'
        ? 'pause'
        : `skip ${plain(hold.schedule ?? '')}/${plain(hold.window ?? '')} on ${plain(hold.date ?? '')}`;
  const when =
    item.event === 'created'
      ? `, until ${localTime(hold.until, zone)}`
      : item.event === 'expired'
        ? ` at ${localTime(hold.until, zone)}`
        : '';
  const reason = hold.reason ? ` — "${plain(hold.reason)}"` : '';
  return `- **${item.jobGroupId}** ${what} ${item.event}${when} · ${plain(item.by)}${reason}`;
}

/** "2 changed, 1 failed, 1 hold": the counts of a digest, for titles. */
export function countsLine(digest: Digest): string {
  const failed = digest.failed.reduce((sum, item) => sum + Math.max(1, item.jobGroupIds.length), 0);
  const parts = [
    digest.applied.length > 0 ? `${digest.applied.length} changed` : '',
    failed > 0 ? `${failed} failed` : '',
    digest.holds.length > 0 ? `${digest.holds.length} hold${digest.holds.length === 1 ? '' : 's'}` : '',
  ].filter((part) => part !== '');
  if (parts.length > 0) return parts.join(', ');
  return digest.origin.kind === 'test' ? 'test message' : 'nothing to report';
}

interface Block {
  readonly heading: string;
  readonly lines: ReadonlyArray<{ readonly text: string; readonly items: number }>;
}

/**
 * A digest as chat markdown, cut to `maxBytes`: failures first (with what to do), then holds, then
 * changes; what does not fit is counted in a last "…and N more" line, so the reader knows the message is
 * not the whole story (GET /v1/history has it all).
 *
 * @example
 * renderMarkdown(digest, 'dingtalk', { maxBytes: 16_000, timezone: 'Asia/Shanghai' }).text;
 * // '#### jobgroup-autopilot: 2 changed, 1 failed\n\nScheduler reconcile tick …\n\n**Failed (1)**\n- `Invalid…'
 */
export function renderMarkdown(digest: Digest, flavor: MarkdownFlavor, options: RenderOptions): RenderedText {
  const zone = options.timezone;
  const title = `jobgroup-autopilot: ${countsLine(digest)}`;
  const failedCount = digest.failed.reduce((sum, item) => sum + Math.max(1, item.jobGroupIds.length), 0);
  const blocks: Block[] = [
    {
      heading: `**Failed (${failedCount})**`,
      lines: digest.failed.map((item) => ({
        text: failedLine(item),
        items: Math.max(1, item.jobGroupIds.length),
      })),
    },
    {
      heading: `**Holds (${digest.holds.length})**`,
      lines: digest.holds.map((item) => ({ text: holdLine(item, zone), items: 1 })),
    },
    {
      heading: `**Changed (${digest.applied.length})**`,
      lines: digest.applied.map((item) => ({ text: appliedLine(item), items: 1 })),
    },
  ].filter((block) => block.lines.length > 0);

  // Feishu's card header carries the title; the others start their text with it.
  const head = [
    ...(flavor === 'feishu' ? [] : [`#### ${title}`]),
    `${plain(digest.origin.title)} · ${localTime(digest.origin.at, zone)} ${zone}`,
  ];
  const held = options.heldBack ?? 0;
  const foot = [
    ...(held > 0
      ? [
          `(${held} earlier notification${held === 1 ? ' was' : 's were'} held back by the rate limit; see GET /v1/history)`,
        ]
      : []),
    `request ${plain(digest.origin.requestId)}`,
  ];
  const join = (parts: readonly string[]) => parts.join('\n\n');
  const total = digestSize(digest);
  // Room for the "…and N more" line, whatever N is.
  const reserve = bytes('\n\n…and 1000000 more');
  let budget = options.maxBytes - bytes(join([...head, ...foot])) - reserve;
  const body: string[] = [];
  let shown = 0;
  let full = false;
  for (const block of blocks) {
    if (full) break;
    const lines: string[] = [];
    const cost = (text: string) => bytes(text) + 1;
    const headingCost = bytes(block.heading) + 2;
    for (const line of block.lines) {
      const extra = cost(line.text) + (lines.length === 0 ? headingCost : 0);
      if (extra > budget) {
        full = true;
        break;
      }
      budget -= extra;
      lines.push(line.text);
      shown += line.items;
    }
    if (lines.length > 0) body.push([block.heading, ...lines].join('\n'));
  }
  const omitted = total - shown;
  const text = join([...head, ...body, ...(omitted > 0 ? [`…and ${omitted} more`] : []), ...foot]);
  return { title, text, shown, omitted };
}

/** The generic webhook's JSON body (`type: autopilot.digest`), cut to `maxBytes` with `omitted`. */
export interface DigestPayload {
  readonly type: 'autopilot.digest' | 'autopilot.test';
  readonly origin: { kind: string; title: string; requestId: string; at: string };
  readonly counts: { readonly applied: number; readonly failed: number; readonly holds: number };
  readonly failed: ReadonlyArray<{ code: string; jobGroupIds: readonly string[]; hint: string }>;
  readonly holds: ReadonlyArray<Record<string, unknown>>;
  readonly applied: ReadonlyArray<Record<string, unknown>>;
  /** Items left out to fit the size limit. */
  readonly omitted: number;
  /** Digests of earlier invocations the rate limit held back. */
  readonly heldBack: number;
}

/**
 * The digest as the generic webhook's JSON: the same facts, structured, cut from the end (changes first,
 * then holds, then failures) until it fits `maxBytes`.
 */
export function renderJson(
  digest: Digest,
  options: Pick<RenderOptions, 'maxBytes' | 'heldBack'>,
): {
  readonly body: string;
  readonly shown: number;
  readonly omitted: number;
} {
  const failed = digest.failed.map((item) => ({ ...item, jobGroupIds: [...item.jobGroupIds] }));
  const holds = digest.holds.map((item) => ({
    jobGroupId: item.jobGroupId,
    ...item.hold,
    set: item.set,
    by: item.by,
    at: item.at,
  }));
  const applied = digest.applied.map((item) => ({
    jobGroupId: item.jobGroupId,
    fields: item.fields,
    by: item.by,
    source: item.source,
    requestId: item.requestId,
    at: item.at,
  }));
  const total = digestSize(digest);
  const payload = (omitted: number) =>
    JSON.stringify({
      type: digest.origin.kind === 'test' ? 'autopilot.test' : 'autopilot.digest',
      origin: { ...digest.origin, at: new Date(digest.origin.at).toISOString() },
      counts: {
        applied: digest.applied.length,
        failed: digest.failed.reduce((sum, item) => sum + Math.max(1, item.jobGroupIds.length), 0),
        holds: digest.holds.length,
      },
      failed,
      holds,
      applied,
      omitted,
      heldBack: options.heldBack ?? 0,
    } satisfies DigestPayload);
  const shownNow = () =>
    applied.length +
    holds.length +
    failed.reduce((sum, item) => sum + Math.max(1, item.jobGroupIds.length), 0);
  let body = payload(0);
  // Each item costs its own JSON; dropping from the end, the estimate is re-checked on the real text.
  while (bytes(body) > options.maxBytes) {
    const over = bytes(body) - options.maxBytes;
    let freed = 0;
    while (freed < over) {
      const list: unknown[] = applied.length > 0 ? applied : holds.length > 0 ? holds : failed;
      const item = list.pop();
      if (item === undefined) break;
      freed += bytes(JSON.stringify(item)) + 1;
    }
    const next = payload(total - shownNow());
    if (next === body) break;
    body = next;
  }
  return { body, shown: shownNow(), omitted: total - shownNow() };
}
