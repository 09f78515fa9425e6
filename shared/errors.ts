/**
 * The one closed error table of the product. Every failure a caller, a log line or FC's async retry can
 * see has a stable code here, with the HTTP status we answer with, whether retrying can help, whether
 * the message may be shown to a caller, and what an operator should do about it. Foreign errors
 * (pop-core, zod, JSON, sockets) are translated once where they enter and never carry their own
 * message: pop-core's messages embed the signed request URL.
 */
export interface ErrorSpec {
  /** HTTP status the webhook answers with. */
  readonly status: number;
  /** Whether the same request may succeed if sent again later. */
  readonly retryable: boolean;
  /** Whether `message` (and details) may be shown to the caller; otherwise a generic text is shown. */
  readonly expose: boolean;
  /** What happened and what to do, for an operator. */
  readonly message: string;
}

const spec = (status: number, retryable: boolean, expose: boolean, message: string): ErrorSpec => ({
  status,
  retryable,
  expose,
  message,
});

export const ERROR_TABLE = {
  // --- our own validation and routing ---------------------------------------------------------------
  INVALID_INPUT: spec(400, false, true, 'The request is invalid; fix the named field and send it again.'),
  INVALID_JSON: spec(400, false, true, 'The body is not valid JSON.'),
  INVALID_JOB_GROUP_ID: spec(
    400,
    false,
    true,
    'A job group id is 1-64 letters, digits, "_" or "-"; check the id in the path or payload.',
  ),
  UNAUTHORIZED: spec(
    401,
    false,
    true,
    'Missing or invalid credentials: sign with a WEBHOOK_SECRETS secret (Standard Webhooks) or send a WEBHOOK_TOKENS bearer token.',
  ),
  ROUTE_NOT_FOUND: spec(404, false, true, 'No such route; see the README for the webhook API.'),
  JOB_GROUP_NOT_REGISTERED: spec(
    404,
    false,
    true,
    'The job group is unknown: set CITYVISUAL_INSTANCE_ID so it can be read live, or add it to the registry in the AUTOPILOT_CONFIG file (jobGroups.<id>: jobGroupName, algoLibId, resourceProfileId).',
  ),
  METHOD_NOT_ALLOWED: spec(405, false, true, 'This route does not accept that method; see the Allow header.'),
  PAYLOAD_TOO_LARGE: spec(413, false, true, 'The body is over the 1 MiB limit.'),
  UNSUPPORTED_MEDIA_TYPE: spec(415, false, true, 'Send the body as JSON (Content-Type: application/json).'),
  TOO_MANY_EVENTS: spec(
    413,
    false,
    true,
    'A delivery held more than 1000 events; the rest were not processed: lower the trigger batch size.',
  ),
  TOO_MANY_CHANGES: spec(
    503,
    true,
    true,
    'An alert notification led to changes to more job groups than one request applies (500); the first 500 groups were applied and the rest answered retryably, so the sender resends and the resend applies the next ones (groups already applied are not sent again). Split the alert routing (group_by) if it happens often.',
  ),
  RULE_PATH_MISSING: spec(
    422,
    false,
    true,
    'A rule takes a value from the event by a path the event does not have; fix the rule or the event.',
  ),
  CONFIG_INVALID: spec(
    500,
    false,
    true,
    "The function's configuration is invalid (an environment variable, or the AUTOPILOT_CONFIG file); the message names what: fix it (for the file, `npx autopilot validate` lists every path).",
  ),
  DEADLINE_EXCEEDED: spec(
    504,
    true,
    true,
    'The change did not finish before the invocation deadline; it will be retried or reported.',
  ),
  EVENTS_RETRYABLE_FAILURE: spec(
    503,
    true,
    true,
    'Some events of the delivery failed with a retryable error (throttling, CityVisual 5xx, timeout or the invocation deadline); the invocation fails so FC retries the delivery, which is idempotent. details.summary has every event.',
  ),
  STATE_UNAVAILABLE: spec(
    503,
    true,
    true,
    'The shared state store could not be reached or answered something unreadable; nothing was sent. Retry after the Retry-After delay; if it persists, check STATE_STORE, TABLESTORE_ENDPOINT, TABLESTORE_INSTANCE, TABLESTORE_TABLE and the role (ots:* on that table).',
  ),
  REQUEST_IN_PROGRESS: spec(
    409,
    true,
    true,
    'A request with this webhook-id or Idempotency-Key is still being processed; retry after the Retry-After delay to get its result.',
  ),
  GROUP_CHANGE_IN_PROGRESS: spec(
    409,
    true,
    true,
    'This job group was held for longer than this invocation could wait: another delivery was sending to it, or a write (of another delivery or of this one) may still land; nothing more was sent. The retry is judged against what was applied (an older event is then stale).',
  ),
  IDEMPOTENCY_KEY_REUSED: spec(
    422,
    false,
    true,
    'This webhook-id or Idempotency-Key was already used for a different request; send a new id for a new request.',
  ),
  HOLD_NOT_FOUND: spec(
    404,
    false,
    true,
    'No hold with that id is in force (it ended, was released, or never existed); list them with GET /v1/holds.',
  ),
  INTERNAL: spec(500, false, false, 'Unexpected internal error; see the function log for the request id.'),
  RECONCILE_FAILED: spec(
    502,
    false,
    true,
    'A scheduler tick could not bring some job groups to their target; details.summary.failed names each with its code. Fix the cause (config, registry, permissions): retrying will not help.',
  ),
  RECONCILE_INCOMPLETE: spec(
    503,
    true,
    true,
    'A scheduler tick left some job groups not done (throttled, timed out or out of time); FC retries the tick, and a retry re-runs only what is still due.',
  ),
  FANOUT_UNAVAILABLE: spec(
    503,
    true,
    true,
    'Handing a reconcile shard to FC as an asynchronous invocation failed (FC throttled, 5xx, network or timeout) after retries; FC retries the tick, which fans out again.',
  ),
  FANOUT_REJECTED: spec(
    502,
    false,
    true,
    "FC refused a shard's asynchronous invocation (403/404/400): check FANOUT_INVOKER, FANOUT_FUNCTION_NAME (and FANOUT_SERVICE_NAME for fc2) and that the role may fc:InvokeFunction the scheduler (README, RAM policy).",
  ),

  // --- notifications (logged and counted, never the outcome of the change they report) ------------
  NOTIFY_CHANNEL_INVALID: spec(
    500,
    false,
    true,
    'A notification channel cannot be used: the variable its urlEnv names is unset or not an https:// URL (http:// only for loopback hosts), or its secretEnv is unset or malformed (a webhook channel needs a whsec_ secret). The log names the channel and the variable, never the value; check it with `npx autopilot notify test NAME`.',
  ),
  NOTIFY_REJECTED: spec(
    502,
    false,
    true,
    'A chat robot or webhook receiver refused the notification; channelCode in the log says why (DingTalk 310000 / Feishu 19021: signature or timestamp, check secretEnv and the clock; DingTalk 300001, WeCom 93000, Feishu 19001: unknown token or key, check the URL; other 4xx: the receiver). The change it reported is not affected.',
  ),
  NOTIFY_UNAVAILABLE: spec(
    503,
    true,
    true,
    'A notification channel could not be reached, did not answer in time (notify.timeoutMs, within the invocation deadline) or answered 5xx; a refused connection or 5xx is retried once when time allows, then the digest is dropped. The change it reported is not affected, and GET /v1/history keeps it.',
  ),
  NOTIFY_RATE_LIMITED: spec(
    429,
    true,
    true,
    "A channel's message budget is spent (notify.channels[].perMinute, counted in the state store across invocations; DingTalk allows 20 messages a minute per robot, then throttles it for 10 minutes), or the robot said it throttles: the digest was not sent, and the next one sent says how many were held back.",
  ),

  // --- ModifyJobGroup's own error codes (status as in the API doc) ---------------------------------
  'InvalidName.Malformed': spec(
    400,
    false,
    true,
    'JobGroupName is malformed: 2-128 letters, Chinese characters, digits, ":", "_" or "-", starting with a letter or Chinese character.',
  ),
  'InvalidName.Duplicate': spec(
    400,
    false,
    true,
    'Another job group already uses that JobGroupName; pick another.',
  ),
  'InvalidAlgoLibId.NotFound': spec(
    404,
    false,
    true,
    'The algorithm library does not exist; check AlgoLibId.',
  ),
  'InvalidResourceProfileId.NotFound': spec(
    404,
    false,
    true,
    'The resource profile does not exist; check ResourceProfileId.',
  ),
  'InvalidStatus.ValueNotSupported': spec(400, false, true, 'Status must be Running or Stopped.'),
  'InvalidParameter.KeyNotSupported': spec(
    403,
    false,
    true,
    'A JobGroupParams key is not supported; use ES_ENABLE, RDS_ENABLE, OUT_MQ_ENABLE, DATAHUB_ENABLE or SCHEDULE_FLOW_START_TIME.',
  ),
  MissingParameter: spec(
    403,
    false,
    true,
    'CityVisual says a required parameter is missing (AlgoLibId, JobGroupId, JobGroupName, ResourceProfileId).',
  ),
  'InvalidJobGroupId.NotFound': spec(
    404,
    false,
    true,
    'The job group does not exist in CityVisual; check the id.',
  ),

  // --- common gateway codes -------------------------------------------------------------------------
  Throttling: spec(429, true, true, 'CityVisual is throttling requests; retry after the Retry-After delay.'),
  'Throttling.User': spec(
    429,
    true,
    true,
    'CityVisual throttled this account; retry after the Retry-After delay.',
  ),
  'Throttling.Api': spec(
    429,
    true,
    true,
    'CityVisual throttled this API; retry after the Retry-After delay.',
  ),
  ServiceUnavailable: spec(503, true, true, 'CityVisual is temporarily unavailable; retry later.'),
  InternalError: spec(502, true, true, 'CityVisual failed with an internal error; retry later.'),
  InvalidParameter: spec(400, false, true, 'CityVisual rejected a parameter value; check the request.'),
  'InvalidAction.NotFound': spec(
    502,
    false,
    false,
    'CityVisual does not know the action: check CITYVISUAL_ENDPOINT points at CityVisual.',
  ),
  InvalidVersion: spec(502, false, false, 'CityVisual rejected the API version; check CITYVISUAL_ENDPOINT.'),
  UnsupportedHTTPMethod: spec(502, false, false, 'CityVisual rejected the HTTP method.'),
  SignatureDoesNotMatch: spec(
    502,
    false,
    false,
    'CityVisual rejected our signature: the AccessKey secret is wrong for its AccessKey id.',
  ),
  IncompleteSignature: spec(502, false, false, 'CityVisual rejected an incomplete signature.'),
  'InvalidAccessKeyId.NotFound': spec(
    502,
    false,
    false,
    'CityVisual does not know our AccessKey id: check the function role or ALIBABA_CLOUD_ACCESS_KEY_ID.',
  ),
  'InvalidAccessKeyId.Inactive': spec(502, false, false, 'Our AccessKey is disabled; enable or rotate it.'),
  'Forbidden.AccessKeyDisabled': spec(502, false, false, 'Our AccessKey is disabled; enable or rotate it.'),
  'InvalidTimeStamp.Expired': spec(
    502,
    false,
    false,
    "CityVisual rejected the request timestamp: fix this machine's clock.",
  ),
  'InvalidTimeStamp.Format': spec(502, false, false, 'CityVisual rejected the request timestamp format.'),
  SignatureNonceUsed: spec(503, true, true, 'CityVisual saw a reused nonce; a retry uses a fresh one.'),
  MissingSecurityToken: spec(
    502,
    false,
    false,
    'STS credentials were used without their security token; check ALIBABA_CLOUD_SECURITY_TOKEN.',
  ),
  'InvalidSecurityToken.Expired': spec(
    502,
    false,
    false,
    'The STS security token expired: credentials must come from each invocation context.',
  ),
  'InvalidSecurityToken.Malformed': spec(502, false, false, 'The STS security token is malformed.'),
  'InvalidSecurityToken.MismatchWithAccessKey': spec(
    502,
    false,
    false,
    'The STS security token does not belong to the AccessKey id.',
  ),
  'Forbidden.RAM': spec(
    403,
    false,
    true,
    'The function role may not call this CityVisual action on this job group; grant cityvisual:ModifyJobGroup / DescribeJobGroups (see README, RAM policy).',
  ),
  'InvalidInstanceId.NotFound': spec(
    502,
    false,
    false,
    'CITYVISUAL_INSTANCE_ID names no CityVisual instance; fix the configuration.',
  ),

  // --- transport and upstream shape -----------------------------------------------------------------
  UPSTREAM_TIMEOUT: spec(504, true, true, 'CityVisual did not answer in time; retried, then gave up.'),
  UPSTREAM_NETWORK: spec(
    502,
    true,
    true,
    'The connection to CityVisual failed (reset or refused); retried, then gave up.',
  ),
  UPSTREAM_UNREADABLE: spec(
    502,
    true,
    false,
    'CityVisual answered with a body that is not JSON (often a gateway error page); retried, then gave up. If it persists, check CITYVISUAL_ENDPOINT.',
  ),
  UPSTREAM_BAD_RESPONSE: spec(
    502,
    false,
    false,
    'CityVisual answered with something that is not a CityVisual answer (an HTTP 4xx without an error code, or JSON of the wrong shape); not retried: check CITYVISUAL_ENDPOINT.',
  ),
  UPSTREAM_ERROR: spec(
    502,
    false,
    false,
    'CityVisual answered with an error code this product does not know.',
  ),
  CREDENTIALS_MISSING: spec(
    500,
    false,
    false,
    'No credentials: give the function a RAM role, or set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET locally.',
  ),
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_TABLE;

/** Upstream facts kept on an error: never a URL, a message or a header of the upstream response. */
export interface UpstreamInfo {
  /** CityVisual's error code as received (may be outside the table; then `code` is UPSTREAM_ERROR). */
  readonly code?: string;
  readonly httpStatus?: number;
  readonly requestId?: string;
  readonly attempts?: number;
  /**
   * Attempts of a write whose outcome is unknown (no answer, a 5xx, an unreadable answer): they may
   * have been applied, or may still be.
   */
  readonly uncertain?: number;
}

export interface AutopilotErrorOptions {
  /** Replaces the table's message; must not contain secrets or foreign text. */
  readonly message?: string;
  /** Field path the error is about (validation). */
  readonly field?: string;
  /** Extra structured, exposable details (e.g. every validation issue). */
  readonly details?: Readonly<Record<string, unknown>>;
  readonly upstream?: UpstreamInfo;
  /** Seconds a caller should wait before retrying (throttling). */
  readonly retryAfterSeconds?: number;
  /** The translated error; kept for local debugging only, never serialised. */
  readonly cause?: unknown;
}

/** The only error type that crosses module boundaries. */
export class AutopilotError extends Error {
  override readonly name = 'AutopilotError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly expose: boolean;
  readonly field?: string;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly upstream?: UpstreamInfo;
  readonly retryAfterSeconds?: number;

  constructor(code: ErrorCode, options: AutopilotErrorOptions = {}) {
    const entry = ERROR_TABLE[code];
    super(options.message ?? entry.message);
    // The cause is stored non-enumerable so JSON.stringify and loggers never walk into it.
    if (options.cause !== undefined) {
      Object.defineProperty(this, 'cause', { value: options.cause, enumerable: false, writable: false });
    }
    this.code = code;
    this.status = entry.status;
    this.retryable = entry.retryable;
    this.expose = entry.expose;
    if (options.field !== undefined) this.field = options.field;
    if (options.details !== undefined) this.details = options.details;
    if (options.upstream !== undefined) this.upstream = options.upstream;
    if (options.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** The JSON a caller may see: `{code, message, field?, details?, requestId?}`. */
  toPublic(): PublicError {
    if (!this.expose) return { code: this.code, message: ERROR_TABLE[this.code].message };
    return {
      code: this.code,
      message: this.message,
      ...(this.field !== undefined && { field: this.field }),
      ...(this.details !== undefined && { details: this.details }),
      ...(this.upstream?.requestId !== undefined && { requestId: this.upstream.requestId }),
      ...(this.retryAfterSeconds !== undefined && { retryAfterSeconds: this.retryAfterSeconds }),
    };
  }

  /** Safe for logs: code, status, retryable, field, upstream facts. */
  toLog(): Record<string, unknown> {
    return {
      code: this.code,
      status: this.status,
      retryable: this.retryable,
      message: this.message,
      ...(this.field !== undefined && { field: this.field }),
      ...(this.upstream !== undefined && { upstream: this.upstream }),
    };
  }

  toJSON(): Record<string, unknown> {
    return this.toLog();
  }
}

export interface PublicError {
  readonly code: string;
  readonly message: string;
  readonly field?: string;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly requestId?: string;
  readonly retryAfterSeconds?: number;
}

/** True when `code` is one of the table's codes. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_TABLE, code);
}

/**
 * Any thrown value → AutopilotError. Foreign errors become INTERNAL; their message is dropped (it may
 * hold a signed URL) and kept only as the non-enumerable cause.
 */
export function toAutopilotError(error: unknown): AutopilotError {
  if (error instanceof AutopilotError) return error;
  return new AutopilotError('INTERNAL', { cause: error });
}
