/**
 * `fast-sha256` for the bundles: the HMAC-SHA256 that `standardwebhooks` signs with, from node:crypto
 * instead of 6 KB of pure JS. standardwebhooks keeps doing the verification (header parsing, timestamp
 * tolerance, constant-time comparison); only the primitive changes. `test/deploy/bundles.test.ts`
 * checks both agree on random keys and messages.
 */
import crypto = require('node:crypto');

const api = {
  digestLength: 32,
  blockSize: 64,
  hash: (data: Uint8Array): Uint8Array => new Uint8Array(crypto.createHash('sha256').update(data).digest()),
  hmac: (key: Uint8Array, data: Uint8Array): Uint8Array =>
    new Uint8Array(crypto.createHmac('sha256', key).update(data).digest()),
};

export = api;
