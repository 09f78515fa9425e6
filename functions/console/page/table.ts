import type { OverviewResponse, WireFleetGroup } from '../../../shared/console/wire.js';
import { h } from './dom.js';
import { decidedText, historyText, holdText, targetText } from './format.js';

/** The table's columns: what each shows and how it sorts. */
interface Column {
  readonly key: string;
  readonly title: string;
  readonly text: (group: WireFleetGroup, overview: OverviewResponse) => string;
  readonly sortKey: (group: WireFleetGroup) => string | number;
}

const collator = new Intl.Collator('en', { numeric: true });

function liveText(group: WireFleetGroup, overview: OverviewResponse): string {
  if (!overview.liveReads) return 'no live reads';
  if (overview.liveError) return 'unavailable';
  if (!group.live) return 'not in CityVisual';
  return targetText({
    ...(group.live.planedJobCount !== undefined && { planedJobCount: group.live.planedJobCount }),
  }).concat(` · ${group.live.status}`);
}

function driftText(group: WireFleetGroup): string {
  if (group.drift === null) return '—';
  const fields = Object.entries(group.drift);
  if (fields.length === 0) return 'none';
  return fields.map(([field, d]) => `${field} ${String(d.live)} → ${String(d.desired)}`).join('; ');
}

const COLUMNS: readonly Column[] = [
  {
    key: 'group',
    title: 'Group',
    text: (g) => `${g.jobGroupId}${g.jobGroupName ? ` ${g.jobGroupName}` : ''}`,
    sortKey: (g) => g.jobGroupId,
  },
  { key: 'live', title: 'Live', text: liveText, sortKey: (g) => g.live?.planedJobCount ?? -1 },
  {
    key: 'desired',
    title: 'Desired',
    text: (g) => targetText(g.desired.target, g.desired.paused),
    sortKey: (g) => g.desired.target.planedJobCount ?? -1,
  },
  {
    key: 'drift',
    title: 'Drift',
    text: driftText,
    sortKey: (g) => (g.drift === null ? -1 : Object.keys(g.drift).length),
  },
  {
    key: 'decided',
    title: 'Decided by now',
    text: (g) =>
      [decidedText(g.desired.decidedBy, g.desired.paused, g.holds), ...g.holds.map(holdText)].join(' | '),
    sortKey: (g) => decidedText(g.desired.decidedBy, g.desired.paused, g.holds),
  },
  {
    key: 'next',
    title: 'Next change',
    text: (g) => (g.next ? `${g.next.local} → ${targetText(g.next.target, g.next.paused)}` : '—'),
    sortKey: (g) => g.next?.at ?? '~',
  },
  {
    key: 'last',
    title: 'Last action',
    text: (g) => historyText(g.lastAction, g.zone),
    sortKey: (g) => g.lastAction?.at ?? '',
  },
];

export interface Sort {
  readonly key: string;
  readonly descending: boolean;
}

/** The groups in the order the table's sort says (numeric-aware: "2" before "10"). */
export function sortGroups(groups: readonly WireFleetGroup[], sort: Sort): WireFleetGroup[] {
  const column = COLUMNS.find((c) => c.key === sort.key) ?? (COLUMNS[0] as Column);
  const sign = sort.descending ? -1 : 1;
  return [...groups].sort((a, b) => {
    const x = column.sortKey(a);
    const y = column.sortKey(b);
    const order =
      typeof x === 'number' && typeof y === 'number' ? x - y : collator.compare(String(x), String(y));
    return sign * (order || collator.compare(a.jobGroupId, b.jobGroupId));
  });
}

/** The table's header: one sort button per column, `aria-sort` on the sorted one. */
export function renderHead(thead: HTMLElement, sort: Sort, onSort: (key: string) => void): void {
  const row = h('tr');
  for (const column of COLUMNS) {
    const sorted = column.key === sort.key;
    const button = h(
      'button',
      { type: 'button', 'data-sort': column.key },
      column.title,
      sorted ? (sort.descending ? ' ▼' : ' ▲') : '',
    );
    button.addEventListener('click', () => onSort(column.key));
    row.append(
      h(
        'th',
        { scope: 'col', 'aria-sort': sorted ? (sort.descending ? 'descending' : 'ascending') : 'none' },
        button,
      ),
    );
  }
  thead.replaceChildren(row);
}

/** One row per group; drifting groups and held groups are marked for the eye (classes, not colours inline). */
export function renderRow(group: WireFleetGroup, overview: OverviewResponse): HTMLTableRowElement {
  const drifting = group.drift !== null && Object.keys(group.drift).length > 0;
  const row = h('tr', {
    'data-job-group-id': group.jobGroupId,
    class: [drifting && 'drifting', group.holds.length > 0 && 'held'].filter(Boolean).join(' ') || undefined,
  });
  for (const column of COLUMNS) {
    row.append(
      h(
        column.key === 'group' ? 'th' : 'td',
        column.key === 'group' ? { scope: 'row' } : {},
        column.text(group, overview),
      ),
    );
  }
  return row;
}

/** The text a filter matches: id, name, schedule and the decider. */
export function filterText(group: WireFleetGroup): string {
  return [group.jobGroupId, group.jobGroupName ?? '', group.schedule ?? ''].join(' ').toLowerCase();
}
