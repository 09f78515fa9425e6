import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEMO_CREDENTIAL, demoSeed, startEmulator } from '../../../local/emulator/index.js';
import {
  type AttemptInfo,
  type CityVisualClientConfig,
  createCityVisualClient,
} from '../../../shared/cityvisual/client.js';
import {
  JobGroupNameSchema,
  type ModifyJobGroupRequest,
  ModifyJobGroupRequestSchema,
} from '../../../shared/cityvisual/contract.js';
import { useEmulator } from '../../support/emulator.js';
import { expectFailure } from '../../support/failure.js';

const emu = useEmulator({ reset: 'afterEach' });

const client = (overrides: Partial<CityVisualClientConfig> = {}) =>
  createCityVisualClient({
    endpoint: emu.url,
    credentials: DEMO_CREDENTIAL,
    baseDelayMs: 5,
    maxDelayMs: 20,
    timeoutMs: 500,
    ...overrides,
  });

// Group "1" of the demo seed: CrossroadsNorth, algo lib 2, profile 23.
const request = (patch: Partial<ModifyJobGroupRequest> = {}): ModifyJobGroupRequest => ({
  AlgoLibId: '2',
  JobGroupId: '1',
  JobGroupName: 'CrossroadsNorth',
  ResourceProfileId: '23',
  ...patch,
});

describe('CityVisual client against the emulator', () => {
  it('sends one signed POST with exactly the contract parameters and returns the RequestId', async () => {
    const result = await client().modifyJobGroup(request({ PlanedJobCount: 9, Status: 'Running' }));
    expect(result.requestId).toMatch(/^[0-9A-F-]{36}$/);
    expect(result.attempts).toBe(1);
    expect(emu.calls).toHaveLength(1);
    expect(emu.calls[0]?.params).toMatchObject({
      Action: 'ModifyJobGroup',
      Version: '2018-10-30',
      AlgoLibId: '2',
      JobGroupId: '1',
      JobGroupName: 'CrossroadsNorth',
      ResourceProfileId: '23',
      PlanedJobCount: '9',
      Status: 'Running',
      RegionId: 'cn-shanghai',
    });
    expect(emu.jobGroup('1')?.PlanedJobCount).toBe(9);
  });

  it('reads one job group with DescribeJobGroups in either documented shape', async () => {
    const group = await client().describeJobGroup('cv-demo-instance', '1');
    expect(group).toMatchObject({ jobGroupId: '1', jobGroupName: 'CrossroadsNorth', status: 'Running' });
    const docEmu = await startEmulator({ describeShape: 'doc' });
    try {
      const docGroup = await createCityVisualClient({
        endpoint: docEmu.url,
        credentials: DEMO_CREDENTIAL,
      }).describeJobGroup('cv-demo-instance', '1');
      expect(docGroup).toEqual(group);
    } finally {
      await docEmu.close();
    }
  });

  it('reads a group in a status no doc lists, with a name no caller could send, as it is', async () => {
    const seed = demoSeed();
    Object.assign(seed.jobGroups.find((g) => g.JobGroupId === '1')!, {
      JobGroupName: 'Ｇａｔｅ.䶮',
      Status: 'Exception',
    });
    emu.reset(seed);

    const group = await client().describeJobGroup('cv-demo-instance', '1');

    expect(group).toMatchObject({
      jobGroupName: 'Ｇａｔｅ.䶮',
      liveStatus: 'Exception',
      status: 'Exception',
    });
  });

  it('answers undefined for a group the instance does not have', async () => {
    expect(await client().describeJobGroup('cv-demo-instance', 'nope')).toBeUndefined();
  });

  // Each seed error code, provoked in the emulator's state; the last two rows bypass our own contract
  // (it would refuse them first) by sending raw RPC values the contract cannot express.
  it.each([
    ['InvalidJobGroupId.NotFound', 404, request({ JobGroupId: '999' })],
    ['InvalidAlgoLibId.NotFound', 404, request({ AlgoLibId: '404' })],
    ['InvalidResourceProfileId.NotFound', 404, request({ ResourceProfileId: '404' })],
    ['InvalidName.Duplicate', 400, request({ JobGroupName: '城东路口-02' })],
  ] as const)('translates %s to status %i without retrying', async (code, status, req) => {
    const error = await expectFailure(client().modifyJobGroup(req));
    expect(error.code).toBe(code);
    expect(error.status).toBe(status);
    expect(error.upstream).toMatchObject({ code, attempts: 1 });
    expect(error.upstream?.requestId).toMatch(/^[0-9A-F-]{36}$/);
    expect(emu.stats.requests).toBe(1);
  });

  it.each([
    ['InvalidName.Malformed', { JobGroupName: 'bad name' }],
    ['InvalidStatus.ValueNotSupported', { Status: 'Paused' }],
    ['InvalidParameter.KeyNotSupported', { JobGroupParams: [{ Key: 'KAFKA_ENABLE', Value: 'True' }] }],
    ['MissingParameter', { JobGroupName: '' }],
  ] as const)('translates %s when an unvalidated request reaches the API', async (code, patch) => {
    const unchecked = { ...request(), ...patch } as unknown as ModifyJobGroupRequest;
    const error = await expectFailure(client().modifyJobGroup(unchecked));
    expect(error.code).toBe(code);
    expect(ModifyJobGroupRequestSchema.safeParse(unchecked).success).toBe(false);
  });

  it('retries throttling and then succeeds', async () => {
    emu.setFaults({ script: ['throttle', 'throttle', 'ok'] });
    const result = await client().modifyJobGroup(request({ PlanedJobCount: 3 }));
    expect(result.attempts).toBe(3);
    expect(emu.calls).toHaveLength(1);
  });

  it("backs off harder after Throttling than after a 503, each attempt through the call's pacer", async () => {
    // Prepare: jitter drawn at its lowest, so full jitter would not wait at all
    emu.setFaults({ script: ['throttle', 'unavailable', 'ok'] });
    const waits: number[] = [];
    let acquired = 0;
    const pacer = {
      acquire: async () => {
        acquired++;
      },
    };
    const throttling = client({
      baseDelayMs: 100,
      throttleBaseDelayMs: 400,
      maxDelayMs: 5_000,
      random: () => 0,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });

    // Act
    const result = await throttling.modifyJobGroup(request(), { pacer });

    // Assess: after the throttle at least half its 400 ms step; after the 503 nothing; every attempt paced
    expect(result.attempts).toBe(3);
    expect(waits).toEqual([200, 0]);
    expect(acquired).toBe(3);
  });

  it('retries 503 and 500 and then succeeds', async () => {
    emu.setFaults({ script: ['unavailable', 'internal', 'ok'] });
    expect((await client().modifyJobGroup(request())).attempts).toBe(3);
  });

  it('gives up on throttling after the attempts with a 429 that says when to retry', async () => {
    emu.setFaults({ throttleRate: 1 });
    const error = await expectFailure(client({ maxAttempts: 3 }).modifyJobGroup(request()));
    expect(error.status).toBe(429);
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(error.upstream?.attempts).toBe(3);
    expect(emu.stats.requests).toBe(3);
  });

  it('retries a connection reset, then reports a clear network error', async () => {
    emu.setFaults({ script: ['reset', 'ok'] });
    expect((await client().modifyJobGroup(request())).attempts).toBe(2);
    emu.setFaults({ resetRate: 1 });
    const error = await expectFailure(client({ maxAttempts: 2 }).modifyJobGroup(request()));
    expect(error.code).toBe('UPSTREAM_NETWORK');
    expect(error.retryable).toBe(true);
  });

  it('counts the attempts that got no answer (they may still land), not the answered ones', async () => {
    emu.setFaults({ script: ['reset', 'throttle', 'ok'] });
    const told: AttemptInfo[] = [];
    const applied = await client().modifyJobGroup(request(), {
      beforeAttempt: async (info) => {
        told.push(info);
      },
    });
    emu.setFaults({ script: ['throttle', 'ok'] });
    const answered = await client().modifyJobGroup(request());
    emu.setFaults({ script: ['reset', 'throttle', 'throttle'] });
    const failed = await expectFailure(client({ maxAttempts: 3 }).modifyJobGroup(request()));

    expect(applied).toMatchObject({ attempts: 3, uncertain: 1 });
    // Each attempt is told, before it leaves, how many before it may have landed.
    expect(told).toEqual([
      { attempt: 1, uncertain: 0 },
      { attempt: 2, uncertain: 1 },
      { attempt: 3, uncertain: 1 },
    ]);
    expect(answered).not.toHaveProperty('uncertain');
    expect(failed.code).toBe('Throttling');
    expect(failed.upstream).toMatchObject({ attempts: 3, uncertain: 1 });
  });

  it('says so on any final error of a write that had an attempt of unknown outcome; not for reads', async () => {
    emu.setFaults({ script: ['reset', 'internal'] });
    const failed = await expectFailure(client({ maxAttempts: 2 }).modifyJobGroup(request()));
    emu.setFaults({ script: ['reset', 'reset'] });
    const read = await expectFailure(
      client({ maxAttempts: 2 }).describeJobGroups({ instanceId: 'cv-instance-1' }),
    );
    const refused = await expectFailure(
      createCityVisualClient({
        endpoint: 'http://127.0.0.1:1',
        credentials: DEMO_CREDENTIAL,
        maxAttempts: 2,
        baseDelayMs: 5,
      }).modifyJobGroup(request()),
    );

    // A reset and a 5xx: either may have been applied
    expect(failed.code).toBe('InternalError');
    expect(failed.message).not.toContain('Signature');
    expect(failed.upstream).toMatchObject({ attempts: 2, uncertain: 2 });
    expect(read.upstream).not.toHaveProperty('uncertain');
    // Connection refused: never sent
    expect(refused.code).toBe('UPSTREAM_NETWORK');
    expect(refused.upstream).not.toHaveProperty('uncertain');
  });

  it('asks beforeAttempt before every attempt leaves, and stops the call when it throws', async () => {
    emu.setFaults({ script: ['unavailable', 'ok'] });
    let asked = 0;
    const applied = await client().modifyJobGroup(request(), {
      beforeAttempt: async () => {
        asked++;
      },
    });
    const before = emu.calls.length;
    const stop = new Error('held meanwhile');
    const stopped = await client()
      .modifyJobGroup(request(), {
        beforeAttempt: async () => {
          throw stop;
        },
      })
      .catch((error: unknown) => error);

    expect(applied.attempts).toBe(2);
    expect(asked).toBe(2);
    expect(stopped).toBe(stop);
    expect(emu.calls.length).toBe(before);
  });

  it('retries a hung request after its timeout and fails clearly within the deadline', async () => {
    emu.setFaults({ hangRate: 1 });
    const started = Date.now();
    const deadline = started + 1_000;
    const error = await expectFailure(
      client({ timeoutMs: 200, maxAttempts: 10 }).modifyJobGroup(request(), { deadline }),
    );
    expect(error.code).toBe('UPSTREAM_TIMEOUT');
    expect(error.status).toBe(504);
    expect(Date.now()).toBeLessThanOrEqual(deadline + 100);
    expect(error.upstream?.attempts).toBeGreaterThanOrEqual(2);
  });

  it('does not start an attempt when the deadline has already passed', async () => {
    const error = await expectFailure(client().modifyJobGroup(request(), { deadline: Date.now() - 1 }));
    expect(error.code).toBe('DEADLINE_EXCEEDED');
    expect(emu.stats.requests).toBe(0);
  });

  it.each([
    ['SignatureDoesNotMatch', { accessKeyId: DEMO_CREDENTIAL.accessKeyId, accessKeySecret: 'wrong-secret' }],
    ['InvalidAccessKeyId.NotFound', { accessKeyId: 'UNKNOWNKEY', accessKeySecret: 'x' }],
  ] as const)(
    'rejects a bad credential with %s, not retried, message hidden from callers',
    async (code, credentials) => {
      const error = await expectFailure(client({ credentials }).modifyJobGroup(request()));
      expect(error.code).toBe(code);
      expect(error.expose).toBe(false);
      expect(emu.stats.requests).toBe(1);
    },
  );

  it('rejects a request whose timestamp is outside the window (clock skew), not retried', async () => {
    const skewed = await startEmulator({ clock: () => Date.now() + 3_600_000 });
    try {
      const error = await expectFailure(
        createCityVisualClient({ endpoint: skewed.url, credentials: DEMO_CREDENTIAL }).modifyJobGroup(
          request(),
        ),
      );
      expect(error.code).toBe('InvalidTimeStamp.Expired');
      expect(skewed.stats.requests).toBe(1);
    } finally {
      await skewed.close();
    }
  });

  it.each([
    ['an HTML gateway page (retried)', 502, '<html>Bad Gateway</html>', 'UPSTREAM_UNREADABLE', 2],
    [
      'a 500 whose body has no Code (pop-core would call it success; retried)',
      500,
      '{"RequestId":"X"}',
      'InternalError',
      2,
    ],
    ['a 400 whose body has no Code (not retried)', 400, '{"RequestId":"X"}', 'UPSTREAM_BAD_RESPONSE', 1],
    [
      'a 200 that is not a ModifyJobGroup answer (not retried)',
      200,
      '{"Hello":"world"}',
      'UPSTREAM_BAD_RESPONSE',
      1,
    ],
  ] as const)('treats %s as a failed call', async (_case, status, body, code, attempts) => {
    const server = http.createServer((_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const c = client({ endpoint: `http://127.0.0.1:${port}`, maxAttempts: 2 });
      const error = await expectFailure(c.modifyJobGroup(request()));
      expect(error.code).toBe(code);
      expect(error.upstream?.attempts).toBe(attempts);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('reports a refused connection as a network error', async () => {
    const refused = client({ endpoint: 'http://127.0.0.1:9', maxAttempts: 2 });
    const error = await expectFailure(refused.modifyJobGroup(request()));
    expect(error.code).toBe('UPSTREAM_NETWORK');
    expect(error.upstream?.attempts).toBe(2);
  });
});

describe('contract and emulator agree', () => {
  const name = fc.oneof(
    fc.string({ minLength: 0, maxLength: 20 }),
    fc.stringMatching(/^[A-Za-z城东䶮][A-Za-z0-9城东䶮:_.-]{0,10}$/),
    fc.constantFrom('http://x', 'https://abc', 'a b', 'é1', '1abc', '_a', 'ab', '城市', 'a'.repeat(129)),
  );

  it('any request the contract accepts, the emulator accepts through the real client', async () => {
    const c = client();
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            PlanedJobCount: fc.nat(10_000),
            JobCount: fc.nat(10_000),
            StreamPerJob: fc.nat(1_000),
            Status: fc.constantFrom('Running' as const, 'Stopped' as const),
            JobGroupParams: fc.uniqueArray(
              fc.constantFrom(
                { Key: 'ES_ENABLE' as const, Value: 'True' as const },
                { Key: 'RDS_ENABLE' as const, Value: 'False' as const },
                { Key: 'OUT_MQ_ENABLE' as const, Value: 'True' as const },
                { Key: 'DATAHUB_ENABLE' as const, Value: 'False' as const },
                { Key: 'SCHEDULE_FLOW_START_TIME' as const, Value: 'Oldest' as const },
              ),
              { selector: (p) => p.Key, maxLength: 5 },
            ),
          },
          { requiredKeys: [] },
        ),
        fc.stringMatching(/^[A-Za-z城䶮][A-Za-z0-9城䶮:_-]{1,40}$/),
        async (optional, jobGroupName) => {
          const req = ModifyJobGroupRequestSchema.parse({
            ...request({ JobGroupName: jobGroupName }),
            ...optional,
          });
          await expect(c.modifyJobGroup(req)).resolves.toMatchObject({ attempts: 1 });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('any JobGroupName the contract rejects, the emulator rejects with InvalidName.Malformed', async () => {
    const c = client();
    await fc.assert(
      fc.asyncProperty(name, async (jobGroupName) => {
        fc.pre(!JobGroupNameSchema.safeParse(jobGroupName).success && jobGroupName !== '');
        const error = await expectFailure(c.modifyJobGroup(request({ JobGroupName: jobGroupName })));
        expect(error.code).toBe('InvalidName.Malformed');
      }),
      { numRuns: 80 },
    );
  });
});
