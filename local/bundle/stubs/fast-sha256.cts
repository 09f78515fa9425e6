/**
 * `fast-sha256` for the bundles: the HMAC-SHA256 that `standardwebhooks` signs with, from node:crypto
 * instead of 6 KB of pure JS. standardwebhooks keeps doing the verification (header parsing, timestamp
 * tolerance, constant-time comparison); only the primitive changes. `test/deploy/bundles.test.ts`
 * checks both agree on random keys and messages.
 */
import crypto = require('node:crypto');

// standardwebhooks keeps its key bytes for the life of a Webhook object: turning them into a KeyObject
// once per key (not on every request) takes the key import off the request path.
const keyObjects = new WeakMap<Uint8Array, crypto.KeyObject>();
function keyObject(key: Uint8Array): crypto.KeyObject {
  let object = keyObjects.get(key);
  if (!object) {
    object = crypto.createSecretKey(key);
    keyObjects.set(key, object);
  }
  return object;
}

// A Buffer is a Uint8Array: returned as is, without a copy.
const api = {
  digestLength: 32,
  blockSize: 64,
  hash: (data: Uint8Array): Uint8Array => crypto.createHash('sha256').update(data).digest(),
  hmac: (key: Uint8Array, data: Uint8Array): Uint8Array =>
    crypto.createHmac('sha256', keyObject(key)).update(data).digest(),
};

export = api;
