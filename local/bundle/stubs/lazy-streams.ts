/**
 * `node:stream/promises` and `node:stream/web` as @middy/core sees them in the bundles: loaded on first
 * use. middy needs them only to stream a response on AWS Lambda (`streamifyResponse`), which FC never
 * does, and loading them costs every cold start about a millisecond. (The bundles are CommonJS, so
 * `require` here is the bundle's own.)
 */
import type * as StreamPromises from 'node:stream/promises';
import type * as StreamWeb from 'node:stream/web';

export const pipeline: typeof StreamPromises.pipeline = ((...args: unknown[]) =>
  (require('node:stream/promises') as { pipeline: (...a: unknown[]) => unknown }).pipeline(
    ...args,
  )) as typeof StreamPromises.pipeline;

/** middy only uses it with `instanceof`. */
export const ReadableStream = {
  [Symbol.hasInstance]: (value: unknown): boolean =>
    value instanceof (require('node:stream/web') as typeof StreamWeb).ReadableStream,
};
