/**
 * The console's JSON contract: what `GET /v1/plan` and `GET /v1/overview` answer, as the page reads it.
 * Self-contained types (no imports), so the page's own typecheck (DOM, no Node) can read them; the
 * routes build their answers as these types, so the compiler checks that the server's real types still
 * fit the contract the page was written against.
 */

export type WireStatus = 'Running' | 'Stopped';

export interface WireTarget {
  readonly planedJobCount?: number;
  readonly jobCount?: number;
  readonly streamPerJob?: number;
  readonly status?: WireStatus;
  readonly params?: Readonly<Record<string, unknown>>;
}

/** What decided one field: a window of a schedule (`otherwise` outside every window), or a pin. */
export type WireDecider =
  | { readonly by: 'schedule'; readonly schedule: string; readonly window: string }
  | { readonly by: 'hold'; readonly holdId: string; readonly kind: 'pin' };

export interface WireHold {
  readonly id: string;
  readonly jobGroupId: string;
  readonly kind: 'pin' | 'pause' | 'skip';
  readonly set?: WireTarget;
  readonly schedule?: string;
  readonly window?: string;
  readonly date?: string;
  readonly from: string;
  readonly until: string;
  readonly reason: string;
  readonly who: string;
  readonly secondsLeft: number;
}

/** A hold over the plan's range: `band` is when it acts (a skip: its occurrence; else its span). */
export interface WireHoldBand extends WireHold {
  readonly band: { readonly from: string; readonly until: string };
}

/** One step of a lane: the desired state from `at` until the next step. */
export interface WireStep {
  readonly at: string;
  readonly local: string;
  readonly offset: string;
  readonly cause: 'range-start' | 'schedule' | 'hold-start' | 'hold-end';
  readonly target: WireTarget;
  readonly decidedBy: Readonly<Record<string, WireDecider>>;
  readonly paused: boolean;
}

/** A day a holiday or `except` took windows from, or a make-up workday gave them to. */
export interface WireDayMark {
  readonly kind: 'holiday' | 'except' | 'workday';
  readonly date: string;
  /** The local midnight starting the day. */
  readonly at: string;
  readonly windows: readonly string[];
  readonly calendar?: string;
  readonly as?: string;
}

/** A change that is unusual: one a skip removes, or one a DST gap moved. */
export interface WireChangeMark {
  readonly at: string;
  readonly local: string;
  readonly window: string;
  readonly skipped?: { readonly holdId: string };
  readonly dst?: { readonly wanted: string; readonly became: string };
}

/** What a lane draws: shared by every group that does the same (one schedule, no holds of its own). */
export interface WireTrack {
  readonly steps: readonly WireStep[];
  readonly days: readonly WireDayMark[];
  readonly marks: readonly WireChangeMark[];
}

export interface WireLane {
  readonly jobGroupId: string;
  readonly schedule: string | null;
  readonly zone: string;
  /** The key of its track in `tracks`. */
  readonly track: string;
}

/** An entry of `planEntries`: a change of the schedules (with what holds do to it), or a marked day. */
export type WirePlanEntry =
  | {
      readonly kind: 'change';
      readonly at: string;
      readonly jobGroupId: string;
      readonly schedule: string;
      readonly window: string;
      readonly set: WireTarget;
      readonly local: string;
      readonly zone: string;
      readonly offset: string;
      readonly dst?: { readonly wanted: string; readonly became: string };
      readonly workday?: { readonly date: string; readonly as: string; readonly calendar: string };
      readonly skipped?: { readonly holdId: string };
      readonly held?: {
        readonly holdIds: readonly string[];
        readonly paused: boolean;
        readonly effective: WireTarget;
      };
      readonly holdEnds?: { readonly holdId: string; readonly kind: 'pin' | 'pause' | 'skip' };
    }
  | {
      readonly kind: 'holiday' | 'except' | 'workday';
      readonly date: string;
      readonly windows: readonly string[];
      readonly calendar?: string;
      readonly as?: string;
      readonly at: string;
      readonly jobGroupId: string;
      readonly schedule: string;
      readonly local: string;
      readonly zone: string;
    };

/** A zone's DST changes and local midnights over the range. */
export interface WireZone {
  readonly zone: string;
  readonly offsetChanges: ReadonlyArray<{
    readonly at: string;
    readonly before: string;
    readonly after: string;
    readonly local: string;
  }>;
  readonly midnights: ReadonlyArray<{ readonly date: string; readonly at: string }>;
}

/** `GET /v1/plan?from=…&to=…[&view=lanes]` */
export interface PlanResponse {
  readonly from: string;
  readonly to: string;
  /** When the answer was made: the page's "now" line. */
  readonly at: string;
  /** The config's default zone: the page's time axis. */
  readonly timezone: string;
  /** `full`: with `entries`, as `autopilot plan --json` lists them; `lanes`: without (what the page reads). */
  readonly view: 'full' | 'lanes';
  /** Every change and marked day per group (`view=full` only). */
  readonly entries?: readonly WirePlanEntry[];
  readonly lanes: readonly WireLane[];
  readonly tracks: Readonly<Record<string, WireTrack>>;
  readonly holds: readonly WireHoldBand[];
  readonly zones: readonly WireZone[];
}

export interface WireLive {
  readonly jobGroupName: string;
  readonly planedJobCount?: number | undefined;
  readonly jobCount?: number | undefined;
  readonly streamPerJob?: number | undefined;
  /** `Running` / `Stopped`, or the status word CityVisual reported. */
  readonly status: string;
  readonly liveStatus: string;
}

export type WireSource =
  | { readonly kind: 'webhook'; readonly who: string; readonly route: string }
  | { readonly kind: 'schedule'; readonly schedule: string; readonly window: string }
  | { readonly kind: 'rule'; readonly rules: readonly string[]; readonly eventIds: readonly string[] }
  | { readonly kind: 'scheduler'; readonly action: string; readonly trigger: string };

export interface WireHistory {
  readonly at: string;
  readonly jobGroupId: string;
  readonly source: WireSource;
  readonly sent: Readonly<Record<string, string>>;
  readonly set: WireTarget;
  readonly requestId: string;
  readonly hold?: {
    readonly event: 'created' | 'extended' | 'released' | 'expired';
    readonly id: string;
    readonly kind: 'pin' | 'pause' | 'skip';
    readonly until: string;
    readonly reason: string;
    readonly who: string;
  };
}

export interface WireFleetGroup {
  readonly jobGroupId: string;
  readonly jobGroupName: string | null;
  readonly schedule: string | null;
  readonly zone: string;
  readonly live: WireLive | null;
  readonly desired: {
    readonly target: WireTarget;
    readonly decidedBy: Readonly<Record<string, WireDecider>>;
    readonly paused: boolean;
  };
  readonly drift: Readonly<Record<string, { readonly live: unknown; readonly desired: unknown }>> | null;
  readonly holds: readonly WireHold[];
  readonly next: {
    readonly at: string;
    readonly local: string;
    readonly target: WireTarget;
    readonly paused: boolean;
  } | null;
  readonly lastAction: WireHistory | null;
}

/** `GET /v1/overview` */
export interface OverviewResponse {
  readonly at: string;
  readonly liveReads: boolean;
  readonly liveError: { readonly code: string; readonly message: string } | null;
  readonly groups: readonly WireFleetGroup[];
}

/** Every error answer. */
export interface ErrorResponse {
  readonly error: { readonly code: string; readonly message: string; readonly field?: string };
}
