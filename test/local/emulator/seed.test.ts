import { describe, expect, it } from 'vitest';
import {
  DEMO_CREDENTIAL,
  demoSeed,
  EmulatorSeedSchema,
  isValidJobGroupName,
  makeFleetSeed,
  parseSeed,
  startEmulator,
} from '../../../local/emulator/index.js';

describe('emulator seeds', () => {
  it('loads the demo fleet: one instance, eight valid groups', () => {
    // Act
    const seed = demoSeed();

    // Assess
    expect(seed.instances).toEqual([{ InstanceId: 'cv-demo-instance' }]);
    expect(seed.jobGroups).toHaveLength(8);
    expect(seed.jobGroups.every((g) => isValidJobGroupName(g.JobGroupName))).toBe(true);
    expect(seed.algoLibs.map((a) => a.AlgoLibId)).toContain('2');
    expect(seed.resourceProfiles.map((p) => p.ResourceProfileId)).toContain('23');
  });

  it.each([0, 1, 250])('makes a valid fleet of %i groups with ids "1".."n" and unique valid names', (n) => {
    // Act
    const seed = makeFleetSeed(n, { instanceId: 'fleet-x' });

    // Assess
    expect(EmulatorSeedSchema.safeParse(seed).success).toBe(true);
    expect(seed.jobGroups.map((g) => g.JobGroupId)).toEqual(
      Array.from({ length: n }, (_, i) => String(i + 1)),
    );
    expect(new Set(seed.jobGroups.map((g) => g.JobGroupName)).size).toBe(n);
    expect(
      seed.jobGroups.every((g) => g.InstanceId === 'fleet-x' && isValidJobGroupName(g.JobGroupName)),
    ).toBe(true);
  });

  it('spreads a fleet over several algo libs, profiles and statuses', () => {
    const groups = makeFleetSeed(30).jobGroups;
    expect(new Set(groups.map((g) => g.AlgoLibId)).size).toBeGreaterThan(1);
    expect(new Set(groups.map((g) => g.ResourceProfileId)).size).toBeGreaterThan(1);
    expect(new Set(groups.map((g) => g.Status))).toEqual(new Set(['running', 'stopped']));
  });

  it('holds groups whose names and statuses no caller could set: such groups exist in CityVisual', () => {
    const seed = makeFleetSeed(3);
    Object.assign(seed.jobGroups[0]!, { JobGroupName: '䶮城东路口', Status: 'Exception' });
    Object.assign(seed.jobGroups[1]!, { JobGroupName: 'Ｇａｔｅ.North', Status: 'Creating' });

    expect(parseSeed(seed).jobGroups.map((g) => [g.JobGroupName, g.Status])).toEqual([
      ['䶮城东路口', 'Exception'],
      ['Ｇａｔｅ.North', 'Creating'],
      [seed.jobGroups[2]!.JobGroupName, seed.jobGroups[2]!.Status],
    ]);
    const bad = makeFleetSeed(1);
    bad.jobGroups[0]!.Status = 'not a status!';
    expect(() => parseSeed(bad)).toThrow(/jobGroups\[0\]\.Status|Status/);
  });

  it('refuses a seed with dangling references and duplicates, listing every problem', () => {
    // Prepare
    const seed = makeFleetSeed(2);
    const group = seed.jobGroups[0]!;
    seed.jobGroups.push({ ...group, AlgoLibId: 'missing' });

    // Act
    const parse = () => parseSeed(seed);

    // Assess
    expect(parse).toThrow(/duplicate id 1/);
    expect(parse).toThrow(/unknown algo lib missing/);
    expect(parse).toThrow(/duplicate name/);
  });

  it('refuses to start with a seed that fails its schema', async () => {
    await expect(startEmulator({ seed: { instances: [] } as never })).rejects.toThrow(
      /Invalid emulator seed/,
    );
  });

  it('ships a demo key that cannot be mistaken for a real AccessKey', () => {
    expect(DEMO_CREDENTIAL.accessKeyId.startsWith('LTAI')).toBe(false);
  });
});
