import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../../shared/config/env.js';
import { AutopilotError } from '../../../shared/errors.js';

const KEYS = ['CITYVISUAL_ENDPOINT', 'FANOUT_ENDPOINT', 'TABLESTORE_ENDPOINT'] as const;

describe('parseEnv endpoints', () => {
  it.each(
    KEYS.flatMap((key) => ['http://cityvisual.example.com', 'http://10.0.0.1:8080'].map((url) => [key, url])),
  )('refuses %s=%s (plain http to a remote host) as CONFIG_INVALID naming the variable', (key, url) => {
    let error: unknown;
    try {
      parseEnv({ [key]: url });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AutopilotError);
    expect((error as AutopilotError).code).toBe('CONFIG_INVALID');
    expect((error as AutopilotError).message).toContain(key);
  });

  it.each(
    KEYS.flatMap((key) =>
      [
        'https://cityvisual.cn-shanghai.aliyuncs.com',
        'http://127.0.0.1:9000',
        'http://127.8.9.10',
        'http://localhost:8080',
        'http://[::1]:8080',
      ].map((url) => [key, url]),
    ),
  )('accepts %s=%s (https, or http to loopback)', (key, url) => {
    expect((parseEnv({ [key]: url }) as Record<string, unknown>)[key]).toBe(url);
  });
});

describe('parseEnv values', () => {
  const problems = (env: NodeJS.ProcessEnv) => {
    try {
      parseEnv(env);
    } catch (error) {
      expect(error).toBeInstanceOf(AutopilotError);
      expect((error as AutopilotError).code).toBe('CONFIG_INVALID');
      return ((error as AutopilotError).details as { issues: Array<{ path: string; message: string }> })
        .issues;
    }
    throw new Error('parseEnv accepted it');
  };

  it('fills every default when nothing is set, and reads blank as unset', () => {
    const env = parseEnv({ CITYVISUAL_REGION: '  ', LOG_LEVEL: '' });
    expect(env).toEqual({
      CITYVISUAL_REGION: 'cn-shanghai',
      CITYVISUAL_TIMEOUT_MS: 5_000,
      CITYVISUAL_MAX_ATTEMPTS: 4,
      FANOUT_INVOKER: 'none',
      FANOUT_TIMEOUT_MS: 5_000,
      FANOUT_TASK_IDS: 'off',
      STATE_STORE: 'memory',
      TABLESTORE_TABLE: 'autopilot_state',
      LOG_LEVEL: 'info',
    });
  });

  it('trims and converts what is set, and leaves unknown variables out', () => {
    const env = parseEnv({
      CITYVISUAL_TIMEOUT_MS: ' 1500 ',
      CITYVISUAL_INSTANCE_ID: ' cv-1 ',
      STATE_STORE: 'tablestore',
      TABLESTORE_INSTANCE: 'autopilot',
      PATH: '/usr/bin',
    });
    expect(env.CITYVISUAL_TIMEOUT_MS).toBe(1500);
    expect(env.CITYVISUAL_INSTANCE_ID).toBe('cv-1');
    expect(env.STATE_STORE).toBe('tablestore');
    expect(env).not.toHaveProperty('PATH');
  });

  it('lists every bad variable at once, each by name', () => {
    const issues = problems({
      CITYVISUAL_TIMEOUT_MS: '5s',
      CITYVISUAL_MAX_ATTEMPTS: '11',
      FANOUT_INVOKER: 'lambda',
      LOG_LEVEL: 'verbose',
      FANOUT_FUNCTION_NAME: '1bad',
    });
    expect(issues.map((issue) => issue.path)).toEqual([
      'CITYVISUAL_TIMEOUT_MS',
      'CITYVISUAL_MAX_ATTEMPTS',
      'FANOUT_INVOKER',
      'FANOUT_FUNCTION_NAME',
      'LOG_LEVEL',
    ]);
    expect(issues[0]?.message).toBe('must be a whole number');
  });

  it('refuses tablestore without an instance, and fc2 without a service', () => {
    expect(problems({ STATE_STORE: 'tablestore' })).toEqual([
      { path: 'TABLESTORE_INSTANCE', message: 'required when STATE_STORE is tablestore' },
    ]);
    expect(problems({ FANOUT_INVOKER: 'fc2' })).toEqual([
      { path: 'FANOUT_SERVICE_NAME', message: 'required when FANOUT_INVOKER is fc2' },
    ]);
  });
});

describe('parseEnv given something other than process.env', () => {
  it('refuses a value that is not text as CONFIG_INVALID naming the variable', () => {
    expect(() => parseEnv({ CITYVISUAL_TIMEOUT_MS: 5000 } as unknown as NodeJS.ProcessEnv)).toThrow(
      /CITYVISUAL_TIMEOUT_MS: must be text/,
    );
  });
});
