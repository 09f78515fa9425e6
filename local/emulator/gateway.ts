import { API_VERSION, isKnownAction, type KnownAction } from './actions.js';
import type { EmulatorCredential } from './credentials.js';
import { EmulatorApiError, missingParameter } from './errors.js';
import type { NonceCache } from './nonces.js';
import { given } from './params.js';
import type { ApiRequest } from './request.js';
import { verifySignature } from './signature.js';

/** What the gateway stage needs besides the request. */
export interface GatewayContext {
  credentials: ReadonlyMap<string, EmulatorCredential>;
  nonces: NonceCache;
  timestampSkewMs: number;
  clock: () => number;
}

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;

/** Epoch ms of a `YYYY-MM-DDThh:mm:ssZ` timestamp, or undefined when malformed or not a real date. */
export function parseTimestamp(value: string): number | undefined {
  const match = TIMESTAMP.exec(value);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const back = new Date(ms);
  const sameFields =
    back.getUTCFullYear() === year &&
    back.getUTCMonth() === month - 1 &&
    back.getUTCDate() === day &&
    back.getUTCHours() === hour &&
    back.getUTCMinutes() === minute &&
    back.getUTCSeconds() === second;
  return sameFields ? ms : undefined;
}

/**
 * The gateway's common checks, in order: Version, Action, AccessKeyId, signature method/version,
 * signature, Timestamp (format, skew), SignatureNonce (replay), SecurityToken (STS). Returns the action.
 * Missing signature parts answer `IncompleteSignature`; a missing Version, Timestamp or nonce answers
 * `MissingParameter`.
 */
export function checkGateway(request: ApiRequest, ctx: GatewayContext): KnownAction {
  const { params, method } = request;

  const version = given(params, 'Version');
  if (version === undefined) throw missingParameter('Version');
  if (version !== API_VERSION) throw new EmulatorApiError('InvalidVersion');

  const action = given(params, 'Action');
  if (action === undefined || !isKnownAction(action)) throw new EmulatorApiError('InvalidAction.NotFound');

  const accessKeyId = given(params, 'AccessKeyId');
  if (accessKeyId === undefined) {
    throw new EmulatorApiError('IncompleteSignature', 'The request is not signed: AccessKeyId is missing.');
  }
  const credential = ctx.credentials.get(accessKeyId);
  if (!credential) throw new EmulatorApiError('InvalidAccessKeyId.NotFound');

  if (params.SignatureMethod !== 'HMAC-SHA1') {
    throw new EmulatorApiError('IncompleteSignature', 'SignatureMethod must be HMAC-SHA1.');
  }
  if (params.SignatureVersion !== '1.0') {
    throw new EmulatorApiError('IncompleteSignature', 'SignatureVersion must be 1.0.');
  }
  if (given(params, 'Signature') === undefined) {
    throw new EmulatorApiError('IncompleteSignature', 'The Signature parameter is missing.');
  }
  if (!verifySignature(method, params, credential.accessKeySecret)) {
    throw new EmulatorApiError('SignatureDoesNotMatch');
  }

  const timestamp = given(params, 'Timestamp');
  if (timestamp === undefined) throw missingParameter('Timestamp');
  const at = parseTimestamp(timestamp);
  if (at === undefined) throw new EmulatorApiError('InvalidTimeStamp.Format');
  if (Math.abs(ctx.clock() - at) > ctx.timestampSkewMs)
    throw new EmulatorApiError('InvalidTimeStamp.Expired');

  const nonce = given(params, 'SignatureNonce');
  if (nonce === undefined) throw missingParameter('SignatureNonce');
  if (!ctx.nonces.claim(accessKeyId, nonce)) throw new EmulatorApiError('SignatureNonceUsed');

  checkSecurityToken(params.SecurityToken, credential, ctx.credentials);
  return action;
}

function checkSecurityToken(
  token: string | undefined,
  credential: EmulatorCredential,
  all: ReadonlyMap<string, EmulatorCredential>,
): void {
  const expected = credential.securityToken;
  if (expected === undefined) {
    // A permanent key with a token: the token cannot belong to it.
    if (token !== undefined) throw new EmulatorApiError('InvalidSecurityToken.MismatchWithAccessKey');
    return;
  }
  if (token === undefined || token === '') throw new EmulatorApiError('MissingSecurityToken');
  if (token === expected) return;
  const belongsToAnotherKey = [...all.values()].some((c) => c.securityToken === token);
  throw new EmulatorApiError(
    belongsToAnotherKey ? 'InvalidSecurityToken.MismatchWithAccessKey' : 'InvalidSecurityToken.Malformed',
  );
}
