import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Percent-encodes one key or value the way Alibaba RPC signing does: RFC 3986 unreserved characters
 * stay, every other UTF-8 byte becomes `%XY` (uppercase hex), a space is `%20`.
 */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** The canonicalized query string: every parameter except `Signature`, sorted by name, encoded, `&`-joined. */
export function canonicalize(params: Record<string, string>): string {
  return Object.keys(params)
    .filter((name) => name !== 'Signature')
    .sort()
    .map((name) => `${percentEncode(name)}=${percentEncode(params[name] ?? '')}`)
    .join('&');
}

/** `METHOD&%2F&enc(canonical)`: the string signature v1 signs; the path is always `/`. */
export function stringToSign(method: string, params: Record<string, string>): string {
  return `${method.toUpperCase()}&${percentEncode('/')}&${percentEncode(canonicalize(params))}`;
}

/**
 * Signs parameters with signature v1 (HMAC-SHA1, key `secret + '&'`, base64). A `Signature` entry in
 * `params` is ignored.
 *
 * @example
 * sign('GET', { Action: 'DescribeRegions', ... }, 'testsecret'); // 'OLeaidS1JvxuMvnyHOwuJ+uX5qY='
 */
export function sign(method: string, params: Record<string, string>, secret: string): string {
  return createHmac('sha1', `${secret}&`).update(stringToSign(method, params), 'utf8').digest('base64');
}

/**
 * Whether `params.Signature` is exactly the signature v1 of the other parameters for this method and
 * secret. Constant-time comparison.
 */
export function verifySignature(method: string, params: Record<string, string>, secret: string): boolean {
  const given = params.Signature;
  if (given === undefined || given === '') return false;
  const expected = Buffer.from(sign(method, params, secret), 'utf8');
  const actual = Buffer.from(given, 'utf8');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
