import { randomUUID } from 'node:crypto';
import { DEFAULT_ATTEMPT_TIMEOUT_MS } from '../cityvisual/client.js';
import { AutopilotError, toAutopilotError } from '../errors.js';
import type { CloudEvent, EventBridgeParseResult, InvalidEventEntry } from '../fc/eventbridge.js';
import {
  type HoldEffect,
  holdEffect,
  listHolds,
  recordHold,
  ruleHoldOwner,
  upsertRuleHold,
  withoutPinned,
} from '../holds/index.js';
import { type Change, type Intent, toIntent } from '../intent/index.js';
import { type ApplyDeps, applyIntent } from '../jobgroup/apply.js';
import type { Identity, Target } from '../jobgroup/target.js';
import { audit, logger } from '../log.js';
import { evaluateEvent, type Rule } from '../rules/index.js';
import { mergeTargets } from '../schedule/merge.js';
import type { StoredRecord } from '../state/store.js';
import { claimEventOrder, eventKey, orderOf, readEventOrder, settleEventOrder } from './order.js';
import {
  type ChangeReport,
  COMMAND_SOURCE_NOT_ALLOWED,
  classifyFailure,
  DEADLINE_SLACK_MS,
  type EventOutcome,
  type EventReport,
  type RuleReport,
  worseOutcome,
} from './outcomes.js';

/** How far an event's `time` may be ahead of this clock and still order events (clock skew). */
export const MAX_EVENT_TIME_AHEAD_MS = 5 * 60_000;

/** Changes to different job groups run this many at a time; changes to one group run in delivery order. */
export const EVENTS_CONCURRENCY = 4;

/**
 * The holder's CityVisual calls to a group start no attempt later than this after its claim (sooner at
 * the invocation's deadline); the lease lasts that, one attempt timeout and {@link LEASE_MARGIN_MS}
 * more, so a lease whose holder died is waited out by the next delivery.
 */
const LEASE_MS = 30_000;
/**
 * The lease outlasts the sends' deadline by one attempt's timeout and this much, for what the holder
 * still writes before it settles (the history record, its rules' pins): the holder ends the lease
 * itself (or starts its linger) unless its instance died or the store took longer than this.
 */
const LEASE_MARGIN_MS = 5_000;
/**
 * After a send that may still land (an attempt timed out or lost its connection, even one before the
 * answer that counted), the lease lingers this long from the settle, whatever end it had: no
 * other delivery's write (its own retry's included) may land first. Its holder is alive then, so this
 * does not make a dead holder's lease last longer.
 */
const LEASE_LINGER_MS = 10_000;

/** One entry of a delivery, at its position: a parsed event, or why it is not one. */
export type DeliveryEntry =
  | { readonly index: number; readonly event: CloudEvent }
  | { readonly index: number; readonly invalid: InvalidEventEntry };

export interface ProcessOptions {
  readonly rules: readonly Rule[];
  /** Sources whose command events are applied (`events.commandSources`); default none. */
  readonly commandSources?: readonly string[];
  /** applyIntent's dependencies; called only when a change is applied (see {@link lazyDeps}). */
  readonly deps: () => ApplyDeps;
  /** Epoch ms: no change starts after it, and CityVisual calls stop retrying before it. */
  readonly deadline: number;
  readonly concurrency?: number;
  readonly now?: () => number;
  /** The FC request id, named by the history records of the pins `holdFor` makes. */
  readonly requestId?: string;
  /** The CityVisual client's per-attempt timeout (CITYVISUAL_TIMEOUT_MS), for the group leases; default 5 s. */
  readonly attemptTimeoutMs?: number;
  /** Plan only: no write to CityVisual and none to the store (order records, pins); reads still happen. */
  readonly dryRun?: boolean;
  /**
   * Alert notifications: per group, a firing alert's change wins over a resolved alert's, and the
   * changes of several firing alerts merge capacity-safe (largest count, Running over Stopped), because
   * a notification orders its alerts by labels, not by time.
   */
  readonly firingWins?: boolean;
  /**
   * At most this many groups get a change applied in this invocation (the webhook's batch limit); the
   * changes to the groups after it fail retryably (TOO_MANY_CHANGES), so the sender's retry applies them
   * — the groups already applied are then redeliveries and free.
   */
  readonly maxGroups?: number;
}

/**
 * The delivery back in its original order: `parseEventBridgeEvent` keeps the valid events in order and
 * gives each invalid entry its index, so the k-th event sits at the k-th index no invalid entry holds.
 */
export function deliveryEntries(delivery: EventBridgeParseResult): DeliveryEntry[] {
  const entries: DeliveryEntry[] = delivery.invalid.map((invalid) => ({ index: invalid.index, invalid }));
  const taken = new Set(delivery.invalid.map((invalid) => invalid.index));
  let index = 0;
  for (const event of delivery.events) {
    while (taken.has(index)) index++;
    entries.push({ index, event });
    index++;
  }
  return entries.sort((a, b) => a.index - b.index);
}

/**
 * Builds the dependencies once, on first use, so an invocation whose events need no call never needs
 * credentials; a failure (e.g. CREDENTIALS_MISSING) is thrown to every change that asks.
 */
export function lazyDeps(build: () => ApplyDeps): () => ApplyDeps {
  let built: { deps: ApplyDeps } | { error: unknown } | undefined;
  return () => {
    if (!built) {
      try {
        built = { deps: build() };
      } catch (error) {
        built = { error };
      }
    }
    if ('error' in built) throw built.error;
    return built.deps;
  };
}

interface Draft {
  readonly index: number;
  readonly id: string | null;
  readonly source: string | null;
  readonly type: string | null;
  /** The event's `time`, epoch ms; undefined when it has none (it cannot be ordered). */
  readonly time?: number;
  /** Alert events: true for a firing alert, false for a resolved one. */
  readonly firing?: boolean;
  readonly rules: RuleReport[];
  readonly changes: Array<ChangeReport | undefined>;
  outcome: EventOutcome;
  code?: string;
  message?: string;
}

interface Work {
  readonly draft: Draft;
  readonly slot: number;
  readonly rule: string;
  readonly changeIndex?: number;
  readonly change: Change;
  /** The rule's `then.holdFor`, in ms: pin what this change sets once it applied. */
  readonly holdForMs?: number;
}

/**
 * The events use case without FC or logging: every entry → rules → changes, applied with `applyIntent`
 * (live read or registry, no write when nothing changes). A copy of an event (same source and id) later
 * in the delivery is not applied again. All changes to one group are merged in delivery order (event,
 * then rule, then change) into one intent and applied once, so the last event of a batch wins per field,
 * as it would have one delivery at a time, with one write at most (see {@link applyGroup} for a merge
 * refused for good); groups run `concurrency` at a time. Every entry gets a
 * report, in delivery order; one bad event never blocks the others. Never throws.
 *
 * @example
 * const reports = await processEvents(deliveryEntries(parseEventBridgeEvent(buffer)), {
 *   rules: runtime.config.rules, deps: lazyDeps(() => applyDepsFor(invocation, runtime)), deadline: invocation.deadline,
 * });
 */
export async function processEvents(
  entries: readonly DeliveryEntry[],
  options: ProcessOptions,
): Promise<EventReport[]> {
  const drafts: Draft[] = [];
  const work: Work[] = [];
  // CloudEvents: `source` + `id` identify an event; a copy later in the same delivery is not applied again.
  const firstIndex = new Map<string, number>();
  for (const entry of entries) {
    if ('event' in entry) {
      const key = JSON.stringify([entry.event.source, entry.event.id]);
      const first = firstIndex.get(key);
      if (first !== undefined) {
        drafts.push(duplicateDraft(entry, first));
        continue;
      }
      firstIndex.set(key, entry.index);
    }
    const draft =
      'event' in entry
        ? evaluate(entry, options.rules, options.commandSources ?? [], work)
        : invalidDraft(entry);
    drafts.push(draft);
  }
  await runWork(work, options);
  return drafts.map(finish);
}

function duplicateDraft(entry: { index: number; event: CloudEvent }, first: number): Draft {
  return {
    index: entry.index,
    id: entry.event.id,
    source: entry.event.source,
    type: entry.event.type,
    rules: [],
    changes: [],
    outcome: 'unchanged',
    message: `Duplicate of the event at index ${first} (same source and id): not applied again.`,
  };
}

function invalidDraft(entry: { index: number; invalid: InvalidEventEntry }): Draft {
  return {
    index: entry.index,
    id: entry.invalid.id ?? null,
    source: null,
    type: null,
    rules: [],
    changes: [],
    outcome: 'invalid',
    code: entry.invalid.code,
    message: entry.invalid.message,
  };
}

function evaluate(
  entry: { index: number; event: CloudEvent },
  rules: readonly Rule[],
  commandSources: readonly string[],
  work: Work[],
): Draft {
  const { event } = entry;
  const parsed = event.time === undefined ? Number.NaN : Date.parse(event.time);
  // A time ahead of the clock (beyond skew) would make every later event look stale for this group:
  // such an event is not ordered (it still applies), and the log says so.
  const time = parsed > Date.now() + MAX_EVENT_TIME_AHEAD_MS ? Number.NaN : parsed;
  if (Number.isFinite(parsed) && !Number.isFinite(time)) {
    logger.warn('event time is in the future; not used for ordering', {
      eventId: event.id,
      time: event.time,
    });
  }
  const draft: Draft = {
    index: entry.index,
    id: event.id,
    source: event.source,
    type: event.type,
    ...(Number.isFinite(time) && { time }),
    ...(event.type.endsWith('.alert.firing') && { firing: true }),
    ...(event.type.endsWith('.alert.resolved') && { firing: false }),
    rules: [],
    changes: [],
    outcome: 'unmatched',
  };
  let matched: ReturnType<typeof evaluateEvent>['matched'];
  try {
    const evaluated = evaluateEvent(rules, event, { commandSources });
    matched = evaluated.matched;
    if (evaluated.commandRefused) {
      // Acknowledged (its outcome stays what the rules make it), and logged with the source.
      draft.code = COMMAND_SOURCE_NOT_ALLOWED;
      draft.message = `A ${event.type} event from source "${event.source}" is not applied: the source is not in events.commandSources.`;
    }
  } catch {
    // evaluateEvent never throws by contract; should it, this event fails alone, for good.
    draft.outcome = 'failed-permanent';
    draft.code = 'INTERNAL';
    draft.message = 'The rules could not be evaluated for this event; see the function log.';
    return draft;
  }
  for (const { rule, index: changeIndex, result } of matched) {
    const at = changeIndex === undefined ? {} : { changeIndex };
    if (!result.ok) {
      draft.rules.push({
        rule,
        ...at,
        ok: false,
        changes: 0,
        code: result.code,
        message: result.message,
        ...(result.field !== undefined && { field: result.field }),
      });
      draft.outcome = worseOutcome(draft.outcome, 'invalid');
      continue;
    }
    draft.rules.push({ rule, ...at, ok: true, changes: result.changes.length });
    for (const change of result.changes) {
      work.push({
        draft,
        slot: draft.changes.length,
        rule,
        ...at,
        change,
        ...(result.holdForMs !== undefined && { holdForMs: result.holdForMs }),
      });
      draft.changes.push(undefined);
    }
  }
  return draft;
}

async function runWork(work: readonly Work[], options: ProcessOptions): Promise<void> {
  const byGroup = new Map<string, Work[]>();
  for (const item of work) {
    const queue = byGroup.get(item.change.jobGroupId);
    if (queue) queue.push(item);
    else byGroup.set(item.change.jobGroupId, [item]);
  }
  const queues = [...byGroup.values()];
  let next = 0;
  const budget = { left: options.maxGroups ?? Number.POSITIVE_INFINITY };
  const worker = async () => {
    for (let queue = queues[next++]; queue !== undefined; queue = queues[next++]) {
      const report = await applyGroup(queue, options, budget);
      for (const item of queue) item.draft.changes[item.slot] = report(item);
    }
  };
  const width = Math.max(1, Math.min(options.concurrency ?? EVENTS_CONCURRENCY, queues.length));
  await Promise.all(Array.from({ length: width }, worker));
}

/**
 * Every change a delivery makes to one group, merged in delivery order into one intent (a later change
 * wins per field; params merge by key) and applied once: one read and at most one write per group, so a
 * redelivered batch is free and the group never passes through the intermediate values.
 */
function mergedIntent(intents: readonly Intent[], capacitySafe = false): Intent {
  const [first, ...rest] = intents as [Intent, ...Intent[]];
  if (rest.length === 0) return first;
  if (capacitySafe) {
    const identity = Object.assign({}, ...intents.map((intent) => intent.identity)) as Identity;
    // Capacity first: the largest count and Running over Stopped, whatever the order of the alerts.
    return {
      jobGroupId: first.jobGroupId,
      action: 'modify',
      target: mergeTargets(intents.map((intent) => intent.target)),
      identity,
    };
  }
  let target: Target = first.target;
  let identity: Identity = first.identity;
  for (const next of rest) {
    const params =
      target.params || next.target.params ? { ...target.params, ...next.target.params } : undefined;
    target = { ...target, ...next.target, ...(params && { params }) };
    identity = { ...identity, ...next.identity };
  }
  return { jobGroupId: first.jobGroupId, action: 'modify', target, identity };
}

type Applied = Omit<ChangeReport, 'rule' | 'changeIndex' | 'jobGroupId' | 'action'>;

/** A change that failed with `error`: its outcome and reason by the error table, its public message. */
function failedWith(error: unknown, options: ProcessOptions): Applied {
  const failure = classifyFailure(error, options.deadline, (options.now ?? Date.now)());
  return {
    outcome: failure.outcome,
    requestId: failure.error.upstream?.requestId ?? null,
    code: failure.error.code,
    ...(failure.reason !== undefined && { reason: failure.reason }),
    message: failure.error.toPublic().message,
  };
}

/**
 * The holds that keep `rule` off a group: every hold in force but the rule's own `holdFor` pin (a
 * repeat of the alert that made it must still apply, and extends it).
 */
function effectFor(rule: string, effect: HoldEffect | undefined): HoldEffect | undefined {
  if (!effect) return undefined;
  const owner = ruleHoldOwner(rule);
  return effect.holds.some((hold) => hold.who === owner)
    ? holdEffect(effect.holds.filter((hold) => hold.who !== owner))
    : effect;
}

/** The intent of one change, without the fields a pin (other than its rule's own) keeps rules off. */
function heldIntent(item: Work, effect: HoldEffect | undefined): Intent {
  const intent = toIntent(item.change);
  const mine = effectFor(item.rule, effect);
  return mine && mine.pinned.size > 0 ? { ...intent, target: withoutPinned(intent.target, mine) } : intent;
}

/**
 * Applies `items` (changes to one group) as one merged intent; never throws. `unsure`: a request of it
 * may still reach CityVisual later (the client counted a write attempt of unknown outcome: no answer,
 * a lost connection, a 5xx or an unreadable answer, the last attempt or one before it).
 */
async function applyMerged(
  items: readonly Work[],
  options: ProcessOptions,
  effect?: HoldEffect,
): Promise<Applied & { readonly unsure?: true }> {
  const now = options.now ?? Date.now;
  try {
    // Out of time: do not start what cannot finish; the retry will.
    if (now() + DEADLINE_SLACK_MS >= options.deadline) throw new AutopilotError('DEADLINE_EXCEEDED');
    // A pin keeps rules off its fields; what is left of the change still applies.
    const intent = mergedIntent(
      items.map((item) => heldIntent(item, effect)),
      options.firingWins === true,
    );
    if (Object.keys(intent.target).length === 0 && Object.keys(intent.identity).length === 0) {
      return {
        outcome: 'unchanged',
        requestId: null,
        message: `Held: a pin on job group ${intent.jobGroupId} keeps rules off these fields until it ends; not applied.`,
      };
    }
    const result = await applyIntent(intent, options.deps(), {
      deadline: options.deadline,
      ...(options.dryRun && { dryRun: true }),
      source: {
        kind: 'rule',
        rules: [...new Set(items.map((item) => item.rule))],
        eventIds: [...new Set(items.map((item) => item.draft.id ?? '(no id)'))],
      },
    });
    return {
      outcome: result.changed ? 'applied' : 'unchanged',
      requestId: result.requestId ?? null,
      ...((result.uncertain ?? 0) > 0 && { unsure: true }),
      ...(options.dryRun && result.changed && { planned: result.applied }),
      ...(items.length > 1 && {
        message: options.firingWins
          ? `Applied as one change with the ${items.length - 1} other firing alert change(s) to this group in this notification, merged capacity-safe (the largest count, Running over Stopped).`
          : `Applied as one change with the ${items.length - 1} other change(s) to this group in this delivery (later ones win per field).`,
      }),
    };
  } catch (error) {
    const failed = failedWith(error, options);
    return mayStillLand(toAutopilotError(error)) ? { ...failed, unsure: true } : failed;
  }
}

/** A change's report without the internal `unsure` flag of {@link applyMerged}. */
function reported({ unsure: _, ...applied }: Applied & { readonly unsure?: true }): Applied {
  return applied;
}

/**
 * One group's changes: merged and applied once. When the merged change is refused for good (invalid,
 * or a permanent upstream refusal), one bad change must not take the others down: they are then applied
 * one by one, in delivery order, each with its own outcome. A retryable failure fails them all (the
 * retry of the delivery applies them again, merged).
 */
async function applyGroup(
  queue: readonly Work[],
  options: ProcessOptions,
  budget: { left: number },
): Promise<(item: Work) => ChangeReport> {
  const report = (item: Work, applied: Applied): ChangeReport => ({
    rule: item.rule,
    ...(item.changeIndex !== undefined && { changeIndex: item.changeIndex }),
    jobGroupId: item.change.jobGroupId,
    action: item.change.action,
    ...applied,
  });
  const now = options.now ?? Date.now;
  const waitingSince = Date.now();
  let conflicts = 0;
  for (let round = 1; ; round++) {
    const gate = await orderGate(queue, options);
    if ('error' in gate) return (item) => report(item, gate.error);
    // In time order (delivery order among equal times; an event without a time counts as oldest): the
    // newest event wins the merge, as it does against the order record.
    const { effect } = gate;
    const stale = new Map(gate.stale);
    // A repeat of an alert whose rule's pin has ended (repeat_interval past holdFor) is applied again:
    // it still fires, and a new pin must hold the value it sends, not whatever the group has meanwhile.
    const pinGone = (item: Work) =>
      item.holdForMs !== undefined && !effect?.holds.some((hold) => hold.who === ruleHoldOwner(item.rule));
    const revived = gate.redelivered.filter(pinGone);
    for (const item of revived) stale.delete(item);
    const redelivered = gate.redelivered.filter((item) => !pinGone(item));
    let fresh = [...gate.fresh, ...revived].sort((a, b) => (a.draft.time ?? 0) - (b.draft.time ?? 0) || 0);
    const jobGroupId = queue[0]?.change.jobGroupId as string;
    if (options.firingWins && queue.some((item) => item.draft.firing === true)) {
      // A firing alert for this group in the notification, even one already applied: a resolved alert's
      // change must not scale the group down while it still fires.
      for (const item of fresh.filter((candidate) => candidate.draft.firing === false)) {
        stale.set(item, {
          outcome: 'unchanged',
          requestId: null,
          superseded: true,
          message: `Superseded: a firing alert in this notification also targets job group ${jobGroupId}; firing wins over resolved, so this resolved alert's change is not applied.`,
        });
      }
      fresh = fresh.filter((item) => item.draft.firing !== false);
    }
    if (effect?.paused) {
      const held: Applied = {
        outcome: 'unchanged',
        requestId: null,
        message: `Held: job group ${jobGroupId} is paused until ${effect.holds.find((h) => h.kind === 'pause')?.until}; rules send nothing to it.`,
      };
      return (item) => report(item, stale.get(item) ?? held);
    }
    if (fresh.length === 0) {
      // A repeat of an alert already applied sends nothing, and extends the pin its rule asked for.
      if (!options.dryRun) await pinRuleHolds(redelivered, options, effect);
      return (item) => report(item, stale.get(item) as Applied);
    }
    if (budget.left <= 0) {
      const deferred: Applied = {
        outcome: 'failed-retryable',
        requestId: null,
        code: 'TOO_MANY_CHANGES',
        message: `Not applied yet: this request leads to changes to more than ${options.maxGroups} job groups, the most one request applies; resend it (the groups already applied are not sent again).`,
      };
      return (item) => report(item, stale.get(item) ?? deferred);
    }
    budget.left--;
    // The group's lease: no other delivery sends to it until this one settles (or the lease ends).
    const claim = await gate.claim();
    if (!claim.ok) {
      budget.left++;
      // Another delivery is sending to the group: wait for it while this invocation has time to spare,
      // then judge the group again against what it applied (an older event is then stale).
      if (claim.busy && claim.busy.until === undefined) conflicts++;
      const wait = claim.busy
        ? waitForLease(claim.busy.until, options.deadline, now(), round, waitingSince, conflicts)
        : undefined;
      if (wait !== undefined) {
        await sleep(wait);
        continue;
      }
      return (item) => report(item, stale.get(item) ?? claim.refused);
    }
    const outcomeOf = await sendGroup(
      { fresh, redelivered, stale, effect, jobGroupId, gate, deadline: claim.deadline },
      options,
    );
    return (item) => report(item, outcomeOf(item));
  }
}

/**
 * A group's changes once its lease is taken: merged and sent once; when the merged change is refused
 * for good, one by one, each with its own outcome (see {@link applyGroup}). Pins are written before the
 * lease is settled, so a delivery waiting for it finds them. Answers each change's outcome.
 */
async function sendGroup(
  group: {
    readonly fresh: readonly Work[];
    readonly redelivered: readonly Work[];
    readonly stale: ReadonlyMap<Work, Applied>;
    readonly effect: HoldEffect | undefined;
    readonly jobGroupId: string;
    readonly gate: Extract<Gate, { settle: unknown }>;
    readonly deadline: number;
  },
  options: ProcessOptions,
): Promise<(item: Work) => Applied> {
  const { fresh, redelivered, stale, effect, jobGroupId, gate } = group;
  // Every send of this group ends inside its lease.
  const sending = { ...options, deadline: group.deadline };
  const attempt = await applyMerged(fresh, sending, effect);
  const merged = reported(attempt);
  if (merged.outcome === 'applied' || merged.outcome === 'unchanged') {
    // The pins first: a delivery waiting for this lease must find them when it judges the group.
    if (!options.dryRun) await pinRuleHolds([...redelivered, ...fresh], options, effect);
    await gate.settle(fresh, attempt.unsure === true);
    return (item) => stale.get(item) ?? merged;
  }
  if (fresh.length === 1 || merged.outcome === 'failed-retryable') {
    await gate.settle([], attempt.unsure === true);
    return (item) => stale.get(item) ?? merged;
  }
  if (attempt.unsure) {
    // Refused for good, but an earlier attempt of the merged change may still land: its changes are
    // not tried one by one now (one could land before it). Its own answer is reported; the retry of
    // the delivery tries again.
    await gate.settle([], true);
    const held: Applied = {
      ...merged,
      outcome: 'failed-retryable',
      reason: 'contended',
      message:
        `${merged.message ?? ''} An earlier attempt of this change to job group ${jobGroupId} got no clear answer and may still land, so its changes are not tried one by one now; the retry of the delivery tries again.`.trim(),
    };
    return (item) => stale.get(item) ?? held;
  }
  const reports = new Map<Work, Applied>(stale);
  const sent: Work[] = [];
  let inFlight = false;
  for (const item of fresh) {
    if (inFlight) {
      // An earlier change to this group may still land: a later one sent now could land before it.
      reports.set(item, notSentAfterUncertain(jobGroupId));
      continue;
    }
    const one = await applyMerged([item], sending, effect);
    const applied = reported(one);
    if (applied.outcome === 'applied' || applied.outcome === 'unchanged') {
      sent.push(item);
      if (!options.dryRun) await pinRuleHolds([item], options, effect);
    }
    inFlight ||= one.unsure === true;
    reports.set(item, applied);
  }
  await gate.settle(sent, inFlight);
  return (item) => reports.get(item) as Applied;
}

/** A change held back because an earlier one to the same group may still land (retried later). */
function notSentAfterUncertain(jobGroupId: string): Applied {
  return {
    outcome: 'failed-retryable',
    requestId: null,
    code: 'GROUP_CHANGE_IN_PROGRESS',
    reason: 'contended',
    message: `Not applied yet: an earlier change of this delivery to job group ${jobGroupId} may still reach CityVisual; nothing more is sent to the group until it has, and the retry applies this one.`,
  };
}

/** Polls for a lease another delivery holds: soon at first (a send takes tens of ms), then every 500 ms. */
const LEASE_POLL_MS = [25, 50, 100, 200, 500] as const;
/** At most this long waiting for one group, by the real clock (whatever `options.now` says). */
const MAX_LEASE_WAIT_MS = 60_000;
/** Time kept for this delivery's own send after waiting for a lease. */
const LEASE_WAIT_RESERVE_MS = 10_000;

/**
 * How long to wait before judging the group again, or undefined to give up (fail retryably) once
 * waiting longer would not leave this invocation time for its own send. A lease ends when its holder
 * settles, usually long before the end it names, so the wait polls rather than sleeping to that end.
 */
function waitForLease(
  until: number | undefined,
  deadline: number,
  now: number,
  round: number,
  waitingSince: number,
  conflicts: number,
): number | undefined {
  // No lease, but the record changed between the read and the claim: judge again at once (a few times).
  if (until === undefined) return conflicts <= 5 ? 0 : undefined;
  if (Date.now() - waitingSince > MAX_LEASE_WAIT_MS) return undefined;
  const poll = Math.max(
    0,
    Math.min(LEASE_POLL_MS[Math.min(round, LEASE_POLL_MS.length) - 1] as number, until - now),
  );
  return now + poll > deadline - LEASE_WAIT_RESERVE_MS ? undefined : poll;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * After the changes applied: the pins their rules' `holdFor` ask for, on the fields each change set
 * (not those another pin holds), made or extended — a repeat of the same alert (a redelivery the
 * order gate acknowledged) extends its pin too. One audit line and one history record each. The change
 * already happened: a store failure is logged and does not turn it into an error.
 */
async function pinRuleHolds(
  items: readonly Work[],
  options: ProcessOptions,
  effect: HoldEffect | undefined,
): Promise<void> {
  // What was sent (or, for repeats only, would be): the merge of every change, as applyMerged made it.
  const sent =
    items.length > 0
      ? mergedIntent(
          items.map((item) => heldIntent(item, effect)),
          options.firingWins === true,
        ).target
      : {};
  const wanted = new Map<string, { item: Work; fields: Set<string>; ms: number }>();
  for (const item of items) {
    if (item.holdForMs === undefined) continue;
    const { target } = heldIntent(item, effect);
    if (Object.keys(target).length === 0) continue;
    const previous = wanted.get(item.rule);
    const fields = previous?.fields ?? new Set<string>();
    for (const key of Object.keys(target)) fields.add(key);
    wanted.set(item.rule, { item, fields, ms: Math.max(item.holdForMs, previous?.ms ?? 0) });
  }
  if (wanted.size === 0) return;
  // A rule pins its own fields, at the values actually sent (a larger count of another alert included).
  const pick = (fields: ReadonlySet<string>): Target =>
    Object.fromEntries(Object.entries(sent).filter(([key]) => fields.has(key))) as Target;
  let store: ReturnType<ProcessOptions['deps']>['store'];
  try {
    store = options.deps().store;
  } catch {
    return;
  }
  if (!store) return;
  const now = (options.now ?? Date.now)();
  for (const [rule, { item, fields, ms }] of wanted) {
    const jobGroupId = item.change.jobGroupId;
    const set = pick(fields);
    let made: Awaited<ReturnType<typeof upsertRuleHold>>;
    try {
      made = await upsertRuleHold(store, { jobGroupId, rule, set, ms }, now);
    } catch (thrown) {
      logger.warn('rule pin (holdFor) not saved; the change itself applied', {
        jobGroupId,
        rule,
        code: toAutopilotError(thrown).code,
      });
      continue;
    }
    const eventIds = [item.draft.id ?? '(no id)'];
    if (made.ended) {
      // The rule's previous pin ended before the scheduler recorded it: its end is recorded here.
      await recordHold(
        store,
        'expired',
        made.ended,
        { kind: 'rule', rules: [rule], eventIds },
        options.requestId ?? '',
        now,
      );
    }
    audit(made.event === 'created' ? 'hold created' : 'hold extended', {
      ...(options.requestId !== undefined && { requestId: options.requestId }),
      who: made.hold.who,
      action: `hold-${made.event}`,
      jobGroupIds: [jobGroupId],
      eventIds,
      hold: { id: made.hold.id, kind: 'pin', set, until: made.hold.until },
    });
    await recordHold(
      store,
      made.event,
      made.hold,
      { kind: 'rule', rules: [rule], eventIds },
      options.requestId ?? '',
      now,
    );
  }
}

type Gate =
  | { readonly error: Applied }
  | {
      readonly fresh: readonly Work[];
      readonly stale: ReadonlyMap<Work, Applied>;
      /** Copies of an event already applied (a repeated alert): not applied again; their pins extend. */
      readonly redelivered: readonly Work[];
      /** The group's holds in force (pause > pin > rules). */
      readonly effect?: HoldEffect;
      /**
       * Takes the group's lease before anything is sent: the deadline every send must keep (the lease's
       * end), or why not — another delivery holds the lease (`busy`, until then) or the store failed.
       */
      readonly claim: () => Promise<
        | { readonly ok: true; readonly deadline: number }
        | { readonly ok: false; readonly refused: Applied; readonly busy?: { readonly until?: number } }
      >;
      /**
       * Ends the lease, recording that these changes were applied (the newest event time among them);
       * when a failed send may still land (`inFlight`), the lease lingers a while instead.
       */
      readonly settle: (applied: readonly Work[], inFlight: boolean) => Promise<void>;
    };

/**
 * Events in order: per group, the store keeps the time of the newest event applied to it. A change
 * from an older event is acknowledged as stale and sends nothing (an ALERT redelivered after the OK
 * that ended it must not scale the group back); a change from an event that carried that newest time
 * and was applied is a redelivery. Events without a time are not ordered. An unreadable store fails
 * the group's changes retryably, before anything is sent.
 */
async function orderGate(queue: readonly Work[], options: ProcessOptions): Promise<Gate> {
  const jobGroupId = queue[0]?.change.jobGroupId as string;
  let store: ReturnType<ProcessOptions['deps']>['store'];
  let record: Awaited<ReturnType<typeof readEventOrder>>;
  let effect: HoldEffect | undefined;
  try {
    store = options.deps().store;
    // The order record is read for events without a time too: they are not ordered, but they must
    // not send while another delivery holds the group's lease.
    const [order, holds] = store
      ? await Promise.all([readEventOrder(store, jobGroupId), listHolds(store, jobGroupId)])
      : [undefined, []];
    record = order;
    if (holds.length > 0) effect = holdEffect(holds);
  } catch (error) {
    return { error: failedWith(error, options) };
  }
  if (!store) {
    return {
      fresh: queue,
      stale: new Map(),
      redelivered: [],
      claim: async () => ({ ok: true, deadline: options.deadline }),
      settle: async () => {},
      ...(effect && { effect }),
    };
  }
  const order = orderOf(record);
  const fresh: Work[] = [];
  const stale = new Map<Work, Applied>();
  const redelivered: Work[] = [];
  for (const item of queue) {
    const time = item.draft.time;
    const key = eventKey(item.draft.source, item.draft.id);
    if (order && time !== undefined && time < order.time) {
      logger.warn('stale event acknowledged, not applied', {
        jobGroupId,
        eventId: item.draft.id,
        source: item.draft.source,
        eventTime: new Date(time).toISOString(),
        newestApplied: new Date(order.time).toISOString(),
      });
      stale.set(item, {
        outcome: 'unchanged',
        requestId: null,
        stale: { eventTime: new Date(time).toISOString(), newestApplied: new Date(order.time).toISOString() },
        message: `Stale: this event (time ${new Date(time).toISOString()}) is older than the newest event applied to job group ${jobGroupId} (${new Date(order.time).toISOString()}); acknowledged, not applied.`,
      });
    } else if (order && time === order.time && order.events.has(key)) {
      stale.set(item, {
        outcome: 'unchanged',
        requestId: null,
        message: `Already applied: this event (same source, id and time) was applied to job group ${jobGroupId} before; not applied again.`,
      });
      redelivered.push(item);
    } else fresh.push(item);
  }
  const target = store;
  let claimed: { record: StoredRecord; by: string } | undefined;
  return {
    fresh,
    stale,
    redelivered,
    ...(effect && { effect }),
    claim: async () => {
      if (options.dryRun) return { ok: true, deadline: options.deadline };
      const now = (options.now ?? Date.now)();
      const by = randomUUID();
      // Short, so a lease its holder never ends (the instance died) is waited out within an invocation.
      const deadline = Math.min(options.deadline, now + LEASE_MS);
      // An attempt started before `deadline` may run one attempt timeout past it (connect, then read).
      const until = deadline + (options.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS) + LEASE_MARGIN_MS;
      let result: Awaited<ReturnType<typeof claimEventOrder>>;
      try {
        result = await claimEventOrder(target, jobGroupId, record, { until, by }, now);
      } catch (thrown) {
        return { ok: false, refused: failedWith(thrown, options) };
      }
      if (result.ok) {
        claimed = { record: result.record, by };
        return { ok: true, deadline };
      }
      const busy =
        result.until === undefined
          ? `another delivery changed the event order of job group ${jobGroupId} while this one was judged`
          : `another delivery holds job group ${jobGroupId} (sending to it, or waiting ${Math.ceil((result.until - now) / 1000)} s more for a send that may still land)`;
      return {
        ok: false,
        busy: result.until === undefined ? {} : { until: result.until },
        refused: failedWith(
          new AutopilotError('GROUP_CHANGE_IN_PROGRESS', {
            message: `Not applied yet: ${busy}; nothing was sent, and the retry is judged against what that delivery applied.`,
          }),
          options,
        ),
      };
    },
    settle: async (applied, inFlight) => {
      if (!claimed) return;
      const { record: lease, by } = claimed;
      claimed = undefined;
      const timed = applied.filter((item) => item.draft.time !== undefined);
      const newest =
        timed.length > 0 ? Math.max(...timed.map((item) => item.draft.time as number)) : undefined;
      const events = timed
        .filter((item) => item.draft.time === newest)
        .map((item) => eventKey(item.draft.source, item.draft.id));
      const now = (options.now ?? Date.now)();
      await settleEventOrder(
        target,
        jobGroupId,
        by,
        {
          ...(newest !== undefined && { applied: { time: newest, events } }),
          ...(inFlight && { lingerUntil: now + LEASE_LINGER_MS }),
        },
        lease,
        now,
      );
    },
  };
}

/**
 * Whether a failed change may still reach CityVisual later: the client counted an attempt of its
 * write whose outcome is unknown (no answer, a 5xx, an unreadable answer). A failed live read, a
 * connection refused and an answered refusal (throttling included) sent nothing that could land.
 */
function mayStillLand(error: AutopilotError): boolean {
  return (error.upstream?.uncertain ?? 0) > 0;
}

function finish(draft: Draft): EventReport {
  const changes = draft.changes.filter((change): change is ChangeReport => change !== undefined);
  const outcome = changes.reduce<EventOutcome>(
    (worst, change) => worseOutcome(worst, change.outcome),
    draft.outcome,
  );
  return {
    index: draft.index,
    id: draft.id,
    source: draft.source,
    type: draft.type,
    outcome,
    rules: draft.rules,
    changes,
    ...(draft.code !== undefined && { code: draft.code }),
    ...(draft.message !== undefined && { message: draft.message }),
  };
}
