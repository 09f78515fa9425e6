import { describe, expect, it } from 'vitest';
import { DEMO_CREDENTIAL, makeFleetSeed } from '../../../local/emulator/index.js';
import { type CityVisualClient, createCityVisualClient } from '../../../shared/cityvisual/client.js';
import { readLiveGroups } from '../../../shared/jobgroup/live.js';
import { useEmulator } from '../../support/emulator.js';

const INSTANCE = 'cv-fleet-instance';
// 250 groups "1".."250" in seed order: pages of 100 hold 1–100, 101–200, 201–250.
const emu = useEmulator({ seed: makeFleetSeed(250) });

const client = (maxAttempts = 4) =>
  createCityVisualClient({
    endpoint: emu.url,
    credentials: DEMO_CREDENTIAL,
    maxAttempts,
    baseDelayMs: 1,
    maxDelayMs: 2,
  });

/** The DescribeJobGroups calls the emulator accepted: the page asked for, or the one id. */
const reads = () =>
  emu.calls
    .filter((call) => call.action === 'DescribeJobGroups')
    .map((call) => call.params.JobGroupId ?? `page ${call.params.PageNumber}/${call.params.PageSize}`);

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => String(from + i));

describe('readLiveGroups against the emulator', () => {
  it('reads a single group with the one filtered read', async () => {
    const live = await readLiveGroups(client(), INSTANCE, ['7']);

    expect(reads()).toEqual(['7']);
    expect(live.groups.get('7')).toMatchObject({ jobGroupId: '7', jobGroupName: 'FleetGroup-0007' });
    expect(live.calls).toBe(1);
  });

  it('pages through the listing for many groups: one call per 100 groups, each group with its page', async () => {
    // Prepare: 180 groups spread over all three pages
    const ids = [...range(1, 60), ...range(101, 160), ...range(191, 250)];

    // Act
    const live = await readLiveGroups(client(), INSTANCE, ids);

    // Assess
    expect(reads().sort()).toEqual(['page 1/100', 'page 2/100', 'page 3/100']);
    expect(live.groups.size).toBe(180);
    expect([live.pageOf.get('1'), live.pageOf.get('160'), live.pageOf.get('250')]).toEqual([1, 2, 3]);
    expect(live.groups.get('160')?.planedJobCount).toBe(emu.jobGroup('160')?.PlanedJobCount);
    expect(live.failed.size).toBe(0);
  });

  it('reads the groups page 1 did not show one by one when that is fewer calls than the other pages', async () => {
    const live = await readLiveGroups(client(), INSTANCE, ['5', '150', '249']);

    expect(reads()).toEqual(['page 1/100', '150', '249']);
    expect([...live.groups.keys()].sort()).toEqual(['150', '249', '5']);
  });

  it('leaves out a group a complete listing lacks, for that group only, with no extra read', async () => {
    const live = await readLiveGroups(client(), INSTANCE, [...range(1, 150), 'gone-1', 'gone-2']);

    expect(reads().sort()).toEqual(['page 1/100', 'page 2/100', 'page 3/100']);
    expect(live.groups.size).toBe(150);
    expect(live.groups.has('gone-1') || live.failed.has('gone-1')).toBe(false);
  });

  it('reads a shard its pages only, and a group not on them by itself', async () => {
    // The parent saw 101–110 on page 2 and "3" there too (the listing has moved since)
    const live = await readLiveGroups(client(), INSTANCE, [...range(101, 110), '3'], { pages: [2] });

    expect(reads()).toEqual(['page 2/100', '3']);
    expect(live.groups.size).toBe(11);
    expect(live.pageOf.get('105')).toBe(2);
  });

  it('gives the groups of a page that failed that error, and plans the others', async () => {
    // Prepare: page 1 answers, every try of the next call is throttled
    emu.setFaults({ script: ['ok', 'throttle', 'throttle'] });
    const ids = [...range(1, 50), ...range(151, 200)];

    // Act: pages 2 and 3 one after the other (page 2 fails, page 3 answers)
    const live = await readLiveGroups(client(2), INSTANCE, ids, { concurrency: 1 });

    // Assess: 1–50 from page 1; 151–200 sit on the failed page 2, so they are unknown, not absent
    expect(live.groups.size).toBe(50);
    expect(live.failed.size).toBe(50);
    expect(live.failed.get('151')).toMatchObject({ code: 'Throttling', retryable: true });
  });

  it('reads a missing group by itself when the listing changed size while it was read', async () => {
    // Prepare: a client whose page 2 reports one group more (one was created between the reads)
    const real = client();
    const moving: CityVisualClient = {
      ...real,
      describeJobGroups: async (query, options) => {
        const result = await real.describeJobGroups(query, options);
        return query.pageNumber === 2 ? { ...result, totalCount: result.totalCount + 1 } : result;
      },
      describeJobGroup: (instanceId, jobGroupId, options) =>
        real.describeJobGroup(instanceId, jobGroupId, options),
    };

    // Act
    const live = await readLiveGroups(moving, INSTANCE, [...range(1, 150), 'gone']);

    // Assess: all three pages, then "gone" on its own before it is called absent
    expect(reads().slice(3)).toEqual(['gone']);
    expect(live.groups.has('gone')).toBe(false);
    expect(live.groups.size).toBe(150);
  });
});
