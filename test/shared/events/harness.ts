import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { DEMO_CREDENTIAL, type Emulator, type RecordedCall } from '../../../local/emulator/index.js';
import { type FcContext, type Invocation, toInvocation } from '../../../shared/fc/context.js';
import { useEmulator } from '../../support/emulator.js';
import { applyEnv, snapshotEnv } from '../../support/env.js';
import { type CapturedLogs, useLogCapture } from '../../support/logs.js';

export { captureLogs, type LogLine } from '../../support/logs.js';

/** Rules for every fixture, and a registry of the emulator's demo fleet plus "99" (unknown upstream). */
export const EVENTS_CONFIG = fileURLToPath(new URL('../../config/events.yaml', import.meta.url));

export const INSTANCE_ID = 'cv-demo-instance';

const ENV_KEYS = [
  'CITYVISUAL_ENDPOINT',
  'CITYVISUAL_REGION',
  'CITYVISUAL_INSTANCE_ID',
  'CITYVISUAL_TIMEOUT_MS',
  'CITYVISUAL_MAX_ATTEMPTS',
  'AUTOPILOT_CONFIG',
  'ALIBABA_CLOUD_ACCESS_KEY_ID',
  'ALIBABA_CLOUD_ACCESS_KEY_SECRET',
  'ALIBABA_CLOUD_SECURITY_TOKEN',
  'LOG_LEVEL',
] as const;

export interface EnvOptions {
  /** Live reads (DescribeJobGroups) on instance cv-demo-instance; default true. Off: the registry. */
  readonly live?: boolean;
  /** Keys in env (the local fallback); default true. Off: only the FC context can sign. */
  readonly envCredentials?: boolean;
  readonly extra?: Record<string, string | undefined>;
}

/** Remembers the env keys the tests touch, to put them back afterwards. */
export function saveEnv(): () => void {
  return snapshotEnv(ENV_KEYS);
}

/** Points the function at the emulator with the test config, and drops the cached runtime (fresh memory). */
export function useEmulatorEnv(emu: Emulator, options: EnvOptions = {}): void {
  applyEnv({
    CITYVISUAL_ENDPOINT: emu.url,
    CITYVISUAL_REGION: 'cn-shanghai',
    CITYVISUAL_INSTANCE_ID: options.live === false ? undefined : INSTANCE_ID,
    CITYVISUAL_TIMEOUT_MS: '2000',
    CITYVISUAL_MAX_ATTEMPTS: '2',
    AUTOPILOT_CONFIG: EVENTS_CONFIG,
    ALIBABA_CLOUD_ACCESS_KEY_ID: options.envCredentials === false ? undefined : DEMO_CREDENTIAL.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET:
      options.envCredentials === false ? undefined : DEMO_CREDENTIAL.accessKeySecret,
    ALIBABA_CLOUD_SECURITY_TOKEN: undefined,
    LOG_LEVEL: 'debug',
    ...options.extra,
  });
}

/**
 * The lifecycle the events e2e files share: the env keys saved for the file, one emulator (reset
 * before each test) the function is pointed at before each test ({@link useEmulatorEnv}), and the
 * log lines of each test.
 */
export function useEventsEmulator(): { emu: Emulator; logs: CapturedLogs } {
  const emu = useEmulator();
  let restoreEnv: () => void;
  beforeAll(() => {
    restoreEnv = saveEnv();
  });
  afterAll(() => restoreEnv());
  beforeEach(() => useEmulatorEnv(emu));
  const logs = useLogCapture('test');
  return { emu, logs };
}

/** The FC context of one EventBridge-triggered invocation (no role: credentials come from env). */
export function eventsContext(overrides: Partial<FcContext> = {}): FcContext {
  return {
    requestId: `req-${randomUUID()}`,
    function: { name: 'events', handler: 'index.handler', memory: 512, timeout: 60 },
    region: 'cn-shanghai',
    accountId: '123456789012',
    ...overrides,
  };
}

/** Invocation facts as the stack builds them, for calling a use case directly. */
export function testInvocation(overrides: Partial<FcContext> = {}): Invocation {
  return toInvocation(eventsContext(overrides));
}

/** The ModifyJobGroup calls the emulator accepted. */
export const modifyCalls = (emu: Emulator): RecordedCall[] =>
  emu.calls.filter((call) => call.action === 'ModifyJobGroup');

/** A Buffer exactly as FC hands it to the function. */
export const jsonBuffer = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
