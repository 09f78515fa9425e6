import { type AutopilotError, toAutopilotError } from '../errors.js';
import type { Invocation } from '../fc/context.js';
import type { HttpRequest } from '../fc/http.js';
import { audit } from '../log.js';
import type { NotifyFailure } from '../notify/digest.js';
import type { NotifyReport } from '../notify/send.js';
import type { AuthFailureReason, Caller } from './auth.js';
import type { WebhookRoute } from './router.js';

/** One change of a batch as the audit line records it. */
export interface AuditChange {
  readonly index: number;
  readonly jobGroupId?: string;
  readonly status: number;
  readonly changed?: boolean;
  readonly code?: string;
  readonly requestId?: string;
}

/** What a route reports for the audit line while it works (mutable: filled in as it goes). */
export interface AuditFacts {
  /** Valid job group ids the request is about, in request order. */
  jobGroupIds: string[];
  /** CityVisual RequestIds of the writes sent. */
  cityVisualRequestIds: string[];
  /** `changed` | `unchanged` | `planned` (dry run) | `partial` | `failed` | `ok`. */
  outcome?: string;
  changes?: AuditChange[];
  /** The answer was a stored one: a repeat of an idempotent request (nothing was run again). */
  replayed?: boolean;
  /**
   * Changes that failed, for the request's notification digest, when a route reports them itself (the
   * alert hooks, a release whose apply failed); else they are read from `changes` or the error. Not logged.
   */
  failures?: NotifyFailure[];
}

export const newAuditFacts = (): AuditFacts => ({ jobGroupIds: [], cityVisualRequestIds: [] });

export interface AuditInput {
  readonly route: WebhookRoute;
  readonly request: HttpRequest;
  readonly invocation: Invocation;
  readonly caller?: Caller;
  readonly authFailure?: AuthFailureReason;
  readonly dryRun?: boolean;
  readonly facts: AuditFacts;
  readonly status: number;
  readonly error?: unknown;
  /** What the request's notification digest came to. */
  readonly notify?: NotifyReport;
}

/**
 * Writes the one audit line of a mutating request: who (token name or `webhook:<key index>`, never a
 * secret), what (method, route, action), which groups, outcome and code, CityVisual RequestIds, latency.
 */
export function writeAudit(input: AuditInput): void {
  const error: AutopilotError | undefined =
    input.error === undefined ? undefined : toAutopilotError(input.error);
  const cityVisualRequestIds = input.facts.cityVisualRequestIds;
  if (error?.upstream?.requestId !== undefined) cityVisualRequestIds.push(error.upstream.requestId);
  // Built field by field (no spreads): this runs on every mutating request, on the hot path.
  const line: Record<string, unknown> = {
    requestId: input.invocation.requestId,
    who: input.caller?.who ?? 'anonymous',
  };
  if (input.caller) line.via = input.caller.via;
  if (input.caller?.account !== undefined) line.account = input.caller.account;
  if (input.caller?.webhookId !== undefined) line.webhookId = input.caller.webhookId;
  if (input.request.sourceIp !== undefined) line.sourceIp = input.request.sourceIp;
  line.method = input.route.method;
  line.route = input.route.path;
  line.action = input.route.action;
  line.jobGroupIds = input.facts.jobGroupIds;
  if (input.dryRun !== undefined) line.dryRun = input.dryRun;
  line.status = input.status;
  line.outcome = error ? 'failed' : (input.facts.outcome ?? 'ok');
  if (error) line.code = error.code;
  if (error?.upstream?.code !== undefined) line.upstreamCode = error.upstream.code;
  if (input.authFailure !== undefined) line.authFailure = input.authFailure;
  line.cityVisualRequestIds = cityVisualRequestIds;
  if (input.facts.changes) line.changes = input.facts.changes;
  if (input.facts.replayed) line.replayed = true;
  if (input.notify) line.notify = input.notify;
  line.latencyMs = Date.now() - input.invocation.startedAt;
  audit('webhook request', line);
}
