/** The slice of `@alicloud/fc2` 2.6.6 (no bundled typings) the fc2 invoker uses. */
declare module '@alicloud/fc2' {
  interface FCClientConfig {
    /** Note the capital ID. */
    accessKeyID: string;
    accessKeySecret: string;
    /** Read only when accessKeyID starts with `STS`. */
    securityToken?: string;
    region: string;
    /** https when true (default http). */
    secure?: boolean;
    endpoint?: string;
    /** ms, default 60000. */
    timeout?: number;
  }
  class FCClient {
    constructor(accountId: string, config: FCClientConfig);
    invokeFunction(
      serviceName: string,
      functionName: string,
      event: string | Buffer,
      headers?: Record<string, string>,
      qualifier?: string,
    ): Promise<{ headers: Record<string, string | undefined>; data: unknown }>;
  }
  export default FCClient;
}
