import { z } from 'zod';
import { AutopilotError, toAutopilotError } from '../errors.js';
import { lazySchema } from '../lazy-schema.js';

/**
 * FC 3.0 built-in runtime HTTP trigger event (payload format v1), delivered as a Buffer.
 * Header names arrive Go-canonicalised (`Webhook-Id`), repeated values comma-joined.
 * https://www.alibabacloud.com/help/en/functioncompute/fc/http-trigger-invoking-function
 */
export const FcHttpEventSchema = lazySchema(() => {
  // Plain (stripping) objects: only these fields are read. One instance per field kind, shared.
  const text = z.string();
  const optionalText = text.optional();
  const strings = z.record(text, text).optional();
  return z.object({
    version: z.literal('v1').optional(),
    rawPath: text,
    body: optionalText.default(''),
    isBase64Encoded: z.boolean().optional().default(false),
    headers: strings.default({}),
    queryParameters: strings.default({}),
    requestContext: z.object({
      requestId: optionalText,
      http: z.object({ method: text, path: optionalText, sourceIp: optionalText }),
    }),
  });
});
export type FcHttpEvent = z.infer<typeof FcHttpEventSchema>;

/** The response struct FC maps back to HTTP. */
export interface FcHttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly isBase64Encoded: boolean;
}

/** An HTTP request as the product sees it: lower-case header names, decoded path, raw body bytes. */
export interface HttpRequest {
  readonly method: string;
  readonly path: string;
  /** The path still URL-encoded (FC's `rawPath`): routers split it before decoding, so `%2F` stays in a segment. */
  readonly rawPath: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  /** The body exactly as sent (base64-decoded when FC encoded it): signatures cover these bytes. */
  readonly body: Buffer;
  readonly sourceIp?: string;
}

/** Request bodies over this (after base64 decoding) are refused with 413 before any parsing. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Buffer (as FC delivers it) → HttpRequest; throws a table error for an unreadable event or a large body. */
export function decodeHttpEvent(raw: unknown): HttpRequest {
  let json: unknown = raw;
  if (Buffer.isBuffer(raw) || typeof raw === 'string') {
    try {
      json = JSON.parse(raw.toString());
    } catch {
      throw new AutopilotError('INVALID_INPUT', { message: 'The FC HTTP event is not JSON.' });
    }
  }
  const parsed = FcHttpEventSchema.safeParse(json);
  if (!parsed.success) {
    throw new AutopilotError('INVALID_INPUT', { message: 'The FC HTTP event does not have the v1 shape.' });
  }
  const event = parsed.data;
  // base64 is at most 4/3 of the bytes: refuse early, before decoding a huge string.
  if (
    event.body.length > (event.isBase64Encoded ? Math.ceil((MAX_BODY_BYTES * 4) / 3) + 4 : MAX_BODY_BYTES * 4)
  ) {
    throw new AutopilotError('PAYLOAD_TOO_LARGE');
  }
  const body = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (body.length > MAX_BODY_BYTES) throw new AutopilotError('PAYLOAD_TOO_LARGE');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers)) headers[name.toLowerCase()] = value;
  let path = event.requestContext.http.path ?? event.rawPath;
  try {
    if (!event.requestContext.http.path) path = decodeURIComponent(event.rawPath);
  } catch {
    path = event.rawPath;
  }
  return {
    method: event.requestContext.http.method.toUpperCase(),
    path: path.split('?')[0] || '/',
    rawPath: event.rawPath.split('?')[0] || '/',
    headers,
    query: event.queryParameters,
    body,
    ...(event.requestContext.http.sourceIp !== undefined && { sourceIp: event.requestContext.http.sourceIp }),
  };
}

/** A JSON response in FC's struct. */
export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): FcHttpResponse {
  return {
    statusCode,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers },
    // Ends with a newline, as a terminal (curl) and line-based tools expect.
    body: `${JSON.stringify(body)}\n`,
    isBase64Encoded: false,
  };
}

/** The one error → HTTP translator: table status, `{error: {code, message, …}}`, Retry-After / Allow. */
export function httpErrorResponse(error: unknown, extraHeaders: Record<string, string> = {}): FcHttpResponse {
  const e = toAutopilotError(error);
  const headers: Record<string, string> = { ...extraHeaders };
  if (e.status === 429 || e.status === 503) headers['Retry-After'] = String(e.retryAfterSeconds ?? 1);
  const allow = e.details?.allow;
  if (e.code === 'METHOD_NOT_ALLOWED' && typeof allow === 'string') headers.Allow = allow;
  return jsonResponse(e.status, { error: e.toPublic() }, headers);
}
