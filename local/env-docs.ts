import type { Env } from '../shared/config/env.js';

/**
 * The README's environment reference, one row per variable the functions read. Typed against the
 * keys of `Env`, so a variable added there without a row here fails the typecheck. Kept out of
 * `shared/` so the text does not weigh on the bundles.
 */
export const ENV_DOCS: Record<keyof Env, string> = {
  CITYVISUAL_ENDPOINT: 'Full CityVisual endpoint URL (default `https://cityvisual.<region>.aliyuncs.com`).',
  CITYVISUAL_REGION: 'Region of the endpoint and `RegionId` of every call (default `cn-shanghai`).',
  CITYVISUAL_INSTANCE_ID:
    'CityVisual instance; when set, groups are read live with `DescribeJobGroups` and only differing fields are sent (default unset: the config registry).',
  CITYVISUAL_TIMEOUT_MS: 'Per-attempt timeout of a CityVisual call, ms (default 5000, 100–60000).',
  CITYVISUAL_MAX_ATTEMPTS: 'Attempts per CityVisual call including the first (default 4, 1–10).',
  AUTOPILOT_CONFIG:
    'Config file (schedules, rules, registry). From source: YAML or JSON. Deployed bundles read the `autopilot.json` that `npm run build` validates and writes beside each bundle (s.yaml sets it).',
  WEBHOOK_SECRETS:
    'Standard Webhooks secrets `whsec_…`, comma-separated (rotation: old and new side by side).',
  WEBHOOK_TOKENS: 'Bearer tokens for tools that cannot sign: `token` or `name=token`, comma-separated.',
  CONSOLE_TOKENS:
    'Read-only tokens of the console function (its page and JSON routes): `token` or `name=token`, comma-separated, each at least 32 characters (`npx autopilot token console`). Unset or invalid: every data route answers 500 `CONFIG_INVALID` naming the entry, and `/healthz` 503.',
  FANOUT_INVOKER:
    "How the scheduler fans a reconcile of more than `reconcile.shardSize` groups out as async invocations of itself: `none` (inline), `fc3` (FC 3.0 InvokeFunction, ACS3-HMAC-SHA256), `fc2` (FC 2.0 API via the runtime's `@alicloud/fc2`). Default `none`; s.yaml sets `fc3`.",
  FANOUT_FUNCTION_NAME:
    'Function the shards are sent to (default: the scheduler itself, from the FC context).',
  FANOUT_SERVICE_NAME: 'fc2 only, required there: the FC 2.0 service name of that function.',
  FANOUT_QUALIFIER: 'Version or alias to invoke (default none = LATEST).',
  FANOUT_ACCOUNT_ID: "Account id of the FC endpoint (default: the FC context's `accountId`).",
  FANOUT_REGION: "Region of the FC endpoint (default: the FC context's `region`).",
  FANOUT_ENDPOINT: 'FC endpoint URL (default `https://<account>.<region>.fc.aliyuncs.com`).',
  FANOUT_TIMEOUT_MS: 'Per-request timeout of submitting one shard, ms (default 5000, 100–60000).',
  FANOUT_TASK_IDS:
    "`on`: each shard is sent with a deterministic async task id (`x-fc-async-task-id`; fc2: `x-fc-stateful-async-invocation-id`), so when FC retries a tick whose fan-out failed part-way, the shards FC already accepted answer 409 and are not run again. Needs `asyncTask: true` in the function's async config (s.yaml sets both). Default `off`.",
  STATE_STORE:
    'The shared state store (webhook ids and responses, schedule records, event order, holds, history): `memory` (embedded, one process; default, for `npm start` and tests) or `tablestore` (deployed; s.yaml sets it). A function on FC with `memory` warns once per cold start.',
  TABLESTORE_ENDPOINT:
    'Tablestore endpoint (default `https://<TABLESTORE_INSTANCE>.<CITYVISUAL_REGION>.ots.aliyuncs.com`, reached without a VPC).',
  TABLESTORE_INSTANCE: 'Tablestore instance name; required with `tablestore`.',
  TABLESTORE_TABLE:
    'Table of the state store (default `autopilot_state`; `npx autopilot store init` creates it).',
  LOG_LEVEL: '`debug`, `info` (default), `warn` or `error`; audit lines are written at every level.',
};
