import * as crypto from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { AutopilotError } from '../errors.js';
import type { HttpRequest } from '../fc/http.js';

/** The `standardwebhooks` library's timestamp tolerance (not exported by it); also the replay window. */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

/** Who sent an authenticated request, as the audit log names it (never a secret or token). */
export interface Caller {
  /**
   * Token name (`name=token`), `token:<index>`, `webhook:<first 8 hex digits of the secret's SHA-256>`,
   * or for Basic auth the user name the tool sends (the token's own name when it sends none).
   */
  readonly who: string;
  readonly via: 'signature' | 'bearer' | 'basic';
  /** The Standard Webhooks message id (signed requests only). */
  readonly webhookId?: string;
  /** Bearer and Basic: the first 8 hex digits of the token's SHA-256, stable when the token list is reordered. */
  readonly tokenFingerprint?: string;
  /** Basic only: the name of the token the password matched (the user name is the tool's claim). */
  readonly account?: string;
}

/** Why a request was refused; logged in the audit line, not shown to the caller beyond the message. */
export type AuthFailureReason =
  | 'not-configured'
  | 'missing-credentials'
  | 'malformed-headers'
  | 'stale-timestamp'
  | 'bad-signature'
  | 'bad-token';

export type AuthResult =
  | { readonly ok: true; readonly caller: Caller }
  | { readonly ok: false; readonly reason: AuthFailureReason; readonly error: AutopilotError };

export interface AuthConfig {
  /** `WEBHOOK_SECRETS`: `whsec_…` secrets, comma-separated (rotation: old and new side by side). */
  readonly secrets?: string | undefined;
  /** `WEBHOOK_TOKENS`: `token` or `name=token`, comma-separated. */
  readonly tokens?: string | undefined;
}

export interface Authenticator {
  /** False when neither secrets nor tokens are configured: every authenticated route then answers 401. */
  readonly configured: boolean;
  /**
   * Checks the request's Standard Webhooks signature or bearer token — or, with `basic`, a Basic
   * password that is a token; never parses the body.
   */
  authenticate(request: HttpRequest, options?: { readonly basic?: boolean }): AuthResult;
}

interface Verifier {
  /** First 8 hex digits of the secret's SHA-256: names the key in the audit, survives a rotation. */
  readonly fingerprint: string;
  readonly webhook: Webhook;
}

/** Tokens shorter than this are refused at cold start (a guessable or truncated value). */
export const MIN_TOKEN_LENGTH = 32;
/** The Standard Webhooks range for a secret's decoded length. */
export const SECRET_BYTES = { min: 24, max: 64 } as const;

/** The decoded length of a `whsec_` secret; 0 when it is not `whsec_` followed by base64. */
export function whsecBytes(secret: string): number {
  const base64 = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : '';
  return /^[A-Za-z0-9+/]+={0,2}$/.test(base64) ? Buffer.from(base64, 'base64').length : 0;
}
/** A configured bearer token: its caller name and SHA-256 digest (the token itself is not kept). */
export interface Token {
  readonly who: string;
  readonly digest: Buffer;
}

const MESSAGE_ID = /^[\x21-\x7e]{1,256}$/;
// No leading zeros: the library signs parseInt(timestamp), so "0123" would verify as "123".
const TIMESTAMP = /^(?:0|[1-9]\d{0,11})$/;
const MAX_SIGNATURE_HEADER = 4_096;
const TOKEN_NAME = /^[A-Za-z0-9_.:@-]{1,64}$/;
const BEARER = /^bearer[ \t]+(.*)$/i;
const BASIC = /^basic[ \t]+([A-Za-z0-9+/=]{1,1024})[ \t]*$/i;

// One-shot crypto.hash (Node >= 20.12) is about twice as fast as createHash; older 20.x falls back.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'buffer') => Buffer }).hash;
const sha256 = (value: string): Buffer =>
  oneShot ? oneShot('sha256', value, 'buffer') : crypto.createHash('sha256').update(value, 'utf8').digest();

const refuse = (reason: AuthFailureReason, message?: string): AuthResult => ({
  ok: false,
  reason,
  error: new AutopilotError('UNAUTHORIZED', message === undefined ? {} : { message }),
});

/** `whsec_…` list → one verifier per secret, built once; a bad secret fails naming its position only. */
export function parseSecrets(value: string | undefined): Verifier[] {
  const entries = (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return entries.map((secret, index) => {
    const bytes = whsecBytes(secret);
    let webhook: Webhook | undefined;
    try {
      webhook = new Webhook(secret);
    } catch {
      webhook = undefined;
    }
    if (!webhook || !secret.startsWith('whsec_') || bytes === 0) {
      throw new AutopilotError('CONFIG_INVALID', {
        message: `WEBHOOK_SECRETS entry ${index} is not a Standard Webhooks secret (whsec_ followed by base64); make one with \`npx autopilot secret\`.`,
        field: 'WEBHOOK_SECRETS',
      });
    }
    if (bytes < SECRET_BYTES.min || bytes > SECRET_BYTES.max) {
      throw new AutopilotError('CONFIG_INVALID', {
        message: `WEBHOOK_SECRETS entry ${index} decodes to ${bytes} bytes; a Standard Webhooks secret has ${SECRET_BYTES.min}-${SECRET_BYTES.max}. Make one with \`npx autopilot secret\`.`,
        field: 'WEBHOOK_SECRETS',
      });
    }
    return { fingerprint: sha256(secret).toString('hex').slice(0, 8), webhook };
  });
}

/**
 * `name=token` / `token` list → names and SHA-256 digests (compared in constant time, equal length).
 * `variable` names the list in errors: `WEBHOOK_TOKENS`, or `CONSOLE_TOKENS` for the console's read tokens.
 */
export function parseTokens(value: string | undefined, variable = 'WEBHOOK_TOKENS'): Token[] {
  const entries = (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return entries.map((entry, index) => {
    const eq = entry.indexOf('=');
    const name = eq > 0 ? entry.slice(0, eq) : '';
    const token = eq > 0 ? entry.slice(eq + 1) : '';
    const refuse = (why: string) =>
      new AutopilotError('CONFIG_INVALID', {
        message: `${variable} entry ${index} ${why}; make a token with \`npx autopilot token [name]\`.`,
        field: variable,
      });
    // `name=`: an unset shell variable at deploy time left a name without a token. (A text of token
    // length before one `=` is a base64 token with its padding, as `openssl rand -base64 32` prints.)
    if (eq > 0 && TOKEN_NAME.test(name) && token === '' && name.length < MIN_TOKEN_LENGTH) {
      throw refuse('has a name but no token');
    }
    // base64 padding (`abc==`) is a token, not a name: only `name=<something but padding>` names one.
    const named = TOKEN_NAME.test(name) && token !== '' && !/^=*$/.test(token);
    const value = named ? token : entry;
    if (value.length < MIN_TOKEN_LENGTH) {
      throw refuse(`is ${value.length} characters; a token has at least ${MIN_TOKEN_LENGTH}`);
    }
    return { who: named ? name : `token:${index}`, digest: sha256(value) };
  });
}

/**
 * The configured token `presented` matches, or undefined. Every token is compared (no early exit), so
 * timing does not tell which one came close.
 */
export function matchToken(tokens: readonly Token[], presented: string): Token | undefined {
  const digest = sha256(presented);
  let matched: Token | undefined;
  for (const token of tokens) if (crypto.timingSafeEqual(digest, token.digest) && !matched) matched = token;
  return matched;
}

/** The token of an `Authorization: Bearer <token>` header ('' when the header is not one). */
export function bearerOf(authorization: string | undefined): string {
  return BEARER.exec(authorization ?? '')?.[1]?.trim() ?? '';
}

/**
 * Authentication for the webhook: Standard Webhooks signatures (verified by the `standardwebhooks`
 * library over the raw body, any configured secret may match, 5-minute tolerance, each `webhook-id`
 * accepted once per tolerance window) or, for tools that cannot sign, `Authorization: Bearer`.
 * Build once per configuration: the verifiers and token digests are reused by every request.
 *
 * @example
 * const auth = createAuthenticator({ secrets: env.WEBHOOK_SECRETS, tokens: env.WEBHOOK_TOKENS });
 * const result = auth.authenticate(request);
 * if (!result.ok) throw result.error;
 */
export function createAuthenticator(config: AuthConfig, options: { now?: () => number } = {}): Authenticator {
  const verifiers = parseSecrets(config.secrets);
  const tokens = parseTokens(config.tokens);
  const now = options.now ?? Date.now;

  function verifySignature(request: HttpRequest): AuthResult {
    const id = request.headers['webhook-id'];
    const timestamp = request.headers['webhook-timestamp'];
    const signature = request.headers['webhook-signature'];
    if (id === undefined || timestamp === undefined || signature === undefined) {
      const missing = [
        ['webhook-id', id],
        ['webhook-timestamp', timestamp],
        ['webhook-signature', signature],
      ].filter(([, value]) => value === undefined);
      return refuse(
        'malformed-headers',
        `Signed requests need webhook-id, webhook-timestamp (Unix seconds) and webhook-signature headers; ${missing.map(([name]) => name).join(' and ')} ${missing.length === 1 ? 'is' : 'are'} missing.`,
      );
    }
    if (/^\d{13,16}$/.test(timestamp)) {
      return refuse(
        'malformed-headers',
        `webhook-timestamp must be in seconds since the Unix epoch; ${timestamp} looks like milliseconds (divide by 1000).`,
      );
    }
    if (!MESSAGE_ID.test(id)) {
      return refuse(
        'malformed-headers',
        'webhook-id must be 1-256 printable ASCII characters without spaces.',
      );
    }
    if (!TIMESTAMP.test(timestamp)) {
      return refuse(
        'malformed-headers',
        'webhook-timestamp must be a whole number of seconds since the Unix epoch, without leading zeros.',
      );
    }
    if (signature.length > MAX_SIGNATURE_HEADER) {
      return refuse(
        'malformed-headers',
        'Signed requests need webhook-id, webhook-timestamp (Unix seconds) and webhook-signature headers.',
      );
    }
    if (verifiers.length === 0) return refuse('bad-signature');
    const seconds = Number(timestamp);
    if (Math.abs(now() / 1000 - seconds) > WEBHOOK_TOLERANCE_SECONDS) {
      return refuse(
        'stale-timestamp',
        'webhook-timestamp is more than 5 minutes away from the server clock; sign with the current time.',
      );
    }
    // The library's own check, over the raw body exactly as sent; its JSON parsing is off (ours drops __proto__).
    const payload = request.body.toString('utf8');
    const headers = { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature };
    let matched: Verifier | undefined;
    let stale = false;
    for (const verifier of verifiers) {
      try {
        verifier.webhook.verify(payload, headers, { jsonParse: false });
        matched = verifier;
        break;
      } catch (error) {
        if (/timestamp/i.test((error as Error).message ?? '')) stale = true;
      }
    }
    if (!matched) {
      return stale
        ? refuse('stale-timestamp', 'webhook-timestamp is outside the 5-minute tolerance.')
        : refuse(
            'bad-signature',
            'No webhook-signature matched: sign "<webhook-id>.<webhook-timestamp>.<raw body>" with a WEBHOOK_SECRETS secret.',
          );
    }
    // The id is claimed in the shared store by the app (idempotency), only after this verification,
    // so unsigned traffic cannot burn a legitimate sender's ids.
    return { ok: true, caller: { who: `webhook:${matched.fingerprint}`, via: 'signature', webhookId: id } };
  }

  function verifyBasic(authorization: string, allowed: boolean): AuthResult {
    if (!allowed) {
      return refuse(
        'bad-token',
        'Basic auth is accepted only on the alert hooks (/v1/hooks/*); send Authorization: Bearer <token> or sign the request.',
      );
    }
    const encoded = BASIC.exec(authorization)?.[1];
    const decoded = encoded === undefined ? '' : Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0 || tokens.length === 0) return refuse('bad-token');
    const user = decoded.slice(0, colon);
    const matched = matchToken(tokens, decoded.slice(colon + 1));
    if (!matched) return refuse('bad-token');
    return {
      ok: true,
      caller: {
        // The tool's user name names the caller in the audit, when it is a name; else the token's.
        who: TOKEN_NAME.test(user) ? user : matched.who,
        via: 'basic',
        tokenFingerprint: matched.digest.toString('hex').slice(0, 8),
        account: matched.who,
      },
    };
  }

  function verifyBearer(authorization: string): AuthResult {
    const presented = bearerOf(authorization);
    if (presented === '' || tokens.length === 0) return refuse('bad-token');
    const matched = matchToken(tokens, presented);
    return matched
      ? {
          ok: true,
          caller: {
            who: matched.who,
            via: 'bearer',
            tokenFingerprint: matched.digest.toString('hex').slice(0, 8),
          },
        }
      : refuse('bad-token');
  }

  return {
    configured: verifiers.length > 0 || tokens.length > 0,
    authenticate(request, options = {}) {
      if (verifiers.length === 0 && tokens.length === 0) return refuse('not-configured');
      const h = request.headers;
      if (
        h['webhook-signature'] !== undefined ||
        h['webhook-id'] !== undefined ||
        h['webhook-timestamp'] !== undefined
      )
        return verifySignature(request);
      if (h.authorization !== undefined) {
        return /^basic[ \t]/i.test(h.authorization)
          ? verifyBasic(h.authorization, options.basic === true)
          : verifyBearer(h.authorization);
      }
      return refuse('missing-credentials');
    },
  };
}
