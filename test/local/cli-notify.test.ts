import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CliIo, main } from '../../local/cli.js';
import { ROBOT_CHANNELS, robotNeedles, useRobots } from '../support/robots.js';

const robots = useRobots();
let config: string;
beforeAll(() => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cli-notify-'));
  config = path.join(dir, 'autopilot.yaml');
  writeFileSync(config, JSON.stringify({ timezone: 'Asia/Shanghai', notify: { channels: ROBOT_CHANNELS } }));
});

async function run(args: readonly string[], env: Record<string, string | undefined> = robots.env) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    env: { ...env },
    cwd: process.cwd(),
  };
  const code = await main(['notify', 'test', ...args, '--config', config], io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('autopilot notify test', () => {
  it('sends a test message to every channel and says each was sent', async () => {
    const result = await run([]);

    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        'ops-dingtalk (dingtalk): sent',
        'ops-feishu (feishu): sent',
        'ops-wecom (wecom): sent',
        'ops-hook (webhook): sent',
        '',
      ].join('\n'),
    );
    const ding = robots.dingtalk.messages[0]?.body as { markdown: { title: string; text: string } };
    expect(ding.markdown.title).toBe('jobgroup-autopilot: test message');
    expect(ding.markdown.text).toContain('this channel is set up');
    expect(robots.receiver.messages[0]?.body).toMatchObject({ type: 'autopilot.test' });
  });

  it('tests only the channel named', async () => {
    const result = await run(['ops-wecom']);

    expect(result.code).toBe(0);
    expect(result.stdout).toBe('ops-wecom (wecom): sent\n');
    expect(robots.dingtalk.requests()).toBe(0);
    expect(robots.wecom.messages).toHaveLength(1);
  });

  it('says what is wrong, naming variables and codes but no value, and exits 1', async () => {
    const result = await run([], {
      ...robots.env,
      NOTIFY_DINGTALK_SECRET: 'SEC-wrong-secret',
      NOTIFY_FEISHU_URL: undefined,
      NOTIFY_HOOK_URL: 'http://hooks.example.com/in',
    });

    expect(result.code).toBe(1);
    expect(result.stdout).toBe('ops-wecom (wecom): sent\n');
    expect(result.stderr).toContain(
      'ops-dingtalk (dingtalk): failed NOTIFY_REJECTED (channel code 310000): A chat robot or webhook receiver refused',
    );
    expect(result.stderr).toContain(
      'ops-feishu (feishu): skipped NOTIFY_CHANNEL_INVALID: Channel ops-feishu: NOTIFY_FEISHU_URL is not set',
    );
    expect(result.stderr).toContain(
      'ops-hook (webhook): failed NOTIFY_CHANNEL_INVALID: Channel ops-hook: NOTIFY_HOOK_URL must be https://',
    );
    for (const needle of [...robotNeedles(), 'SEC-wrong-secret', 'hooks.example.com']) {
      expect(result.stdout + result.stderr).not.toContain(needle);
    }
  });

  it('runs as npx autopilot does: its own process, the real exit code', async () => {
    const bin = path.resolve(import.meta.dirname, '..', '..', 'bin', 'autopilot.mjs');
    const result = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [bin, 'notify', 'test', 'ops-hook', '--config', config], {
        env: { ...process.env, ...robots.env },
      });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout }));
    });

    expect(result).toEqual({ code: 0, stdout: 'ops-hook (webhook): sent\n' });
    expect(robots.receiver.messages).toHaveLength(1);
  });

  it('refuses an unknown channel name', async () => {
    const result = await run(['nope']);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'no channel named "nope" in notify.channels (ops-dingtalk, ops-feishu, ops-wecom, ops-hook)',
    );
  });
});
