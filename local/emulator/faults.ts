import { z } from 'zod';

const RateSchema = z.number().min(0).max(1);

/** One scripted outcome; `ok` means "no fault at all for this request". */
export const ScriptStepSchema = z.enum(['throttle', 'unavailable', 'internal', 'reset', 'hang', 'ok']);
export type ScriptStep = z.infer<typeof ScriptStepSchema>;

/**
 * Faults to inject. Order per request: the next `script` step (if any) decides alone; otherwise the
 * `qpsLimit` gate, then one random draw over the rates (their sum is capped at 1).
 */
export const FaultConfigSchema = z.strictObject({
  /** Added to every request before answering, ms. */
  latencyMs: z.number().int().min(0).max(600_000).optional(),
  /** Requests above this many per sliding second are answered `Throttling.User`. */
  qpsLimit: z.number().positive().optional(),
  /** Fraction answered `Throttling`. */
  throttleRate: RateSchema.optional(),
  /** Fraction answered 503 `ServiceUnavailable` or 500 `InternalError`, half each. */
  errorRate: RateSchema.optional(),
  /** Fraction whose socket is destroyed without an answer. */
  resetRate: RateSchema.optional(),
  /** Fraction never answered (socket kept open until `close()`). */
  hangRate: RateSchema.optional(),
  /** Consumed one step per request before any other fault; deterministic tests use this. */
  script: z.array(ScriptStepSchema).optional(),
  /** Seed of the PRNG behind the random faults. */
  seed: z.number().int().optional(),
});
export type FaultConfig = z.infer<typeof FaultConfigSchema>;

/** What the fault stage decided for one request. */
export type FaultOutcome =
  | 'none'
  | 'throttle'
  | 'throttle-user'
  | 'unavailable'
  | 'internal'
  | 'reset'
  | 'hang';

/** mulberry32: a tiny deterministic PRNG, uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DEFAULT_PRNG_SEED = 0x5eed;
const WINDOW_MS = 1000;

/** Parses a fault config, throwing one error that lists every bad field. */
export function parseFaultConfig(input: unknown): FaultConfig {
  const result = FaultConfigSchema.safeParse(input);
  if (!result.success) throw new Error(`Invalid fault config:\n${z.prettifyError(result.error)}`);
  return result.data;
}

/** Decides, request by request, which fault (if any) to inject. */
export class FaultInjector {
  private config: FaultConfig = {};
  private scriptIndex = 0;
  private random: () => number = mulberry32(DEFAULT_PRNG_SEED);
  private admitted: number[] = [];

  constructor(private readonly clock: () => number) {}

  /** Replaces the config and restarts the script, the PRNG and the qps window. */
  configure(config: FaultConfig): void {
    this.config = parseFaultConfig(config);
    this.scriptIndex = 0;
    this.random = mulberry32(this.config.seed ?? DEFAULT_PRNG_SEED);
    this.admitted = [];
  }

  /** Latency to add before answering, ms. */
  get latencyMs(): number {
    return this.config.latencyMs ?? 0;
  }

  /** The outcome for the next request; call once per request, in arrival order. */
  next(): FaultOutcome {
    const { script } = this.config;
    if (script && this.scriptIndex < script.length) {
      const step = script[this.scriptIndex++]!;
      this.admit();
      return step === 'ok' ? 'none' : step;
    }
    if (!this.passesQpsGate()) return 'throttle-user';
    return this.drawRandom();
  }

  private admit(): void {
    if (this.config.qpsLimit !== undefined) this.admitted.push(this.clock());
  }

  // Sliding window over admitted requests: a request is refused when the last second already holds
  // qpsLimit of them, so a sustained overload still lets qpsLimit per second through.
  private passesQpsGate(): boolean {
    const limit = this.config.qpsLimit;
    if (limit === undefined) return true;
    const now = this.clock();
    while (this.admitted.length > 0 && this.admitted[0]! <= now - WINDOW_MS) this.admitted.shift();
    if (this.admitted.length >= limit) return false;
    this.admitted.push(now);
    return true;
  }

  private drawRandom(): FaultOutcome {
    const { throttleRate = 0, errorRate = 0, resetRate = 0, hangRate = 0 } = this.config;
    if (throttleRate + errorRate + resetRate + hangRate === 0) return 'none';
    const u = this.random();
    let edge = throttleRate;
    if (u < edge) return 'throttle';
    edge += errorRate;
    if (u < edge) return this.random() < 0.5 ? 'unavailable' : 'internal';
    edge += resetRate;
    if (u < edge) return 'reset';
    edge += hangRate;
    if (u < edge) return 'hang';
    return 'none';
  }
}
