import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { percentEncode, sign, stringToSign, verifySignature } from '../../../local/emulator/index.js';

// Reference §1.4, Vector A: the CityVisual signature doc's own example.
const VECTOR_A = {
  AccessKeyId: 'testid',
  Action: 'DescribeRegions',
  Format: 'XML',
  SignatureMethod: 'HMAC-SHA1',
  SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
  SignatureVersion: '1.0',
  Timestamp: '2016-02-23T12:46:24Z',
  Version: '2014-05-26',
};

// Reference §1.4, Vector B: the SMS doc's example with a non-ASCII value.
const VECTOR_B = {
  AccessKeyId: 'testId',
  Action: 'SendSms',
  Format: 'XML',
  OutId: '123',
  PhoneNumbers: '15300000001',
  RegionId: 'cn-hangzhou',
  SignName: '阿里云短信测试专用',
  SignatureMethod: 'HMAC-SHA1',
  SignatureNonce: '45e25e9b-0a6f-4070-8c85-2956eda1b466',
  SignatureVersion: '1.0',
  TemplateCode: 'SMS_71390007',
  TemplateParam: '{"customer":"test"}',
  Timestamp: '2017-07-12T02:42:19Z',
  Version: '2017-05-25',
};

// Reference §1.4, derived CityVisual vector (not official; agreed with pop-core).
const CITYVISUAL_VECTOR = {
  AccessKeyId: 'testid',
  Action: 'ModifyJobGroup',
  AlgoLibId: '2',
  Format: 'JSON',
  JobGroupId: '3',
  JobGroupName: 'JobGroupName',
  'JobGroupParams.1.Key': 'ES_ENABLE',
  'JobGroupParams.1.Value': 'True',
  ResourceProfileId: '23',
  SignatureMethod: 'HMAC-SHA1',
  SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
  SignatureVersion: '1.0',
  Timestamp: '2016-02-23T12:46:24Z',
  Version: '2018-10-30',
};

describe('signature v1', () => {
  it.each([
    {
      name: 'Vector A (GET)',
      method: 'GET',
      params: VECTOR_A,
      secret: 'testsecret',
      expected: 'OLeaidS1JvxuMvnyHOwuJ+uX5qY=',
    },
    {
      name: 'Vector B (GET, non-ASCII)',
      method: 'GET',
      params: VECTOR_B,
      secret: 'testSecret',
      expected: 'zJDF+Lrzhj/ThnlvIToysFRq6t4=',
    },
    {
      name: 'CityVisual GET',
      method: 'GET',
      params: CITYVISUAL_VECTOR,
      secret: 'testsecret',
      expected: 'KHKwlL1PZ6r4cpWcj9DdJgLxV7Q=',
    },
    {
      name: 'CityVisual POST',
      method: 'POST',
      params: CITYVISUAL_VECTOR,
      secret: 'testsecret',
      expected: '5bB1vAaKDOKN+d3eauwj4Ajzzq0=',
    },
  ])('signs $name to the published value', ({ method, params, secret, expected }) => {
    // Act
    const signature = sign(method, params, secret);

    // Assess
    expect(signature).toBe(expected);
    expect(verifySignature(method, { ...params, Signature: expected }, secret)).toBe(true);
  });

  it('builds the documented string to sign for Vector A', () => {
    expect(stringToSign('GET', VECTOR_A)).toBe(
      'GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26',
    );
  });

  it('gives the documented wrong value when the key lacks the trailing "&"', () => {
    // Prepare: the mistake the doc's formula line invites.
    const withoutAmpersand = createHmac('sha1', 'testsecret')
      .update(stringToSign('GET', VECTOR_A))
      .digest('base64');

    // Assess
    expect(withoutAmpersand).toBe('R8VkbeU3DqhHmAVCdxW/CjqsRK0=');
    expect(verifySignature('GET', { ...VECTOR_A, Signature: withoutAmpersand }, 'testsecret')).toBe(false);
  });

  it('rejects a GET signature presented on a POST (the method is signed)', () => {
    // Act
    const asPost = sign('POST', VECTOR_A, 'testsecret');

    // Assess
    expect(asPost).toBe('MxbnVAM4w6sft9xjVpe/GCKueuk=');
    expect(
      verifySignature('POST', { ...VECTOR_A, Signature: 'OLeaidS1JvxuMvnyHOwuJ+uX5qY=' }, 'testsecret'),
    ).toBe(false);
  });

  it.each([
    { name: 'a changed parameter', params: { ...VECTOR_A, Format: 'JSON' }, secret: 'testsecret' },
    { name: 'another secret', params: VECTOR_A, secret: 'othersecret' },
    { name: 'an extra parameter', params: { ...VECTOR_A, RegionId: 'cn-shanghai' }, secret: 'testsecret' },
  ])('rejects the Vector A signature with $name', ({ params, secret }) => {
    expect(verifySignature('GET', { ...params, Signature: 'OLeaidS1JvxuMvnyHOwuJ+uX5qY=' }, secret)).toBe(
      false,
    );
  });

  it.each([
    { name: 'missing', signature: undefined },
    { name: 'empty', signature: '' },
    { name: 'of another length', signature: 'short' },
  ])('rejects a $name Signature', ({ signature }) => {
    const params: Record<string, string> = { ...VECTOR_A };
    if (signature !== undefined) params.Signature = signature;
    expect(verifySignature('GET', params, 'testsecret')).toBe(false);
  });

  it.each([
    { input: 'AZaz09-_.~', encoded: 'AZaz09-_.~' },
    { input: 'a b', encoded: 'a%20b' },
    { input: "!'()*", encoded: '%21%27%28%29%2A' },
    { input: '+/=:&', encoded: '%2B%2F%3D%3A%26' },
    { input: '中', encoded: '%E4%B8%AD' },
    { input: '😀', encoded: '%F0%9F%98%80' },
  ])('percent-encodes $input as $encoded', ({ input, encoded }) => {
    expect(percentEncode(input)).toBe(encoded);
  });
});
