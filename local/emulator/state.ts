import type { EmulatorSeed, JobGroupState } from './seed.js';

interface GroupRecord {
  state: JobGroupState;
  /** Epoch ms of the last status change (seed load for seeded groups); drives ComputeJobs times. */
  since: number;
}

/** The mutable world behind the API: seeded once, changed only by accepted calls. */
export class EmulatorState {
  private instances = new Set<string>();
  private algoLibs: EmulatorSeed['algoLibs'] = [];
  private resourceProfiles: EmulatorSeed['resourceProfiles'] = [];
  private groups = new Map<string, GroupRecord>();
  // Indexes, so that a fleet of thousands costs no scan per call: groups per instance in seed order,
  // and which group holds a name in an instance.
  private byInstance = new Map<string, GroupRecord[]>();
  private byName = new Map<string, string>();

  constructor(
    seed: EmulatorSeed,
    private readonly clock: () => number,
  ) {
    this.load(seed);
  }

  /** Replaces everything with a deep copy of `seed`. */
  load(seed: EmulatorSeed): void {
    const copy = structuredClone(seed);
    const now = this.clock();
    this.instances = new Set(copy.instances.map((i) => i.InstanceId));
    this.algoLibs = copy.algoLibs;
    this.resourceProfiles = copy.resourceProfiles;
    this.groups = new Map(copy.jobGroups.map((state) => [state.JobGroupId, { state, since: now }]));
    this.byInstance = new Map();
    this.byName = new Map();
    for (const record of this.groups.values()) {
      const { InstanceId, JobGroupName, JobGroupId } = record.state;
      const list = this.byInstance.get(InstanceId);
      if (list) list.push(record);
      else this.byInstance.set(InstanceId, [record]);
      this.byName.set(nameKey(InstanceId, JobGroupName), JobGroupId);
    }
  }

  hasInstance(id: string): boolean {
    return this.instances.has(id);
  }

  hasAlgoLib(id: string): boolean {
    return this.algoLibs.some((a) => a.AlgoLibId === id);
  }

  hasResourceProfile(id: string): boolean {
    return this.resourceProfiles.some((p) => p.ResourceProfileId === id);
  }

  /** A copy of the group, so callers cannot change state behind the API. */
  group(id: string): JobGroupState | undefined {
    const record = this.groups.get(id);
    return record ? structuredClone(record.state) : undefined;
  }

  /** When the group last changed status, epoch ms. */
  statusSince(id: string): number | undefined {
    return this.groups.get(id)?.since;
  }

  /**
   * Groups of one instance in seed order, or only the one with `jobGroupId`: read-only views, not
   * copies (a listing of a large fleet is read page by page; copying every group per page would make
   * each read cost the whole fleet).
   */
  listGroups(instanceId: string, jobGroupId?: string): readonly Readonly<JobGroupState>[] {
    if (jobGroupId !== undefined) {
      const record = this.groups.get(jobGroupId);
      return record && record.state.InstanceId === instanceId ? [record.state] : [];
    }
    return (this.byInstance.get(instanceId) ?? []).map((record) => record.state);
  }

  /** Whether a group other than `exceptId` in the same instance already uses `name`. */
  nameTaken(instanceId: string, name: string, exceptId: string): boolean {
    const holder = this.byName.get(nameKey(instanceId, name));
    return holder !== undefined && holder !== exceptId;
  }

  /** Applies a validated change; params are merged by key, new keys appended. */
  update(id: string, change: JobGroupChange): void {
    const record = this.groups.get(id);
    if (!record) throw new Error(`update of unknown job group ${id}`);
    const { params, ...fields } = change;
    const { state } = record;
    if (fields.Status !== undefined && fields.Status !== state.Status) record.since = this.clock();
    if (fields.JobGroupName !== undefined && fields.JobGroupName !== state.JobGroupName) {
      this.byName.delete(nameKey(state.InstanceId, state.JobGroupName));
      this.byName.set(nameKey(state.InstanceId, fields.JobGroupName), id);
    }
    Object.assign(state, Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)));
    for (const param of params ?? []) {
      const existing = state.JobGroupParams.find((p) => p.Key === param.Key);
      if (existing) existing.Value = param.Value;
      else state.JobGroupParams.push({ ...param });
    }
  }

  listAlgoLibs(): EmulatorSeed['algoLibs'] {
    return structuredClone(this.algoLibs);
  }

  listResourceProfiles(): EmulatorSeed['resourceProfiles'] {
    return structuredClone(this.resourceProfiles);
  }
}

const nameKey = (instanceId: string, name: string) => `${instanceId}\n${name}`;

/** A validated change to one group; absent fields are left alone. */
export interface JobGroupChange {
  JobGroupName?: string;
  AlgoLibId?: string;
  ResourceProfileId?: string;
  JobCount?: number;
  PlanedJobCount?: number;
  StreamPerJob?: number;
  Status?: JobGroupState['Status'];
  params?: { Key: string; Value: string }[];
}
