import { describe, expect, it } from 'vitest';
import { handler } from '../../../functions/webhook/handler.js';
import { DEMO_CREDENTIAL } from '../../../local/emulator/index.js';
import { createCityVisualClient } from '../../../shared/cityvisual/client.js';
import type { ModifyJobGroupRequest } from '../../../shared/cityvisual/contract.js';
import { httpErrorResponse } from '../../../shared/fc/http.js';
import {
  applyRegistryEnv,
  httpEvent,
  invoke,
  signed,
  upstreamDuring,
  useWebhookEmulator,
} from './helpers.js';

const { emu } = useWebhookEmulator();

const patch = (id: string, body: unknown) =>
  signed(httpEvent('modify', { path: `/v1/job-groups/${id}`, body: JSON.stringify(body) }));

describe('seed error codes CityVisual answers, through the webhook', () => {
  it.each([
    ['InvalidName.Duplicate', 400, { jobGroupName: 'CrossroadsNorth' }],
    ['InvalidAlgoLibId.NotFound', 404, { algoLibId: '999' }],
    ['InvalidResourceProfileId.NotFound', 404, { resourceProfileId: '999' }],
  ])('maps %s to %i with the CityVisual RequestId', async (code, status, body) => {
    const { result, requests } = await upstreamDuring(emu, () => invoke(handler, patch('3', body)));

    expect(result.status).toBe(status);
    expect(result.json.error).toMatchObject({ code, requestId: expect.any(String) });
    expect(requests).toBe(2);
    expect(emu.jobGroup('3')?.JobGroupName).toBe('JobGroupName');
  });

  it('maps InvalidJobGroupId.NotFound to 404 when the registry knows a group CityVisual does not', async () => {
    applyRegistryEnv({
      '99': { jobGroupName: 'GoneGroup', algoLibId: '2', resourceProfileId: '23' },
    });

    const { result, requests } = await upstreamDuring(emu, () =>
      invoke(handler, signed(httpEvent('scale', { path: '/v1/job-groups/99/scale' }))),
    );

    expect(result.status).toBe(404);
    expect(result.json.error).toMatchObject({
      code: 'InvalidJobGroupId.NotFound',
      requestId: expect.any(String),
    });
    expect(requests).toBe(1);
  });

  it('answers InvalidJobGroupId.NotFound (404) from the live read alone, without a write', async () => {
    const { result, calls } = await upstreamDuring(emu, () =>
      invoke(handler, signed(httpEvent('scale', { path: '/v1/job-groups/99/scale' }))),
    );

    expect(result.status).toBe(404);
    expect(result.json.error?.code).toBe('InvalidJobGroupId.NotFound');
    expect(calls).toEqual(['DescribeJobGroups']);
  });
});

describe('seed error codes our validation prevents', () => {
  // Each row: the webhook body that would provoke the code, and the raw request that does provoke it.
  const base: ModifyJobGroupRequest = {
    AlgoLibId: '2',
    JobGroupId: '3',
    JobGroupName: 'JobGroupName',
    ResourceProfileId: '23',
  };
  const rows: Array<[string, number, unknown, Record<string, unknown>]> = [
    [
      'InvalidName.Malformed',
      400,
      { jobGroupName: '1-starts-with-digit' },
      { JobGroupName: '1-starts-with-digit' },
    ],
    ['InvalidStatus.ValueNotSupported', 400, { status: 'Paused' }, { Status: 'Paused' }],
    [
      'InvalidParameter.KeyNotSupported',
      403,
      { params: { GPU_ENABLE: true } },
      { JobGroupParams: [{ Key: 'GPU_ENABLE', Value: 'True' }] },
    ],
    ['MissingParameter', 403, { jobGroupName: '' }, { JobGroupName: '' }],
  ];

  it.each(rows)(
    '%s: the webhook answers 400 itself, before any upstream call',
    async (_code, _status, body) => {
      const { result, requests } = await upstreamDuring(emu, () => invoke(handler, patch('3', body)));

      expect(result.status).toBe(400);
      expect(result.json.error?.code).toBe('INVALID_INPUT');
      expect(requests).toBe(0);
    },
  );

  it.each(rows)(
    '%s from CityVisual maps to %i in the webhook error translator',
    async (code, status, _body, raw) => {
      const client = createCityVisualClient({
        endpoint: emu.url,
        credentials: DEMO_CREDENTIAL,
        maxAttempts: 1,
      });

      const error = await client.modifyJobGroup({ ...base, ...raw } as ModifyJobGroupRequest).then(
        () => undefined,
        (e: unknown) => e,
      );
      const response = httpErrorResponse(error);

      expect(response.statusCode).toBe(status);
      expect(JSON.parse(response.body).error).toMatchObject({ code });
    },
  );
});
