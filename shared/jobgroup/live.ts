import type { CallOptions, CityVisualClient } from '../cityvisual/client.js';
import type { LiveJobGroup } from '../cityvisual/contract.js';
import { type AutopilotError, toAutopilotError } from '../errors.js';
import { runBounded } from '../scheduler/pool.js';

/** DescribeJobGroups' largest page: a listing is read 100 groups a call. */
export const LISTING_PAGE_SIZE = 100;

/** What one read of many groups found. */
export interface LiveRead {
  /**
   * The groups found, by id. A group asked for that is in neither this map nor `failed` does not
   * exist in the instance (InvalidJobGroupId.NotFound for that group only).
   */
  readonly groups: ReadonlyMap<string, LiveJobGroup>;
  /** The listing page (PageSize 100) each group was found on; groups read one by one have none. */
  readonly pageOf: ReadonlyMap<string, number>;
  /** Groups whose state is unknown: the read that would have shown them failed (its error). */
  readonly failed: ReadonlyMap<string, AutopilotError>;
  /** DescribeJobGroups calls made (attempts beyond the first are the client's). */
  readonly calls: number;
}

export interface ReadLiveOptions extends CallOptions {
  /** The listing pages the groups were seen on (a fan-out shard's, from its parent): read only those. */
  readonly pages?: readonly number[];
  /** Reads in flight at once; default 8. */
  readonly concurrency?: number;
}

/** Runs `work` over `items`, `width` at a time. */
async function eachBounded<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>) {
  // The project's bounded pool; a read that threw fails the whole listing, as it always did.
  const failed = (await runBounded(items, work, { concurrency: width })).find((o) => o.state === 'error');
  if (failed?.state === 'error') throw failed.error;
}

/**
 * The live state of many groups from as few DescribeJobGroups calls as it takes (the planner then
 * judges every group against it, CLARIFICATIONS 4):
 *
 * - one group: the one filtered read (`JobGroupId`);
 * - `pages` given (a shard): those pages, then a filtered read for each group not on them (the
 *   listing moved since the parent read it);
 * - otherwise page 1 (PageSize 100), which gives the instance's TotalCount; then whichever costs fewer
 *   calls: a filtered read per group still missing, or the remaining pages. A group absent from a
 *   complete listing does not exist; when TotalCount changed from page to page (groups created or
 *   deleted meanwhile, so positions moved), each missing group is read by itself before it is called
 *   absent.
 *
 * Never throws: a failed read leaves its groups in `failed` with its error (a failed page: every group
 * not found elsewhere), and the others are planned as usual.
 *
 * @example
 * const live = await readLiveGroups(client, 'cv-instance', ['3', '7'], { deadline });
 * live.groups.get('3'); // { jobGroupId: '3', planedJobCount: 10, … }
 */
export async function readLiveGroups(
  client: CityVisualClient,
  instanceId: string,
  ids: readonly string[],
  options: ReadLiveOptions = {},
): Promise<LiveRead> {
  const wanted = new Set(ids);
  const groups = new Map<string, LiveJobGroup>();
  const pageOf = new Map<string, number>();
  const failed = new Map<string, AutopilotError>();
  const width = options.concurrency ?? 8;
  const call: CallOptions = options.deadline === undefined ? {} : { deadline: options.deadline };
  let calls = 0;
  const totals = new Set<number>();
  let pageError: AutopilotError | undefined;

  const readPage = async (page: number) => {
    calls++;
    try {
      const result = await client.describeJobGroups(
        { instanceId, pageNumber: page, pageSize: LISTING_PAGE_SIZE },
        call,
      );
      totals.add(result.totalCount);
      for (const group of result.jobGroups) {
        if (!wanted.has(group.jobGroupId) || groups.has(group.jobGroupId)) continue;
        groups.set(group.jobGroupId, group);
        pageOf.set(group.jobGroupId, page);
      }
    } catch (thrown) {
      pageError ??= toAutopilotError(thrown);
    }
  };
  const readOne = async (id: string) => {
    calls++;
    try {
      const group = await client.describeJobGroup(instanceId, id, call);
      if (group) groups.set(id, group);
    } catch (thrown) {
      failed.set(id, toAutopilotError(thrown));
    }
  };
  const missing = () => [...wanted].filter((id) => !groups.has(id) && !failed.has(id));
  const done = (): LiveRead => ({ groups, pageOf, failed, calls });

  if (wanted.size === 0) return done();
  if (options.pages && options.pages.length > 0) {
    await eachBounded([...new Set(options.pages)], width, readPage);
    await eachBounded(missing(), width, readOne);
    return done();
  }
  if (wanted.size === 1) {
    await readOne(ids[0] as string);
    return done();
  }
  await readPage(1);
  if (pageError) {
    for (const id of missing()) failed.set(id, pageError);
    return done();
  }
  const pageCount = Math.ceil(Math.max(...totals) / LISTING_PAGE_SIZE);
  const rest = missing();
  if (rest.length <= pageCount - 1) {
    await eachBounded(rest, width, readOne);
    return done();
  }
  await eachBounded(
    Array.from({ length: pageCount - 1 }, (_, i) => i + 2),
    width,
    readPage,
  );
  const unseen = missing();
  if (pageError) {
    const error: AutopilotError = pageError;
    for (const id of unseen) failed.set(id, error);
  } else if (totals.size > 1) {
    await eachBounded(unseen, width, readOne);
  }
  return done();
}
