/**
 * The warm benchmark's reference floor: the steps a signed scale request cannot skip, with the same
 * libraries and the product's own schemas, but none of the product's plumbing (no middy stack, router,
 * runtime/config lookup, planner, retry loop, log redaction or error translation). `bench/run.ts`
 * bundles this file exactly as `npm run build` bundles a function (same esbuild options and stubs) and
 * times it beside the real handler, so the printout separates what the required checks cost from what
 * our composition adds. Since the state store (#13) and holds (#14), a request also cannot skip reading
 * the group's holds and appending its history record: both are here, against the same embedded store
 * the handler uses in this benchmark. Not product code: it serves one happy path and throws on anything else.
 */
import RPCClientModule from '@alicloud/pop-core/lib/rpc.js';
import { Webhook } from 'standardwebhooks';
import {
  ModifyJobGroupRequestSchema,
  ModifyJobGroupResponseSchema,
  toRpcParams,
} from '../shared/cityvisual/contract.js';
import { decodeHttpEvent, jsonResponse } from '../shared/fc/http.js';
import { ScaleBodySchema } from '../shared/intent/index.js';
import { parseJsonSafe } from '../shared/json.js';
import { KEYS } from '../shared/state/keys.js';
import { createMemoryStore } from '../shared/state/memory.js';

type PopClient = { request(action: string, params: object, opts: object): Promise<unknown> };
const RPCClient = RPCClientModule as unknown as new (config: object, verbose: boolean) => PopClient;

/** The registry entry the bench's bare call also sends (group 3 of the emulator's seed). */
export interface FloorGroup {
  readonly jobGroupName: string;
  readonly algoLibId: string;
  readonly resourceProfileId: string;
}

export function createFloorHandler(options: {
  readonly secret: string;
  readonly endpoint: string;
  readonly credentials: { readonly accessKeyId: string; readonly accessKeySecret: string };
  readonly group: FloorGroup;
}) {
  const verifier = new Webhook(options.secret);
  const store = createMemoryStore();
  const { credentials, group } = options;
  const pop = new RPCClient(
    {
      endpoint: options.endpoint,
      apiVersion: '2018-10-30',
      credentialsProvider: { getCredentials: async () => credentials },
    },
    true,
  );
  return async (raw: Buffer) => {
    // FC event: JSON + zod shape check, lower-cased headers, body bytes.
    const request = decodeHttpEvent(raw);
    const { headers } = request;
    const id = headers['webhook-id'] ?? '';
    const timestamp = headers['webhook-timestamp'] ?? '';
    // Standard Webhooks signature over the raw body, then the idempotency claim in the (embedded) store.
    verifier.verify(request.body.toString('utf8'), {
      'webhook-id': id,
      'webhook-timestamp': timestamp,
      'webhook-signature': headers['webhook-signature'] ?? '',
    });
    const key = `idem/sig/${encodeURIComponent(id)}`;
    const claimed = await store.create(key, { state: 'in-progress' }, { expiresAt: Date.now() + 65_000 });
    if (!claimed.ok) throw new Error('replayed webhook-id');
    const jobGroupId = /^\/v1\/job-groups\/([A-Za-z0-9_-]{1,64})\/scale$/.exec(request.rawPath)?.[1];
    if (jobGroupId === undefined)
      throw new Error(`floor serves only the scale route, not ${request.rawPath}`);
    // Body and the seed's request contract, both with the product's schemas.
    const body = ScaleBodySchema.parse(parseJsonSafe(request.body.toString('utf8')));
    // A group held by a pin or pause must not be changed (#14): one prefix read of its holds.
    const holds = await store.list(KEYS.holdPrefix(jobGroupId));
    if (holds.length > 0) throw new Error('floor serves only groups without holds');
    const modify = ModifyJobGroupRequestSchema.parse({
      AlgoLibId: group.algoLibId,
      JobGroupId: jobGroupId,
      JobGroupName: group.jobGroupName,
      ResourceProfileId: group.resourceProfileId,
      PlanedJobCount: body.planedJobCount,
      RegionId: 'cn-shanghai',
    });
    // The signed call, its HTTP status and its answer's schema.
    const [json, entry] = (await pop.request('ModifyJobGroup', toRpcParams(modify), {
      method: 'POST',
      timeout: 5000,
    })) as [unknown, { response?: { statusCode?: number } }];
    if (entry.response?.statusCode !== 200)
      throw new Error(`CityVisual answered ${entry.response?.statusCode}`);
    const { RequestId } = ModifyJobGroupResponseSchema.parse(json);
    // Every applied change appends a history record, kept 30 days (#13).
    const at = Date.now();
    await store.create(
      KEYS.history(jobGroupId, at, Math.random().toString(36).slice(2, 10)),
      {
        at: new Date(at).toISOString(),
        jobGroupId,
        source: { kind: 'webhook', who: 'webhook:floor', route: 'scale' },
        sent: toRpcParams(modify),
        set: { planedJobCount: body.planedJobCount },
        requestId: RequestId,
      },
      { expiresAt: at + 30 * 86_400_000 },
    );
    // One audit line and the HTTP answer.
    process.stdout.write(
      `${JSON.stringify({ level: 'info', time: new Date().toISOString(), msg: 'webhook request', audit: true, jobGroupIds: [jobGroupId], status: 200, cityVisualRequestIds: [RequestId] })}\n`,
    );
    const answer = jsonResponse(200, { jobGroupId, changed: true, requestId: RequestId });
    // The answer kept with the claim, for a repeat of the id.
    await store.update(
      key,
      { state: 'completed', status: 200, body: answer.body },
      { expectedVersion: 1, expiresAt: Date.now() + 86_400_000 },
    );
    return answer;
  };
}
