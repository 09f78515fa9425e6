import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEMO_CREDENTIAL, startEmulator, stringToSign } from '../../../local/emulator/index.js';
import { useEmulator } from '../../support/emulator.js';
import {
  commonParams,
  GROUP_3,
  popCall,
  popClient,
  REQUEST_ID,
  rawCall,
  rpcTimestamp,
  signed,
} from './helpers.js';

const STS_KEY = {
  accessKeyId: 'STS.LOCALKEY1',
  accessKeySecret: 'sts-secret-1',
  securityToken: 'sts-token-1',
};
const OTHER_STS_KEY = {
  accessKeyId: 'STS.LOCALKEY2',
  accessKeySecret: 'sts-secret-2',
  securityToken: 'sts-token-2',
};

describe('emulator gateway checks', () => {
  const emu = useEmulator({ credentials: [DEMO_CREDENTIAL, STS_KEY, OTHER_STS_KEY] });

  it.each(['GET', 'POST'] as const)('accepts a pop-core %s signed with the demo key', async (method) => {
    // Act
    const result = await popCall(popClient(emu), 'ModifyJobGroup', { ...GROUP_3, PlanedJobCount: 7 }, method);

    // Assess
    expect(result.status).toBe(200);
    expect(Object.keys(result.body)).toEqual(['RequestId']);
    expect(result.body.RequestId).toMatch(REQUEST_ID);
    expect(emu.jobGroup('3')?.PlanedJobCount).toBe(7);
  });

  it('answers an error with the full Alibaba body, a JSON content type and a non-2xx status', async () => {
    // Act
    const result = await rawCall(emu, signed(commonParams('DescribeJobGroup')));

    // Assess
    expect(result.status).toBe(404);
    expect(result.contentType).toBe('application/json;charset=utf-8');
    expect(Object.keys(result.body).sort()).toEqual(['Code', 'HostId', 'Message', 'Recommend', 'RequestId']);
    expect(result.body).toMatchObject({
      Code: 'InvalidAction.NotFound',
      HostId: 'cityvisual.cn-shanghai.aliyuncs.com',
      RequestId: expect.stringMatching(REQUEST_ID),
    });
    expect(result.body.Recommend).toMatch(
      /^https:\/\/api\.alibabacloud\.com\/troubleshoot\?.*q=InvalidAction\.NotFound/,
    );
  });

  const hourAgo = () => rpcTimestamp(Date.now() - 3600_000);
  const hourAhead = () => rpcTimestamp(Date.now() + 3600_000);
  it.each([
    { name: 'a wrong Version', change: { Version: '2019-01-01' }, code: 'InvalidVersion', status: 400 },
    { name: 'no Version', change: { Version: '' }, code: 'MissingParameter', status: 403 },
    {
      name: 'an unknown Action',
      change: { Action: 'DescribeJobGroup' },
      code: 'InvalidAction.NotFound',
      status: 404,
    },
    {
      name: 'an unknown AccessKeyId',
      change: { AccessKeyId: 'NOSUCHKEY' },
      code: 'InvalidAccessKeyId.NotFound',
      status: 404,
    },
    { name: 'no AccessKeyId', change: { AccessKeyId: '' }, code: 'IncompleteSignature', status: 400 },
    {
      name: 'SignatureMethod HMAC-SHA256',
      change: { SignatureMethod: 'HMAC-SHA256' },
      code: 'IncompleteSignature',
      status: 400,
    },
    {
      name: 'SignatureVersion 2.0',
      change: { SignatureVersion: '2.0' },
      code: 'IncompleteSignature',
      status: 400,
    },
    {
      name: 'a Timestamp with milliseconds',
      change: { Timestamp: '2026-01-01T00:00:00.000Z' },
      code: 'InvalidTimeStamp.Format',
      status: 400,
    },
    {
      name: 'an impossible date',
      change: { Timestamp: '2026-02-30T00:00:00Z' },
      code: 'InvalidTimeStamp.Format',
      status: 400,
    },
    {
      name: 'a stale Timestamp',
      change: { Timestamp: hourAgo },
      code: 'InvalidTimeStamp.Expired',
      status: 400,
    },
    {
      name: 'a future Timestamp',
      change: { Timestamp: hourAhead },
      code: 'InvalidTimeStamp.Expired',
      status: 400,
    },
    { name: 'no SignatureNonce', change: { SignatureNonce: '' }, code: 'MissingParameter', status: 403 },
  ])('rejects a correctly signed request with $name as $code $status', async ({ change, code, status }) => {
    // Prepare
    const overrides = Object.fromEntries(
      Object.entries(change).map(([key, value]) => [key, typeof value === 'function' ? value() : value]),
    );
    const params = signed(
      commonParams('DescribeJobGroups', { InstanceId: 'cv-demo-instance', ...overrides }),
    );

    // Act
    const result = await rawCall(emu, params);

    // Assess
    expect({ status: result.status, code: result.body.Code }).toEqual({ status, code });
    expect(emu.calls).toHaveLength(0);
    expect(emu.stats.rejected).toBe(1);
  });

  it.each([
    {
      name: 'a parameter changed after signing',
      tamper: (p: Record<string, string>) => ({ ...p, JobGroupId: '4' }),
    },
    {
      name: 'a flipped Signature',
      tamper: (p: Record<string, string>) => ({
        ...p,
        Signature: `${p.Signature!.startsWith('x') ? 'y' : 'x'}${p.Signature!.slice(1)}`,
      }),
    },
    {
      name: 'a Signature made without the "&" key suffix',
      tamper: (p: Record<string, string>) => p,
      noAmpersand: true,
    },
  ])('answers SignatureDoesNotMatch 403 to $name', async ({ tamper, noAmpersand }) => {
    // Prepare
    const base = commonParams('ModifyJobGroup', GROUP_3);
    const good = noAmpersand
      ? {
          ...base,
          Signature: createHmac('sha1', DEMO_CREDENTIAL.accessKeySecret)
            .update(stringToSign('GET', base))
            .digest('base64'),
        }
      : signed(base);
    const params = tamper(good);

    // Act
    const result = await rawCall(emu, params);

    // Assess
    expect(result.status).toBe(403);
    expect(result.body.Code).toBe('SignatureDoesNotMatch');
    expect(result.body.Message).not.toMatch(/GET&|%2F|string to sign/i);
    expect(emu.jobGroup('3')?.JobGroupName).toBe('JobGroupName');
  });

  it('answers SignatureDoesNotMatch when the secret is wrong (real pop-core)', async () => {
    // Act
    const result = await popCall(
      popClient(emu, { accessKeyId: DEMO_CREDENTIAL.accessKeyId, accessKeySecret: 'wrong' }),
      'ModifyJobGroup',
      GROUP_3,
    );

    // Assess
    expect({ status: result.status, code: result.body.Code }).toEqual({
      status: 403,
      code: 'SignatureDoesNotMatch',
    });
  });

  it.each([
    {
      name: 'an unknown key',
      credential: { accessKeyId: 'NOSUCHKEY', accessKeySecret: 'x' },
      version: '2018-10-30',
      code: 'InvalidAccessKeyId.NotFound',
      status: 404,
    },
    {
      name: 'a wrong API version',
      credential: DEMO_CREDENTIAL,
      version: '2019-01-01',
      code: 'InvalidVersion',
      status: 400,
    },
  ])('rejects real pop-core calls with $name', async ({ credential, version, code, status }) => {
    const result = await popCall(popClient(emu, credential, version), 'DescribeJobGroups', {
      InstanceId: 'cv-demo-instance',
    });
    expect({ status: result.status, code: result.body.Code }).toEqual({ status, code });
  });

  it('rejects an unknown action sent by real pop-core with InvalidAction.NotFound 404', async () => {
    const result = await popCall(popClient(emu), 'DescribeJobGroup', { InstanceId: 'cv-demo-instance' });
    expect({ status: result.status, code: result.body.Code }).toEqual({
      status: 404,
      code: 'InvalidAction.NotFound',
    });
  });

  it('answers SignatureNonceUsed 400 when the same signed request is sent twice', async () => {
    // Prepare
    const params = signed(commonParams('DescribeJobGroups', { InstanceId: 'cv-demo-instance' }));

    // Act
    const first = await rawCall(emu, params);
    const second = await rawCall(emu, params);

    // Assess
    expect(first.status).toBe(200);
    expect({ status: second.status, code: second.body.Code }).toEqual({
      status: 400,
      code: 'SignatureNonceUsed',
    });
    expect(emu.calls).toHaveLength(1);
  });

  it('accepts a nonce again once its TTL has passed', async () => {
    // Prepare
    let now = Date.now();
    const local = await startEmulator({ nonceTtlSeconds: 1, clock: () => now });
    try {
      const params = signed(commonParams('DescribeJobGroups', { InstanceId: 'cv-demo-instance' }));
      await rawCall(local, params);

      // Act
      now += 1500;
      const again = await rawCall(local, params);

      // Assess
      expect(again.status).toBe(200);
    } finally {
      await local.close();
    }
  });

  it.each([
    { name: 'without its SecurityToken', token: undefined, code: 'MissingSecurityToken' },
    { name: 'with a garbage SecurityToken', token: 'not-a-token', code: 'InvalidSecurityToken.Malformed' },
    {
      name: "with another key's SecurityToken",
      token: OTHER_STS_KEY.securityToken,
      code: 'InvalidSecurityToken.MismatchWithAccessKey',
    },
  ])('rejects an STS key $name as $code 403', async ({ token, code }) => {
    // Prepare
    const credential = {
      accessKeyId: STS_KEY.accessKeyId,
      accessKeySecret: STS_KEY.accessKeySecret,
      securityToken: token,
    };

    // Act
    const result = await popCall(popClient(emu, credential), 'ModifyJobGroup', GROUP_3);

    // Assess
    expect({ status: result.status, code: result.body.Code }).toEqual({ status: 403, code });
  });

  it('accepts an STS key with its own SecurityToken and never records the token', async () => {
    // Act
    const result = await popCall(popClient(emu, STS_KEY), 'ModifyJobGroup', GROUP_3);

    // Assess
    expect(result.status).toBe(200);
    expect(emu.calls[0]?.params).not.toHaveProperty('SecurityToken');
    expect(JSON.stringify(emu.calls)).not.toContain(STS_KEY.securityToken);
  });

  it('rejects a permanent key that carries a SecurityToken', async () => {
    const result = await popCall(
      popClient(emu, { ...DEMO_CREDENTIAL, securityToken: 'sts-token-1' }),
      'ModifyJobGroup',
      GROUP_3,
    );
    expect(result.body.Code).toBe('InvalidSecurityToken.MismatchWithAccessKey');
  });

  it('verifies a POST whose common parameters are in the query and business ones in the body (Tea style)', async () => {
    // Prepare
    const { AlgoLibId, JobGroupId, JobGroupName, ResourceProfileId, ...common } = signed(
      commonParams('ModifyJobGroup', GROUP_3),
      'POST',
    );
    const query = new URLSearchParams(common).toString();
    const body = new URLSearchParams({ AlgoLibId, JobGroupId, JobGroupName, ResourceProfileId } as Record<
      string,
      string
    >);

    // Act
    const response = await fetch(`${emu.url}/?${query}`, { method: 'POST', body });

    // Assess
    expect(response.status).toBe(200);
  });

  it('serves any path but signs with "/"', async () => {
    const result = await rawCall(
      emu,
      signed(commonParams('DescribeJobGroups', { InstanceId: 'cv-demo-instance' })),
      'GET',
      '/api/v1',
    );
    expect(result.status).toBe(200);
  });

  it.each([
    { name: 'a PUT', init: { method: 'PUT' }, status: 403, code: 'UnsupportedHTTPMethod' },
    {
      name: 'a JSON body',
      init: { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"Action":"x"}' },
      status: 415,
      code: 'UnsupportedMediaType',
    },
    {
      name: 'a body over 1 MiB',
      init: {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `A=${'x'.repeat(1024 * 1024 + 1)}`,
      },
      status: 413,
      code: 'RequestEntityTooLarge',
    },
  ])('rejects $name with $code $status', async ({ init, status, code }) => {
    // Act
    const response = await fetch(`${emu.url}/`, init);

    // Assess
    const body = (await response.json()) as Record<string, unknown>;
    expect({ status: response.status, code: body.Code }).toEqual({ status, code });
  });

  it('rejects a parameter given both in the query and in the body', async () => {
    // Prepare
    const params = signed(commonParams('DescribeJobGroups', { InstanceId: 'cv-demo-instance' }), 'POST');

    // Act
    const response = await fetch(`${emu.url}/?InstanceId=cv-demo-instance`, {
      method: 'POST',
      body: new URLSearchParams(params),
    });

    // Assess
    const body = (await response.json()) as Record<string, unknown>;
    expect({ status: response.status, code: body.Code }).toEqual({ status: 400, code: 'InvalidParameter' });
    expect(body.Message).toContain('"InstanceId"');
  });

  it('answers UnsupportedOperation 501 for a real CityVisual action it does not model', async () => {
    const result = await popCall(popClient(emu), 'CreateJobGroup', { InstanceId: 'cv-demo-instance' });
    expect({ status: result.status, code: result.body.Code }).toEqual({
      status: 501,
      code: 'UnsupportedOperation',
    });
  });

  it('records accepted calls without Signature, AccessKeyId, SecurityToken or SignatureNonce', async () => {
    // Act
    await popCall(popClient(emu), 'ModifyJobGroup', { ...GROUP_3, RegionId: 'cn-shanghai' });

    // Assess
    expect(emu.calls).toHaveLength(1);
    const [call] = emu.calls;
    expect(call).toMatchObject({ action: 'ModifyJobGroup', requestId: expect.stringMatching(REQUEST_ID) });
    expect(call?.params).toMatchObject({ ...GROUP_3, RegionId: 'cn-shanghai', Version: '2018-10-30' });
    for (const hidden of ['Signature', 'AccessKeyId', 'SecurityToken', 'SignatureNonce']) {
      expect(call?.params).not.toHaveProperty(hidden);
    }
  });

  it('logs one line per request without parameters or keys', async () => {
    // Prepare
    const lines: string[] = [];
    const local = await startEmulator({ log: (line) => lines.push(line) });
    try {
      // Act
      await popCall(popClient(local), 'ModifyJobGroup', GROUP_3, 'GET');

      // Assess
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^GET ModifyJobGroup 200 - [0-9A-F-]{36}$/);
      expect(lines.join('\n')).not.toContain(DEMO_CREDENTIAL.accessKeyId);
    } finally {
      await local.close();
    }
  });
});
