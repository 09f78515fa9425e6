import { randomUUID } from 'node:crypto';

const entry = (status: number, message: string) => ({ status, message });

/**
 * Every error the emulator answers, with the one HTTP status chosen for it. Sources disagree on several
 * statuses (reference §2.2); the choice and its reason are noted where they are not documented facts.
 * pop-core only reads `Code`, Tea only reads the status, so both are always set.
 */
export const ERROR_TABLE = {
  // --- gateway: transport and request shape ---
  UnsupportedHTTPMethod: entry(403, 'This http method not supported.'),
  // Emulator-only codes: no Alibaba capture for an oversized or non-form body.
  RequestEntityTooLarge: entry(413, 'The request body is larger than 1 MiB.'),
  UnsupportedMediaType: entry(415, 'The request body must be application/x-www-form-urlencoded.'),
  // --- gateway: faults ---
  // Documented as 400 for Throttling; the same status is used for Throttling.User (UNCONFIRMED, 429 seen in fakes).
  Throttling: entry(400, 'Request was denied due to request throttling.'),
  'Throttling.User': entry(400, 'Request was denied due to user flow control.'),
  ServiceUnavailable: entry(503, 'The request has failed due to a temporary failure of the server.'),
  InternalError: entry(
    500,
    'The request processing has failed due to some unknown error, exception or failure.',
  ),
  // --- gateway: common checks ---
  InvalidVersion: entry(400, 'Specified parameter Version is not valid.'),
  'InvalidAction.NotFound': entry(404, 'Specified api is not found, please check your url and method.'),
  // Doc 51132 says 404, doc 435312 says 400: 404 keeps every *.NotFound code on one status.
  'InvalidAccessKeyId.NotFound': entry(404, 'Specified access key is not found.'),
  IncompleteSignature: entry(400, 'The request signature does not conform to Aliyun standards.'),
  // Short on purpose: real gateways append the string to sign, which would leak request data into logs.
  SignatureDoesNotMatch: entry(403, 'Specified signature is not matched with our calculation.'),
  'InvalidTimeStamp.Format': entry(400, 'Specified time stamp or date value is not well formatted.'),
  'InvalidTimeStamp.Expired': entry(400, 'Specified time stamp or date value is expired.'),
  SignatureNonceUsed: entry(400, 'Specified signature nonce was used already.'),
  // STS codes have no documented status; 403 like SignatureDoesNotMatch, the nearest credential failure.
  MissingSecurityToken: entry(403, 'The SecurityToken is required for an STS AccessKey.'),
  'InvalidSecurityToken.Malformed': entry(403, 'The specified SecurityToken is malformed.'),
  'InvalidSecurityToken.MismatchWithAccessKey': entry(
    403,
    'The specified SecurityToken does not match the AccessKey.',
  ),
  // --- CityVisual business codes (statuses as in the ModifyJobGroup doc) ---
  MissingParameter: entry(403, 'You must specify the required resource parameters.'),
  InvalidParameter: entry(400, 'The specified parameter is not valid.'),
  'InvalidParameter.KeyNotSupported': entry(403, 'One or more parameter keys are not supported.'),
  'InvalidName.Malformed': entry(400, 'The specified Name is incorrectly formatted.'),
  'InvalidName.Duplicate': entry(400, 'The specified name already exists.'),
  'InvalidStatus.ValueNotSupported': entry(400, 'The specified status is invalid.'),
  'InvalidJobGroupId.NotFound': entry(404, 'The specified job group does not exist.'),
  'InvalidAlgoLibId.NotFound': entry(404, 'The specified algorithm library does not exist.'),
  'InvalidResourceProfileId.NotFound': entry(404, 'The specified resource profile does not exist.'),
  'InvalidInstanceId.NotFound': entry(404, 'The specified instance does not exist.'),
  // Emulator-only: a real CityVisual action the emulator does not model.
  UnsupportedOperation: entry(501, 'The local emulator does not implement this action.'),
} as const;

/** A code of the emulator's error table. */
export type EmulatorErrorCode = keyof typeof ERROR_TABLE;

/** A failure answered as an Alibaba error body; `status` comes from {@link ERROR_TABLE}. */
export class EmulatorApiError extends Error {
  override readonly name = 'EmulatorApiError';
  readonly code: EmulatorErrorCode;
  readonly status: number;

  constructor(code: EmulatorErrorCode, message?: string) {
    super(message ?? ERROR_TABLE[code].message);
    this.code = code;
    this.status = ERROR_TABLE[code].status;
  }
}

/** `MissingParameter` naming the parameter, in the gateway's wording. */
export function missingParameter(name: string): EmulatorApiError {
  return new EmulatorApiError(
    'MissingParameter',
    `The input parameter "${name}" that is mandatory for processing this request is not supplied.`,
  );
}

/** `InvalidParameter` naming the parameter, with an optional reason. */
export function invalidParameter(name: string, reason?: string): EmulatorApiError {
  const base = `The specified value of parameter "${name}" is not valid.`;
  return new EmulatorApiError('InvalidParameter', reason ? `${base} ${reason}` : base);
}

/** Default `HostId`: the only CityVisual endpoint any doc shows. */
export const DEFAULT_HOST_ID = 'cityvisual.cn-shanghai.aliyuncs.com';

/** The Alibaba error body: `{RequestId, HostId, Code, Message, Recommend}`. */
export interface ErrorBody {
  RequestId: string;
  HostId: string;
  Code: string;
  Message: string;
  Recommend: string;
}

/** Builds the error body for a code, with a troubleshoot-style `Recommend` URL. */
export function errorBody(
  requestId: string,
  code: string,
  message: string,
  hostId = DEFAULT_HOST_ID,
): ErrorBody {
  const query = new URLSearchParams({ intl_lang: 'EN_US', q: code, product: 'cityvisual', requestId });
  return {
    RequestId: requestId,
    HostId: hostId,
    Code: code,
    Message: message,
    Recommend: `https://api.alibabacloud.com/troubleshoot?${query.toString()}`,
  };
}

/** A fresh request id: an uppercase UUID, as Alibaba gateways answer. */
export function newRequestId(): string {
  return randomUUID().toUpperCase();
}
