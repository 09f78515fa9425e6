import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { DEMO_CREDENTIAL, type Emulator } from '../../../local/emulator/index.js';
import { parseEnv } from '../../../shared/config/env.js';
import { type ConfigFileSchema, checkConfig } from '../../../shared/config/file.js';
import type { FcContext } from '../../../shared/fc/context.js';
import type { Runtime } from '../../../shared/runtime.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** A timer fixture from test/events/timer/, as the Buffer FC delivers. */
export function timerFixture(name: string): Buffer {
  return readFileSync(path.join(here, '..', '..', 'events', 'timer', name));
}

/** A timer event Buffer: `payload` is serialised into the string FC carries, unless already one. */
export function timerEvent(
  triggerTime: string,
  payload: unknown,
  triggerName = 'reconcile-every-5m',
): Buffer {
  return Buffer.from(
    JSON.stringify({
      triggerTime,
      triggerName,
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    }),
  );
}

/** An FC 3.0 context with the emulator's key as the (STS-like) invocation credentials. */
export function fcContext(overrides: { timeout?: number; requestId?: string } = {}): FcContext {
  return {
    requestId: overrides.requestId ?? 'c0ffee00-0000-4000-8000-000000000001',
    function: {
      name: 'autopilot-scheduler',
      handler: 'index.handler',
      memory: 512,
      timeout: overrides.timeout ?? 60,
    },
    region: 'cn-shanghai',
    accountId: '123456789098****',
    retryCount: 0,
    credentials: {
      accessKeyId: DEMO_CREDENTIAL.accessKeyId,
      accessKeySecret: DEMO_CREDENTIAL.accessKeySecret,
    },
  };
}

/**
 * A warm instance's runtime: env pointing at the emulator and a validated config. A new one is a cold
 * start (empty applied-memory).
 */
export function testRuntime(options: {
  emu: Emulator;
  config: z.input<typeof ConfigFileSchema>;
  instanceId?: string;
  env?: Record<string, string>;
}): Runtime {
  const { config, issues } = checkConfig(options.config);
  if (!config) throw new Error(`test config invalid: ${JSON.stringify(issues)}`);
  return {
    env: parseEnv({
      CITYVISUAL_ENDPOINT: options.emu.url,
      ...(options.instanceId && { CITYVISUAL_INSTANCE_ID: options.instanceId }),
      ...options.env,
    }),
    config,
  };
}

/** The demo seed's facts for the groups the scenarios use (registry mode). */
export const DEMO_REGISTRY = {
  '1': { jobGroupName: 'CrossroadsNorth', algoLibId: '2', resourceProfileId: '23' },
  '2': { jobGroupName: '城东路口-02', algoLibId: '5', resourceProfileId: '23' },
  '3': { jobGroupName: 'JobGroupName', algoLibId: '2', resourceProfileId: '23' },
  '4': { jobGroupName: 'Vehicle-Flow_West', algoLibId: '5', resourceProfileId: '24' },
  '7': { jobGroupName: 'ParkingLotB', algoLibId: '5', resourceProfileId: '31' },
} as const;

const CHANGE_FIELD = /^(JobGroupId|JobCount|PlanedJobCount|StreamPerJob|Status|JobGroupParams\..*)$/;

/** The ModifyJobGroup calls the emulator accepted, cut to the group id and the fields changed. */
export function modifyCalls(emu: Emulator): Array<Record<string, string>> {
  return emu.calls
    .filter((call) => call.action === 'ModifyJobGroup')
    .map((call) => Object.fromEntries(Object.entries(call.params).filter(([key]) => CHANGE_FIELD.test(key))));
}

export { captureLogs } from '../../support/logs.js';

/** Runs `promise`, expecting it to reject; returns the rejection. */
export async function rejection(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Record<string, unknown>;
  }
  throw new Error('expected a rejection');
}
