import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { build } from 'esbuild';
import { buildAll } from '../../build.js';
import { DEMO_CREDENTIAL } from '../../local/emulator/index.js';
import type { FcContext } from '../../shared/fc/context.js';

export const REPO = path.resolve(import.meta.dirname, '..', '..');
/** Test builds go here, not to dist/ (another test file builds dist/ at the same time). Inside the repo
 * so a bundle's `require('@alicloud/fc2')` (external) resolves from node_modules as on FC. */
export const TEST_BUILD = path.join(REPO, 'node_modules', '.cache', 'autopilot-test-bundles');

export type BundleHandler = (event: Buffer, context: FcContext) => Promise<unknown>;

/** Builds every function into {@link TEST_BUILD}; returns bundle sizes. */
export function buildTestBundles(): ReturnType<typeof buildAll> {
  return buildAll({ outDir: TEST_BUILD });
}

const load = createRequire(import.meta.url);

/**
 * A fresh instance of a built bundle, loaded by Node's own CommonJS loader exactly as FC loads
 * `index.handler` (a cold start: its env and config are read on its first invocation).
 */
export function loadBundle(name: string, dir = TEST_BUILD): { handler: BundleHandler } {
  const file = path.join(dir, name, 'index.js');
  delete load.cache[file];
  return load(file) as { handler: BundleHandler };
}

/** A stub of local/bundle/stubs compiled alone (CommonJS), for comparing it with what it replaces. */
export async function loadStub<T>(file: string): Promise<T> {
  const outfile = path.join(TEST_BUILD, 'stubs', `${path.basename(file).replace(/\.c?ts$/, '')}.cjs`);
  mkdirSync(path.dirname(outfile), { recursive: true });
  await build({
    entryPoints: [path.join(REPO, 'local', 'bundle', 'stubs', file)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    logLevel: 'error',
  });
  delete load.cache[outfile];
  return load(outfile) as T;
}

/** An FC 3.0 context as the runtime passes it: STS-like credentials the emulator accepts. */
export function fcContext(name: string, overrides: Partial<FcContext> = {}): FcContext {
  return {
    requestId: `req-${randomUUID()}`,
    credentials: { ...DEMO_CREDENTIAL },
    function: { name, handler: 'index.handler', memory: 256, timeout: 60 },
    region: 'cn-shanghai',
    accountId: '1234567890123456',
    ...overrides,
  };
}

/** A fixture of test/events/<trigger>/ as the Buffer FC delivers. */
export function fixture(trigger: string, name: string): Buffer {
  return readFileSync(path.join(REPO, 'test', 'events', trigger, name));
}

/** Sets (or deletes, for undefined) environment variables; returns a function restoring them. */
export function setEnv(values: Record<string, string | undefined>): () => void {
  const saved = Object.fromEntries(Object.keys(values).map((key) => [key, process.env[key]]));
  const apply = (next: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(next)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  apply(values);
  return () => apply(saved);
}

/**
 * The bundles log to process.stdout (their own copy of shared/log.ts); this keeps their JSON lines
 * off the test output and hands them to the test.
 */
export function captureStdout(): { lines: Array<Record<string, unknown>>; restore: () => void } {
  const lines: Array<Record<string, unknown>> = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
    const text = String(chunk);
    if (text.startsWith('{"level"')) {
      for (const line of text.split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      return true;
    }
    return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
  return {
    lines,
    restore: () => {
      process.stdout.write = write;
    },
  };
}
