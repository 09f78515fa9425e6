import type { OverviewResponse, PlanResponse } from '../../../shared/console/wire.js';
import {
  ApiError,
  fetchOverview,
  fetchPlan,
  forgetToken,
  type Range,
  readFragment,
  readToken,
  rememberRange,
  saveToken,
} from './api.js';
import { byId, yieldToBrowser } from './dom.js';
import { localText } from './format.js';
import { Timeline } from './lanes.js';
import { filterText, renderHead, renderRow, type Sort, sortGroups } from './table.js';

/** How often the page reads the routes again (no reload). */
const REFRESH_MS = 30_000;
const DAY_MS = 86_400_000;
/** Rows added per task, so a 500-group table never blocks input for long. */
const ROW_CHUNK = 100;

const login = byId<HTMLElement>('login');
const loginForm = byId<HTMLFormElement>('login-form');
const tokenInput = byId<HTMLInputElement>('token');
const loginMessage = byId<HTMLElement>('login-message');
const app = byId<HTMLElement>('app');
const message = byId<HTMLElement>('message');
const updated = byId<HTMLElement>('updated');
const filterInput = byId<HTMLInputElement>('filter');
const thead = byId<HTMLTableSectionElement>('fleet-head');
const tbody = byId<HTMLTableSectionElement>('fleet-body');
const rangeText = byId<HTMLElement>('range');
const timeline = new Timeline(byId('lanes'), byId('axis'), byId('tooltip'));

let sort: Sort = { key: 'group', descending: false };
let range: Range | undefined;
let plan: PlanResponse | undefined;
let overview: OverviewResponse | undefined;
let timer: number | undefined;
let running: Promise<void> | undefined;

function showLogin(text: string): void {
  app.hidden = true;
  login.hidden = false;
  loginMessage.textContent = text;
  window.clearInterval(timer);
  timer = undefined;
  tokenInput.focus();
}

function say(text: string, kind: 'info' | 'error' = 'info'): void {
  message.textContent = text;
  message.className = kind === 'error' ? 'message error' : 'message';
}

/** The groups in table order, after the filter. */
function order(): string[] {
  const groups = overview?.groups ?? [];
  const known = new Set(groups.map((g) => g.jobGroupId));
  // Plan lanes of groups the overview does not list (none normally) still get a lane, at the end.
  const extra = (plan?.lanes ?? []).map((lane) => lane.jobGroupId).filter((id) => !known.has(id));
  return [...sortGroups(groups, sort).map((g) => g.jobGroupId), ...extra];
}

function matches(jobGroupId: string): boolean {
  const needle = filterInput.value.trim().toLowerCase();
  if (needle === '') return true;
  const group = overview?.groups.find((g) => g.jobGroupId === jobGroupId);
  const lane = plan?.lanes.find((l) => l.jobGroupId === jobGroupId);
  const text = group ? filterText(group) : `${jobGroupId} ${lane?.schedule ?? ''}`.toLowerCase();
  return needle.split(/\s+/).every((word) => text.includes(word));
}

function applyFilter(): void {
  for (const row of tbody.rows) row.hidden = !matches(row.dataset.jobGroupId ?? '');
  timeline.filter(matches);
}

async function renderTable(): Promise<void> {
  const current = overview;
  if (!current) return;
  renderHead(thead, sort, (key) => {
    sort = { key, descending: sort.key === key ? !sort.descending : false };
    void render();
  });
  const rows: HTMLTableRowElement[] = [];
  const sorted = sortGroups(current.groups, sort);
  for (let i = 0; i < sorted.length; i += ROW_CHUNK) {
    for (const group of sorted.slice(i, i + ROW_CHUNK)) rows.push(renderRow(group, current));
    if (i + ROW_CHUNK < sorted.length) await yieldToBrowser();
  }
  tbody.replaceChildren(...rows);
}

async function render(): Promise<void> {
  await renderTable();
  if (plan) {
    rangeText.textContent = `${localText(plan.from, plan.timezone)} … ${localText(plan.to, plan.timezone)} (${plan.timezone})`;
    await timeline.update(plan, overview?.groups, order());
  }
  applyFilter();
  if (overview?.liveError) {
    say(`Live state unavailable (${overview.liveError.code}): ${overview.liveError.message}`, 'error');
  }
}

/** Reads both routes again and redraws; a refusal of the token sends the operator back to the form. */
async function refresh(): Promise<void> {
  const token = readToken();
  if (!token) return showLogin('Enter a console token (one of CONSOLE_TOKENS).');
  try {
    const [nextPlan, nextOverview] = await Promise.all([fetchPlan(token, range), fetchOverview(token)]);
    plan = nextPlan;
    overview = nextOverview;
    login.hidden = true;
    app.hidden = false;
    say('');
    updated.textContent = `updated ${localText(nextOverview.at, nextPlan.timezone)} (${nextPlan.timezone}); refreshes every ${REFRESH_MS / 1000} s`;
    await render();
    // For people profiling the page, and for the browser test that measures it.
    performance.mark('console-rendered');
    timer ??= window.setInterval(() => void refreshOnce(), REFRESH_MS);
  } catch (error) {
    const e = error instanceof ApiError ? error : new ApiError(0, 'ERROR', String(error));
    if (e.status === 401) {
      forgetToken();
      showLogin(`The console refused the token (401 ${e.code}): ${e.message}`);
      return;
    }
    if (!plan) app.hidden = false;
    say(`Could not refresh (${e.status || 'no answer'} ${e.code}): ${e.message}`, 'error');
  }
}

/** One refresh at a time: a slow answer never stacks up another. */
function refreshOnce(): Promise<void> {
  running ??= refresh().finally(() => {
    running = undefined;
  });
  return running;
}

function shift(days: number): void {
  if (!plan) return;
  range = {
    from: new Date(Date.parse(plan.from) + days * DAY_MS).toISOString(),
    to: new Date(Date.parse(plan.to) + days * DAY_MS).toISOString(),
  };
  rememberRange(range);
  void refreshOnce();
}

loginForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const token = tokenInput.value.trim();
  if (token === '') return;
  saveToken(token);
  tokenInput.value = '';
  void refreshOnce();
});
filterInput.addEventListener('input', applyFilter);
byId('refresh').addEventListener('click', () => void refreshOnce());
byId('earlier').addEventListener('click', () => shift(-1));
byId('later').addEventListener('click', () => shift(1));
byId('this-week').addEventListener('click', () => {
  range = undefined;
  rememberRange(undefined);
  void refreshOnce();
});
byId('forget').addEventListener('click', () => {
  forgetToken();
  plan = undefined;
  overview = undefined;
  tbody.replaceChildren();
  showLogin('The token is forgotten for this tab.');
});
tbody.addEventListener('click', (event) => {
  const row = (event.target as Element).closest('tr');
  const lane = row ? timeline.laneOf(row.dataset.jobGroupId ?? '') : undefined;
  lane?.scrollIntoView({ block: 'center' });
});

range = readFragment().range;
void refreshOnce();
// A marker for people and tests: the script ran under the page's CSP.
document.documentElement.dataset.console = 'ready';
