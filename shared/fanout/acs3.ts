import { createHash, createHmac, randomUUID } from 'node:crypto';

/**
 * Alibaba Cloud API signature V3 (`ACS3-HMAC-SHA256`), as the official `@alicloud/openapi-core` computes
 * it for ROA calls such as FC 3.0's InvokeFunction — in 70 lines instead of the SDK's 1 MB bundle:
 *
 * ```
 * CanonicalRequest = METHOD \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n hex(sha256(body))
 * StringToSign     = "ACS3-HMAC-SHA256" \n hex(sha256(CanonicalRequest))
 * Authorization    = ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=<h1;h2…>,Signature=hex(hmac-sha256(secret, StringToSign))
 * ```
 * Signed headers are `host`, `content-type` and every `x-acs-*` header, lower-cased and sorted.
 * `test/shared/fanout/acs3.test.ts` checks it against vectors computed with openapi-core 1.0.8.
 */
export const ACS3_ALGORITHM = 'ACS3-HMAC-SHA256';

export interface Acs3Credentials {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  /** STS token; sent as `x-acs-security-token` (with `x-acs-accesskey-id`) and signed. */
  readonly securityToken?: string;
}

export interface Acs3Request {
  readonly method: string;
  /** Path as sent, already percent-encoded per segment (e.g. `/2023-03-30/functions/fn/invocations`). */
  readonly pathname: string;
  readonly query?: Readonly<Record<string, string>>;
  /** Must include `host`, `x-acs-action` and `x-acs-version`; `content-type` when there is a body. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer;
}

/** RFC 3986 encoding, as openapi-core does it (encodeURIComponent plus `!'()*`). */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** `yyyy-MM-ddTHH:mm:ssZ`, the `x-acs-date` format. */
export function acsDate(at = new Date()): string {
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const sha256Hex = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** The canonical request of {@link signAcs3} (exported for tests and stand-ins). */
export function canonicalRequest(
  request: Acs3Request,
  payloadHash: string,
): { text: string; signed: string } {
  const query = Object.keys(request.query ?? {})
    .sort()
    .map((key) => `${key}=${percentEncode(request.query?.[key] ?? '')}`)
    .join('&');
  const headers = new Map<string, string[]>();
  for (const [name, value] of Object.entries(request.headers)) {
    const key = name.toLowerCase();
    if (!(key.startsWith('x-acs-') || key === 'host' || key === 'content-type')) continue;
    headers.set(key, [...(headers.get(key) ?? []), value.trim()]);
  }
  const names = [...headers.keys()].sort();
  const canonicalHeaders = names
    .map((name) => `${name}:${(headers.get(name) ?? []).sort().join(',')}\n`)
    .join('');
  const uri = request.pathname.replace(/\+/g, '%20').replace(/\*/g, '%2A').replace(/%7E/g, '~');
  const signed = names.join(';');
  return { text: [request.method, uri, query, canonicalHeaders, signed, payloadHash].join('\n'), signed };
}

/**
 * Returns the request's headers completed and signed: `x-acs-date`, `x-acs-signature-nonce`,
 * `x-acs-content-sha256`, the STS headers when there is a token, and `Authorization`. Values already
 * present (a fixed date or nonce in tests) are kept.
 *
 * @example
 * const headers = signAcs3({ method: 'POST', pathname, headers: { host, 'x-acs-action': 'InvokeFunction', 'x-acs-version': '2023-03-30', 'content-type': 'application/octet-stream' }, body }, credentials);
 */
export function signAcs3(request: Acs3Request, credentials: Acs3Credentials): Record<string, string> {
  const payloadHash = sha256Hex(request.body ?? Buffer.alloc(0));
  const headers: Record<string, string> = {
    'x-acs-date': acsDate(),
    'x-acs-signature-nonce': randomUUID(),
    ...request.headers,
    'x-acs-content-sha256': payloadHash,
  };
  if (credentials.securityToken) {
    headers['x-acs-accesskey-id'] = credentials.accessKeyId;
    headers['x-acs-security-token'] = credentials.securityToken;
  }
  const { text, signed } = canonicalRequest({ ...request, headers }, payloadHash);
  const stringToSign = `${ACS3_ALGORITHM}\n${sha256Hex(text)}`;
  const signature = createHmac('sha256', credentials.accessKeySecret).update(stringToSign).digest('hex');
  headers.Authorization = `${ACS3_ALGORITHM} Credential=${credentials.accessKeyId},SignedHeaders=${signed},Signature=${signature}`;
  return headers;
}
