import { z } from 'zod';
import demoSeedJson from './seed.json' with { type: 'json' };

const IdSchema = z.string().min(1).max(64);
const CountSchema = z.number().int().min(0).max(2_147_483_647);

/** One `{Key, Value}` job-group parameter as stored (not validated against the API's key list). */
export const JobGroupParamSchema = z.strictObject({ Key: z.string().min(1), Value: z.string() });

/** The live statuses the DescribeJobGroups doc lists (lowercase); the emulator moves groups between these. */
export const DOCUMENTED_LIVE_STATUSES = ['running', 'stopped', 'starting', 'stopping'] as const;

/**
 * A live status as DescribeJobGroups reports it: a documented one, or any other word a real group can
 * be found in (`Creating`, `Exception`, …), held and reported as seeded so clients meet it for real.
 */
export const LiveStatusSchema = z.union([
  z.enum(DOCUMENTED_LIVE_STATUSES),
  z.string().regex(/^[A-Za-z][A-Za-z_-]{0,31}$/, 'must be a status word of 1-32 letters, "_" or "-"'),
]);

/** A job group as the emulator stores it and {@link Emulator.jobGroup} returns it. */
export const JobGroupStateSchema = z.strictObject({
  InstanceId: IdSchema,
  JobGroupId: IdSchema,
  JobGroupName: z.string().min(1),
  AlgoLibId: IdSchema,
  ResourceProfileId: IdSchema,
  JobCount: CountSchema,
  PlanedJobCount: CountSchema,
  StreamPerJob: CountSchema,
  Status: LiveStatusSchema,
  JobGroupParams: z.array(JobGroupParamSchema),
});
export type JobGroupState = z.infer<typeof JobGroupStateSchema>;

/**
 * The emulator's starting world: instances, algorithm libraries, resource profiles and job groups.
 * Ids must be unique, every group must point at a known instance, algo lib and resource profile, and
 * names must be unique within an instance (the invariant `InvalidName.Duplicate` protects).
 */
export const EmulatorSeedSchema = z
  .strictObject({
    instances: z.array(z.strictObject({ InstanceId: IdSchema })),
    algoLibs: z.array(z.strictObject({ AlgoLibId: IdSchema, AlgoLibName: z.string() })),
    resourceProfiles: z.array(
      z.strictObject({ ResourceProfileId: IdSchema, ResourceProfileName: z.string() }),
    ),
    jobGroups: z.array(JobGroupStateSchema),
  })
  .superRefine((seed, ctx) => {
    const instanceIds = new Set(seed.instances.map((i) => i.InstanceId));
    const algoLibIds = new Set(seed.algoLibs.map((a) => a.AlgoLibId));
    const profileIds = new Set(seed.resourceProfiles.map((p) => p.ResourceProfileId));
    const reportDuplicates = (ids: string[], path: string) => {
      const seen = new Set<string>();
      ids.forEach((id, index) => {
        if (seen.has(id))
          ctx.addIssue({ code: 'custom', path: [path, index], message: `duplicate id ${id}` });
        seen.add(id);
      });
    };
    reportDuplicates(
      seed.instances.map((i) => i.InstanceId),
      'instances',
    );
    reportDuplicates(
      seed.algoLibs.map((a) => a.AlgoLibId),
      'algoLibs',
    );
    reportDuplicates(
      seed.resourceProfiles.map((p) => p.ResourceProfileId),
      'resourceProfiles',
    );
    reportDuplicates(
      seed.jobGroups.map((g) => g.JobGroupId),
      'jobGroups',
    );
    const names = new Set<string>();
    seed.jobGroups.forEach((group, index) => {
      const at = (field: string) => ['jobGroups', index, field];
      if (!instanceIds.has(group.InstanceId)) {
        ctx.addIssue({
          code: 'custom',
          path: at('InstanceId'),
          message: `unknown instance ${group.InstanceId}`,
        });
      }
      if (!algoLibIds.has(group.AlgoLibId)) {
        ctx.addIssue({
          code: 'custom',
          path: at('AlgoLibId'),
          message: `unknown algo lib ${group.AlgoLibId}`,
        });
      }
      if (!profileIds.has(group.ResourceProfileId)) {
        ctx.addIssue({
          code: 'custom',
          path: at('ResourceProfileId'),
          message: `unknown resource profile ${group.ResourceProfileId}`,
        });
      }
      const nameKey = `${group.InstanceId}\n${group.JobGroupName}`;
      if (names.has(nameKey)) {
        ctx.addIssue({
          code: 'custom',
          path: at('JobGroupName'),
          message: `duplicate name ${group.JobGroupName}`,
        });
      }
      names.add(nameKey);
    });
  });
export type EmulatorSeed = z.infer<typeof EmulatorSeedSchema>;

/** Parses a seed, throwing one error that lists every bad path. */
export function parseSeed(input: unknown): EmulatorSeed {
  const result = EmulatorSeedSchema.safeParse(input);
  if (!result.success) throw new Error(`Invalid emulator seed:\n${z.prettifyError(result.error)}`);
  return result.data;
}

/** A fresh copy of the demo fleet in `local/emulator/seed.json` (instance `cv-demo-instance`). */
export function demoSeed(): EmulatorSeed {
  return parseSeed(structuredClone(demoSeedJson));
}

const FLEET_ALGO_LIBS = [
  { AlgoLibId: '2', AlgoLibName: 'person-face' },
  { AlgoLibId: '5', AlgoLibName: 'vehicle' },
  { AlgoLibId: '7', AlgoLibName: 'safety-helmet' },
];
const FLEET_PROFILES = [
  { ResourceProfileId: '23', ResourceProfileName: 'standard' },
  { ResourceProfileId: '24', ResourceProfileName: 'night' },
  { ResourceProfileId: '31', ResourceProfileName: 'burst' },
];
const FLEET_PARAM_CYCLE: JobGroupState['JobGroupParams'][] = [
  [],
  [{ Key: 'ES_ENABLE', Value: 'True' }],
  [
    { Key: 'RDS_ENABLE', Value: 'False' },
    { Key: 'SCHEDULE_FLOW_START_TIME', Value: 'Latest' },
  ],
];

/**
 * A seed of `n` job groups with ids "1".."n" and valid unique names, spread over three algo libs,
 * three resource profiles, statuses and params, all in one instance (default `cv-fleet-instance`).
 *
 * @example
 * const emu = await startEmulator({ seed: makeFleetSeed(500) });
 */
export function makeFleetSeed(n: number, opts: { instanceId?: string } = {}): EmulatorSeed {
  if (!Number.isSafeInteger(n) || n < 0)
    throw new RangeError(`makeFleetSeed: n must be a non-negative integer, got ${n}`);
  const instanceId = opts.instanceId ?? 'cv-fleet-instance';
  const width = Math.max(4, String(n).length);
  const jobGroups: JobGroupState[] = [];
  for (let i = 1; i <= n; i++) {
    const planned = 1 + (i % 12);
    const stopped = i % 5 === 0;
    jobGroups.push({
      InstanceId: instanceId,
      JobGroupId: String(i),
      JobGroupName: `FleetGroup-${String(i).padStart(width, '0')}`,
      AlgoLibId: FLEET_ALGO_LIBS[i % FLEET_ALGO_LIBS.length]!.AlgoLibId,
      ResourceProfileId:
        FLEET_PROFILES[Math.floor(i / FLEET_ALGO_LIBS.length) % FLEET_PROFILES.length]!.ResourceProfileId,
      JobCount: stopped ? 0 : planned,
      PlanedJobCount: planned,
      StreamPerJob: 1 + (i % 8),
      Status: stopped ? 'stopped' : 'running',
      JobGroupParams: structuredClone(FLEET_PARAM_CYCLE[i % FLEET_PARAM_CYCLE.length]!),
    });
  }
  return parseSeed({
    instances: [{ InstanceId: instanceId }],
    algoLibs: structuredClone(FLEET_ALGO_LIBS),
    resourceProfiles: structuredClone(FLEET_PROFILES),
    jobGroups,
  });
}
