import type { CallOptions, CityVisualClient } from '../cityvisual/client.js';
import type { LiveJobGroup } from '../cityvisual/contract.js';

/** DescribeJobGroups answers at most 100 groups a page. */
const PAGE_SIZE = 100;
/** 10,000 groups: far above a real instance, low enough that a wrong TotalCount cannot loop on. */
const MAX_PAGES = 100;

/**
 * Every job group of a CityVisual instance, read page by page with DescribeJobGroups (one call per 100
 * groups, never one per group). The console's only use of the listing: when the client gains a paged
 * listing of its own, this is the one place to switch to it.
 */
export async function listLiveJobGroups(
  client: CityVisualClient,
  instanceId: string,
  options: CallOptions = {},
): Promise<LiveJobGroup[]> {
  const groups: LiveJobGroup[] = [];
  for (let pageNumber = 1; pageNumber <= MAX_PAGES; pageNumber++) {
    const page = await client.describeJobGroups({ instanceId, pageNumber, pageSize: PAGE_SIZE }, options);
    groups.push(...page.jobGroups);
    if (page.jobGroups.length < PAGE_SIZE || groups.length >= page.totalCount) break;
  }
  return groups;
}
