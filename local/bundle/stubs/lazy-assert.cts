/**
 * `assert` as pop-core sees it in the bundles: pop-core only calls `assert(value, message)` to check its
 * constructor config, which our client always fills. node:assert (about half a millisecond of every
 * cold start) is required only when a check fails, and then throws its own AssertionError.
 */
function assert(value: unknown, message?: string | Error): asserts value {
  if (!value) (require('node:assert') as (value: unknown, message?: string | Error) => void)(value, message);
}

export = assert;
