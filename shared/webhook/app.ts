import { type CityVisualClient, pacedClient } from '../cityvisual/client.js';
import type { Env } from '../config/env.js';
import { AutopilotError, toAutopilotError } from '../errors.js';
import type { Invocation } from '../fc/context.js';
import { type FcHttpResponse, type HttpRequest, jsonResponse } from '../fc/http.js';
import { type HistoryEntry, historyWritten, withJournal } from '../history/index.js';
import type { ApplyDeps } from '../jobgroup/apply.js';
import { logger } from '../log.js';
import { type NotifyFailure, type NotifyReport, sendNotifications } from '../notify/index.js';
import { rulesSection } from '../rules/section.js';
import { applyDepsFor, clientFor, getRuntime, invocationLimiter, type Runtime } from '../runtime.js';
import { schedulesSection } from '../schedule/section.js';
import { stateStoreFor } from '../state/select.js';
import { type AuditFacts, newAuditFacts, writeAudit } from './audit.js';
import { type Authenticator, type AuthFailureReason, type Caller, createAuthenticator } from './auth.js';
import {
  claimRequest,
  completeRequest,
  type IdempotencyClaim,
  idempotencyKeyOf,
  releaseRequest,
} from './idempotency.js';
import { parseQuery, readJsonBody } from './request.js';
import { createRouter, type Router, type WebhookRoute } from './router.js';
import { webhookRoutes } from './routes.js';

export interface WebhookAppOptions {
  /** The route table; default the built-in routes plus registered ones, compiled on the first request. */
  readonly routes?: readonly WebhookRoute[];
  /** Env + config, parsed once per instance (default {@link getRuntime} with the rules, for the alert hooks). */
  readonly runtime?: () => Runtime;
  /** Seam for the CityVisual client (default: pop-core with this invocation's credentials). */
  readonly client?: (invocation: Invocation, runtime: Runtime) => CityVisualClient;
}

/** The webhook's request → response function, run inside the shared middy stack. */
export type WebhookApp = (request: HttpRequest, invocation: Invocation) => Promise<FcHttpResponse>;

/**
 * pop-core clients reused while the credentials and the runtime stay the same (a warm instance with
 * the same STS keys): building one per request costs more than the rest of the handler. New keys
 * (FC rotates STS credentials) or a reloaded runtime build a new client.
 */
function reusingClientFactory(): (invocation: Invocation, runtime: Runtime) => CityVisualClient {
  let last: { key: string; runtime: Runtime; client: CityVisualClient } | undefined;
  return (invocation, runtime) => {
    const c = (invocation.credentials ?? {}) as Record<string, unknown>;
    // Context (STS) credentials win; the ALIBABA_CLOUD_* variables only matter without them (local runs).
    const fromContext =
      typeof c.accessKeyId === 'string' &&
      c.accessKeyId !== '' &&
      typeof c.accessKeySecret === 'string' &&
      c.accessKeySecret !== '';
    const env = fromContext ? {} : process.env;
    const key = fromContext
      ? `ctx\n${c.accessKeyId}\n${c.accessKeySecret}\n${c.securityToken ?? ''}`
      : `env\n${env.ALIBABA_CLOUD_ACCESS_KEY_ID}\n${env.ALIBABA_CLOUD_ACCESS_KEY_SECRET}\n${env.ALIBABA_CLOUD_SECURITY_TOKEN}`;
    if (last?.key === key && last.runtime === runtime) return last.client;
    const client = clientFor(invocation, runtime);
    last = { key, runtime, client };
    return client;
  };
}

/**
 * The failed changes of a request, for its digest: what the route reported itself (alert hooks, a
 * release), else a batch's failed entries, else the request's error for each group it was about.
 */
function failuresOf(facts: AuditFacts, error?: AutopilotError): NotifyFailure[] {
  if (error) {
    const ids = facts.jobGroupIds;
    return ids.length > 0
      ? ids.map((jobGroupId) => ({ jobGroupId, code: error.code }))
      : [{ code: error.code }];
  }
  if (facts.failures) return facts.failures;
  return (facts.changes ?? []).flatMap((change) =>
    change.code === undefined
      ? []
      : [{ ...(change.jobGroupId !== undefined && { jobGroupId: change.jobGroupId }), code: change.code }],
  );
}

/** A client that is only built (credentials resolved, pop-core set up) when a call is actually made. */
function lazyClient(build: () => CityVisualClient): CityVisualClient {
  let client: CityVisualClient | undefined;
  const get = () => {
    client ??= build();
    return client;
  };
  return {
    modifyJobGroup: (request, options) => get().modifyJobGroup(request, options),
    describeJobGroups: (query, options) => get().describeJobGroups(query, options),
    describeJobGroup: (instanceId, jobGroupId, options) =>
      get().describeJobGroup(instanceId, jobGroupId, options),
  };
}

/**
 * The webhook use case: route (404/405), authenticate before reading the body (401), check the query and
 * the body's media type (400/415), parse it safely, run the route, and write one audit line for every
 * request to an authenticated route. Errors are thrown to the stack's HTTP error translator.
 *
 * @example
 * export const handler = createFcHandler({ decode: decodeHttpEvent, errors: 'http', run: createWebhookApp() });
 */
export function createWebhookApp(options: WebhookAppOptions = {}): WebhookApp {
  // Rules for the alert hooks, schedules for holds (a skip names a window).
  const loadRuntime = options.runtime ?? (() => getRuntime([rulesSection, schedulesSection]));
  const buildClient = options.client ?? reusingClientFactory();
  // Verifiers are built once per parsed environment (i.e. per instance, or per reload of `npm start`).
  const authenticators = new WeakMap<Env, { authenticator: Authenticator } | { error: AutopilotError }>();
  let router: Router | undefined;

  /**
   * The instance's authenticator, built once per parsed environment. Bad credentials (a short or
   * empty token, a malformed or short secret) fail closed: the error is kept, logged once, and answered
   * to every request (never the value, only the variable and entry).
   */
  function authenticatorFor(env: Env): Authenticator {
    let built = authenticators.get(env);
    if (!built) {
      try {
        const authenticator = createAuthenticator({
          secrets: env.WEBHOOK_SECRETS,
          tokens: env.WEBHOOK_TOKENS,
        });
        if (!authenticator.configured) {
          logger.warn(
            'webhook auth is not configured: set WEBHOOK_SECRETS or WEBHOOK_TOKENS; every mutating route answers 401',
          );
        }
        built = { authenticator };
      } catch (thrown) {
        const error = toAutopilotError(thrown);
        logger.error(
          'webhook credentials are invalid: every authenticated route answers 500 and /healthz 503',
          {
            code: error.code,
            problem: error.message,
          },
        );
        built = { error };
      }
      authenticators.set(env, built);
    }
    if ('error' in built) throw built.error;
    return built.authenticator;
  }

  async function runAuthenticated(
    route: WebhookRoute,
    params: Record<string, string>,
    request: HttpRequest,
    invocation: Invocation,
  ): Promise<FcHttpResponse> {
    const facts: AuditFacts = newAuditFacts();
    let caller: Caller | undefined;
    let authFailure: AuthFailureReason | undefined;
    let dryRun: boolean | undefined;
    let claim: IdempotencyClaim | undefined;
    let store: ReturnType<typeof stateStoreFor> | undefined;
    let loaded: Runtime | undefined;
    // This request's dependencies, once a route asks for them (their store is a journaling view).
    let deps: ApplyDeps | undefined;
    // Its history records still being written, awaited before the answer.
    let written: Promise<void> | undefined;
    // Every history record the request appends (changes, holds) goes into its one digest.
    const journal: HistoryEntry[] = [];
    /**
     * The request's digest: only for a caller who got in, on a mutating route, for real (a dry run
     * changes nothing), and never for a replay; after the change, before the answer.
     */
    const digest = async (failures: readonly NotifyFailure[]): Promise<NotifyReport | undefined> => {
      if (!loaded || !caller || dryRun !== false || facts.replayed) return undefined;
      if (request.method === 'GET' || request.method === 'HEAD') return undefined;
      return sendNotifications(
        {
          origin: {
            kind: 'webhook',
            title: `Webhook ${route.method} ${route.path} by ${caller.who}`,
            requestId: invocation.requestId,
            at: invocation.startedAt,
          },
          entries: journal,
          failures,
        },
        {
          settings: loaded.config.notify,
          timezone: loaded.config.timezone,
          deadline: invocation.deadline,
          ...(store && { store }),
        },
      );
    };
    try {
      const runtime = loadRuntime();
      loaded = runtime;
      const auth = authenticatorFor(runtime.env).authenticate(request, { basic: route.basicAuth === true });
      if (!auth.ok) {
        authFailure = auth.reason;
        throw auth.error;
      }
      caller = auth.caller;
      const dry = parseQuery(request.query, route.query).dryRun;
      dryRun = dry;
      const body = route.body === 'json' ? readJsonBody(request) : undefined;
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        // Claimed in the shared store before anything is sent: one answer per id, on every instance.
        store = stateStoreFor(runtime.env, invocation);
        const claimed = await claimRequest(
          store,
          idempotencyKeyOf(request, caller),
          request,
          invocation.deadline,
        );
        if (claimed.kind === 'replay') {
          facts.replayed = true;
          writeAudit({ route, request, invocation, caller, dryRun, facts, status: claimed.status });
          return {
            statusCode: claimed.status,
            headers: { ...claimed.headers, 'Idempotent-Replayed': 'true' },
            body: claimed.body,
            isBase64Encoded: false,
          };
        }
        if (claimed.kind === 'claimed') claim = claimed.claim;
      }
      const result = await route.handle({
        request,
        params,
        body,
        dryRun: dry,
        invocation,
        runtime,
        caller,
        audit: facts,
        deps: () => {
          deps ??= withJournal(
            applyDepsFor(
              invocation,
              runtime,
              // One limit for everything this request sends (limits.qps): a batch is paced, a single
              // change never waits.
              pacedClient(
                lazyClient(() => buildClient(invocation, runtime)),
                invocationLimiter(runtime),
              ),
            ),
            journal,
          );
          return deps;
        },
      });
      const notify = await digest(failuresOf(facts));
      writeAudit({
        route,
        request,
        invocation,
        caller,
        dryRun: dry,
        facts,
        status: result.status,
        ...(notify && { notify }),
      });
      const response = jsonResponse(result.status, result.body, result.headers ? { ...result.headers } : {});
      // Only a final answer is kept for a repeat: every 2xx (a 207's failures are all permanent). A
      // returned 429/503 (a batch or alert hook with retryable failures) must run again when the
      // sender retries: the id is freed instead.
      const final = response.statusCode >= 200 && response.statusCode < 300;
      // The history records still being written finish beside the idempotency record, before the answer.
      written = historyWritten(deps?.store, invocation.deadline);
      if (store && claim && !final) {
        await releaseRequest(store, claim).catch(() => undefined);
      } else if (store && claim) {
        await completeRequest(store, claim, {
          status: response.statusCode,
          body: response.body,
          headers: { ...response.headers },
        }).catch((thrown: unknown) => {
          // The change happened and is answered; only a later replay of this id will run again.
          logger.warn('idempotency record not completed', { code: toAutopilotError(thrown).code });
          return false;
        });
      }
      await written;
      return response;
    } catch (error) {
      const e = toAutopilotError(error);
      written ??= historyWritten(deps?.store, invocation.deadline);
      // The id is free again: the sender's retry runs (a refusal runs into the same refusal, sending nothing new).
      if (store && claim) {
        await releaseRequest(store, claim).catch((thrown: unknown) => {
          logger.warn('idempotency claim not released; it frees itself after the deadline', {
            code: toAutopilotError(thrown).code,
          });
        });
      }
      const notify = await digest(failuresOf(facts, e));
      writeAudit({
        route,
        request,
        invocation,
        ...(caller && { caller }),
        ...(authFailure && { authFailure }),
        ...(dryRun !== undefined && { dryRun }),
        facts,
        status: e.status,
        error: e,
        ...(notify && { notify }),
      });
      await written;
      throw e;
    }
  }

  async function runPublic(
    route: WebhookRoute,
    params: Record<string, string>,
    request: HttpRequest,
    invocation: Invocation,
  ): Promise<FcHttpResponse> {
    const result = await route.handle({
      request,
      params,
      body: undefined,
      dryRun: false,
      invocation,
      get runtime(): Runtime {
        return loadRuntime();
      },
      audit: newAuditFacts(),
      deps: () => {
        throw new AutopilotError('INTERNAL', { message: 'Public routes have no CityVisual access.' });
      },
    });
    return jsonResponse(result.status, result.body, result.headers ? { ...result.headers } : {});
  }

  return async (request, invocation) => {
    router ??= createRouter(options.routes ?? webhookRoutes());
    const match = router.match(request.method, request.rawPath);
    if (match.kind === 'not-found') throw new AutopilotError('ROUTE_NOT_FOUND');
    if (match.kind === 'method-not-allowed') {
      throw new AutopilotError('METHOD_NOT_ALLOWED', { details: { allow: match.allow.join(', ') } });
    }
    const { route, params } = match;
    if (route.action === 'health') {
      // Not ok while the function could not serve: invalid credentials or configuration.
      try {
        authenticatorFor(loadRuntime().env);
      } catch (thrown) {
        const error = toAutopilotError(thrown);
        const response = jsonResponse(503, { status: 'unavailable', error: error.toPublic() });
        return request.method === 'HEAD' ? { ...response, body: '' } : response;
      }
    }
    const response =
      route.access === 'authenticated'
        ? await runAuthenticated(route, params, request, invocation)
        : await runPublic(route, params, request, invocation);
    // HEAD (served by GET routes): the same status and headers, no body.
    return request.method === 'HEAD' ? { ...response, body: '' } : response;
  };
}
