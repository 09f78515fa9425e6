import type { Invocation } from '../fc/context.js';
import { audit, type LogLevel, log, logger } from '../log.js';
import { COMMAND_SOURCE_NOT_ALLOWED, type EventReport, type EventsSummary } from './outcomes.js';

/** The summary line lists at most this many events (the counts always cover all of them). */
export const SUMMARY_LOG_MAX_EVENTS = 100;

export interface ReportContext {
  readonly invocation: Invocation;
  /** `events processed` / `alerts processed`. */
  readonly noun: 'events' | 'alerts';
  /** Who delivered it, when known beyond the event itself (the webhook caller of an alert). */
  readonly via?: string;
  /** A dry run: the audit lines say `planned`, as nothing was sent. */
  readonly dryRun?: boolean;
}

/** `event:<source>/<id>`: who asked for a change, in audit lines. */
export function eventWho(report: Pick<EventReport, 'source' | 'id'>): string {
  return `event:${report.source ?? '?'}/${report.id ?? '?'}`;
}

/**
 * Writes what happened to each event: debug for unmatched, warn (with the event id) for invalid and
 * failed events, and one audit line per change — who (`event:<source>/<id>` and the rule), which group,
 * the outcome and CityVisual's RequestId.
 */
export function logEventReports(reports: readonly EventReport[], ctx: ReportContext): void {
  const requestId = ctx.invocation.requestId;
  for (const report of reports) {
    const facts = {
      requestId,
      index: report.index,
      id: report.id,
      source: report.source,
      type: report.type,
    };
    if (report.outcome === 'unmatched') logger.debug('event matched no rule', facts);
    const refused = report.code === COMMAND_SOURCE_NOT_ALLOWED;
    if (refused) {
      logger.warn('command event not applied: its source is not in events.commandSources', {
        ...facts,
        code: report.code,
      });
    }
    const invalidRules = report.rules.filter((rule) => !rule.ok);
    if ((report.code !== undefined && !refused) || invalidRules.length > 0) {
      logger.warn('event invalid', {
        ...facts,
        ...(report.code !== undefined && !refused && { code: report.code, message: report.message }),
        ...(invalidRules.length > 0 && { rules: invalidRules }),
      });
    }
    const failed = report.changes.filter((change) => change.outcome.startsWith('failed'));
    if (failed.length > 0) {
      const level: LogLevel = failed.some((change) => change.code === 'INTERNAL') ? 'error' : 'warn';
      log(level, 'event change failed', { ...facts, outcome: report.outcome, changes: failed });
    }
    for (const change of report.changes) {
      audit('event change', {
        requestId,
        who: eventWho(report),
        ...(ctx.via !== undefined && { via: ctx.via }),
        rule: change.rule,
        ...(change.changeIndex !== undefined && { changeIndex: change.changeIndex }),
        eventType: report.type,
        jobGroupId: change.jobGroupId,
        action: change.action,
        outcome: ctx.dryRun && change.outcome === 'applied' ? 'planned' : change.outcome,
        ...(ctx.dryRun && { dryRun: true }),
        cityVisualRequestId: change.requestId,
        ...(change.code !== undefined && { code: change.code }),
        ...(change.reason !== undefined && { reason: change.reason }),
      });
    }
  }
}

/** The one summary line of an invocation: counts, and the events (the first 100). */
export function logSummary(summary: EventsSummary, ctx: ReportContext, level: LogLevel = 'info'): void {
  const omitted = summary.events.length - SUMMARY_LOG_MAX_EVENTS;
  log(level, `${ctx.noun} processed`, {
    requestId: ctx.invocation.requestId,
    counts: summary.counts,
    events: summary.events.slice(0, SUMMARY_LOG_MAX_EVENTS),
    ...(omitted > 0 && { eventsOmitted: omitted }),
  });
}
