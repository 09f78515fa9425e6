/**
 * `npx autopilot …`: check the config file and see what the schedules will do, from a terminal.
 *
 *   autopilot validate [FILE | --config F] [--strict]
 *   autopilot plan (--from T --to T | --at T) [--group ID] [--config F] [--json] [--url URL]
 *   autopilot history [--group ID] [--since 24h] [--json] [--url URL]
 *   autopilot store init [--ttl-days N]
 *   autopilot notify test [CHANNEL] [--config F]
 *
 * Exit codes: 0 ok, 1 the config has problems, 2 bad arguments (usage on stderr).
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { resolveCredentials } from '../shared/cityvisual/credentials.js';
import { parseEnv } from '../shared/config/env.js';
import { type ConfigFile, checkConfig, readConfigDocument } from '../shared/config/file.js';
import { lintConfig } from '../shared/config/lint.js';
import { AutopilotError, ERROR_TABLE, isErrorCode } from '../shared/errors.js';
import type { Hold } from '../shared/holds/index.js';
import type { Target } from '../shared/jobgroup/target.js';
import { setLogSink } from '../shared/log.js';
import { sendNotifications } from '../shared/notify/index.js';
import { desiredAt, instantToLocal, localToInstant, type Schedule } from '../shared/schedule/index.js';
import { tablestoreEndpoint } from '../shared/state/select.js';
import { DEFAULT_TIME_TO_LIVE_SECONDS, ensureTable } from '../shared/state/tablestore.js';
import {
  localText,
  offsetText,
  type PlanAt,
  type PlanChange,
  type PlanDay,
  type PlanEntry,
  type PlanRow,
  planAt,
  planEntries,
} from '../shared/status/plan.js';
import { authHeaders, DEFAULT_WEBHOOK_URL } from './call.js';

export const USAGE = `Usage:
  autopilot validate [FILE | --config FILE] [--strict]
      Check the config file; prints every problem with its path. Exit 1 when there is any.
      Warnings (a group both in an enforce schedule and targeted by a rule) keep exit 0; --strict
      makes them errors.
  autopilot plan --from TIME --to TIME [--group ID] [--config FILE] [--json] [--url URL]
      The changes the schedules make in (from, to], per schedule and group, in local time, with the
      window that causes each; days a holiday or except removes windows from, make-up workdays, and
      times a DST gap moved are marked. --json prints one array sorted by time then group: changes
      {kind: "change", at, jobGroupId, schedule, window, set, local, zone, offset, dst?, workday?} and
      days {kind: "holiday"|"except"|"workday", date, windows, …}. The header counts changes as the
      JSON does: one per group and instant. With --url, the holds in force are read from the webhook
      (signed GET /v1/holds) and the plan marks what they change: "skipped" (a skip's occurrence),
      "held" (a pin or pause: what is sent instead) and each hold's end.
  autopilot plan --at TIME [--group ID] [--config FILE] [--json] [--url URL]
      Per group, the desired state in force at TIME and what decided each field: the window and the
      local date its occurrence started (a make-up workday says so), or a hold (with --url).
      TIME is ISO-8601: with Z or an offset (2026-06-01T00:00:00Z), or local to the config's timezone
      when it has none (2026-06-01, 2026-06-01T08:00), or now. A range is at most 400 days.
  autopilot store init [--ttl-days DAYS]
      Create the state store's Tablestore table (one STRING primary key "pk"), or find it there. Reads
      TABLESTORE_INSTANCE, TABLESTORE_TABLE, TABLESTORE_ENDPOINT, CITYVISUAL_REGION and the
      ALIBABA_CLOUD_* credentials. Rows are kept DAYS after their last write (default 31, at least 1;
      0 keeps them forever).

  autopilot history [--group ID] [--since 24h] [--limit N] [--json] [--url URL]
      What the product did (every applied change and every hold made, extended, released or ended,
      newest first, kept 30 days), read from the shared
      store through the webhook's GET /v1/history, signed like \`npm run call\` (WEBHOOK_SECRETS or
      WEBHOOK_TOKENS; nothing set: npm start's local secret). URL defaults to $WEBHOOK_URL, else
      http://127.0.0.1:9000.

  autopilot hold ID (--pin FIELD=VALUE… | --pause | --skip WINDOW --date YYYY-MM-DD [--schedule S])
                 (--for 4h | --until INSTANT) [--reason TEXT] [--dry-run] [--url URL]
      A hold that ends on its own (README, Holds): e.g. hold 3 --pin planedJobCount=30 --for 4h.
  autopilot holds [ID] | release HOLD_ID | status ID   [--json] [--url URL]
      The holds in force, release one, or what is in force for a group and why.
      Like history, these are signed calls to the webhook (WEBHOOK_URL).
  autopilot notify test [CHANNEL] [--config FILE]
      Sends a test message to every channel of notify.channels (or the one named), with the URL and
      secret read from the variables each names (urlEnv, secretEnv) in this shell, and prints what each
      answered. Exit 1 when any was not sent. It counts against the robot's own limit (DingTalk: 20 a
      minute).
  autopilot secret
      Prints a fresh Standard Webhooks secret (whsec_ and 32 random bytes) for WEBHOOK_SECRETS.
  autopilot token [NAME]
      Prints a fresh bearer token (32 random bytes, base64url) as NAME=token for WEBHOOK_TOKENS
      (NAME defaults to "caller"; it names the caller in the audit log).

  FILE defaults to $AUTOPILOT_CONFIG, else config/autopilot.yaml.
`;

const MAX_RANGE_DAYS = 400;
const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

const defaultIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
};

class UsageError extends Error {}

type Loaded = { ok: true; file: string; config: ConfigFile } | { ok: false; file: string };

function configFile(option: string | undefined, io: CliIo): string {
  return path.resolve(io.cwd, option ?? (io.env.AUTOPILOT_CONFIG || 'config/autopilot.yaml'));
}

/** Loads and checks the config, printing every problem; never throws. */
function loadChecked(file: string, io: CliIo): Loaded {
  const shown = path.relative(io.cwd, file) || file;
  let document: unknown;
  try {
    document = readConfigDocument(file);
  } catch (error) {
    const message = error instanceof AutopilotError ? error.message : 'cannot read the file';
    io.stderr(`${shown}: ${message}\n`);
    return { ok: false, file: shown };
  }
  const { config, issues } = checkConfig(document);
  if (!config) {
    io.stderr(`${shown}: ${issues.length} problem${issues.length === 1 ? '' : 's'}\n`);
    for (const issue of issues) io.stderr(`  ${issue.path}: ${issue.message}\n`);
    return { ok: false, file: shown };
  }
  return { ok: true, file: shown, config };
}

function plural(count: number, word: string, many = `${word}s`): string {
  return `${count} ${count === 1 ? word : many}`;
}

function validate(values: { config?: string | undefined; strict?: boolean | undefined }, io: CliIo): number {
  const loaded = loadChecked(configFile(values.config, io), io);
  if (!loaded.ok) return 1;
  const { config } = loaded;
  const warnings = lintConfig(config);
  if (warnings.length > 0) {
    const kind = values.strict ? 'error' : 'warning';
    io.stderr(`${loaded.file}: ${plural(warnings.length, kind)}${values.strict ? ' (--strict)' : ''}\n`);
    for (const warning of warnings) io.stderr(`  ${kind}: ${warning.path}: ${warning.message}\n`);
    if (values.strict) return 1;
  }
  const groups = config.schedules.flatMap((schedule) => schedule.jobGroupIds);
  io.stdout(
    `${loaded.file}: OK (timezone ${config.timezone}, ${plural(config.schedules.length, 'schedule')} over ` +
      `${plural(groups.length, 'job group')}, ${plural(config.rules.length, 'rule')}, ` +
      `${plural(Object.keys(config.jobGroups).length, 'registry entry', 'registry entries')}, ` +
      `${plural(config.notify.channels.length, 'notification channel')})\n`,
  );
  const unregistered = groups.filter((id) => !config.jobGroups[id]);
  if (unregistered.length > 0 && !io.env.CITYVISUAL_INSTANCE_ID) {
    io.stdout(
      `note: job groups ${unregistered.join(', ')} are scheduled but not in jobGroups; they need live reads ` +
        '(CITYVISUAL_INSTANCE_ID) to be changed.\n',
    );
  }
  return 0;
}

const ZONED = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/i;
const LOCAL = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?$/;

/** A --from/--to value → an instant; local forms resolve in `zone` (syntax is checked before loading). */
function parseTime(name: string, text: string, zone: string | undefined): Date {
  if (text === 'now') return new Date();
  if (ZONED.test(text)) {
    const date = new Date(text);
    if (!Number.isNaN(date.getTime())) return date;
  }
  const local = LOCAL.exec(text);
  if (local) {
    const [year, month, day, hour = 0, minute = 0] = local.slice(1).map((part) => (part ? Number(part) : 0));
    const valid = month! >= 1 && month! <= 12 && day! >= 1 && day! <= 31 && hour! <= 23 && minute! <= 59;
    const check = new Date(Date.UTC(year!, month! - 1, day!));
    if (valid && check.getUTCDate() === day) {
      return zone === undefined
        ? check
        : localToInstant({ year: year!, month: month!, day: day!, hour: hour!, minute: minute! }, zone);
    }
  }
  throw new UsageError(`--${name}: "${text}" is not an ISO-8601 date or date-time`);
}

const two = (n: number) => String(n).padStart(2, '0');

/** `planedJobCount 10, status Running, ES_ENABLE on`; what a person reads in the week view. */
export function describeTarget(target: Target): string {
  const parts: string[] = [];
  if (target.planedJobCount !== undefined) parts.push(`planedJobCount ${target.planedJobCount}`);
  if (target.jobCount !== undefined) parts.push(`jobCount ${target.jobCount}`);
  if (target.streamPerJob !== undefined) parts.push(`streamPerJob ${target.streamPerJob}`);
  if (target.status !== undefined) parts.push(`status ${target.status}`);
  for (const [key, value] of Object.entries(target.params ?? {})) {
    if (value !== undefined) parts.push(`${key} ${value === true ? 'on' : value === false ? 'off' : value}`);
  }
  return parts.length > 0 ? parts.join(', ') : 'nothing set (fields left as they are)';
}

const DAY_NOTES: Record<PlanDay['kind'], string> = {
  holiday: 'holiday',
  except: 'except',
  workday: 'make-up workday',
};

/** What a day entry says: `holiday (cn-2026): weekday-peak does not start`. */
function dayNote(day: PlanDay): string {
  const where = day.calendar ? ` (${day.calendar})` : '';
  if (day.kind === 'workday')
    return `${DAY_NOTES.workday}${where}: counts as ${day.as}${day.windows.length > 0 ? `, ${day.windows.join(', ')} ${day.windows.length === 1 ? 'starts' : 'start'}` : ''}`;
  return `${DAY_NOTES[day.kind]}${where}: ${day.windows.join(', ')} ${day.windows.length === 1 ? 'does' : 'do'} not start`;
}

/** The readable view: per schedule, per local day, each change with the window that causes it. */
function weekView(
  config: ConfigFile,
  entries: readonly PlanEntry[],
  from: Date,
  to: Date,
  group?: string,
): string {
  const lines: string[] = [];
  const changes = entries.filter((entry) => entry.kind === 'change');
  const groups = new Set(changes.map((entry) => entry.jobGroupId)).size;
  const zone = config.timezone;
  const schedules = config.schedules.filter((s) => group === undefined || s.jobGroupIds.includes(group));
  // Counted like the JSON: one change per group and instant.
  lines.push(
    `Schedule changes after ${localText(from, zone)} up to ${localText(to, zone)} ${zone} ` +
      `(${from.toISOString()} to ${to.toISOString()}): ${plural(changes.length, 'change')} to ` +
      `${plural(groups, 'job group')} across ${plural(schedules.length, 'schedule')}`,
  );
  for (const schedule of schedules) lines.push('', ...scheduleView(schedule, config, entries, from, group));
  return `${lines.join('\n')}\n`;
}

function scheduleView(
  schedule: Schedule,
  config: ConfigFile,
  entries: readonly PlanEntry[],
  from: Date,
  group?: string,
): string[] {
  const zone = schedule.timezone ?? config.timezone;
  const ids = group === undefined ? schedule.jobGroupIds : [group];
  const lines = [
    `${schedule.name} (${zone}${schedule.enforce ? ', enforced' : ''}${schedule.calendar ? `, calendar ${schedule.calendar}` : ''}): job groups ${ids.join(', ')}`,
  ];
  const start = desiredAt(schedule, from, config.timezone);
  lines.push(`  at the start      ${describeTarget(start.target)}  [${start.windows.join('+')}]`);
  // Every group of a schedule changes at the same instants to the same target: show each instant once.
  const first = ids[0];
  const own = entries.filter((e) => e.schedule === schedule.name && e.jobGroupId === first);
  if (!own.some((entry) => entry.kind === 'change')) lines.push('  no changes in this range');
  let lastDay = '';
  for (const entry of own) {
    const at = new Date(entry.at);
    const local = instantToLocal(at, zone);
    const day = `${WEEKDAYS[local.weekday - 1]} ${local.year}-${two(local.month)}-${two(local.day)}`;
    if (entry.kind !== 'change') {
      lines.push(`  ${(day === lastDay ? '' : day).padEnd(15)}  ${dayNote(entry)}`);
      lastDay = day;
      continue;
    }
    const time = `${two(local.hour)}:${two(local.minute)} ${offsetText(at, zone)}`;
    const marks = [
      ...(entry.dst ? [`DST: ${entry.dst.wanted} does not exist that day, ${entry.dst.became} instead`] : []),
      ...(entry.workday ? [`make-up workday as ${entry.workday.as}`] : []),
    ];
    lines.push(
      `  ${(day === lastDay ? '' : day).padEnd(15)}  ${time}  ${describeTarget(entry.set)}  [${entry.window}]${marks.length > 0 ? `  (${marks.join('; ')})` : ''}`,
    );
    lastDay = day;
  }
  return lines;
}

/** `plan --at`: per group, the desired state in force and what decided each field. */
function atView(config: ConfigFile, rows: readonly PlanAt[], at: Date): string {
  const lines = [
    `Desired state at ${localText(at, config.timezone)} ${config.timezone} (${at.toISOString()}):`,
  ];
  if (rows.length === 0) lines.push('  no scheduled job group');
  for (const row of rows) {
    const fields = Object.entries(row.decidedBy).map(([field, decision]) => {
      const value = field.startsWith('params.')
        ? row.target.params?.[field.slice(7) as keyof NonNullable<Target['params']>]
        : row.target[field as keyof Target];
      const why =
        decision.by === 'hold'
          ? `pin ${decision.holdId}`
          : `${decision.window}${decision.date ? ` of ${decision.date}` : ''}${decision.workday ? `, a make-up workday as ${decision.workday.as}` : ''}`;
      return `${field} ${String(value)} (${why})`;
    });
    lines.push(
      `  group ${row.jobGroupId}  ${row.schedule}  ${row.local} ${row.offset}${row.paused ? '  PAUSED: automation sends nothing' : ''}`,
      `    ${fields.length > 0 ? fields.join(', ') : 'nothing set (fields left as they are)'}`,
    );
    if (row.day)
      lines.push(
        `    today: ${dayNote({ ...row.day, at: row.at, jobGroupId: row.jobGroupId, schedule: row.schedule, local: row.local, zone: row.zone })}`,
      );
  }
  return `${lines.join('\n')}\n`;
}

/** The holds section of `plan --url`: each hold, then each change it removes or alters, per group. */
function holdsView(config: ConfigFile, holds: readonly Hold[], rows: readonly PlanRow[]): string {
  const zone = config.timezone;
  const lines = ['', `Holds in force (read from the webhook): ${plural(holds.length, 'hold')}`];
  for (const hold of holds) {
    const what =
      hold.kind === 'pin'
        ? `pin ${describeTarget(hold.set ?? {})}`
        : hold.kind === 'pause'
          ? 'pause (no automated write)'
          : `skip ${hold.schedule}/${hold.window} on ${hold.date}`;
    lines.push(
      `  group ${hold.jobGroupId}  ${what}  until ${localText(new Date(hold.until), zone)} ${zone}${hold.reason ? `  "${hold.reason}"` : ''}  [${hold.id}]`,
    );
  }
  const marked = rows.filter((row) => row.skipped || row.held || row.holdEnds);
  if (marked.length > 0) lines.push('', 'What the holds change in this range:');
  for (const row of marked) {
    const when = `${localText(new Date(row.at), zone)} ${zone}`;
    const note = row.holdEnds
      ? `${row.holdEnds.kind} ${row.holdEnds.holdId} ends; automation applies ${describeTarget(row.set)}${row.held?.paused ? ' once no pause holds it' : ''}`
      : row.skipped
        ? `SKIPPED [${row.window}] ${describeTarget(row.set)} (hold ${row.skipped.holdId})`
        : row.held?.paused
          ? `not applied, paused (hold ${row.held.holdIds.join(', ')}): [${row.window}] ${describeTarget(row.set)}`
          : `sends ${describeTarget(row.held?.effective ?? {})} instead of [${row.window}] ${describeTarget(row.set)} (hold ${row.held?.holdIds.join(', ')})`;
    lines.push(`  ${when}  group ${row.jobGroupId}  ${note}`);
  }
  return `${lines.join('\n')}\n`;
}

async function plan(
  values: {
    config?: string | undefined;
    from?: string | undefined;
    to?: string | undefined;
    at?: string | undefined;
    group?: string | undefined;
    json?: boolean | undefined;
    url?: string | undefined;
  },
  io: CliIo,
): Promise<number> {
  const atMode = values.at !== undefined;
  if (atMode && (values.from !== undefined || values.to !== undefined))
    throw new UsageError('plan takes --at, or --from and --to, not both');
  if (!atMode && (values.from === undefined || values.to === undefined))
    throw new UsageError('plan needs --from and --to (or --at)');
  // Syntax first (a usage error), then the config, then the instants in its time zone.
  for (const name of ['from', 'to', 'at'] as const) {
    const text = values[name];
    if (text !== undefined) parseTime(name, text, undefined);
  }
  if (values.group !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(values.group))
    throw new UsageError('--group takes a job group id (1-64 letters, digits, _ and -)');
  const loaded = loadChecked(configFile(values.config, io), io);
  if (!loaded.ok) return 1;
  const { config } = loaded;
  if (
    values.group !== undefined &&
    !config.schedules.some((s) => s.jobGroupIds.includes(values.group as string))
  )
    io.stderr(`autopilot: job group ${values.group} is in no schedule of the config\n`);
  let holds: Hold[] = [];
  if (values.url !== undefined) {
    // The holds in force, from the store behind the webhook: the plan then shows what they change.
    const answer = await webhookCall<{ holds?: Hold[] }>('GET', '/v1/holds', undefined, values.url, io);
    if (!answer?.holds) return 1;
    holds = answer.holds;
  }
  if (atMode) {
    const at = parseTime('at', values.at as string, config.timezone);
    const rows = planAt(config, holds, at, values.group);
    io.stdout(values.json ? `${JSON.stringify(rows, null, 2)}\n` : atView(config, rows, at));
    return 0;
  }
  const from = parseTime('from', values.from as string, config.timezone);
  const to = parseTime('to', values.to as string, config.timezone);
  if (to.getTime() <= from.getTime()) throw new UsageError('--to must be after --from');
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * 86_400_000) {
    throw new UsageError(`the range is limited to ${MAX_RANGE_DAYS} days`);
  }
  const entries = planEntries(config, holds, from, to, values.group);
  if (values.json) {
    io.stdout(`${JSON.stringify(entries, null, 2)}\n`);
  } else {
    io.stdout(weekView(config, entries, from, to, values.group));
    if (values.url !== undefined)
      io.stdout(
        holdsView(
          config,
          holds,
          entries.filter((e): e is PlanChange => e.kind === 'change'),
        ),
      );
  }
  return 0;
}

interface HistoryRecord {
  readonly at: string;
  readonly jobGroupId: string;
  readonly source: Record<string, unknown> & { kind: string };
  readonly sent: Record<string, string>;
  readonly set?: Target;
  readonly previous?: Record<string, unknown>;
  readonly requestId: string;
  readonly hold?: { event: string; id: string; kind: string; until: string; reason: string };
}

function describeSource(source: HistoryRecord['source']): string {
  if (source.kind === 'webhook') return `webhook ${source.who} ${source.route}`;
  if (source.kind === 'schedule') return `schedule ${source.schedule} (${source.window || 'otherwise'})`;
  if (source.kind === 'rule')
    return `rule ${(source.rules as string[]).join(', ')} (event ${(source.eventIds as string[]).join(', ')})`;
  return `scheduler ${source.action} (${source.trigger})`;
}

/**
 * One signed call to the webhook (like `npm run call`): the answer's JSON, or undefined after printing
 * why not (no answer, not JSON, an error status with its code and message).
 */
async function webhookCall<T>(
  method: string,
  pathAndQuery: string,
  payload: unknown,
  url: string | undefined,
  io: CliIo,
): Promise<(T & { error?: { code: string; message: string } }) | undefined> {
  const base = (url ?? io.env.WEBHOOK_URL ?? DEFAULT_WEBHOOK_URL).replace(/\/+$/, '');
  const text = payload === undefined ? '' : JSON.stringify(payload);
  let response: Response;
  try {
    response = await fetch(`${base}${pathAndQuery}`, {
      method,
      headers: { ...authHeaders(text, io.env), ...(text !== '' && { 'content-type': 'application/json' }) },
      ...(text !== '' && { body: text }),
    });
  } catch {
    io.stderr(`autopilot: no answer from ${base} (is the webhook running? npm start, or --url)\n`);
    return undefined;
  }
  const answer = await response.text();
  let body: T & { error?: { code: string; message: string } };
  try {
    body = JSON.parse(answer) as typeof body;
  } catch {
    io.stderr(`autopilot: ${base} answered HTTP ${response.status} with something that is not JSON\n`);
    return undefined;
  }
  if (!response.ok) {
    io.stderr(
      `autopilot: HTTP ${response.status} ${body.error?.code ?? ''}: ${body.error?.message ?? answer}\n`,
    );
    return undefined;
  }
  return body;
}

/** `autopilot hold ID --pin f=v… | --pause | --skip WINDOW --date D`, `--for`/`--until`, `--reason`. */
async function holdCommand(
  positionals: string[],
  values: Record<string, string | boolean | string[] | undefined>,
  io: CliIo,
): Promise<number> {
  const [jobGroupId, ...extra] = positionals;
  if (jobGroupId === undefined || extra.length > 0) throw new UsageError('hold takes one job group id');
  const kinds = [values.pin !== undefined, values.pause === true, values.skip !== undefined].filter(Boolean);
  if (kinds.length !== 1) throw new UsageError('hold takes exactly one of --pin, --pause, --skip');
  const body: Record<string, unknown> = {};
  if (values.pin !== undefined) {
    body.kind = 'pin';
    const set: Record<string, unknown> = {};
    for (const pair of values.pin as string[]) {
      const eq = pair.indexOf('=');
      if (eq <= 0)
        throw new UsageError(`--pin takes field=value (planedJobCount=30, status=Running), not "${pair}"`);
      const value = pair.slice(eq + 1);
      set[pair.slice(0, eq)] = /^\d+$/.test(value) ? Number(value) : value;
    }
    body.set = set;
  } else if (values.pause) body.kind = 'pause';
  else {
    body.kind = 'skip';
    body.window = values.skip;
    if (values.schedule !== undefined) body.schedule = values.schedule;
    if (values.date === undefined)
      throw new UsageError('--skip needs --date YYYY-MM-DD (the local start date)');
    body.date = values.date;
  }
  if (values.for !== undefined) body.for = values.for;
  if (values.until !== undefined) body.until = values.until;
  if (values.reason !== undefined) body.reason = values.reason;
  const path = `/v1/job-groups/${encodeURIComponent(jobGroupId)}/holds${values['dry-run'] ? '?dryRun=true' : ''}`;
  const answer = await webhookCall<{ hold?: Record<string, unknown> }>(
    'POST',
    path,
    body,
    values.url as string | undefined,
    io,
  );
  if (!answer?.hold) return 1;
  io.stdout(`${JSON.stringify(answer, null, 2)}\n`);
  return 0;
}

/** `autopilot history`: a signed GET /v1/history to the webhook, printed as lines or JSON. */
async function history(
  values: { group?: string; since?: string; limit?: string; json?: boolean; url?: string },
  io: CliIo,
): Promise<number> {
  const query = new URLSearchParams();
  if (values.group !== undefined) query.set('jobGroupId', values.group);
  if (values.since !== undefined) query.set('since', values.since);
  if (values.limit !== undefined) query.set('limit', values.limit);
  const qs = query.toString();
  const body = await webhookCall<{ records?: HistoryRecord[]; note?: string }>(
    'GET',
    `/v1/history${qs ? `?${qs}` : ''}`,
    undefined,
    values.url,
    io,
  );
  if (!body?.records) return 1;
  // More stored than a read over every group looks at: said on stderr, the records still printed.
  if (body.note) io.stderr(`note: ${body.note}\n`);
  if (values.json) {
    io.stdout(`${JSON.stringify(body.records, null, 2)}\n`);
    return 0;
  }
  if (body.records.length === 0) io.stdout('no changes recorded\n');
  for (const record of body.records) {
    if (record.hold) {
      const { hold } = record;
      const what = hold.kind === 'pin' ? ` ${describeTarget(record.set ?? {})}` : '';
      io.stdout(
        `${record.at}  group ${record.jobGroupId}  hold ${hold.event}: ${hold.kind}${what} until ${hold.until}${hold.reason ? ` "${hold.reason}"` : ''}  by ${describeSource(record.source)}  [${hold.id}]\n`,
      );
      continue;
    }
    const fields = Object.entries(record.sent)
      .filter(
        ([key]) =>
          !['AlgoLibId', 'JobGroupId', 'JobGroupName', 'ResourceProfileId', 'RegionId'].includes(key),
      )
      .map(([key, value]) => `${key}=${value}`)
      .join(' ');
    io.stdout(
      `${record.at}  group ${record.jobGroupId}  ${fields}  by ${describeSource(record.source)}  [${record.requestId}]\n`,
    );
  }
  return 0;
}

/** `store init`: the table with the product's layout and TTL, created once; a second run finds it. */
async function storeInit(values: { 'ttl-days'?: string | undefined }, io: CliIo): Promise<number> {
  const days =
    values['ttl-days'] === undefined ? DEFAULT_TIME_TO_LIVE_SECONDS / 86_400 : Number(values['ttl-days']);
  if (!Number.isInteger(days) || days < 0)
    throw new UsageError('--ttl-days is a whole number of days (0: forever)');
  try {
    const env = parseEnv({ ...io.env, STATE_STORE: 'tablestore' });
    const endpoint = tablestoreEndpoint(env);
    const result = await ensureTable({
      endpoint,
      instance: env.TABLESTORE_INSTANCE as string,
      table: env.TABLESTORE_TABLE,
      credentials: resolveCredentials(undefined, io.env),
      timeToLiveSeconds: days === 0 ? -1 : days * 86_400,
    });
    const ttl = result.timeToLive === -1 ? 'forever' : `${result.timeToLive / 86_400} days`;
    io.stdout(
      `${result.created ? 'created' : 'exists'}: table ${env.TABLESTORE_TABLE} on ${env.TABLESTORE_INSTANCE} (${endpoint}), rows kept ${ttl}\n`,
    );
    return 0;
  } catch (error) {
    if (!(error instanceof AutopilotError)) throw error;
    io.stderr(`autopilot store init: ${error.code}: ${error.message}\n`);
    return 1;
  }
}

/** `notify test [CHANNEL]`: one test message to each channel (or the named one), and what each answered. */
async function notifyTest(
  positionals: readonly string[],
  values: { config?: string | undefined },
  io: CliIo,
): Promise<number> {
  if (positionals.length > 1) throw new UsageError('notify test takes at most one channel name');
  const loaded = loadChecked(configFile(values.config, io), io);
  if (!loaded.ok) return 1;
  const { channels } = loaded.config.notify;
  const [name] = positionals;
  const chosen = name === undefined ? channels : channels.filter((channel) => channel.name === name);
  if (chosen.length === 0) {
    const known = channels.map((channel) => channel.name).join(', ') || 'none';
    io.stderr(
      name === undefined
        ? `${loaded.file}: no notify.channels to test\n`
        : `${loaded.file}: no channel named "${name}" in notify.channels (${known})\n`,
    );
    return 1;
  }
  const now = Date.now();
  // The log lines say the same as the lines printed below; a terminal needs only the latter.
  const previous = setLogSink(() => {});
  let report: Awaited<ReturnType<typeof sendNotifications>>;
  try {
    report = await sendNotifications(
      {
        origin: {
          kind: 'test',
          title: 'Test message from `npx autopilot notify test`: this channel is set up',
          requestId: `cli-${randomBytes(6).toString('hex')}`,
          at: now,
        },
        entries: [],
        failures: [],
      },
      {
        settings: { ...loaded.config.notify, channels: chosen },
        timezone: loaded.config.timezone,
        deadline: now + loaded.config.notify.timeoutMs + 1_000,
        env: io.env,
      },
    );
  } finally {
    setLogSink(previous);
  }
  let failed = 0;
  for (const result of report?.channels ?? []) {
    const head = `${result.channel} (${result.type}): ${result.status}`;
    if (result.status === 'sent') {
      io.stdout(`${head}${result.attempts > 1 ? ` after ${result.attempts} attempts` : ''}\n`);
      continue;
    }
    failed++;
    const code = result.code ?? 'INTERNAL';
    const robot = result.channelCode !== undefined ? ` (channel code ${result.channelCode})` : '';
    const why = result.problem ?? (isErrorCode(code) ? ERROR_TABLE[code].message : '');
    io.stderr(`${head} ${code}${robot}: ${why}\n`);
  }
  return failed === 0 ? 0 : 1;
}

/** Runs one command; returns the exit code. */
export async function main(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      (command === undefined ? io.stderr : io.stdout)(USAGE);
      return command === undefined ? 2 : 0;
    }
    if (command === 'validate') {
      const { values, positionals } = parseArgs({
        args: [...rest],
        options: { config: { type: 'string', short: 'c' }, strict: { type: 'boolean' } },
        strict: true,
        allowPositionals: true,
      });
      // `validate FILE` reads as naturally as `validate --config FILE`: either, not both.
      if (positionals.length > 1 || (positionals.length === 1 && values.config !== undefined)) {
        throw new UsageError('validate takes one config file: FILE or --config FILE');
      }
      return validate({ config: positionals[0] ?? values.config, strict: values.strict }, io);
    }
    if (command === 'plan') {
      const { values } = parseArgs({
        args: [...rest],
        options: {
          config: { type: 'string', short: 'c' },
          from: { type: 'string' },
          to: { type: 'string' },
          at: { type: 'string' },
          group: { type: 'string' },
          json: { type: 'boolean' },
          url: { type: 'string' },
        },
        strict: true,
        allowPositionals: false,
      });
      return await plan(values, io);
    }
    if (command === 'secret' || command === 'token') {
      const { positionals } = parseArgs({
        args: [...rest],
        options: {},
        strict: true,
        allowPositionals: true,
      });
      if (command === 'secret' && positionals.length > 0) throw new UsageError('secret takes no arguments');
      if (positionals.length > 1) throw new UsageError('token takes at most one name');
      const name = positionals[0] ?? 'caller';
      if (!/^[A-Za-z0-9_.:@-]{1,64}$/.test(name)) {
        throw new UsageError('a token name is 1-64 letters, digits, "_", ".", ":", "@" or "-"');
      }
      const bytes = randomBytes(32);
      io.stdout(
        command === 'secret'
          ? `whsec_${bytes.toString('base64')}\n`
          : `${name}=${bytes.toString('base64url')}\n`,
      );
      return 0;
    }
    if (command === 'hold') {
      const { values, positionals } = parseArgs({
        args: [...rest],
        options: {
          pin: { type: 'string', multiple: true },
          pause: { type: 'boolean' },
          skip: { type: 'string' },
          schedule: { type: 'string' },
          date: { type: 'string' },
          for: { type: 'string' },
          until: { type: 'string' },
          reason: { type: 'string' },
          'dry-run': { type: 'boolean' },
          url: { type: 'string' },
        },
        strict: true,
        allowPositionals: true,
      });
      return await holdCommand(positionals, values, io);
    }
    if (command === 'holds' || command === 'release' || command === 'status') {
      const { values, positionals } = parseArgs({
        args: [...rest],
        options: { json: { type: 'boolean' }, url: { type: 'string' } },
        strict: true,
        allowPositionals: true,
      });
      const [id, ...extra] = positionals;
      if (extra.length > 0 || (command !== 'holds' && id === undefined)) {
        throw new UsageError(
          `${command} takes ${command === 'release' ? 'one hold id' : 'one job group id'}`,
        );
      }
      const call =
        command === 'holds'
          ? ['GET', `/v1/holds${id === undefined ? '' : `?jobGroupId=${encodeURIComponent(id)}`}`]
          : command === 'release'
            ? ['DELETE', `/v1/holds/${encodeURIComponent(id as string)}`]
            : ['GET', `/v1/job-groups/${encodeURIComponent(id as string)}/status`];
      const answer = await webhookCall<Record<string, unknown>>(
        call[0] as string,
        call[1] as string,
        undefined,
        values.url,
        io,
      );
      if (!answer) return 1;
      io.stdout(`${JSON.stringify(answer, null, 2)}\n`);
      return 0;
    }
    if (command === 'history') {
      const { values } = parseArgs({
        args: [...rest],
        options: {
          group: { type: 'string', short: 'g' },
          since: { type: 'string' },
          limit: { type: 'string' },
          json: { type: 'boolean' },
          url: { type: 'string' },
        },
        strict: true,
        allowPositionals: false,
      });
      return history(values, io);
    }
    if (command === 'notify') {
      const [sub, ...args] = rest;
      if (sub !== 'test') throw new UsageError('notify takes one subcommand: test');
      const { values, positionals } = parseArgs({
        args,
        options: { config: { type: 'string', short: 'c' } },
        strict: true,
        allowPositionals: true,
      });
      return await notifyTest(positionals, values, io);
    }
    if (command === 'store') {
      const [sub, ...args] = rest;
      if (sub !== 'init') throw new UsageError('store takes one subcommand: init');
      const { values } = parseArgs({
        args,
        options: { 'ttl-days': { type: 'string' } },
        strict: true,
        allowPositionals: false,
      });
      return await storeInit(values, io);
    }
    throw new UsageError(`unknown command "${command}"`);
  } catch (error) {
    const known =
      error instanceof UsageError ||
      (error as { code?: unknown }).code?.toString().startsWith('ERR_PARSE_ARGS');
    if (!known) throw error;
    io.stderr(`autopilot: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
