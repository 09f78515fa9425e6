/**
 * `npm start`'s stand-in for the FC timer trigger: invokes the scheduler handler every `intervalMs`
 * with a real-shaped timer event Buffer (`{"triggerTime", "triggerName", "payload"}`) and an FC-shaped
 * context carrying the credentials, like a deployed `{"action": "reconcile"}` trigger would.
 */
import path from 'node:path';
import { createSchedulerHandler } from '../../functions/scheduler/handler.js';
import { parseEnv } from '../../shared/config/env.js';
import { loadConfig } from '../../shared/config/file.js';
import type { FcContext } from '../../shared/fc/context.js';
import { logger } from '../../shared/log.js';
import type { Runtime } from '../../shared/runtime.js';
import type { TickSummary } from '../../shared/scheduler/index.js';

export interface SchedulerTickerOptions {
  /** Time between ticks, ms. */
  readonly intervalMs: number;
  /**
   * The scheduler's environment: CITYVISUAL_ENDPOINT (the emulator), AUTOPILOT_CONFIG, optional
   * CITYVISUAL_INSTANCE_ID, and ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET, which are handed over as the
   * context's credentials the way FC hands over STS keys. Default `process.env`.
   */
  readonly env?: NodeJS.ProcessEnv;
  /** The trigger's payload string; default `{"action":"reconcile"}`. */
  readonly payload?: string;
  readonly triggerName?: string;
  /** The function timeout the context reports, seconds (drives the deadline); default 60. */
  readonly timeoutSeconds?: number;
  /** Tick once right away; default true. */
  readonly immediate?: boolean;
  /** Called after every tick with its summary or its error. */
  readonly onTick?: (result: { summary?: TickSummary; error?: unknown }) => void;
}

export interface SchedulerTicker {
  /** Runs one tick now (skipped, resolving undefined, while another is still running). */
  tick(): Promise<TickSummary | undefined>;
  /** Stops ticking and waits for a running tick to end. */
  stop(): Promise<void>;
}

/** The event FC delivers for a timer trigger: triggerTime in whole UTC seconds, payload as configured. */
export function timerEventBuffer(at: Date, triggerName: string, payload: string): Buffer {
  const triggerTime = `${new Date(Math.floor(at.getTime() / 1000) * 1000).toISOString().slice(0, 19)}Z`;
  return Buffer.from(JSON.stringify({ triggerTime, triggerName, payload }));
}

/**
 * Starts ticking. The
 * config file is re-read on every tick, so an edit shows on the next one (an invalid edit skips the
 * tick with an error line).
 *
 * @example
 * const ticker = startSchedulerTicker({ intervalMs: 10_000, env: { ...process.env, CITYVISUAL_ENDPOINT: emu.url } });
 * // …
 * await ticker.stop();
 */
export function startSchedulerTicker(options: SchedulerTickerOptions): SchedulerTicker {
  const env = options.env ?? process.env;
  const parsedEnv = parseEnv(env);
  const runtime = (): Runtime => ({
    env: parsedEnv,
    config: loadConfig(parsedEnv.AUTOPILOT_CONFIG, path.resolve(process.cwd())),
  });
  const handler = createSchedulerHandler({ runtime });
  const triggerName = options.triggerName ?? 'dev-reconcile';
  const payload = options.payload ?? '{"action":"reconcile"}';
  let count = 0;
  let running: Promise<TickSummary | undefined> | undefined;

  const context = (): FcContext => ({
    requestId: `dev-tick-${++count}`,
    function: {
      name: 'scheduler',
      handler: 'index.handler',
      memory: 512,
      timeout: options.timeoutSeconds ?? 60,
    },
    region: parsedEnv.CITYVISUAL_REGION,
    accountId: 'local',
    retryCount: 0,
    credentials: {
      ...(env.ALIBABA_CLOUD_ACCESS_KEY_ID && { accessKeyId: env.ALIBABA_CLOUD_ACCESS_KEY_ID }),
      ...(env.ALIBABA_CLOUD_ACCESS_KEY_SECRET && { accessKeySecret: env.ALIBABA_CLOUD_ACCESS_KEY_SECRET }),
      ...(env.ALIBABA_CLOUD_SECURITY_TOKEN && { securityToken: env.ALIBABA_CLOUD_SECURITY_TOKEN }),
    },
  });

  const tick = (): Promise<TickSummary | undefined> => {
    if (running) {
      logger.warn('scheduler tick skipped: the previous one is still running', { triggerName });
      return Promise.resolve(undefined);
    }
    const event = timerEventBuffer(new Date(), triggerName, payload);
    running = handler(event, context())
      .then((summary) => {
        options.onTick?.({ summary });
        return summary;
      })
      .catch((error: unknown) => {
        // The handler has logged it already (request log); a dev loop keeps going.
        options.onTick?.({ error });
        return undefined;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  const timer = setInterval(() => void tick(), options.intervalMs);
  timer.unref?.();
  if (options.immediate ?? true) void tick();

  return {
    tick,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
