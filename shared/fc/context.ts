/**
 * The FC 3.0 Node.js context, as far as we use it. Documented fields: requestId, credentials (STS,
 * empty without a role), function {name, handler, memory, timeout (s)}, region, accountId.
 * There is no remaining-time call: the deadline is derived from `function.timeout`.
 * https://help.aliyun.com/en/functioncompute/context-1-1
 */
export interface FcContext {
  readonly requestId?: string;
  readonly credentials?: {
    readonly accessKeyId?: string;
    readonly accessKeySecret?: string;
    readonly securityToken?: string;
  };
  readonly function?: {
    readonly name?: string;
    readonly handler?: string;
    readonly memory?: number;
    readonly timeout?: number;
  };
  readonly region?: string;
  readonly accountId?: string;
  readonly retryCount?: number;
}

/** Facts about this invocation that every use case gets; built once per invocation by the stack. */
export interface Invocation {
  readonly requestId: string;
  readonly functionName: string;
  readonly startedAt: number;
  /** Epoch ms by which work must be finished (function timeout minus a safety margin). */
  readonly deadline: number;
  /** Raw context credentials; resolved (with the env fallback) by the client factory. */
  readonly credentials: unknown;
  readonly retryCount: number;
  /** The FC context's main account id and region (the scheduler's fan-out invokes itself with them). */
  readonly accountId?: string;
  readonly region?: string;
}

/** Margin kept before the FC timeout to report, log and answer. */
export const DEADLINE_MARGIN_MS = 2_000;
const DEFAULT_TIMEOUT_S = 60;

/** Builds the invocation facts from the FC context (or a bare object locally). */
export function toInvocation(context: FcContext | undefined, now = Date.now()): Invocation {
  const timeoutMs = (context?.function?.timeout ?? DEFAULT_TIMEOUT_S) * 1000;
  return {
    requestId: context?.requestId ?? `local-${now.toString(36)}`,
    functionName: context?.function?.name ?? 'local',
    startedAt: now,
    deadline: now + Math.max(timeoutMs - DEADLINE_MARGIN_MS, Math.min(timeoutMs, 1_000)),
    credentials: context?.credentials,
    retryCount: context?.retryCount ?? 0,
    ...(context?.accountId !== undefined && { accountId: context.accountId }),
    ...(context?.region !== undefined && { region: context.region }),
  };
}
