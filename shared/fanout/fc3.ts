import http from 'node:http';
import https from 'node:https';
import { AutopilotError } from '../errors.js';
import { MAX_ANSWER_BYTES } from '../http-cap.js';
import { type Acs3Credentials, percentEncode, signAcs3 } from './acs3.js';
import { type InvokeReceipt, type Invoker, invokeHttpError, invokeNetworkError } from './invoker.js';

export interface Fc3InvokerConfig {
  /** The main account id (FC context `accountId`): the default endpoint's host starts with it. */
  readonly accountId: string;
  readonly region: string;
  /** The FC 3.0 function to invoke. */
  readonly functionName: string;
  /** Version or alias; default none (LATEST). */
  readonly qualifier?: string;
  /** Credentials of this invocation (STS from the context). */
  readonly credentials: Acs3Credentials;
  /** Full endpoint URL; default `https://<accountId>.<region>.fc.aliyuncs.com`. */
  readonly endpoint?: string;
  /** Per-request timeout, ms. Default 5000. */
  readonly timeoutMs?: number;
}

export const FC3_API_VERSION = '2023-03-30';
const MAX_ERROR_BODY = 4096;

/** An answer past this many bytes drops the connection and fails as FANOUT_UNAVAILABLE. */
export { MAX_ANSWER_BYTES };

const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

/**
 * FC 3.0 `InvokeFunction` (`POST /2023-03-30/functions/<fn>/invocations`, header
 * `x-fc-invocation-type: Async`, ACS3-HMAC-SHA256 signed) on node:https — the official
 * `@alicloud/fc20230330` SDK would add ~1 MB to the bundle.
 *
 * @example
 * const invoker = createFc3Invoker({ accountId, region: 'cn-shanghai', functionName: 'autopilot-scheduler', credentials });
 * await invoker.invokeAsync(buildShardEvent(tick, shard, 0, 3));
 */
export function createFc3Invoker(config: Fc3InvokerConfig): Invoker {
  const endpoint = new URL(config.endpoint ?? `https://${config.accountId}.${config.region}.fc.aliyuncs.com`);
  const pathname = `/${FC3_API_VERSION}/functions/${percentEncode(config.functionName)}/invocations`;
  const query: Record<string, string> = config.qualifier ? { qualifier: config.qualifier } : {};
  const search = config.qualifier ? `?qualifier=${percentEncode(config.qualifier)}` : '';
  const transport = endpoint.protocol === 'http:' ? http : https;
  const agent = endpoint.protocol === 'http:' ? agents.http : agents.https;
  const timeoutMs = config.timeoutMs ?? 5_000;

  return {
    kind: 'fc3',
    target: config.qualifier ? `${config.functionName}:${config.qualifier}` : config.functionName,
    invokeAsync: (event, options = {}) =>
      new Promise<InvokeReceipt>((resolve, reject) => {
        const headers = signAcs3(
          {
            method: 'POST',
            pathname,
            query,
            headers: {
              host: endpoint.host,
              'x-acs-action': 'InvokeFunction',
              'x-acs-version': FC3_API_VERSION,
              'content-type': 'application/octet-stream',
              accept: 'application/json',
              'x-fc-invocation-type': 'Async',
              ...(options.taskId !== undefined && { 'x-fc-async-task-id': options.taskId }),
            },
            body: event,
          },
          config.credentials,
        );
        const request = transport.request(
          {
            protocol: endpoint.protocol,
            hostname: endpoint.hostname,
            port: endpoint.port || undefined,
            method: 'POST',
            path: `${pathname}${search}`,
            headers: { ...headers, 'content-length': String(event.length) },
            agent,
            timeout: timeoutMs,
          },
          (response) => {
            const chunks: Buffer[] = [];
            let size = 0;
            response.on('data', (chunk: Buffer) => {
              if (size < MAX_ERROR_BODY) chunks.push(chunk);
              size += chunk.length;
              // FC answers a few hundred bytes; an endless body would hold the tick until its deadline.
              if (size > MAX_ANSWER_BYTES) response.destroy(new Error('answer too large'));
            });
            response.on('error', () => reject(invokeNetworkError()));
            response.on('end', () => {
              const status = response.statusCode ?? 0;
              const requestId = headerValue(response.headers['x-fc-request-id']);
              if (status === 202 || status === 200) {
                resolve(requestId ? { requestId } : {});
                return;
              }
              if (status === 409 && options.taskId !== undefined) {
                resolve({ duplicate: true, ...(requestId && { requestId }) });
                return;
              }
              const code = errorCode(Buffer.concat(chunks).toString('utf8'));
              reject(invokeHttpError(status, { ...(code && { code }), ...(requestId && { requestId }) }));
            });
          },
        );
        request.on('timeout', () => request.destroy(new Error('timeout')));
        request.on('error', (error) =>
          reject(error instanceof AutopilotError ? error : invokeNetworkError()),
        );
        request.end(event);
      }),
  };
}

const headerValue = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/** FC's error body `{"Code": "...", "Message": "...", "RequestId": "..."}` → the code only. */
function errorCode(body: string): string | undefined {
  try {
    const code = (JSON.parse(body) as { Code?: unknown; ErrorCode?: unknown }).Code;
    return typeof code === 'string' && /^[A-Za-z0-9._-]{1,100}$/.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}
