/**
 * `@stablelib/base64` for the bundles (standard alphabet, padded), on Buffer. Decoding is at least as
 * strict as the original: a character outside the alphabet or more than two `=` throws, so a malformed
 * `whsec_…` secret is still refused at start; unlike the original it also checks a lone character after
 * the last full group. `test/deploy/bundles.test.ts` checks they agree everywhere else.
 */
const BODY = /^[A-Za-z0-9+/]*$/;

function encode(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
}

function decode(text: string): Uint8Array {
  if (text.length === 0) return new Uint8Array(0);
  const padding = text.length - text.replace(/=+$/, '').length;
  if (text.length < 4 || padding > 2) throw new Error('Base64Coder: incorrect padding');
  const body = text.slice(0, text.length - padding);
  if (!BODY.test(body)) throw new Error('Base64Coder: incorrect characters for decoding');
  return new Uint8Array(Buffer.from(body, 'base64'));
}

const api = { encode, decode };

export = api;
