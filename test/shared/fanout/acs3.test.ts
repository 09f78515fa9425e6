import { describe, expect, it } from 'vitest';
import { acsDate, percentEncode, signAcs3 } from '../../../shared/fanout/acs3.js';

// Expected values computed with the official signer, @alicloud/openapi-core 1.0.8
// (`Utils.getAuthorization(request, 'ACS3-HMAC-SHA256', hex(sha256(body)), id, secret)`, as
// `@alicloud/fc20230330` 4.7.6 calls it for InvokeFunction), on exactly these inputs.
const HEADERS = {
  host: '1234567890123456.cn-shanghai.fc.aliyuncs.com',
  'x-acs-version': '2023-03-30',
  'x-acs-action': 'InvokeFunction',
  'x-acs-date': '2026-06-01T00:00:00Z',
  'x-acs-signature-nonce': 'c0ffee00-0000-4000-8000-000000000001',
  accept: 'application/json',
  'user-agent': 'autopilot',
  'content-type': 'application/octet-stream',
  'x-fc-invocation-type': 'Async',
};
const PATH = '/2023-03-30/functions/autopilot-scheduler/invocations';

describe('ACS3-HMAC-SHA256 signer', () => {
  it('matches the official SDK for an AccessKey without a token', () => {
    const headers = signAcs3(
      {
        method: 'POST',
        pathname: PATH,
        headers: HEADERS,
        body: Buffer.from(
          '{"triggerTime":"2026-06-01T00:00:00.000Z","payload":"{\\"action\\":\\"reconcile\\"}"}',
        ),
      },
      { accessKeyId: 'STS.testKeyId', accessKeySecret: 'testSecret' },
    );
    expect(headers.Authorization).toBe(
      'ACS3-HMAC-SHA256 Credential=STS.testKeyId,SignedHeaders=content-type;host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=e4308fedde65146fbd60378842ce4671c29ec2e792d3a46802328584addd333a',
    );
  });

  it('matches the official SDK with an STS token and a query, signing the token headers', () => {
    const headers = signAcs3(
      {
        method: 'POST',
        pathname: PATH,
        query: { qualifier: 'LATEST' },
        headers: HEADERS,
        body: Buffer.from("x y*!('~"),
      },
      { accessKeyId: 'STS.testKeyId', accessKeySecret: 'testSecret', securityToken: 'CAIS+token/==' },
    );
    expect(headers['x-acs-security-token']).toBe('CAIS+token/==');
    expect(headers['x-acs-accesskey-id']).toBe('STS.testKeyId');
    expect(headers.Authorization).toBe(
      'ACS3-HMAC-SHA256 Credential=STS.testKeyId,SignedHeaders=content-type;host;x-acs-accesskey-id;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version,Signature=044ed4ffb59cff449fbf69668c665cefb0637cf222f5d2e2b9f9a942b027d389',
    );
  });

  it('adds a fresh date, nonce and body hash when the caller gives none', () => {
    const { 'x-acs-date': date, 'x-acs-signature-nonce': nonce, ...rest } = HEADERS;
    const a = signAcs3(
      { method: 'POST', pathname: PATH, headers: rest },
      { accessKeyId: 'k', accessKeySecret: 's' },
    );
    const b = signAcs3(
      { method: 'POST', pathname: PATH, headers: rest },
      { accessKeyId: 'k', accessKeySecret: 's' },
    );
    expect(a['x-acs-date']).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(a['x-acs-signature-nonce']).not.toBe(b['x-acs-signature-nonce']);
    expect(a['x-acs-content-sha256']).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(date && nonce).toBeTruthy();
  });

  it.each([
    ["a b!'()*~", 'a%20b%21%27%28%29%2A~'],
    ['autopilot-scheduler', 'autopilot-scheduler'],
  ])('percent-encodes %j as %j (RFC 3986)', (raw, encoded) => {
    expect(percentEncode(raw)).toBe(encoded);
  });

  it('formats x-acs-date without milliseconds', () => {
    expect(acsDate(new Date('2026-06-01T01:02:03.456Z'))).toBe('2026-06-01T01:02:03Z');
  });
});
