import type {
  PlanResponse,
  WireFleetGroup,
  WireHoldBand,
  WireLane,
  WireStep,
  WireTrack,
  WireZone,
} from '../../../shared/console/wire.js';
import { h, nextFrame, s, yieldToBrowser } from './dom.js';
import { decidedText, holdText, localText, localWithOffset, targetText, utcText } from './format.js';

const HEIGHT = 60;
const BAND = { top: 0, height: 12 };
const PLOT = { top: 24, bottom: 47 };
const MARKS = { top: 50, height: 10 };
/** Lanes made per task: creating 500 at once would block input for longer than a frame or two. */
const CHUNK = 60;

/** Everything one lane draws, picked out of the plan and the overview once per refresh. */
interface LaneData {
  readonly jobGroupId: string;
  readonly name: string | null;
  readonly lane: WireLane | undefined;
  readonly track: WireTrack | undefined;
  readonly zone: WireZone | undefined;
  readonly holds: readonly WireHoldBand[];
}

interface LaneView {
  readonly el: HTMLDivElement;
  readonly head: HTMLDivElement;
  readonly chart: SVGSVGElement;
  data: LaneData;
  dirty: boolean;
  visible: boolean;
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The accessible text of a step: its count, status, start (local and UTC) and what decided it. */
function stepLabel(step: WireStep, holds: readonly WireHoldBand[], zone: string): string {
  const count = step.target.planedJobCount;
  const what = count === undefined ? 'planned job count untouched' : plural(count, 'planned job');
  const status = step.target.status ? `, ${step.target.status}` : '';
  const paused = step.paused ? ', paused' : '';
  return `${what}${status}${paused} from ${localWithOffset(step)} ${zone} (${utcText(step.at)}), decided by ${decidedText(step.decidedBy, step.paused, holds)}`;
}

/**
 * The lanes of the week: one element per group carrying `data-job-group-id` and an `aria-label`
 * naming it, with its chart drawn as SVG only when it scrolls near the viewport (lazily: 500 lanes
 * are 500 light shells and a handful of charts). Every step is an SVG group with its count in an
 * `aria-label` (and as text where it fits); hovering one shows what decided it, in local and UTC time.
 */
export class Timeline {
  private readonly views = new Map<string, LaneView>();
  private plan: PlanResponse | undefined;
  private width = 0;
  private readonly observer: IntersectionObserver;
  /** Charts waiting to be drawn: drawn a few at a time, so scrolling never blocks for long. */
  private readonly queue = new Set<LaneView>();
  private pumping = false;

  constructor(
    private readonly container: HTMLElement,
    private readonly axis: HTMLElement,
    private readonly tooltip: HTMLElement,
  ) {
    this.observer = new IntersectionObserver((entries) => this.onIntersect(entries), {
      rootMargin: '300px 0px',
    });
    new ResizeObserver(() => {
      const width = this.chartWidth();
      if (width === this.width || !this.plan) return;
      this.width = width;
      this.renderAxis();
      for (const view of this.views.values()) {
        view.dirty = true;
        if (view.visible) this.enqueue(view);
      }
    }).observe(container);
    container.addEventListener('pointermove', (event) => this.onHover(event));
    container.addEventListener('pointerleave', () => {
      this.tooltip.hidden = true;
    });
  }

  private chartWidth(): number {
    const head = 190;
    return Math.max(240, Math.floor(this.container.clientWidth - head - 8));
  }

  /** Whether an instant is inside the range shown (the "now" line is drawn only then). */
  private inRange(iso: string): boolean {
    const plan = this.plan as PlanResponse;
    return iso >= plan.from && iso <= plan.to;
  }

  private x(iso: string): number {
    const plan = this.plan as PlanResponse;
    const from = Date.parse(plan.from);
    const span = Date.parse(plan.to) - from;
    return Math.max(0, Math.min(this.width, ((Date.parse(iso) - from) / span) * this.width));
  }

  /** New data: lanes in `order` (made or reused, in chunks), dirty charts redrawn when seen. */
  async update(plan: PlanResponse, groups: readonly WireFleetGroup[] | undefined, order: readonly string[]) {
    this.plan = plan;
    this.width = this.chartWidth();
    this.renderAxis();
    const lanes = new Map(plan.lanes.map((lane) => [lane.jobGroupId, lane]));
    const zones = new Map(plan.zones.map((zone) => [zone.zone, zone]));
    const names = new Map((groups ?? []).map((g) => [g.jobGroupId, g.jobGroupName]));
    const holds = new Map<string, WireHoldBand[]>();
    for (const hold of plan.holds) push(holds, hold.jobGroupId, hold);
    const fallbackZone = zones.get(plan.timezone);
    const wanted = new Set(order);
    for (const [id, view] of this.views) {
      if (wanted.has(id)) continue;
      this.observer.unobserve(view.el);
      view.el.remove();
      this.views.delete(id);
    }
    let made = 0;
    let previous: HTMLElement | null = null;
    for (const id of order) {
      const lane = lanes.get(id);
      const data: LaneData = {
        jobGroupId: id,
        name: names.get(id) ?? null,
        lane,
        track: lane && plan.tracks[lane.track],
        zone: (lane && zones.get(lane.zone)) ?? fallbackZone,
        holds: holds.get(id) ?? [],
      };
      let view = this.views.get(id);
      if (view) {
        view.data = data;
        view.dirty = true;
        this.renderHead(view);
        if (view.visible) this.enqueue(view);
      } else {
        view = this.makeView(data);
        this.views.set(id, view);
      }
      if (++made % CHUNK === 0) await yieldToBrowser();
      // Keep the DOM order the table's order (moving only what is out of place).
      const expected: ChildNode | null = previous ? previous.nextSibling : this.container.firstChild;
      if (expected !== view.el) this.container.insertBefore(view.el, expected);
      previous = view.el;
    }
  }

  /** Shows only the lanes whose group passes the filter. */
  filter(visible: (jobGroupId: string) => boolean): void {
    for (const [id, view] of this.views) view.el.hidden = !visible(id);
  }

  /** The lane of a group, for tests and for scrolling to it from the table. */
  laneOf(jobGroupId: string): HTMLElement | undefined {
    return this.views.get(jobGroupId)?.el;
  }

  private makeView(data: LaneData): LaneView {
    const head = h('div', { class: 'lane-head' });
    const chart = s('svg', {
      class: 'lane-chart',
      role: 'list',
      width: this.width,
      height: HEIGHT,
      'aria-label': 'planned job count, steps of the range',
    });
    const el = h('div', { class: 'lane', 'data-job-group-id': data.jobGroupId, role: 'group' }, head, chart);
    const view: LaneView = { el, head, chart, data, dirty: true, visible: false };
    this.renderHead(view);
    this.observer.observe(el);
    return view;
  }

  private renderHead(view: LaneView): void {
    const { data } = view;
    const schedule = data.lane?.schedule;
    const zone = data.lane?.zone ?? this.plan?.timezone ?? '';
    const label = `Job group ${data.jobGroupId}${data.name ? ` ${data.name}` : ''}: ${schedule ? `schedule ${schedule}` : 'no schedule'}, ${zone}`;
    view.el.setAttribute('aria-label', label);
    view.head.replaceChildren(
      h('span', { class: 'lane-id' }, data.jobGroupId),
      h('span', { class: 'lane-name' }, data.name ?? ''),
      h('span', { class: 'lane-meta' }, schedule ?? 'no schedule', ' · ', zone),
    );
  }

  private onIntersect(entries: IntersectionObserverEntry[]): void {
    for (const entry of entries) {
      const id = (entry.target as HTMLElement).dataset.jobGroupId ?? '';
      const view = this.views.get(id);
      if (!view) continue;
      view.visible = entry.isIntersecting;
      if (view.visible && view.dirty) this.enqueue(view);
    }
  }

  private enqueue(view: LaneView): void {
    this.queue.add(view);
    if (!this.pumping) void this.pump();
  }

  /** Draws queued charts for at most ~12 ms, then lets the browser lay them out and paint a frame. */
  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.queue.size > 0) {
        const started = performance.now();
        for (const view of this.queue) {
          this.queue.delete(view);
          if (view.visible && view.dirty) this.renderChart(view);
          if (performance.now() - started > 12) break;
        }
        await nextFrame();
      }
    } finally {
      this.pumping = false;
    }
  }

  private renderAxis(): void {
    const plan = this.plan;
    if (!plan) return;
    const svg = s('svg', { class: 'axis-chart', width: this.width, height: 28, 'aria-hidden': 'true' });
    const zone = plan.zones.find((z) => z.zone === plan.timezone);
    for (const midnight of zone?.midnights ?? []) {
      const x = this.x(midnight.at);
      const [y, m, d] = midnight.date.split('-').map(Number) as [number, number, number];
      const weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][
        new Date(Date.UTC(y, m - 1, d)).getUTCDay()
      ];
      svg.append(
        s('line', { class: 'tick', x1: x, x2: x, y1: 14, y2: 28 }),
        s('text', { class: 'tick-label', x: x + 4, y: 24 }, `${weekday} ${midnight.date.slice(5)}`),
      );
    }
    if (this.inRange(plan.at)) {
      const now = this.x(plan.at);
      svg.append(
        s('line', { class: 'now', x1: now, x2: now, y1: 0, y2: 28 }),
        s('text', { class: 'now-label', x: now + 3, y: 10 }, `now ${localText(plan.at, plan.timezone)}`),
      );
    }
    this.axis.replaceChildren(h('div', { class: 'axis-head' }, `${plan.timezone}`), svg);
  }

  private renderChart(view: LaneView): void {
    const plan = this.plan;
    if (!plan) return;
    view.dirty = false;
    const { data, chart } = view;
    const zone = data.lane?.zone ?? plan.timezone;
    chart.setAttribute('width', String(this.width));
    const nodes: SVGElement[] = [];
    const steps = data.track?.steps ?? [];
    const until = (i: number) => steps[i + 1]?.at ?? plan.to;
    const counts = steps
      .map((step) => step.target.planedJobCount)
      .filter((n): n is number => n !== undefined);
    const max = Math.max(1, ...counts);
    const y = (count: number) => PLOT.bottom - (count / max) * (PLOT.bottom - PLOT.top);

    // Running / Stopped as shading (and paused as a hatch) behind everything.
    steps.forEach((step, i) => {
      const x0 = this.x(step.at);
      const x1 = this.x(until(i));
      const state = step.paused
        ? 'paused'
        : step.target.status === 'Running'
          ? 'running'
          : step.target.status === 'Stopped'
            ? 'stopped'
            : undefined;
      if (state && x1 > x0) {
        nodes.push(
          s('rect', {
            class: `shade shade-${state}`,
            x: x0,
            y: PLOT.top - 3,
            width: x1 - x0,
            height: PLOT.bottom - PLOT.top + 6,
          }),
        );
      }
    });
    // Local midnights of the lane's zone, and its DST changes.
    for (const midnight of data.zone?.midnights ?? []) {
      const x = this.x(midnight.at);
      nodes.push(s('line', { class: 'day', x1: x, x2: x, y1: PLOT.top - 3, y2: HEIGHT }));
    }
    for (const change of data.zone?.offsetChanges ?? []) {
      const x = this.x(change.at);
      nodes.push(
        s(
          'g',
          {
            class: 'dst',
            role: 'listitem',
            'data-mark': 'dst',
            'aria-label': `DST change ${change.before} → ${change.after} at ${change.local} ${zone} (${utcText(change.at)})`,
          },
          s('line', { x1: x, x2: x, y1: 0, y2: HEIGHT }),
          s('text', { x: x + 3, y: MARKS.top + 8 }, `DST ${change.after}`),
        ),
      );
    }
    // Holidays, except days and make-up workdays: a strip under the local day.
    for (const day of data.track?.days ?? []) {
      const midnights = data.zone?.midnights ?? [];
      const next =
        midnights.find((m) => m.at > day.at)?.at ?? new Date(Date.parse(day.at) + 86_400_000).toISOString();
      const x0 = this.x(day.at);
      const x1 = this.x(next);
      if (x1 <= x0) continue;
      const text = day.kind === 'workday' ? `workday (as ${day.as ?? '?'})` : day.kind;
      nodes.push(
        s(
          'g',
          {
            class: `mark mark-${day.kind}`,
            role: 'listitem',
            'data-mark': day.kind,
            'data-date': day.date,
            'aria-label': `${day.date} ${text}${day.calendar ? ` (calendar ${day.calendar})` : ''}: ${day.kind === 'workday' ? 'adds' : 'removes'} ${day.windows.join(', ') || 'no window'}`,
          },
          s('rect', { x: x0, y: MARKS.top, width: x1 - x0, height: MARKS.height }),
          x1 - x0 > 50 ? s('text', { x: x0 + 3, y: MARKS.top + 8 }, text) : null,
        ),
      );
    }
    // Holds as bands with their reason and time left.
    for (const hold of data.holds) {
      const x0 = this.x(hold.band.from);
      const x1 = this.x(hold.band.until);
      if (x1 <= x0) continue;
      const text = holdText(hold);
      const fits = Math.floor((x1 - x0 - 6) / 6);
      nodes.push(
        s(
          'g',
          {
            class: `hold hold-${hold.kind}`,
            role: 'listitem',
            'data-hold-id': hold.id,
            'aria-label': `${text}, until ${localText(hold.band.until, zone)} ${zone}`,
          },
          s('rect', {
            class: 'veil',
            x: x0,
            y: BAND.height,
            width: x1 - x0,
            height: HEIGHT - BAND.height - MARKS.height,
          }),
          s('rect', { class: 'band', x: x0, y: BAND.top, width: x1 - x0, height: BAND.height, rx: 2 }),
          fits >= 3
            ? s(
                'text',
                { x: x0 + 3, y: BAND.top + 10 },
                text.length > fits ? `${text.slice(0, fits - 1)}…` : text,
              )
            : null,
        ),
      );
    }
    // The step line of the planned job count.
    let d = '';
    steps.forEach((step, i) => {
      const count = step.target.planedJobCount;
      if (count === undefined) return;
      const x0 = this.x(step.at);
      const x1 = this.x(until(i));
      d += `${d === '' || steps[i - 1]?.target.planedJobCount === undefined ? 'M' : 'L'}${x0} ${y(count)}H${x1}`;
    });
    if (d !== '') nodes.push(s('path', { class: 'stepline', d }));
    // Changes a skip removed, and changes a DST gap moved.
    for (const change of data.track?.marks ?? []) {
      const x = this.x(change.at);
      if (change.skipped) {
        nodes.push(
          s(
            'g',
            {
              class: 'skipped',
              role: 'listitem',
              'data-mark': 'skipped',
              'aria-label': `change at ${change.local} skipped by ${change.skipped.holdId}`,
            },
            s('text', { x: x - 3, y: PLOT.bottom + 2 }, '×'),
          ),
        );
      }
      if (change.dst) {
        nodes.push(
          s(
            'g',
            {
              class: 'dst-moved',
              role: 'listitem',
              'data-mark': 'dst-moved',
              'aria-label': `${change.window} at ${change.dst.wanted} moved by the DST gap to ${change.dst.became}`,
            },
            s('text', { x: x - 3, y: PLOT.top - 5 }, '⇢'),
          ),
        );
      }
    }
    // Each step: a hover target and its count (text where it fits, always in the aria-label).
    steps.forEach((step, i) => {
      const x0 = this.x(step.at);
      const x1 = this.x(until(i));
      const count = step.target.planedJobCount;
      nodes.push(
        s(
          'g',
          {
            class: 'step',
            role: 'listitem',
            'data-step': i,
            'data-at': step.at,
            'data-count': count,
            'data-status': step.target.status,
            'aria-label': stepLabel(step, data.holds, zone),
          },
          s('rect', {
            class: 'hit',
            x: x0,
            y: BAND.height,
            width: Math.max(1, x1 - x0),
            height: PLOT.bottom - BAND.height + 4,
          }),
          count !== undefined && x1 - x0 >= 14
            ? s('text', { class: 'count', x: x0 + 2, y: y(count) - 3 }, String(count))
            : null,
        ),
      );
    });
    if (this.inRange(plan.at)) {
      const now = this.x(plan.at);
      nodes.push(s('line', { class: 'now', x1: now, x2: now, y1: 0, y2: HEIGHT }));
    }
    chart.replaceChildren(...nodes);
  }

  private onHover(event: PointerEvent): void {
    const target = (event.target as Element | null)?.closest('[data-step],[data-hold-id],[data-mark]');
    const laneEl = (event.target as Element | null)?.closest('.lane') as HTMLElement | null;
    const view = laneEl ? this.views.get(laneEl.dataset.jobGroupId ?? '') : undefined;
    if (!target || !view || !this.plan) {
      this.tooltip.hidden = true;
      return;
    }
    const lines = this.tooltipLines(target, view);
    this.tooltip.replaceChildren(...lines.map((line, i) => h(i === 0 ? 'strong' : 'div', {}, line)));
    this.tooltip.hidden = false;
    const box = this.tooltip.getBoundingClientRect();
    const left = Math.min(event.clientX + 14, window.innerWidth - box.width - 8);
    const top =
      event.clientY + 18 + box.height > window.innerHeight
        ? event.clientY - box.height - 10
        : event.clientY + 18;
    // CSSOM, not a style attribute: allowed under the page's CSP.
    this.tooltip.style.left = `${Math.max(4, left)}px`;
    this.tooltip.style.top = `${Math.max(4, top)}px`;
  }

  private tooltipLines(target: Element, view: LaneView): string[] {
    const { data } = view;
    const plan = this.plan as PlanResponse;
    const zone = data.lane?.zone ?? plan.timezone;
    const title = `Job group ${data.jobGroupId}${data.name ? ` ${data.name}` : ''}`;
    const holdId = target.getAttribute('data-hold-id');
    if (holdId) {
      const hold = data.holds.find((h) => h.id === holdId);
      if (!hold) return [title];
      return [
        title,
        holdText(hold),
        `hold ${hold.id} by ${hold.who}`,
        `from ${localText(hold.band.from, zone)} ${zone} (${utcText(hold.band.from)})`,
        `until ${localText(hold.band.until, zone)} ${zone} (${utcText(hold.band.until)})`,
      ];
    }
    const index = target.getAttribute('data-step');
    if (index !== null) {
      const steps = data.track?.steps ?? [];
      const step = steps[Number(index)];
      if (!step) return [title];
      const next = steps[Number(index) + 1];
      return [
        title,
        targetText(step.target, step.paused),
        `decided by ${decidedText(step.decidedBy, step.paused, data.holds)}`,
        `from ${localWithOffset(step)} ${zone} = ${utcText(step.at)}`,
        next
          ? `until ${localWithOffset(next)} ${zone} = ${utcText(next.at)}`
          : `until the end of the range (${utcText(plan.to)})`,
      ];
    }
    return [title, target.getAttribute('aria-label') ?? ''];
  }
}
