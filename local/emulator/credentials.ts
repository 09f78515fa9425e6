import { z } from 'zod';

/**
 * An AccessKey the emulator accepts. A key with `securityToken` is an STS key: its requests must carry
 * exactly that `SecurityToken`.
 */
export const EmulatorCredentialSchema = z.strictObject({
  accessKeyId: z.string().min(1),
  accessKeySecret: z.string().min(1),
  securityToken: z.string().min(1).optional(),
});
export type EmulatorCredential = z.infer<typeof EmulatorCredentialSchema>;

/** The default key: obviously local (no `LTAI` prefix), so it can never be mistaken for a real one. */
export const DEMO_CREDENTIAL: EmulatorCredential = Object.freeze({
  accessKeyId: 'LOCALDEVKEYID',
  accessKeySecret: 'local-dev-secret',
});

/** Validates the keys and indexes them by id; a duplicated id is an error. */
export function indexCredentials(
  credentials: readonly EmulatorCredential[],
): Map<string, EmulatorCredential> {
  const parsed = z.array(EmulatorCredentialSchema).safeParse(credentials);
  if (!parsed.success) throw new Error(`Invalid emulator credentials:\n${z.prettifyError(parsed.error)}`);
  const byId = new Map<string, EmulatorCredential>();
  for (const credential of parsed.data) {
    if (byId.has(credential.accessKeyId)) {
      throw new Error(`Invalid emulator credentials: duplicate accessKeyId ${credential.accessKeyId}`);
    }
    byId.set(credential.accessKeyId, credential);
  }
  return byId;
}
