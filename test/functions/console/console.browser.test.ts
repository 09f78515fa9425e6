/// <reference lib="dom" />
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeFleetSeed } from '../../../local/emulator/index.js';
import type { OverviewResponse, PlanResponse, WireLane } from '../../../shared/console/wire.js';
import { announceSkip, hasChromium, launchChromium } from '../../support/browser.js';
import { CONSOLE_TOKEN, pinThroughWebhook, REPO, read, useConsoleRig } from './helpers.js';

// The console page in a real browser: Debian's Chromium, driven by playwright-core (no downloaded
// browser build), against the console and webhook served over real HTTP, the CityVisual emulator
// and the embedded store. Without Chromium these tests are reported skipped with the install command.

const RESULTS = path.join(REPO, 'test-results');
const enc = encodeURIComponent;
announceSkip('the console in a browser');

interface Opened {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Every URL the page asked for, in order. */
  readonly requests: string[];
  /** Script errors, console errors and CSP violations. */
  readonly problems: string[];
}

async function open(
  browser: Browser,
  url: string,
  setup?: (context: BrowserContext) => Promise<unknown>,
): Promise<Opened> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  await setup?.(context);
  const page = await context.newPage();
  const requests: string[] = [];
  const problems: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  await page.goto(url);
  return { context, page, requests, problems };
}

/** The steps a lane shows, as (instant, count) pairs, once it has been drawn (it draws when seen). */
async function stepsShown(page: Page, jobGroupId: string): Promise<Array<[string | null, string | null]>> {
  const lane = page.locator(`.lane[data-job-group-id="${jobGroupId}"]`);
  await lane.scrollIntoViewIfNeeded();
  await lane.locator('[data-step]').first().waitFor();
  return lane
    .locator('[data-step]')
    .evaluateAll((nodes) => nodes.map((n) => [n.getAttribute('data-at'), n.getAttribute('data-count')]));
}

const expected = (plan: PlanResponse, lane: WireLane) =>
  (plan.tracks[lane.track]?.steps ?? []).map((step) => [
    step.at,
    step.target.planedJobCount === undefined ? null : String(step.target.planedJobCount),
  ]);

describe.skipIf(!hasChromium)('the console in a browser', { tags: ['browser'] }, () => {
  const rig = useConsoleRig();
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
    mkdirSync(RESULTS, { recursive: true });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  const sameOrigin = (requests: readonly string[]) => {
    const origin = new URL(rig.console.url).origin;
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter((url) => new URL(url).origin !== origin)).toEqual([]);
  };

  it('draws a lane per group whose steps and numbers are those of GET /v1/plan, with the calendar marks', async () => {
    const range = { from: '2026-09-29T00:00:00+08:00', to: '2026-10-12T00:00:00+08:00' };
    const plan = (
      await read(rig.console, `/v1/plan?from=${enc(range.from)}&to=${enc(range.to)}`)
    ).json() as PlanResponse;
    const overview = (await read(rig.console, '/v1/overview')).json() as OverviewResponse;

    const { page, context, requests, problems } = await open(
      browser,
      `${rig.console.url}/#token=${CONSOLE_TOKEN}&from=${enc(range.from)}&to=${enc(range.to)}`,
    );
    await page.locator('#fleet-body tr').first().waitFor();

    // One lane per group, each naming its group; one table row per group.
    const lanes = page.locator('.lane');
    expect(await lanes.evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-job-group-id')))).toEqual(
      overview.groups.map((g) => g.jobGroupId),
    );
    expect(await page.locator('#fleet-body tr').count()).toBe(overview.groups.length);
    for (const lane of plan.lanes) {
      const el = page.locator(`.lane[data-job-group-id="${lane.jobGroupId}"]`);
      expect(await el.getAttribute('aria-label')).toMatch(new RegExp(`^Job group ${lane.jobGroupId}\\b`));
      expect(await stepsShown(page, lane.jobGroupId)).toEqual(expected(plan, lane));
      // Every change planEntries lists is a step at its instant with the count automation sends then.
      for (const entry of plan.entries ?? []) {
        if (entry.kind !== 'change' || entry.jobGroupId !== lane.jobGroupId || entry.skipped) continue;
        const count = (entry.held?.effective ?? entry.set).planedJobCount;
        if (count === undefined) continue;
        expect(
          await el.locator(`[data-step][data-at="${entry.at}"]`).getAttribute('data-count'),
          entry.at,
        ).toBe(String(count));
      }
      // Holidays and the make-up workday of the calendar, as marks on the lane.
      const marks = (plan.entries ?? [])
        .filter((e) => e.kind !== 'change' && e.jobGroupId === lane.jobGroupId)
        .map((e) => `${e.kind} ${(e as { date: string }).date}`);
      const shown = await el
        .locator('[data-mark="holiday"], [data-mark="except"], [data-mark="workday"]')
        .evaluateAll((nodes) =>
          nodes.map((n) => `${n.getAttribute('data-mark')} ${n.getAttribute('data-date')}`),
        );
      expect(shown).toEqual(marks);
    }
    expect(await page.locator('.lane[data-job-group-id="1"] [data-mark="holiday"]').count()).toBe(7);
    expect(await page.locator('.lane[data-job-group-id="1"] [data-mark="workday"]').count()).toBe(1);

    // A step reads as text: its count in the aria-label; hovering it says what decided it, local and UTC.
    const step = page.locator('.lane[data-job-group-id="1"] [data-step][data-count="10"]').first();
    expect(await step.getAttribute('aria-label')).toMatch(
      /^10 planned jobs, Running from 2026-\d\d-\d\d 07:30 \+08:00 Asia\/Shanghai \(2026-\d\d-\d\d 23:30:00 UTC\), decided by window weekday-peak of downtown-crossroads$/,
    );
    await step.locator('.hit').hover();
    const tooltip = page.locator('#tooltip');
    await tooltip.waitFor();
    const lines = await tooltip.locator(':scope > *').allTextContents();
    expect(lines.slice(0, 4)).toEqual([
      'Job group 1 CrossroadsNorth',
      '10 · Running',
      'decided by window weekday-peak of downtown-crossroads',
      expect.stringMatching(
        /^from 2026-\d\d-\d\d 07:30 \+08:00 Asia\/Shanghai = 2026-\d\d-\d\d 23:30:00 UTC$/,
      ),
    ]);

    // The token went from the fragment into this tab's storage, and out of the address bar.
    expect(page.url()).not.toContain('token');
    expect(await page.evaluate(() => sessionStorage.getItem('autopilot-console-token'))).toBe(CONSOLE_TOKEN);
    await page.screenshot({ path: path.join(RESULTS, 'console-national-day.png'), fullPage: true });
    sameOrigin(requests);
    expect(problems).toEqual([]);
    await context.close();
  }, 90_000);

  it('shows a pin made through the webhook as a band after its 30-second refresh, without a reload', async () => {
    const { page, context, requests, problems } = await open(
      browser,
      `${rig.console.url}/#token=${CONSOLE_TOKEN}`,
    );
    await page.clock.install();
    await page.reload();
    const lane = page.locator('.lane[data-job-group-id="3"]');
    await lane.locator('[data-step]').first().waitFor();
    expect(await lane.locator('[data-hold-id]').count()).toBe(0);
    await page.evaluate(() => {
      (window as { sameDocument?: boolean }).sameDocument = true;
    });

    const { hold } = await pinThroughWebhook(rig.webhook, '3', {
      kind: 'pin',
      set: { planedJobCount: 30 },
      for: '4h',
      reason: 'festival',
    });
    await page.clock.fastForward(30_000);

    const band = lane.locator(`[data-hold-id="${hold.id}"]`);
    await band.waitFor();
    expect(await band.getAttribute('aria-label')).toMatch(/^pin 30 · festival · (4h|3h 59m) left, until /);
    // The band's own text is the label cut to the band's width (a 4 h band of a week is narrow).
    const text = (await band.locator('text').textContent()) ?? '';
    expect(text.length).toBeGreaterThan(1);
    expect(
      `pin 30 · festival`.startsWith(text.replace(/…$/, '')) || text.startsWith('pin 30 · festival'),
    ).toBe(true);
    expect(await lane.locator('[data-step][data-count="30"]').count()).toBeGreaterThanOrEqual(1);
    const row = page.locator('#fleet-body tr[data-job-group-id="3"]');
    expect(await row.textContent()).toContain(`pin ${hold.id} (festival)`);
    expect(await page.evaluate(() => (window as { sameDocument?: boolean }).sameDocument)).toBe(true);

    await page.screenshot({ path: path.join(RESULTS, 'console-week.png'), fullPage: true });
    sameOrigin(requests);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('says clearly that a wrong token was refused, and opens with the right one', async () => {
    const { page, context, requests, problems } = await open(
      browser,
      `${rig.console.url}/#token=tok_this_is_not_a_console_token_0123456`,
    );

    const message = page.locator('#login-message');
    await page.locator('#login').waitFor();
    await page.waitForFunction(() => document.getElementById('login-message')?.textContent !== '');
    expect(await message.textContent()).toBe(
      'The console refused the token (401 UNAUTHORIZED): The token is not one of CONSOLE_TOKENS.',
    );
    expect(await page.locator('#app').isHidden()).toBe(true);
    expect(await page.evaluate(() => sessionStorage.getItem('autopilot-console-token'))).toBeNull();

    await page.locator('#token').fill(CONSOLE_TOKEN);
    await page.locator('#login-form button').click();
    await page.locator('.lane[data-job-group-id="1"]').scrollIntoViewIfNeeded();
    await page.locator('.lane[data-job-group-id="1"] [data-step]').first().waitFor();
    expect(await page.locator('#login').isHidden()).toBe(true);
    sameOrigin(requests);
    // The one 401 is the refused token the page reported (Chromium logs failed fetches as errors).
    expect(problems.filter((p) => !p.includes('401'))).toEqual([]);
    await context.close();
  });

  describe('the Content-Security-Policy', () => {
    let other: Server;
    let hits = 0;
    beforeAll(async () => {
      // Another origin on loopback: were anything to reach it, it would count.
      other = createServer((_, res) => {
        hits++;
        res.end('x');
      });
      await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    });
    afterAll(() => new Promise<void>((resolve) => other.close(() => resolve())));

    it('lets nothing leave for another origin and runs no injected markup or inline script', async () => {
      const { page, context, requests } = await open(browser, `${rig.console.url}/#token=${CONSOLE_TOKEN}`);
      await page.locator('.lane[data-job-group-id="1"]').scrollIntoViewIfNeeded();
      await page.locator('.lane[data-job-group-id="1"] [data-step]').first().waitFor();
      const elsewhere = `http://localhost:${(other.address() as { port: number }).port}`;

      const outcome = await page.evaluate(async (url) => {
        const violations: string[] = [];
        document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective));
        const fetched = await fetch(`${url}/data`).then(
          () => 'sent',
          () => 'refused',
        );
        const img = document.createElement('img');
        img.src = `${url}/pixel.png`;
        document.body.append(img);
        let html = 'assigned';
        try {
          document.body.insertAdjacentHTML('beforeend', '<img src=x onerror="window.injected=1">');
        } catch {
          html = 'refused';
        }
        let script = 'assigned';
        try {
          const el = document.createElement('script');
          el.textContent = 'window.inline = 1';
          document.body.append(el);
        } catch {
          script = 'refused';
        }
        await new Promise((resolve) => setTimeout(resolve, 300));
        const w = window as { inline?: number; injected?: number };
        return { fetched, html, script, inline: w.inline ?? null, injected: w.injected ?? null, violations };
      }, elsewhere);

      expect(outcome).toMatchObject({
        fetched: 'refused',
        html: 'refused',
        script: 'refused',
        inline: null,
        injected: null,
      });
      expect(outcome.violations).toEqual(expect.arrayContaining(['connect-src', 'img-src']));
      expect(hits).toBe(0);
      // What the page itself loads is all its own.
      const origin = new URL(rig.console.url).origin;
      expect(requests.filter((url) => new URL(url).origin !== origin && !url.startsWith(elsewhere))).toEqual(
        [],
      );
      await context.close();
    });
  });
});

/** A config of `n` groups in schedules of 20: weekday, weekend and night windows, three zones, a calendar. */
function fleetConfig(n: number): string {
  const zones = ['Asia/Shanghai', 'Europe/London', 'America/New_York'];
  const schedules = [];
  for (let start = 1, index = 0; start <= n; start += 20, index++) {
    const ids = Array.from({ length: Math.min(20, n - start + 1) }, (_, i) => String(start + i));
    schedules.push({
      name: `district-${index}`,
      jobGroupIds: ids,
      timezone: zones[index % zones.length],
      windows: [
        {
          name: 'peak',
          days: 'mon-fri',
          from: '07:30',
          to: '21:00',
          set: { planedJobCount: 6 + (index % 7), status: 'Running' },
        },
        {
          name: 'lunch',
          days: 'mon-fri',
          from: '11:30',
          to: '13:30',
          set: { planedJobCount: 14 + (index % 5) },
        },
        {
          name: 'weekend',
          days: 'sat,sun',
          from: '10:00',
          to: '18:00',
          set: { planedJobCount: 4, status: 'Running' },
        },
        { name: 'night', days: 'daily', from: '23:00', to: '05:00', set: { status: 'Stopped' } },
      ],
      otherwise: { planedJobCount: 2, status: 'Running' },
      ...(index % 3 === 0 && { calendar: 'cn-2026' }),
    });
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'console-fleet-'));
  const file = path.join(dir, 'autopilot.json');
  writeFileSync(
    file,
    JSON.stringify({
      timezone: 'Asia/Shanghai',
      calendars: {
        'cn-2026': { holidays: ['2026-10-01..2026-10-07'], workdays: [{ date: '2026-10-10', as: 'fri' }] },
      },
      schedules,
    }),
  );
  return file;
}

const FLEET = 500;

describe.skipIf(!hasChromium)(`the console with ${FLEET} groups`, { tags: ['browser'] }, () => {
  const rig = useConsoleRig(
    { AUTOPILOT_CONFIG: fleetConfig(FLEET), CITYVISUAL_INSTANCE_ID: 'cv-fleet-instance' },
    { seed: makeFleetSeed(FLEET), reset: 'never' },
  );
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('stays whole with 500 groups scrolled, filtered, sorted and refreshed, and reports its longest task', async () => {
    for (const id of ['3', '77', '250', '499']) {
      await pinThroughWebhook(rig.webhook, id, {
        kind: 'pin',
        set: { planedJobCount: 40 },
        for: '1d',
        reason: 'load',
      });
    }
    // What the page reads, and how long the function takes to answer it (before the page, not beside it).
    let started = Date.now();
    const plan = await read(rig.console, '/v1/plan?view=lanes');
    const planMs = Date.now() - started;
    started = Date.now();
    const overview = await read(rig.console, '/v1/overview');
    const overviewMs = Date.now() - started;
    const { page, context, problems } = await open(browser, 'about:blank', (ctx) =>
      ctx.addInitScript(() => {
        // Before the page's own script: every task over 50 ms of the whole visit is recorded.
        const tasks: number[] = [];
        (window as { longTasks?: number[] }).longTasks = tasks;
        new PerformanceObserver((list) => {
          for (const entry of list.getEntries()) tasks.push(entry.duration);
        }).observe({ type: 'longtask', buffered: true });
      }),
    );

    await page.goto(`${rig.console.url}/#token=${CONSOLE_TOKEN}`);
    await page.waitForFunction((n) => document.querySelectorAll('#fleet-body tr').length === n, FLEET, {
      timeout: 30_000,
    });
    await page.waitForFunction((n) => document.querySelectorAll('.lane').length === n, FLEET, {
      timeout: 30_000,
    });
    const rendered = await page.evaluate(
      () => performance.getEntriesByName('console-rendered')[0]?.startTime ?? -1,
    );
    // Scroll through every lane (each draws as it comes into view), then filter, sort and refresh.
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    for (let y = 0; y < height; y += 1500) {
      await page.evaluate((top) => window.scrollTo(0, top), y);
      await page.waitForTimeout(40);
    }
    await page.locator('.lane[data-job-group-id="499"] [data-hold-id]').waitFor();
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.locator('#filter').fill('district-3');
    expect(await page.locator('.lane:not([hidden])').count()).toBe(20);
    await page.locator('#filter').fill('');
    await page.locator('thead button[data-sort="desired"]').click();
    const marks = () => page.evaluate(() => performance.getEntriesByName('console-rendered').length);
    await page.locator('#refresh').click();
    await page.waitForFunction(() => performance.getEntriesByName('console-rendered').length >= 2);
    expect(await marks()).toBeGreaterThanOrEqual(2);
    await page.waitForTimeout(300);

    const recorded = await page.evaluate(() => (window as { longTasks?: number[] }).longTasks ?? null);
    // The observer ran for the whole visit (installed before the page's own script).
    expect(recorded).not.toBeNull();
    const longTasks = recorded ?? [];
    const longest = Math.max(0, ...longTasks);
    // Speed is measured, not asserted (the brief): the longest task is printed against its 200 ms budget.
    // It depends on the machine as much as on the page: 78-92 ms in session 5, 149-232 ms in session 6
    // on the same page code.
    console.log(
      `console, ${FLEET} groups: plan (lanes view) ${(plan.text.length / 1024).toFixed(0)} KB in ${planMs} ms, ` +
        `overview ${(overview.text.length / 1024).toFixed(0)} KB in ${overviewMs} ms, first render ${rendered.toFixed(0)} ms after navigation, ` +
        `${longTasks.length} tasks over 50 ms, longest ${longest.toFixed(0)} ms (budget 200 ms: ${longest <= 200 ? 'within' : 'OVER'})`,
    );
    expect(rendered).toBeGreaterThan(0);
    expect(problems).toEqual([]);
    await context.close();
  }, 120_000);

  it('marks a DST change on the lanes of a zone that has one', async () => {
    const range = { from: '2027-03-27T00:00:00Z', to: '2027-03-30T00:00:00Z' };
    const { page, context } = await open(
      browser,
      `${rig.console.url}/#token=${CONSOLE_TOKEN}&from=${enc(range.from)}&to=${enc(range.to)}`,
    );
    // district-1 (groups 21-40) is in Europe/London: 01:00 UTC on 28 March 2027, +00:00 → +01:00.
    const london = page.locator('.lane[data-job-group-id="21"]');
    await page.waitForFunction(() => document.querySelectorAll('.lane').length > 0);
    await london.scrollIntoViewIfNeeded();
    const dst = london.locator('[data-mark="dst"]');
    await dst.waitFor();
    expect(await dst.getAttribute('aria-label')).toBe(
      'DST change +00:00 → +01:00 at 2027-03-28 02:00 Europe/London (2027-03-28 01:00:00 UTC)',
    );
    // Shanghai has none (once its chart is drawn: lanes draw lazily).
    await page.locator('.lane[data-job-group-id="1"]').scrollIntoViewIfNeeded();
    await page.locator('.lane[data-job-group-id="1"] [data-step]').first().waitFor();
    expect(await page.locator('.lane[data-job-group-id="1"] [data-mark="dst"]').count()).toBe(0);
    await context.close();
  });
});
