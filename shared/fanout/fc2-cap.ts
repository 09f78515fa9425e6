import { createRequire } from 'node:module';
import path from 'node:path';
import { cappedAgentFor } from '../http-cap.js';

/**
 * `@alicloud/fc2` reads every answer whole through httpx and offers no transport seam of its own; but
 * httpx takes `opts.agent`, and fc2 passes none. So the httpx that fc2 loads gets a `request` that adds
 * the capped keep-alive agent CityVisual calls use (shared/http-cap.ts): an answer past MAX_ANSWER_BYTES
 * drops the connection, and a compressed one is never inflated (FANOUT_UNAVAILABLE through
 * translateFc2Error). Anything else sharing that httpx instance gets the same cap.
 */
const CAPPED = Symbol.for('jobgroup-autopilot.httpx-capped');

type Request = (url: string, options?: Record<string, unknown>) => Promise<unknown>;
interface Httpx {
  request: Request;
  [CAPPED]?: true;
}

/** Caps the answers of the httpx module `@alicloud/fc2` resolves (once per process); false if not found. */
export function capFc2Reads(fc2Entry?: string): boolean {
  let entry = fc2Entry;
  try {
    // Resolved as the bundle's own import resolves it: from the bundle's directory, then NODE_PATH.
    const base =
      (globalThis as { __AUTOPILOT_BUNDLE_DIR__?: string }).__AUTOPILOT_BUNDLE_DIR__ ?? process.cwd();
    entry ??= createRequire(path.join(base, 'index.js')).resolve('@alicloud/fc2');
    const httpx = createRequire(entry)('httpx') as Httpx;
    if (httpx[CAPPED]) return true;
    const request = httpx.request;
    httpx.request = (url, options = {}) =>
      request(url, { ...options, agent: options.agent ?? cappedAgentFor(url) });
    httpx[CAPPED] = true;
    return true;
  } catch {
    return false;
  }
}
