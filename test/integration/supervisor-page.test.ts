// The supervisor page in a real browser (Debian's Chromium driven by playwright-core) against the
// admin service on a live floor: a caller on hold through the controller and the FreeSWITCH
// simulator, callbacks requested through the API. Login (a wrong token refused, no cookie),
// the floor as the feed shows it (places, waits counting up, agents, today's chart), cancel /
// requeue / reschedule a callback and the API's refusal shown, agents logged in, on a break and
// back, a new caller appearing without a reload, large type for a wall screen, and the
// connection indicator when the service goes away and comes back.
//
// Without Chromium (a developer's machine without the package) every test is skipped with the
// reason; CI installs it (.ci/run).
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { Writable } from 'node:stream';
import winston from 'winston';
import { chromium, type Browser, type Page } from 'playwright-core';
import { parseConfig } from '../../controller/config/index.js';
import { startAdmin, type RunningAdmin } from '../../controller/ops/run-admin.js';
import { appStarted, entriesOf, entry, PROMPTS_DIR, startHarness, waitUntil, type Harness } from '../helpers/controller-harness.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TOKEN = 'supervisor-page-token-0123456789';
const CB = 'dialTemplate: "loopback/cust-{number}", numberRules: { minLength: 10, maxLength: 10, allow: ["0[0-9]{9}"] }';
const YAML = `
admin: { http: { host: 127.0.0.1, port: 0 }, rateLimit: { callbackRequestsPerClientPerMinute: 1000, callbackRequestsPerNumberPerHour: 100 } }
queues:
  - { name: sales, extension: "8101", callback: { mode: on_request, ${CB} } }
  - { name: support, extension: "8102", callback: { mode: on_request, ${CB} } }
agents:
  - { id: ann, name: Ann Kowalska, contact: user/ann, tiers: [{ queue: sales }] }
  - { id: bob, contact: user/bob, tiers: [{ queue: sales }, { queue: support }] }
`;
const HOSTILE_NAME = '<img src=x onerror="window.pwned=1">';

// The browser globals that functions run inside the page (page.evaluate, waitForFunction) use:
// the project compiles without the DOM library. Such functions define no named function of
// their own (tsx would wrap it in a helper the page does not have).
interface PageNode { textContent: string | null; hidden: boolean; dataset: Record<string, string | undefined>; getAttribute(name: string): string | null }
declare const document: { querySelector(sel: string): PageNode | null; getElementById(id: string): PageNode | null };
declare const window: Record<string, unknown> & { scrollTo(x: number, y: number): void };
declare function getComputedStyle(node: unknown): { fontSize: string };

const missing = existsSync(CHROMIUM) ? undefined : `no Chromium at ${CHROMIUM} (apt-get install chromium)`;
if (missing) console.log(`supervisor-page.test.ts: skipped, ${missing}`);

const silent = () => winston.createLogger({ transports: [new winston.transports.Stream({ stream: new Writable({ write: (_c, _e, cb) => cb() }) })] });

describe('supervisor page', () => {
  let h: Harness;
  let admin: RunningAdmin;
  let browser: Browser;
  let page: Page;
  let base: string;
  let liveId: string;
  const cb: Record<'a' | 'b' | 'c' | 'support', string> = { a: '', b: '', c: '', support: '' };

  const adminConfig = (port: number) => parseConfig(
    `freeswitch:\n  nodes: [{ name: fs1, host: 127.0.0.1 }]\nprompts:\n  directory: ${PROMPTS_DIR}\n${YAML.replace('port: 0', `port: ${port}`)}`,
    { DATABASE_URL: h.config.secrets.databaseUrl!, QCB_API_TOKEN: TOKEN },
  );

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(base + path, {
      method, headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, json: await res.json() as any };
  };
  const requestCallback = async (queue: string, number: string, name?: string): Promise<string> => {
    const r = await api('POST', '/api/v1/callbacks', { queue, number, name });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    return r.json.entryId as string;
  };
  const sales = (css: string) => `[data-queue-id="sales"] ${css}`;
  const callbackRows = () => page.$$eval(sales('table.callbacks tbody tr'), (rows) => rows.map((r) => ({
    id: r.getAttribute('data-entry-id'), position: r.getAttribute('data-position'), number: r.querySelector('td.who .main')?.textContent,
  })));
  const notice = async (kind: 'ok' | 'error', text: RegExp) => {
    await page.waitForFunction(({ kind, source }) => {
      const n = document.getElementById('notice');
      return n !== null && !n.hidden && n.dataset.kind === kind && new RegExp(source).test(n.textContent ?? '');
    }, { kind, source: text.source }, { timeout: 5000 });
  };
  // Script errors and what the CSP refused (an inline style or script would be): none expected.
  const problems: string[] = [];
  const watchForProblems = (p: Page) => {
    p.on('pageerror', (err) => problems.push(`script error: ${err.message}`));
    p.on('console', (m) => { if (/Content.Security.Policy|Refused to/i.test(m.text())) problems.push(m.text()); });
  };
  const skipWithoutChromium = (t: TestContext): boolean => {
    if (missing) t.skip(missing);
    return missing !== undefined;
  };

  before(async () => {
    if (missing) return;
    h = await startHarness(YAML);
    admin = await startAdmin(adminConfig(0), silent(), { feedEveryMs: 100 });
    base = `http://127.0.0.1:${admin.port}`;
    // A caller on hold first (place 1), then three callbacks in sales and one in support.
    const { channel } = await h.call({ destination: '8101', callerIdNumber: '0501112233', callerIdName: 'Olena' });
    await appStarted(channel, 'playback', { arg: /local_stream:\/\/moh/ });
    liveId = (await entriesOf(h, channel.uuid))[0]!.id;
    cb.a = await requestCallback('sales', '0671000001', 'Petro');
    cb.b = await requestCallback('sales', '0671000002', HOSTILE_NAME);
    cb.c = await requestCallback('sales', '0671000003');
    cb.support = await requestCallback('support', '0671000004');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
    page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
    page.setDefaultTimeout(5000);
    watchForProblems(page);
  });
  after(async () => {
    await browser?.close();
    await admin?.stop();
    await h?.close();
  });

  it('a wrong token on the login form is refused: the error is shown and no cookie is set', async (t) => {
    if (skipWithoutChromium(t)) return;
    await page.goto(`${base}/`);
    assert.equal(new URL(page.url()).pathname, '/login', 'the page sends a visitor without a session to the login form');
    await page.fill('#token', 'not-the-token-0123456789');
    await page.click('button[type="submit"]');
    await page.locator('.problem[role="alert"]').waitFor();
    assert.equal(await page.textContent('.problem'), 'That token is not right.');
    assert.deepEqual((await page.context().cookies(base)).map((c) => c.name), []);
  });

  it('signed in with the token: the caller on hold and the callbacks by place, agents, today\'s chart; waits count up', async (t) => {
    if (skipWithoutChromium(t)) return;
    await page.fill('#token', TOKEN);
    await Promise.all([page.waitForURL(`${base}/`), page.click('button[type="submit"]')]);
    assert.ok((await page.context().cookies(base)).some((c) => c.name === 'qcb_session' && c.httpOnly), 'the session cookie is set, HttpOnly');
    await page.locator('#live[data-state="live"]').waitFor();
    const caller = page.locator(sales(`table.callers tr[data-entry-id="${liveId}"]`));
    await caller.waitFor();
    assert.equal(await caller.getAttribute('data-status'), 'waiting');
    assert.equal(await caller.getAttribute('data-position'), '1');
    assert.equal(await caller.locator('td.who .main').textContent(), '0501112233');
    assert.equal(await caller.locator('td.state .badge').textContent(), 'on hold');
    assert.deepEqual(await callbackRows(), [
      { id: cb.a, position: '2', number: '0671000001' }, { id: cb.b, position: '3', number: '0671000002' }, { id: cb.c, position: '4', number: '0671000003' },
    ]);
    // The other queue's callback is on its own card, first in its line.
    assert.equal(await page.getAttribute(`[data-queue-id="support"] tr[data-entry-id="${cb.support}"]`, 'data-position'), '1');
    // A name is data, shown as text: no element made of it, no script run.
    assert.equal(await page.textContent(sales(`tr[data-entry-id="${cb.b}"] td.who .sub`)), HOSTILE_NAME);
    assert.equal(await page.locator('main img').count(), 0);
    assert.equal(await page.evaluate(() => window.pwned), undefined);
    assert.equal(await page.textContent(sales(`tr[data-entry-id="${cb.a}"] td.tries`)), '0/3');
    assert.equal(await page.getAttribute(sales('tr[data-agent-id="ann"]'), 'data-status'), 'logged_out');
    assert.equal(await page.textContent(sales('tr[data-agent-id="ann"] td.who .main')), 'Ann Kowalska');
    assert.equal(await page.locator('[data-queue-id="support"] tr[data-agent-id="bob"]').count(), 1, 'an agent of two queues is on both cards');
    assert.equal(await page.textContent(sales('[data-stat="waiting"] b')), '1');
    // Today's chart: 24 hours, and the three callbacks requested in sales today.
    await page.locator(sales('.today svg.chart')).waitFor();
    assert.equal(await page.locator(sales('.today svg.chart g[data-hour]')).count(), 24);
    assert.equal(await page.textContent(sales('.today [data-total="callbacksRequested"] b')), '3');
    // The feed sends only changes, and nothing changes now: the wait counts up in the page.
    const wait = caller.locator('td.wait');
    const first = await wait.textContent();
    assert.match(first ?? '', /^\d+s$/);
    await page.waitForFunction(({ sel, was }) => document.querySelector(sel)?.textContent !== was,
      { sel: sales(`tr[data-entry-id="${liveId}"] td.wait`), was: first }, { timeout: 3000 });
  });

  it('cancel a callback: asked to confirm, cancelled in Postgres, gone from the page; the places behind it move up', async (t) => {
    if (skipWithoutChromium(t)) return;
    let asked = '';
    page.once('dialog', (d) => { asked = d.message(); void d.accept(); });
    await page.click(sales(`tr[data-entry-id="${cb.a}"] button[data-action="cancel"]`));
    assert.match(asked, /0671000001/);
    await waitUntil('the callback cancelled in Postgres', async () => (await entry(h, cb.a)).status === 'cancelled');
    assert.equal((await entry(h, cb.a)).end_reason, 'ops_cancelled');
    await page.locator(sales(`table.callbacks tr[data-entry-id="${cb.a}"]`)).waitFor({ state: 'detached' });
    await notice('ok', /cancelled/);
    await page.waitForFunction((sel) => document.querySelector(sel)?.getAttribute('data-position') === '2', sales(`tr[data-entry-id="${cb.b}"]`));
  });

  it('requeue at its place: refused while the number has another callback (the API\'s 409 shown), then back at place 2', async (t) => {
    if (skipWithoutChromium(t)) return;
    // The cancelled callback is listed among those ended without a call.
    await page.click(sales('details.ended > summary'));
    const ended = page.locator(sales(`tr[data-ended-entry-id="${cb.a}"]`));
    await ended.waitFor();
    // The customer asked again meanwhile: a new callback holds the number.
    const again = await requestCallback('sales', '0671000001');
    await ended.locator('button[data-position="original"]').click();
    await notice('error', /refused \(409\): .*already has another active callback/);
    assert.equal((await entry(h, cb.a)).status, 'cancelled');
    assert.equal((await api('POST', `/api/v1/callbacks/${again}/cancel`, {})).status, 200);
    await ended.locator('button[data-position="original"]').click();
    await notice('ok', /back at its place/);
    const row = page.locator(sales(`table.callbacks tr[data-entry-id="${cb.a}"]`));
    await row.waitFor();
    await page.waitForFunction((sel) => document.querySelector(sel)?.getAttribute('data-position') === '2', sales(`table.callbacks tr[data-entry-id="${cb.a}"]`));
    assert.equal((await entry(h, cb.a)).status, 'callback_pending');
  });

  it('reschedule a callback with the time input; a time beyond 30 days shows the API\'s refusal', async (t) => {
    if (skipWithoutChromium(t)) return;
    const row = page.locator(sales(`tr[data-entry-id="${cb.c}"]`));
    // The browser's local time, as <input type="datetime-local"> takes it.
    const inputValue = (ms: number) => page.evaluate((at) => new Date(at - new Date(at).getTimezoneOffset() * 60_000).toISOString().slice(0, 16), ms);
    const target = Math.floor((Date.now() + 2 * 3600_000) / 60_000) * 60_000;
    await row.locator('details.menu > summary').click();
    await row.locator('input[data-field="at"]').fill(await inputValue(target));
    await row.locator('button[data-action="reschedule"]').click();
    await waitUntil('the new time in Postgres', async () => (await entry(h, cb.c)).next_attempt_at?.getTime() === target);
    await page.waitForFunction((sel) => /^in 1h 5\dm$/.test(document.querySelector(sel)?.textContent ?? ''), sales(`tr[data-entry-id="${cb.c}"] td.next .rel`));
    await row.locator('details.menu > summary').click();
    await row.locator('input[data-field="at"]').fill(await inputValue(Date.now() + 40 * 86_400_000));
    await row.locator('button[data-action="reschedule"]').click();
    await notice('error', /refused \(400\): at: at most 30 days ahead/);
    assert.equal((await entry(h, cb.c)).next_attempt_at?.getTime(), target);
    // The menu stays open to correct the time; Escape closes it.
    assert.equal(await row.locator('details.menu').getAttribute('open'), '');
    await page.keyboard.press('Escape');
    assert.equal(await row.locator('details.menu').getAttribute('open'), null);
  });

  it('agents: log in, a break with its reason, resume; each in Postgres and on the page', async (t) => {
    if (skipWithoutChromium(t)) return;
    const ann = page.locator(sales('tr[data-agent-id="ann"]'));
    const agentRow = () => h.db.db.selectFrom('agents').select(['status', 'break_reason']).where('id', '=', 'ann').executeTakeFirstOrThrow();
    const pageStatus = (status: string) => page.waitForFunction(({ sel, status }) => document.querySelector(sel)?.getAttribute('data-status') === status,
      { sel: sales('tr[data-agent-id="ann"]'), status });
    await ann.locator('button[data-action="login"]').click();
    await waitUntil('ann available', async () => (await agentRow()).status === 'available');
    await pageStatus('available');
    await ann.locator('details.menu > summary').click();
    await ann.locator('input[data-field="reason"]').fill('lunch');
    await ann.locator('button[data-action="pause"]').click();
    await waitUntil('ann on a break', async () => (await agentRow()).status === 'on_break');
    assert.equal((await agentRow()).break_reason, 'lunch');
    await pageStatus('on_break');
    assert.equal(await ann.locator('td.status .badge').textContent(), 'on break: lunch');
    await ann.locator('button[data-action="resume"]').click();
    await waitUntil('ann back', async () => (await agentRow()).status === 'available');
    await pageStatus('available');
  });

  it('a new caller appears without a reload', async (t) => {
    if (skipWithoutChromium(t)) return;
    await page.evaluate(() => { window.sameDocument = true; });
    const { channel } = await h.call({ destination: '8101', callerIdNumber: '0509998877' });
    await appStarted(channel, 'playback', { arg: /local_stream:\/\/moh/ });
    const id = (await entriesOf(h, channel.uuid))[0]!.id;
    await page.locator(sales(`table.callers tr[data-entry-id="${id}"]`)).waitFor();
    assert.equal(await page.evaluate(() => window.sameDocument), true, 'the page was not reloaded');
    assert.equal(await page.textContent(sales('[data-stat="waiting"] b')), '2');
    assert.deepEqual(problems, []);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: '/tmp/supervisor.png', fullPage: true });
  });

  it('large type (?tv=1) for a wall screen: the view without the controls', async (t) => {
    if (skipWithoutChromium(t)) return;
    const tv = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    watchForProblems(tv);
    try {
      await tv.context().addCookies(await page.context().cookies(base));
      await tv.goto(`${base}/?tv=1`);
      await tv.locator(sales(`tr[data-entry-id="${liveId}"]`)).waitFor();
      assert.equal(await tv.getAttribute('html', 'class'), 'tv');
      assert.equal(await tv.locator(sales(`tr[data-entry-id="${cb.b}"] button[data-action="cancel"]`)).isVisible(), false);
      const size = (p: Page) => p.$eval(sales('h2'), (e) => parseFloat(getComputedStyle(e).fontSize));
      assert.ok((await size(tv)) >= 1.4 * (await size(page)), 'queue names are larger on the wall screen');
      assert.deepEqual(problems, []);
    } finally {
      await tv.close();
    }
  });

  it('the connection indicator: reconnecting while the service is away, live again when it is back', async (t) => {
    if (skipWithoutChromium(t)) return;
    const port = admin.port;
    await admin.stop();
    await page.locator('#live[data-state="reconnecting"]').waitFor();
    admin = await startAdmin(adminConfig(port), silent(), { feedEveryMs: 100 });
    await page.locator('#live[data-state="live"]').waitFor({ timeout: 10_000 });
    assert.equal(await page.locator(sales(`tr[data-entry-id="${liveId}"]`)).count(), 1);
  });
});
