import { z } from 'zod';
import { AutopilotError } from '../errors.js';
import { lazySchema } from '../lazy-schema.js';

/** AccessKey credentials for signing; STS credentials carry a security token. Never logged. */
export const CredentialsSchema = lazySchema(() => {
  const text = z.string().min(1);
  return z.object({ accessKeyId: text, accessKeySecret: text, securityToken: text.optional() });
});
export type Credentials = z.infer<typeof CredentialsSchema>;

/**
 * Credentials for this invocation: the FC context's STS credentials when the function has a role,
 * else the standard `ALIBABA_CLOUD_*` variables (local runs). Read per invocation, never cached: STS
 * credentials expire.
 */
export function resolveCredentials(
  contextCredentials: unknown,
  env: NodeJS.ProcessEnv = process.env,
): Credentials {
  const fromContext = CredentialsSchema.safeParse(contextCredentials);
  if (fromContext.success) return fromContext.data;
  const fromEnv = CredentialsSchema.safeParse({
    accessKeyId: env.ALIBABA_CLOUD_ACCESS_KEY_ID,
    accessKeySecret: env.ALIBABA_CLOUD_ACCESS_KEY_SECRET,
    securityToken: env.ALIBABA_CLOUD_SECURITY_TOKEN || undefined,
  });
  if (fromEnv.success) return fromEnv.data;
  throw new AutopilotError('CREDENTIALS_MISSING');
}
