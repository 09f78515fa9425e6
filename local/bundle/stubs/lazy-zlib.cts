/**
 * `zlib` as httpx sees it in the bundles: httpx only inflates a response that arrives gzip- or
 * deflate-encoded (CityVisual answers plain JSON). node:zlib (about half a millisecond of every cold
 * start) is required on the first such response instead of at load.
 */
import type * as Zlib from 'node:zlib';

const zlib = (): typeof Zlib => require('node:zlib') as typeof Zlib;

const api = {
  createGunzip: (...args: Parameters<typeof Zlib.createGunzip>) => zlib().createGunzip(...args),
  createInflate: (...args: Parameters<typeof Zlib.createInflate>) => zlib().createInflate(...args),
};

export = api;
