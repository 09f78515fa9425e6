import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseSecrets, parseTokens } from '../../shared/webhook/auth.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(ROOT, 'bin', 'autopilot.mjs');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command as its own process (real argv, real exit code). */
function exec(command: string, args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const { AUTOPILOT_CONFIG: _ignored, ...inherited } = process.env;
    const child = spawn(command, args, { cwd: ROOT, env: { ...inherited, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const autopilot = (args: readonly string[], env?: Record<string, string>) =>
  exec(process.execPath, [BIN, ...args], env);

let dir: string;
let broken: string;
let badYaml: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'autopilot-cli-'));
  broken = path.join(dir, 'broken.yaml');
  writeFileSync(
    broken,
    [
      'timezone: Mars/Olympus_Mons',
      'schedules:',
      '  - name: a',
      '    jobGroupIds: ["3"]',
      '    windows:',
      '      - { name: w1, days: mon-fri, from: "07:30", to: "25:00", set: { planedJobCount: 2 } }',
      '      - { name: w2, days: mon, from: "08:00", to: "09:00", set: { planedJobCont: 2 } }',
      '  - name: b',
      '    jobGroupIds: ["3"]',
      '    otherwise: { planedJobCount: 1 }',
      '',
    ].join('\n'),
  );
  badYaml = path.join(dir, 'bad.yaml');
  writeFileSync(badYaml, 'schedules:\n  - name: [unclosed\n');
});

describe('autopilot validate', () => {
  it('accepts the demo config with a short summary and exit 0', async () => {
    const run = await autopilot(['validate']);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^config\/autopilot\.yaml: OK \(timezone Asia\/Shanghai, 2 schedules/);
  });

  it('prints every problem with its path and exits 1', async () => {
    const run = await autopilot(['validate', '--config', broken]);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain('timezone: unknown time zone "Mars/Olympus_Mons"');
    expect(run.stderr).toContain('schedules[0].windows[0].to: must be "HH:MM"');
    expect(run.stderr).toContain('schedules[0].windows[1].set.planedJobCont: unknown field "planedJobCont"');
    expect(run.stdout).toBe('');
  });

  it('reports cross-field problems (a group in two schedules) by path', async () => {
    const file = path.join(dir, 'twice.yaml');
    writeFileSync(
      file,
      'schedules:\n  - { name: a, jobGroupIds: ["3"], otherwise: { planedJobCount: 1 } }\n  - { name: b, jobGroupIds: ["3"], otherwise: { planedJobCount: 2 } }\n',
    );

    const run = await autopilot(['validate', '--config', file]);

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/schedules\[1\]\.jobGroupIds\[0\]: job group "3" is also in schedules\[0\]/);
  });

  describe('warns when a group is both enforced by a schedule and targeted by a rule', () => {
    const fighting = () => {
      const file = path.join(dir, 'fighting.yaml');
      writeFileSync(
        file,
        [
          'schedules:',
          '  - { name: calm, jobGroupIds: ["1"], otherwise: { planedJobCount: 1 } }',
          '  - { name: night, jobGroupIds: ["7", "8"], enforce: true, otherwise: { status: Stopped } }',
          'rules:',
          '  - { name: one, match: { type: a }, then: { action: start, jobGroupId: "7" } }',
          '  - { name: many, match: { type: b }, then: { action: stop, jobGroupIds: ["1", "8"] } }',
          '  - { name: dynamic, match: { type: c }, then: { action: stop, jobGroupId: { from: data.id } } }',
          '',
        ].join('\n'),
      );
      return file;
    };

    it('prints each warning with its config path and still exits 0', async () => {
      const run = await autopilot(['validate', fighting()]);

      expect(run.code).toBe(0);
      expect(run.stdout).toContain(': OK');
      expect(run.stderr.trim().split('\n').slice(1)).toEqual([
        '  warning: rules[0].then.jobGroupId: job group "7" is also in schedules[1] ("night"), which enforces it every tick: the schedule and this rule would undo each other',
        '  warning: rules[1].then.jobGroupIds[1]: job group "8" is also in schedules[1] ("night"), which enforces it every tick: the schedule and this rule would undo each other',
      ]);
    });

    it('makes the warnings errors with --strict (exit 1)', async () => {
      const run = await autopilot(['validate', '--strict', '--config', fighting()]);

      expect(run.code).toBe(1);
      expect(run.stderr).toContain('2 errors (--strict)');
      expect(run.stderr).toContain('  error: rules[0].then.jobGroupId: job group "7"');
      expect(run.stdout).toBe('');
    });

    it('says nothing about the demo config, even with --strict', async () => {
      const run = await autopilot(['validate', '--strict']);

      expect(run.code).toBe(0);
      expect(run.stderr).toBe('');
    });
  });

  it('takes the file as a plain argument too, but not two files', async () => {
    const plain = await autopilot(['validate', broken]);
    const both = await autopilot(['validate', broken, '--config', broken]);

    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain('timezone: unknown time zone "Mars/Olympus_Mons"');
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('validate takes one config file');
  });

  it('reads AUTOPILOT_CONFIG when no --config is given', async () => {
    const run = await autopilot(['validate'], { AUTOPILOT_CONFIG: broken });

    expect(run.code).toBe(1);
    expect(run.stderr).toContain('broken.yaml');
  });

  it.each([
    ['a YAML syntax error, with its line', () => badYaml, /not valid YAML\/JSON \(line \d+, column \d+\)/],
    ['a missing file', () => path.join(dir, 'nope.yaml'), /Cannot read the config file/],
  ])('exits 1 on %s', async (_name, file, message) => {
    const run = await autopilot(['validate', '--config', file()]);

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(message);
  });
});

describe('autopilot plan', () => {
  it('--json prints one array of transitions in UTC, sorted by time then group', async () => {
    const run = await autopilot([
      'plan',
      '--from',
      '2026-06-01T00:00:00+08:00',
      '--to',
      '2026-06-02T00:00:00+08:00',
      '--json',
    ]);

    expect(run.code).toBe(0);
    const local = (at: string, offset = '+08:00') => ({ zone: 'Asia/Shanghai', offset, local: at });
    expect(JSON.parse(run.stdout)).toEqual([
      {
        kind: 'change',
        at: '2026-05-31T22:00:00.000Z',
        jobGroupId: '7',
        schedule: 'parking-night-shift',
        set: { status: 'Stopped' },
        window: 'otherwise',
        ...local('2026-06-01 06:00'),
      },
      ...['1', '2', '3'].map((jobGroupId) => ({
        kind: 'change',
        at: '2026-05-31T23:30:00.000Z',
        jobGroupId,
        schedule: 'downtown-crossroads',
        set: { planedJobCount: 10, status: 'Running' },
        window: 'weekday-peak',
        ...local('2026-06-01 07:30'),
      })),
      ...['1', '2', '3'].map((jobGroupId) => ({
        kind: 'change',
        at: '2026-06-01T13:00:00.000Z',
        jobGroupId,
        schedule: 'downtown-crossroads',
        set: { planedJobCount: 2 },
        window: 'otherwise',
        ...local('2026-06-01 21:00'),
      })),
      {
        kind: 'change',
        at: '2026-06-01T14:00:00.000Z',
        jobGroupId: '7',
        schedule: 'parking-night-shift',
        set: { planedJobCount: 3, status: 'Running' },
        window: 'night',
        ...local('2026-06-01 22:00'),
      },
    ]);
  });

  it('--at now: per group the state in force and the window that decided it; --group filters', async () => {
    const at = await autopilot(['plan', '--at', '2026-06-01T12:00', '--json']);
    const one = await autopilot(['plan', '--at', '2026-06-01T12:00', '--group', '7']);
    const now = await autopilot(['plan', '--at', 'now', '--group', '1', '--json']);
    const both = await autopilot(['plan', '--at', 'now', '--from', 'now', '--to', '2026-06-02']);

    expect(at.code).toBe(0);
    expect((JSON.parse(at.stdout) as Array<{ jobGroupId: string }>).map((row) => row.jobGroupId)).toEqual([
      '1',
      '2',
      '3',
      '7',
    ]);
    expect(JSON.parse(at.stdout)[0]).toMatchObject({
      schedule: 'downtown-crossroads',
      local: '2026-06-01 12:00',
      zone: 'Asia/Shanghai',
      target: { planedJobCount: 10, status: 'Running' },
      decidedBy: { planedJobCount: { by: 'schedule', window: 'weekday-peak', date: '2026-06-01' } },
    });
    expect(one.stdout).toContain('group 7  parking-night-shift  2026-06-01 12:00 +08:00');
    expect(one.stdout).toContain('status Stopped (otherwise)');
    expect(one.stdout).not.toContain('group 1');
    expect(now.code).toBe(0);
    expect(JSON.parse(now.stdout)).toHaveLength(1);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('plan takes --at, or --from and --to, not both');
  });

  it('the week view counts changes as the JSON does: one per group and instant', async () => {
    const json = await autopilot(['plan', '--from', '2026-06-01', '--to', '2026-06-03', '--json']);
    const text = await autopilot(['plan', '--from', '2026-06-01', '--to', '2026-06-03']);

    const changes = (JSON.parse(json.stdout) as Array<{ kind: string }>).filter(
      (e) => e.kind === 'change',
    ).length;
    expect(text.stdout.split('\n')[0]).toContain(`: ${changes} changes to 4 job groups across 2 schedules`);
  });

  it('reads local times without an offset in the config time zone', async () => {
    const zoned = await autopilot([
      'plan',
      '--from',
      '2026-06-01T00:00:00+08:00',
      '--to',
      '2026-06-08T00:00:00+08:00',
      '--json',
    ]);
    const local = await autopilot(['plan', '--from', '2026-06-01', '--to', '2026-06-08T00:00', '--json']);

    expect(local.code).toBe(0);
    expect(local.stdout).toBe(zoned.stdout);
  });

  it('prints a week view a person can check: per schedule, local day and time, what is set and why', async () => {
    const run = await autopilot(['plan', '--from', '2026-06-01', '--to', '2026-06-08']);

    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toContain('after 2026-06-01 00:00 up to 2026-06-08 00:00 Asia/Shanghai');
    expect(lines).toContain('downtown-crossroads (Asia/Shanghai, calendar cn-2026): job groups 1, 2, 3');
    expect(lines).toContain(
      '  Mon 2026-06-01   07:30 +08:00  planedJobCount 10, status Running  [weekday-peak]',
    );
    expect(lines).toContain('                   21:00 +08:00  planedJobCount 2  [otherwise]');
    expect(lines).toContain(
      '  Sat 2026-06-06   10:00 +08:00  planedJobCount 4, status Running  [weekend-daytime]',
    );
    expect(lines).toContain('parking-night-shift (Asia/Shanghai, enforced): job groups 7');
  });

  it('exits 1 and lists the problems when the config is invalid', async () => {
    const run = await autopilot(['plan', '--config', broken, '--from', '2026-06-01', '--to', '2026-06-02']);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain('schedules[0].windows[0].to');
  });

  it.each([
    ['no command', []],
    ['an unknown command', ['deploy']],
    ['a missing --to', ['plan', '--from', '2026-06-01']],
    ['an unknown option', ['plan', '--from', '2026-06-01', '--to', '2026-06-02', '--yaml']],
    ['a date that is not ISO-8601', ['plan', '--from', 'June 1st', '--to', '2026-06-02']],
    ['an impossible date', ['plan', '--from', '2026-02-30', '--to', '2026-06-02']],
    ['--to before --from', ['plan', '--from', '2026-06-02', '--to', '2026-06-01']],
    ['a range over 400 days', ['plan', '--from', '2026-01-01', '--to', '2027-06-01']],
    ['a stray positional', ['plan', 'config/autopilot.yaml']],
  ])('exits 2 with the usage on stderr for %s', async (_name, args) => {
    const run = await autopilot(args);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Usage:');
    expect(run.stdout).toBe('');
  });

  it('prints the usage on stdout for --help', async () => {
    const run = await autopilot(['--help']);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain('autopilot plan --from TIME --to TIME');
  });
});

describe('npx autopilot', () => {
  it('runs the bin of this repository (offline: nothing is fetched)', async () => {
    const run = await exec('npx', ['--no-install', 'autopilot', 'validate'], { npm_config_offline: 'true' });

    expect(run.code).toBe(0);
    expect(run.stdout).toContain('config/autopilot.yaml: OK');
  });
});

describe('autopilot secret and token', () => {
  it('secret prints a fresh whsec_ secret of 32 random bytes that WEBHOOK_SECRETS accepts', async () => {
    const [a, b] = await Promise.all([autopilot(['secret']), autopilot(['secret'])]);

    expect(a.code).toBe(0);
    const secret = a.stdout.trim();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(parseSecrets(secret)).toHaveLength(1);
    expect(b.stdout.trim()).not.toBe(secret);
  });

  it('token NAME prints NAME=<32-byte base64url token> that WEBHOOK_TOKENS accepts under that name', async () => {
    const [named, plain, bad] = await Promise.all([
      autopilot(['token', 'grafana']),
      autopilot(['token']),
      autopilot(['token', 'bad name']),
    ]);

    expect(named.code).toBe(0);
    const entry = named.stdout.trim();
    expect(entry).toMatch(/^grafana=[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(entry.slice('grafana='.length), 'base64url')).toHaveLength(32);
    expect(parseTokens(entry).map((t) => t.who)).toEqual(['grafana']);
    expect(plain.stdout.trim()).toMatch(/^caller=[A-Za-z0-9_-]{43}$/);
    expect(bad.code).toBe(2);
  });
});
