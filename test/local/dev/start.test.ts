import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { prettyLogLine, wantsPrettyLogs } from '../../../local/dev/pretty-log.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

describe('npm start with an invalid config', () => {
  it("exits 1 at once with validate's report, starting nothing", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'start-'));
    const file = path.join(dir, 'autopilot.yaml');
    writeFileSync(file, 'schedules:\n  - name: a\n    jobGroupIds: ["1"]\n    otherwise: {}\nreconcle: {}\n');
    const started = Date.now();

    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
      (resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'local/dev-server.ts'], {
          cwd: ROOT,
          env: { ...process.env, AUTOPILOT_CONFIG: file, AUTOPILOT_STATE_FILE: path.join(dir, 'state.json') },
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
        });
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
        });
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.on('error', reject);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code, stdout, stderr });
        });
      },
    );

    expect(run.code).toBe(1);
    expect(run.stdout).not.toContain('running locally');
    expect(run.stderr).toContain('npm start: the config is invalid; nothing was started.');
    expect(run.stderr).toContain(
      'schedules[0].otherwise: must set at least one field; leave otherwise out to touch nothing outside the windows',
    );
    expect(run.stderr).toContain('reconcle: unknown field "reconcle" (did you mean "reconcile"?)');
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 30_000);
});

describe("npm start's log lines", () => {
  it('are readable lines for a person: time, level, message, then key=value', () => {
    const line = JSON.stringify({
      level: 'warn',
      time: '2026-12-03T07:30:05.123Z',
      msg: 'stale event acknowledged, not applied',
      jobGroupId: '3',
      eventTime: '2026-12-03T07:15:00.000Z',
      note: 'two words',
    });

    expect(prettyLogLine(line)).toBe(
      '07:30:05 WARN  stale event acknowledged, not applied  jobGroupId=3 eventTime=2026-12-03T07:15:00.000Z note="two words"',
    );
    expect(
      prettyLogLine(
        JSON.stringify({
          level: 'info',
          time: '2026-12-03T07:30:05Z',
          msg: 'webhook request',
          audit: true,
          status: 200,
        }),
      ),
    ).toBe('07:30:05 INFO  AUDIT webhook request  status=200');
    expect(prettyLogLine('not json at all')).toBe('not json at all');
  });

  it('are JSON with LOG_FORMAT=json, and whenever stdout is not a terminal', () => {
    expect(wantsPrettyLogs({}, true)).toBe(true);
    expect(wantsPrettyLogs({ LOG_FORMAT: 'json' }, true)).toBe(false);
    expect(wantsPrettyLogs({}, false)).toBe(false);
  });
});

describe('npm start with the demo config', () => {
  it('serves the console on its own port, its banner printing the URL with the local token in the fragment', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'start-'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'local/dev-server.ts'], {
      cwd: ROOT,
      // Port 0 everywhere: free ports, so this never meets another `npm start` on this machine.
      env: {
        ...process.env,
        AUTOPILOT_CONFIG: path.join(ROOT, 'config', 'autopilot.yaml'),
        AUTOPILOT_STATE_FILE: path.join(dir, 'state.json'),
        EMULATOR_PORT: '0',
        WEBHOOK_PORT: '0',
        EVENTS_PORT: '0',
        CONSOLE_PORT: '0',
        CONSOLE_TOKENS: undefined,
        TICK_SECONDS: '3600',
        LOG_FORMAT: 'json',
      },
    });
    try {
      const banner = await new Promise<string>((resolve, reject) => {
        let stdout = '';
        const timer = setTimeout(() => reject(new Error(`no banner in 30 s:\n${stdout}`)), 30_000);
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          if (stdout.includes('Ctrl+C stops everything')) {
            clearTimeout(timer);
            resolve(stdout);
          }
        });
        child.on('error', reject);
      });
      const url = /console\s+(http:\/\/127\.0\.0\.1:\d+\/#token=(\S+))/.exec(banner);
      expect(url, banner).not.toBeNull();
      const base = new URL(url?.[1] as string);

      const page = await fetch(new URL('/', base));
      const overview = await fetch(new URL('/v1/overview', base), {
        headers: { Authorization: `Bearer ${url?.[2]}` },
      });

      expect(page.status).toBe(200);
      expect(await page.text()).toContain('jobgroup-autopilot console');
      expect(overview.status).toBe(200);
      expect(((await overview.json()) as { groups: unknown[] }).groups).toHaveLength(8);
      // The token is in the fragment, never in a query string a server or proxy would log.
      expect(base.search).toBe('');
    } finally {
      child.kill('SIGTERM');
    }
  }, 60_000);
});
