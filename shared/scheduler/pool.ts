/** How one item of a bounded run ended. */
export type PoolOutcome<R> =
  | { readonly state: 'done'; readonly value: R }
  | { readonly state: 'error'; readonly error: unknown }
  /** The deadline came before a worker picked the item up. */
  | { readonly state: 'not-started' }
  /** Still running when the run was cut off at the deadline (plus grace). */
  | { readonly state: 'unfinished' };

export interface PoolOptions {
  /** Items worked on at once (at least 1). */
  readonly concurrency: number;
  /** Epoch ms after which no item starts. */
  readonly deadline?: number;
  /** No item starts with less than this left before the deadline, ms. Default 50. */
  readonly minStartMs?: number;
  /** How long after the deadline the run waits for items in flight before cutting them off, ms. */
  readonly graceMs?: number;
  readonly now?: () => number;
}

/**
 * Runs `worker` over `items` with at most `concurrency` in flight, in item order, and returns one
 * outcome per item at the same index, never throwing. After the deadline nothing new starts; at the
 * deadline plus `graceMs` the run returns even if some workers are still busy, so a hung call can
 * never keep a summary from being written before FC kills the instance.
 *
 * @example
 * const outcomes = await runBounded(ids, (id) => apply(id), { concurrency: 8, deadline });
 */
export async function runBounded<T, R>(
  items: readonly T[],
  worker: (item: T, index: number) => Promise<R>,
  options: PoolOptions,
): Promise<PoolOutcome<R>[]> {
  const now = options.now ?? Date.now;
  const deadline = options.deadline ?? Number.POSITIVE_INFINITY;
  const minStartMs = options.minStartMs ?? 50;
  const outcomes: Array<PoolOutcome<R> | undefined> = new Array(items.length);
  let next = 0;

  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      if (now() + minStartMs >= deadline) {
        outcomes[index] = { state: 'not-started' };
        continue;
      }
      try {
        outcomes[index] = { state: 'done', value: await worker(items[index]!, index) };
      } catch (error) {
        outcomes[index] = { state: 'error', error };
      }
    }
  };

  const lanes = Array.from({ length: Math.max(1, Math.min(options.concurrency, items.length)) }, lane);
  const all = Promise.all(lanes).then(() => undefined);
  if (Number.isFinite(deadline)) {
    let timer: NodeJS.Timeout | undefined;
    const cutOff = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, deadline + (options.graceMs ?? 0) - now()));
      timer.unref?.();
    });
    await Promise.race([all, cutOff]);
    clearTimeout(timer);
  } else {
    await all;
  }
  // Items never reached by a lane (cut off) were not started; the ones a lane holds are unfinished.
  return Array.from(
    { length: items.length },
    (_, index) => outcomes[index] ?? (index < next ? { state: 'unfinished' } : { state: 'not-started' }),
  );
}
