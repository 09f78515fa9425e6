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
