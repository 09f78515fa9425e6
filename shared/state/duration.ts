const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * A duration as operators write them (CLARIFICATIONS 9): `90m`, `2h`, `3d` → ms; anything else →
 * undefined (the caller names the field in its error).
 */
export function parseDuration(text: string): number | undefined {
  const match = /^([1-9]\d{0,5})([mhd])$/.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}
