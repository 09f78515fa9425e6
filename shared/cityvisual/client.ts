// lib/rpc directly: the package index also loads the ROA client and xml2js, which we never use.
import RPCClientModule from '@alicloud/pop-core/lib/rpc.js';
import type { z } from 'zod';
import { AutopilotError, type ErrorCode, isErrorCode, type UpstreamInfo } from '../errors.js';
import { cappedAgents, MAX_ANSWER_BYTES } from '../http-cap.js';
import { logger } from '../log.js';
import {
  API_VERSION,
  DescribeJobGroupsResponseSchema,
  type DescribeJobGroupsResult,
  type LiveJobGroup,
  type ModifyJobGroupRequest,
  ModifyJobGroupResponseSchema,
  toRpcParams,
} from './contract.js';
import type { Credentials } from './credentials.js';

/** The slice of pop-core's RPCClient we use (its bundled typings are a template stub). */
interface PopResponseEntry {
  readonly response?: { readonly statusCode?: number; readonly headers?: Record<string, unknown> };
}
interface PopClient {
  request(action: string, params: Record<string, string>, options: Record<string, unknown>): Promise<unknown>;
}
type PopClientConstructor = new (config: Record<string, unknown>, verbose?: boolean) => PopClient;
const RPCClient = RPCClientModule as unknown as PopClientConstructor;

export interface CityVisualClientConfig {
  /** Full endpoint URL; default `https://cityvisual.<region>.aliyuncs.com`. */
  readonly endpoint?: string;
  /** Region id; default `cn-shanghai`. Sent as `RegionId` on every call. */
  readonly region?: string;
  /** Credentials for every call of this client (one client per invocation: STS keys expire). */
  readonly credentials: Credentials;
  /** Per-attempt connect+read timeout, ms. Default {@link DEFAULT_ATTEMPT_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
  /** Attempts per call, including the first. Default 4. */
  readonly maxAttempts?: number;
  /** Backoff base and cap (full jitter: delay = random * min(cap, base * 2^n)), ms. Defaults 200 / 5000. */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /**
   * Backoff base after a `Throttling*` answer, ms; default 500. Harder than other retries, and with
   * equal jitter (at least half the step, never next to nothing): a limit shared with other callers is
   * approached again, not hit back at once.
   */
  readonly throttleBaseDelayMs?: number;

  /** Seams for deterministic tests. */
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A client-side rate limit (the invocation's token bucket, see shared/scheduler/rate-limiter.ts). */
export interface CallPacer {
  /** Resolves when the next attempt may go (at the deadline at the latest); `undefined`: it may go now. */
  acquire(deadline?: number): Promise<void> | undefined;
}

export interface CallOptions {
  /** Epoch ms after which no attempt starts and no backoff waits. */
  readonly deadline?: number;
  /** The invocation's rate limit: awaited before every attempt (retries and reads count like writes). */
  readonly pacer?: CallPacer;
  /**
   * Awaited right before every attempt leaves, after the rate limit's wait: it may throw to stop the
   * call (its error goes to the caller as it is). The scheduler checks the group's holds here.
   */
  readonly beforeAttempt?: (attempt: AttemptInfo) => Promise<void>;
}

/** What {@link CallOptions.beforeAttempt} is told about the attempt about to leave. */
export interface AttemptInfo {
  /** 1 for the first attempt. */
  readonly attempt: number;
  /**
   * Write attempts of this call so far whose outcome is unknown (no answer, a lost connection, a 5xx):
   * one of them may have landed, so stopping now would leave a change that happened unreported.
   */
  readonly uncertain: number;
}

export interface ModifyResult {
  readonly requestId: string;
  readonly attempts: number;
  /**
   * Attempts before the answer whose outcome is unknown (no answer, a 5xx or an unreadable answer):
   * they may have been applied, or may still be.
   */
  readonly uncertain?: number;
}

export interface DescribeQuery {
  readonly instanceId: string;
  readonly jobGroupId?: string;
  readonly pageNumber?: number;
  readonly pageSize?: number;
}

/** What the product needs from CityVisual; tests and the planner depend on this, not on pop-core. */
export interface CityVisualClient {
  modifyJobGroup(request: ModifyJobGroupRequest, options?: CallOptions): Promise<ModifyResult>;
  describeJobGroups(query: DescribeQuery, options?: CallOptions): Promise<DescribeJobGroupsResult>;
  /** One group by id, or undefined when the instance has no such group. */
  describeJobGroup(
    instanceId: string,
    jobGroupId: string,
    options?: CallOptions,
  ): Promise<LiveJobGroup | undefined>;
}

export const DEFAULT_REGION = 'cn-shanghai';
/** An attempt's timeout when the config does not say (CITYVISUAL_TIMEOUT_MS has the same default). */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 5_000;
const MIN_ATTEMPT_MS = 50;
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
]);

/** Endpoint from config or env: CITYVISUAL_ENDPOINT, else the regional public endpoint. */
export function resolveEndpoint(env: NodeJS.ProcessEnv = process.env, region = resolveRegion(env)): string {
  return env.CITYVISUAL_ENDPOINT || `https://cityvisual.${region}.aliyuncs.com`;
}
export function resolveRegion(env: NodeJS.ProcessEnv = process.env): string {
  return env.CITYVISUAL_REGION || DEFAULT_REGION;
}

// One keep-alive agent per protocol for the whole process, every answer capped (shared/http-cap.ts):
// warm invocations reuse connections though each invocation builds its own client for its credentials.
const agents = cappedAgents;

export { MAX_ANSWER_BYTES };

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Socket errors raised before a request could leave: it was never sent. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Whether a failed attempt may have been applied, or may still be: it got no answer (timed out, the
 * connection dropped after it left), a 5xx (a gateway's 502/504 often means the backend did not answer
 * in time), or an answer that could not be read (pop-core gives no status with it: a 4xx page that is
 * not JSON counts too). Throttling and other readable refusals were not applied.
 */
function outcomeUnknown(raw: unknown, error: AutopilotError): boolean {
  const socketCode = (raw as { code?: unknown } | null)?.code;
  if (typeof socketCode === 'string' && NEVER_SENT.has(socketCode)) return false;
  if (error.code.startsWith('Throttling')) return false;
  return (
    error.code === 'UPSTREAM_TIMEOUT' ||
    error.code === 'UPSTREAM_NETWORK' ||
    error.code === 'UPSTREAM_UNREADABLE' ||
    (error.upstream?.httpStatus ?? 0) >= 500 ||
    error.code === 'InternalError' ||
    error.code === 'ServiceUnavailable'
  );
}

/** Equal jitter: half the step for sure, the other half at random. */
const throttleDelay = (step: number, random: () => number) => step / 2 + (random() * step) / 2;

/**
 * Translates anything pop-core or the socket threw into a table error. Neither the message nor the
 * error itself is kept (not even as `cause`): pop-core's messages embed the request URL.
 */
export function translateUpstreamError(error: unknown, attempts: number): AutopilotError {
  if (error instanceof AutopilotError) return error;
  const e = (error ?? {}) as {
    name?: unknown;
    code?: unknown;
    data?: { RequestId?: unknown; Code?: unknown };
    entry?: PopResponseEntry;
  };
  const httpStatus =
    typeof e.entry?.response?.statusCode === 'number' ? e.entry.response.statusCode : undefined;
  if (e.data && typeof e.data === 'object' && typeof e.data.Code === 'string') {
    const upstreamCode = /^[A-Za-z0-9._-]{1,100}$/.test(e.data.Code) ? e.data.Code : 'Unreadable';
    const upstream: UpstreamInfo = {
      code: upstreamCode,
      attempts,
      ...(httpStatus !== undefined && { httpStatus }),
      ...(typeof e.data.RequestId === 'string' && { requestId: e.data.RequestId }),
    };
    let code: ErrorCode;
    if (isErrorCode(upstreamCode) && !/^[A-Z_]+$/.test(upstreamCode)) code = upstreamCode;
    else if (/^(Rejected\.)?Throttling/.test(upstreamCode)) code = 'Throttling';
    else if ((httpStatus ?? 0) >= 500) code = 'InternalError';
    else code = 'UPSTREAM_ERROR';
    return new AutopilotError(code, { upstream });
  }
  if (e.name === 'RequestTimeoutError')
    return new AutopilotError('UPSTREAM_TIMEOUT', { upstream: { attempts } });
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) {
    return new AutopilotError('UPSTREAM_NETWORK', { upstream: { attempts } });
  }
  if (e.name === 'SyntaxError' || e.name === 'AnswerTooLargeError') {
    // Not JSON at all (often a gateway's 502/503 page; pop-core does not say which status), or an
    // answer past MAX_ANSWER_BYTES: retried.
    return new AutopilotError('UPSTREAM_UNREADABLE', { upstream: { attempts } });
  }
  return new AutopilotError('UPSTREAM_NETWORK', {
    message: 'The call to CityVisual failed before an answer arrived; retried, then gave up.',
    upstream: { attempts },
  });
}

/**
 * `client` with `pacer` on every call (unless the call brings its own): one rate limit for all that an
 * invocation sends through a client it may share with other invocations (a warm instance reuses one).
 *
 * @example
 * const client = pacedClient(shared, createTokenBucket({ ratePerSecond: runtime.config.limits.qps }));
 */
export function pacedClient(client: CityVisualClient, pacer: CallPacer): CityVisualClient {
  return new PacedClient(client, pacer);
}

// A class, not an object of closures: one is made per webhook request.
class PacedClient implements CityVisualClient {
  constructor(
    private readonly client: CityVisualClient,
    private readonly pacer: CallPacer,
  ) {}
  modifyJobGroup(request: ModifyJobGroupRequest, options?: CallOptions) {
    return this.client.modifyJobGroup(request, this.paced(options));
  }
  describeJobGroups(query: DescribeQuery, options?: CallOptions) {
    return this.client.describeJobGroups(query, this.paced(options));
  }
  describeJobGroup(instanceId: string, jobGroupId: string, options?: CallOptions) {
    return this.client.describeJobGroup(instanceId, jobGroupId, this.paced(options));
  }
  private paced(options: CallOptions | undefined): CallOptions {
    if (options?.pacer) return options;
    if (options?.beforeAttempt) return { ...options, pacer: this.pacer };
    return options?.deadline === undefined
      ? { pacer: this.pacer }
      : { deadline: options.deadline, pacer: this.pacer };
  }
}

/**
 * Creates the CityVisual client: signed POST calls through pop-core, HTTP status checked as well as the
 * body `Code`, responses schema-parsed, retryable failures retried with full-jitter backoff within the
 * caller's deadline. Every call is idempotent (ModifyJobGroup sets absolute values), so retrying after a
 * timeout is safe.
 *
 * @example
 * const client = createCityVisualClient({ endpoint: emu.url, credentials });
 * const { requestId } = await client.modifyJobGroup(request, { deadline: Date.now() + 10_000 });
 */
export function createCityVisualClient(config: CityVisualClientConfig): CityVisualClient {
  const region = config.region ?? DEFAULT_REGION;
  const endpoint = config.endpoint ?? `https://cityvisual.${region}.aliyuncs.com`;
  const timeoutMs = config.timeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
  const maxAttempts = Math.max(1, config.maxAttempts ?? 4);
  const baseDelayMs = config.baseDelayMs ?? 200;
  const maxDelayMs = config.maxDelayMs ?? 5000;
  const throttleBaseDelayMs = config.throttleBaseDelayMs ?? 500;
  const random = config.random ?? Math.random;
  const sleep = config.sleep ?? defaultSleep;
  const { credentials } = config;
  const pop = new RPCClient(
    {
      endpoint,
      apiVersion: API_VERSION,
      credentialsProvider: { getCredentials: async () => credentials },
      opts: { agent: endpoint.startsWith('https:') ? agents.https : agents.http },
    },
    true,
  );

  async function call<S extends z.ZodType>(
    action: string,
    params: Record<string, string>,
    schema: S,
    options: CallOptions,
  ): Promise<{ body: z.infer<S>; attempts: number; uncertain?: number }> {
    const deadline = options.deadline ?? Number.POSITIVE_INFINITY;
    // Only a write's unknown outcomes matter to a caller ordering its writes; a read changes nothing.
    const writes = action === 'ModifyJobGroup';
    let lastError: AutopilotError | undefined;
    let uncertain = 0;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const slot = options.pacer?.acquire(deadline);
      if (slot) await slot;
      if (options.beforeAttempt) await options.beforeAttempt({ attempt, uncertain });
      const remaining = deadline - Date.now();
      if (remaining < MIN_ATTEMPT_MS) break;
      const started = Date.now();
      try {
        const [json, entry] = (await pop.request(action, params, {
          method: 'POST',
          timeout: Math.min(timeoutMs, remaining),
        })) as [unknown, PopResponseEntry];
        const status = entry.response?.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          // pop-core ignores the status: a 5xx without a Code would otherwise pass as success.
          throw new AutopilotError(status >= 500 ? 'InternalError' : 'UPSTREAM_BAD_RESPONSE', {
            upstream: { httpStatus: status, attempts: attempt },
          });
        }
        const parsed = schema.safeParse(json);
        if (!parsed.success) {
          throw new AutopilotError('UPSTREAM_BAD_RESPONSE', {
            message: `CityVisual's ${action} answer did not match its schema; check CITYVISUAL_ENDPOINT.`,
            upstream: { httpStatus: status, attempts: attempt },
          });
        }
        if (logger.enabled('debug'))
          logger.debug('cityvisual call', { action, attempt, ms: Date.now() - started });
        return { body: parsed.data, attempts: attempt, ...(uncertain > 0 && { uncertain }) };
      } catch (error) {
        lastError = translateUpstreamError(error, attempt);
        if (writes && outcomeUnknown(error, lastError)) uncertain++;
        logger.debug('cityvisual attempt failed', {
          action,
          attempt,
          ms: Date.now() - started,
          code: lastError.code,
          upstream: lastError.upstream,
        });
        if (!lastError.retryable || attempt === maxAttempts) break;
        const delay = lastError.code.startsWith('Throttling')
          ? throttleDelay(Math.min(maxDelayMs, throttleBaseDelayMs * 2 ** (attempt - 1)), random)
          : random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
        if (Date.now() + delay + MIN_ATTEMPT_MS > deadline) break;
        await sleep(delay);
      }
    }
    if (!lastError) throw new AutopilotError('DEADLINE_EXCEEDED');
    const upstream = { ...lastError.upstream, ...(uncertain > 0 && { uncertain }) };
    if (lastError.code.startsWith('Throttling')) {
      throw new AutopilotError(lastError.code, {
        upstream,
        retryAfterSeconds: Math.max(1, Math.ceil(maxDelayMs / 1000)),
        cause: lastError,
      });
    }
    if (uncertain > 0) {
      // Said on the error too: a caller that orders its writes must know a request may still land
      // (an answered refusal after it, such as a 4xx, does not undo it).
      throw new AutopilotError(lastError.code, {
        message: lastError.message,
        upstream,
        ...(lastError.retryAfterSeconds !== undefined && { retryAfterSeconds: lastError.retryAfterSeconds }),
        cause: lastError,
      });
    }
    throw lastError;
  }

  const regionParam = { RegionId: region };
  return {
    async modifyJobGroup(request, options = {}) {
      // Built in place, not as `{...regionParam, ...toRpcParams(request)}`: that spread measurably slows
      // pop-core's parameter handling that follows (about 10 µs a call in CPU profiles of the warm path).
      const params = toRpcParams(request);
      params.RegionId ??= region;
      const { body, attempts, uncertain } = await call(
        'ModifyJobGroup',
        params,
        ModifyJobGroupResponseSchema,
        options,
      );
      return { requestId: body.RequestId, attempts, ...(uncertain !== undefined && { uncertain }) };
    },
    async describeJobGroups(query, options = {}) {
      const params: Record<string, string> = {
        ...regionParam,
        InstanceId: query.instanceId,
        PageNumber: String(query.pageNumber ?? 1),
        PageSize: String(query.pageSize ?? 100),
      };
      if (query.jobGroupId !== undefined) params.JobGroupId = query.jobGroupId;
      const { body } = await call('DescribeJobGroups', params, DescribeJobGroupsResponseSchema, options);
      return body;
    },
    async describeJobGroup(instanceId, jobGroupId, options = {}) {
      const result = await this.describeJobGroups({ instanceId, jobGroupId, pageSize: 10 }, options);
      return result.jobGroups.find((group) => group.jobGroupId === jobGroupId);
    },
  };
}
