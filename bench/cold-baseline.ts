/**
 * The cold-start baseline (CLARIFICATIONS 10): a fresh node loads this bundle — pop-core and nothing of
 * the product — and makes one signed ModifyJobGroup call to the emulator, then exits. `bench/run.ts`
 * bundles it like a function and reports every function's load + first request as a ratio to it.
 */
import RPCClientModule from '@alicloud/pop-core/lib/rpc.js';

type PopClient = { request(action: string, params: object, opts: object): Promise<unknown> };
const RPCClient = RPCClientModule as unknown as new (config: object, verbose: boolean) => PopClient;

export async function callOnce(
  endpoint: string,
  accessKeyId: string,
  accessKeySecret: string,
): Promise<void> {
  const client = new RPCClient(
    {
      endpoint,
      apiVersion: '2018-10-30',
      credentialsProvider: { getCredentials: async () => ({ accessKeyId, accessKeySecret }) },
    },
    false,
  );
  await client.request(
    'ModifyJobGroup',
    {
      AlgoLibId: '2',
      JobGroupId: '3',
      JobGroupName: 'JobGroupName',
      ResourceProfileId: '23',
      PlanedJobCount: '12',
    },
    { method: 'POST', timeout: 5000 },
  );
}
