import { randomUUID } from 'node:crypto';
import RPCClientModule from '@alicloud/pop-core/lib/rpc.js';
import {
  API_VERSION,
  canonicalize,
  DEMO_CREDENTIAL,
  type Emulator,
  type EmulatorCredential,
  sign,
} from '../../../local/emulator/index.js';

/** The slice of pop-core's RPCClient the tests use (its bundled typings are a template stub). */
export interface PopClient {
  request(
    action: string,
    params: Record<string, unknown>,
    options?: Record<string, unknown>,
  ): Promise<unknown>;
}
type PopClientConstructor = new (config: Record<string, unknown>, verbose?: boolean) => PopClient;
const RPCClient = RPCClientModule as unknown as PopClientConstructor;

/** A real pop-core client pointed at the emulator; `verbose` so the HTTP status is visible. */
export function popClient(
  emu: Emulator,
  credential: EmulatorCredential = DEMO_CREDENTIAL,
  apiVersion: string = API_VERSION,
): PopClient {
  return new RPCClient({ ...credential, endpoint: emu.url, apiVersion }, true);
}

/** What came back from one call, success or API error alike. */
export interface ApiResult {
  status: number;
  body: Record<string, unknown>;
}

interface PopError {
  code?: string;
  data?: Record<string, unknown>;
  entry?: { response?: { statusCode?: number } };
}

/** Calls through pop-core and folds its thrown API errors back into `{status, body}`. */
export async function popCall(
  client: PopClient,
  action: string,
  params: Record<string, unknown>,
  method: 'GET' | 'POST' = 'POST',
  timeout?: number,
): Promise<ApiResult> {
  try {
    const [json, entry] = (await client.request(action, params, {
      method,
      ...(timeout ? { timeout } : {}),
    })) as [Record<string, unknown>, { response: { statusCode: number } }];
    return { status: entry.response.statusCode, body: { ...json } };
  } catch (error) {
    const e = error as PopError;
    if (e.data && e.entry?.response?.statusCode !== undefined) {
      return { status: e.entry.response.statusCode, body: { ...e.data } };
    }
    throw error;
  }
}

/** `YYYY-MM-DDThh:mm:ssZ` for an epoch ms. */
export function rpcTimestamp(ms: number = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Common parameters of a fresh signed request for the demo key (Signature not yet added). */
export function commonParams(action: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    AccessKeyId: DEMO_CREDENTIAL.accessKeyId,
    Action: action,
    Format: 'JSON',
    SignatureMethod: 'HMAC-SHA1',
    SignatureNonce: randomUUID(),
    SignatureVersion: '1.0',
    Timestamp: rpcTimestamp(),
    Version: API_VERSION,
    ...overrides,
  };
}

/** Adds a valid Signature for `method` and `secret`. */
export function signed(
  params: Record<string, string>,
  method: 'GET' | 'POST' = 'GET',
  secret: string = DEMO_CREDENTIAL.accessKeySecret,
): Record<string, string> {
  return { ...params, Signature: sign(method, params, secret) };
}

/** Sends already-signed params with node's fetch: GET in the query, POST in a form body. */
export async function rawCall(
  emu: Emulator,
  params: Record<string, string>,
  method: 'GET' | 'POST' = 'GET',
  path = '/',
): Promise<ApiResult & { contentType: string | null }> {
  const encoded = canonicalizeWithSignature(params);
  const response =
    method === 'GET'
      ? await fetch(`${emu.url}${path}?${encoded}`)
      : await fetch(`${emu.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: encoded,
        });
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body: (await response.json()) as Record<string, unknown>,
  };
}

// canonicalize() drops Signature on purpose; the wire form keeps it.
function canonicalizeWithSignature(params: Record<string, string>): string {
  const { Signature, ...rest } = params;
  const query = canonicalize(rest);
  return Signature === undefined ? query : `${query}&Signature=${encodeURIComponent(Signature)}`;
}

/** The four parameters ModifyJobGroup always needs, valid for demo group 3. */
export const GROUP_3 = {
  AlgoLibId: '2',
  JobGroupId: '3',
  JobGroupName: 'JobGroupName',
  ResourceProfileId: '23',
} as const;

/** Matches an uppercase UUID request id. */
export const REQUEST_ID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;
