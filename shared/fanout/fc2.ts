import type FCClient from '@alicloud/fc2';
import type { Credentials } from '../cityvisual/credentials.js';
import { AutopilotError } from '../errors.js';
import { capFc2Reads } from './fc2-cap.js';
import {
  type InvokeOptions,
  type InvokeReceipt,
  type Invoker,
  invokeHttpError,
  invokeNetworkError,
} from './invoker.js';

export interface Fc2InvokerConfig {
  readonly accountId: string;
  readonly region: string;
  /** FC 2.0 addresses functions by service and function name. */
  readonly serviceName: string;
  readonly functionName: string;
  readonly qualifier?: string;
  readonly credentials: Credentials;
  /** Full endpoint URL; default fc2's `https://<accountId>.<region>.fc.aliyuncs.com`. */
  readonly endpoint?: string;
  /** Per-request timeout, ms. Default 5000. */
  readonly timeoutMs?: number;
  /** Loads the FCClient class; default `import('@alicloud/fc2')`, which the FC Node.js runtime ships. */
  readonly loadClient?: () => Promise<typeof FCClient>;
}

const NETWORK =
  /^(ECONNRESET|ECONNREFUSED|ECONNABORTED|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)$/;

/** Kept external by the build: the runtime's copy is used on FC. */
const defaultLoad = async (): Promise<typeof FCClient> => (await import('@alicloud/fc2')).default;

/**
 * The FC 2.0 API (`2016-08-15`) through `@alicloud/fc2`: `invokeFunction(service, fn, event,
 * {'x-fc-invocation-type': 'Async'})`. Whether that API reaches a function created natively in FC 3.0
 * is unconfirmed, hence the fc3 invoker beside it.
 */
export function createFc2Invoker(config: Fc2InvokerConfig): Invoker {
  let client: Promise<FCClient> | undefined;
  const clientFor = async () => {
    const FCClientClass = await (config.loadClient ?? defaultLoad)();
    // Answers are read up to MAX_ANSWER_BYTES, as the fc3 invoker reads them.
    capFc2Reads();
    return new FCClientClass(config.accountId, {
      accessKeyID: config.credentials.accessKeyId,
      accessKeySecret: config.credentials.accessKeySecret,
      ...(config.credentials.securityToken !== undefined && {
        securityToken: config.credentials.securityToken,
      }),
      region: config.region,
      secure: true,
      ...(config.endpoint !== undefined && { endpoint: config.endpoint }),
      timeout: config.timeoutMs ?? 5_000,
    });
  };
  return {
    kind: 'fc2',
    target: `${config.serviceName}/${config.functionName}${config.qualifier ? `:${config.qualifier}` : ''}`,
    async invokeAsync(event: Buffer, options: InvokeOptions = {}): Promise<InvokeReceipt> {
      try {
        client ??= clientFor();
        const response = await (await client).invokeFunction(
          config.serviceName,
          config.functionName,
          event,
          {
            'x-fc-invocation-type': 'Async',
            ...(options.taskId !== undefined && { 'x-fc-stateful-async-invocation-id': options.taskId }),
          },
          config.qualifier,
        );
        const requestId = response.headers['x-fc-request-id'];
        return requestId ? { requestId } : {};
      } catch (error) {
        const translated = translateFc2Error(error);
        if (options.taskId !== undefined && translated.upstream?.httpStatus === 409)
          return { duplicate: true };
        client = undefined;
        throw translated;
      }
    },
  };
}

/** fc2 throws `Error(name FC<Code>Error, code, message "… failed with <status>. requestid: <id>, …")`. */
export function translateFc2Error(error: unknown): AutopilotError {
  if (error instanceof AutopilotError) return error;
  const e = (error ?? {}) as { name?: unknown; code?: unknown; message?: unknown };
  const message = typeof e.message === 'string' ? e.message : '';
  const status = /failed with (\d{3})\./.exec(message)?.[1];
  if (status) {
    const requestId = /requestid: ([A-Za-z0-9-]{1,100})/.exec(message)?.[1];
    const code = typeof e.code === 'string' && /^[A-Za-z0-9._-]{1,100}$/.test(e.code) ? e.code : undefined;
    return invokeHttpError(Number(status), { ...(code && { code }), ...(requestId && { requestId }) });
  }
  if (e.name === 'RequestTimeoutError' || (typeof e.code === 'string' && NETWORK.test(e.code))) {
    return invokeNetworkError();
  }
  if (e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_MODULE_NOT_FOUND') {
    return new AutopilotError('FANOUT_REJECTED', {
      message:
        '@alicloud/fc2 is not installed here (the FC Node.js runtime ships it); use FANOUT_INVOKER=fc3.',
    });
  }
  if (error instanceof TypeError) {
    return new AutopilotError('FANOUT_REJECTED', {
      message: 'The fc2 client refused its configuration (account id, region or credentials missing).',
    });
  }
  return invokeNetworkError();
}
