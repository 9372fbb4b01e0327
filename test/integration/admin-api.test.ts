// The admin HTTP API on a real database: every route with and without the token, bad input (400
// naming the field), unknown ids (404), conflicts (409), the callback request under the IVR's
// rules and dedupe, requeue and reschedule, rate limits (429), and the OpenAPI document
// (validated, and matching the routes the server answers).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import winston from 'winston';
import { Validator } from '@seriousme/openapi-schema-validator';
import { parseConfig } from '../../controller/config/index.js';
import { startAdmin, type RunningAdmin } from '../../controller/ops/run-admin.js';
import { ROUTES } from '../../controller/api/routes.js';
import { addCallback, addLive, CALLBACK, entryRow, login, startDispatchDb, type DispatchDb } from '../helpers/dispatch-db.js';

const TOKEN = 'test-token-0123456789abcdef';
const YAML = `
admin: { http: { host: 127.0.0.1, port: 0 }, rateLimit: { callbackRequestsPerClientPerMinute: 1000, callbackRequestsPerNumberPerHour: 2 } }
queues:
  - { name: sales, extension: "8501", ${CALLBACK} }
  - { name: nocb, extension: "8502", callback: { mode: "off" } }
agents:
  - { id: ann, contact: user/ann, tiers: [{ queue: sales }] }
  - { id: bob, contact: user/bob, tiers: [{ queue: sales }] }
`;

const silent = () => winston.createLogger({ transports: [new winston.transports.Stream({ stream: new Writable({ write: (_c, _e, cb) => cb() }) })] });

describe('admin API', () => {
  let t: DispatchDb;
  let admin: RunningAdmin;
  let base: string;

  before(async () => {
    t = await startDispatchDb(YAML);
    const config = parseConfig(`freeswitch:\n  nodes: [{ name: fs1, host: 127.0.0.1 }]\n${YAML}`, { DATABASE_URL: t.tdb.url, QCB_API_TOKEN: TOKEN });
    admin = await startAdmin(config, silent());
    base = `http://127.0.0.1:${admin.port}`;
  });
  after(async () => {
    await admin?.stop();
    await t?.close();
  });

  const call = async (method: string, path: string, body?: unknown, opts: { token?: string | null; type?: string; raw?: string } = {}) => {
    const headers: Record<string, string> = {};
    const token = opts.token === undefined ? TOKEN : opts.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let payload: string | undefined;
    if (opts.raw !== undefined || body !== undefined) {
      headers['content-type'] = opts.type ?? 'application/json';
      payload = opts.raw ?? JSON.stringify(body);
    }
    const res = await fetch(base + path, { method, headers, body: payload });
    const text = await res.text();
    let json: any;
    try { json = JSON.parse(text); } catch { json = text; }
    return { status: res.status, json, headers: res.headers };
  };

  it('every route and document refuses a request without the token or with a wrong one; /health does not need it', async () => {
    assert.equal((await fetch(`${base}/health`)).status, 200);
    const paths = ROUTES.map((r) => ({ method: r.method, path: r.path.replace('{queue}', 'sales').replace('{agent}', 'ann').replace('{id}', '1') }));
    paths.push({ method: 'GET', path: '/api/v1/openapi.json' }, { method: 'GET', path: '/api/v1/floor/events' }, { method: 'GET', path: '/metrics' }, { method: 'GET', path: '/ready' });
    for (const p of paths) {
      for (const token of [null, 'wrong-token-0123456789']) {
        const r = await call(p.method, p.path, p.method === 'POST' ? {} : undefined, { token });
        assert.equal(r.status, 401, `${p.method} ${p.path} with ${token ?? 'no token'}: ${r.status}`);
        assert.equal(r.json.error.code, 'unauthorized');
        assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer/);
      }
    }
    // The same token works.
    assert.equal((await call('GET', '/ready')).status, 200);
    const m = await call('GET', '/metrics');
    assert.equal(m.status, 200);
    assert.match(m.json, /qcb_queue_callers_waiting\{queue="sales"\}/);
  });

  it('reads: queues with counts and the oldest wait, entries in place order, agents since when, one queue, 404s', async () => {
    const live = await addLive(t.db, 'sales');
    const cb = await addCallback(t.db, 'sales', '0671111111');
    await login(t.db, 'ann');
    const queues = await call('GET', '/api/v1/queues');
    assert.equal(queues.status, 200);
    const sales = queues.json.queues.find((q: any) => q.queueId === 'sales');
    assert.equal(sales.waiting, 1);
    assert.equal(sales.callbacksDue, 1);
    assert.equal(sales.agents.idle, 1);
    assert.equal((await call('GET', '/api/v1/queues/sales')).json.queueId, 'sales');
    assert.equal((await call('GET', '/api/v1/queues/nope')).status, 404);
    assert.equal((await call('GET', '/api/v1/queues/bad%20name')).json.error.field, 'queue');
    const entries = (await call('GET', '/api/v1/entries?queue=sales')).json.entries;
    assert.deepEqual(entries.map((e: any) => [e.entryId, e.kind, e.position]), [[live.id, 'live', 1], [cb.id, 'callback', 2]]);
    assert.equal(entries[1].callbackNumber, '0671111111');
    assert.equal(entries[1].maxTries, 3);
    const bad = await call('GET', '/api/v1/entries?queue=sales&bogus=1');
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.field, 'bogus');
    const agents = (await call('GET', '/api/v1/agents')).json.agents;
    const ann = agents.find((a: any) => a.id === 'ann');
    assert.equal(ann.status, 'available');
    assert.ok(!Number.isNaN(Date.parse(ann.statusChangedAt)), 'since when');
    assert.equal((await call('GET', '/api/v1/agents/zed')).status, 404);
    const floor = (await call('GET', '/api/v1/floor')).json;
    assert.equal(floor.entries.length, 2);
    const today = await call('GET', '/api/v1/queues/sales/today');
    assert.equal(today.status, 200);
    assert.equal(today.json.hours.length, 24);
  });

  it('requesting a callback: the IVR\'s number rules, dedupe (409 naming the callback), a queue without callbacks, bad JSON', async () => {
    const ok = await call('POST', '/api/v1/callbacks', { queue: 'sales', number: '0672222222', name: 'Olena' });
    assert.equal(ok.status, 201, JSON.stringify(ok.json));
    const row = await entryRow(t.db, ok.json.entryId);
    assert.equal(row.status, 'callback_pending');
    assert.equal(row.kind, 'callback');
    assert.equal(row.callback_number, '0672222222');
    const dup = await call('POST', '/api/v1/callbacks', { queue: 'sales', number: '0672222222' });
    assert.equal(dup.status, 409);
    assert.equal(dup.json.error.existingEntryId, ok.json.entryId);
    for (const [body, field, re] of [
      [{ queue: 'sales', number: '+380671234567' }, 'number', /digits only/],
      [{ queue: 'sales', number: '067' }, 'number', /too short/],
      [{ queue: 'sales', number: '0672222222}{,x' }, 'number', /digits only/],
      [{ queue: 'sales', number: '9672222222' }, 'number', /allow rules/],
      [{ queue: 'sales' }, 'number', /expected string/],
      [{ queue: 'sales', number: '0673333333', earliestAt: 'tomorrow' }, 'earliestAt', /ISO 8601/],
      [{ queue: 'sales', number: '0673333333', extra: 1 }, 'extra', /./],
      [{ queue: 'nocb', number: '0673333333' }, 'queue', /callbacks are off/],
    ] as const) {
      const r = await call('POST', '/api/v1/callbacks', body);
      assert.equal(r.status, 400, `${JSON.stringify(body)} → ${r.status} ${JSON.stringify(r.json)}`);
      assert.equal(r.json.error.field, field, JSON.stringify(r.json));
      assert.match(r.json.error.message, re);
    }
    assert.equal((await call('POST', '/api/v1/callbacks', { queue: 'ghost', number: '0673333333' })).status, 404);
    const junk = await call('POST', '/api/v1/callbacks', undefined, { raw: '{"queue":' });
    assert.equal(junk.status, 400);
    assert.equal(junk.json.error.field, 'body');
    assert.equal((await call('POST', '/api/v1/callbacks', undefined, { raw: 'queue=sales', type: 'application/x-www-form-urlencoded' })).status, 415);
    assert.equal((await call('POST', '/api/v1/callbacks', undefined, { raw: JSON.stringify({ queue: 'sales', number: '0'.repeat(20000) }) })).status, 413);
    assert.equal((await call('DELETE', '/api/v1/callbacks')).status, 405);
    assert.equal((await call('GET', '/api/v1/nothing')).status, 404);
    // An earliest time keeps it out of dispatch until then.
    const later = await call('POST', '/api/v1/callbacks', { queue: 'sales', number: '0674444444', earliestAt: new Date(Date.now() + 3_600_000).toISOString() });
    assert.equal(later.status, 201);
    assert.ok(Date.parse(later.json.nextAttemptAt) > Date.now() + 3_500_000, 'next attempt at the earliest time');
  });

  it('rate limits: the same number at most N times an hour (429 with Retry-After)', async () => {
    const n = '0675555555';
    const first = await call('POST', '/api/v1/callbacks', { queue: 'sales', number: n });
    assert.equal(first.status, 201);
    assert.equal((await call('POST', '/api/v1/callbacks', { queue: 'sales', number: n })).status, 409);
    const third = await call('POST', '/api/v1/callbacks', { queue: 'sales', number: n });
    assert.equal(third.status, 429);
    assert.equal(third.json.error.code, 'rate_limited');
    assert.ok(Number(third.headers.get('retry-after')) > 0, 'Retry-After');
  });

  it('cancel, requeue at the original place and at the end, reschedule; history; refusals', async () => {
    const a = await addCallback(t.db, 'sales', '0676666666');
    const cancel = await call('POST', `/api/v1/callbacks/${a.id}/cancel`, { reason: 'customer called again' });
    assert.equal(cancel.status, 200);
    assert.equal(cancel.json.from, 'callback_pending');
    assert.equal((await entryRow(t.db, a.id)).status, 'cancelled');
    assert.equal((await call('POST', `/api/v1/callbacks/${a.id}/cancel`, {})).status, 409);
    assert.equal((await call('POST', '/api/v1/callbacks/999999999/cancel', {})).status, 404);
    assert.equal((await call('POST', '/api/v1/callbacks/12abc/cancel', {})).json.error.field, 'id');
    // Back at its original place: the same entry, pending, due now.
    const back = await call('POST', `/api/v1/callbacks/${a.id}/requeue`, { position: 'original' });
    assert.equal(back.status, 200, JSON.stringify(back.json));
    assert.equal(back.json.entryId, a.id);
    const reopened = await entryRow(t.db, a.id);
    assert.equal(reopened.status, 'callback_pending');
    assert.equal(reopened.place, a.place);
    assert.equal(reopened.ended_at, null);
    // Pending → original place: nothing to do there.
    assert.equal((await call('POST', `/api/v1/callbacks/${a.id}/requeue`, { position: 'original' })).status, 409);
    // At the end: a new entry with a later place; the old one ends `requeued`.
    const end = await call('POST', `/api/v1/callbacks/${a.id}/requeue`, { position: 'end' });
    assert.equal(end.status, 200);
    assert.notEqual(end.json.entryId, a.id);
    const moved = await entryRow(t.db, end.json.entryId);
    assert.ok(BigInt(moved.place) > BigInt(a.place), 'a later place');
    assert.equal(moved.requeued_from_id, a.id);
    assert.equal((await entryRow(t.db, a.id)).end_reason, 'requeued');
    assert.equal((await call('POST', `/api/v1/callbacks/${a.id}/requeue`, { position: 'sideways' })).json.error.field, 'position');
    // Reschedule keeps the place.
    const at = new Date(Date.now() + 7_200_000);
    const re = await call('POST', `/api/v1/callbacks/${end.json.entryId}/reschedule`, { at: at.toISOString() });
    assert.equal(re.status, 200);
    assert.equal(Date.parse(re.json.nextAttemptAt), at.getTime());
    assert.equal((await entryRow(t.db, end.json.entryId)).place, moved.place);
    assert.equal((await call('POST', `/api/v1/callbacks/${a.id}/reschedule`, { at: at.toISOString() })).status, 409);
    assert.equal((await call('POST', `/api/v1/callbacks/${end.json.entryId}/reschedule`, { at: 'soon' })).json.error.field, 'at');
    // A live caller is not a callback.
    const live = await addLive(t.db, 'sales');
    assert.equal((await call('POST', `/api/v1/callbacks/${live.id}/cancel`, {})).status, 409);
    // History: the chain and the events.
    const h = await call('GET', `/api/v1/callbacks/${a.id}`);
    assert.equal(h.status, 200);
    assert.deepEqual(h.json.requeuedToIds, [end.json.entryId]);
    assert.ok(h.json.events.some((e: any) => e.type === 'entry.cancelled'), 'cancel in the history');
    assert.ok(h.json.events.some((e: any) => e.type === 'entry.requeued_by_supervisor'), 'requeue in the history');
    assert.equal((await call('GET', '/api/v1/callbacks/424242424')).status, 404);
    const list = await call('GET', '/api/v1/callbacks?queue=sales');
    assert.ok(list.json.callbacks.some((c: any) => c.entryId === end.json.entryId), 'listed');
    assert.equal((await call('GET', '/api/v1/callbacks?all=maybe')).json.error.field, 'all');
  });

  it('agents: log in, pause with a reason, resume, log out; refusals', async () => {
    const r = await call('POST', '/api/v1/agents/bob/login', {});
    assert.equal(r.status, 200);
    assert.equal(r.json.agent.status, 'available');
    assert.equal((await call('POST', '/api/v1/agents/bob/login', {})).json.changed, false);
    const p = await call('POST', '/api/v1/agents/bob/pause', { reason: 'lunch' });
    assert.equal(p.json.agent.status, 'on_break');
    const logged = await t.db.selectFrom('call_events').select('details').where('event_type', '=', 'agent.pause').where('agent_id', '=', 'bob').orderBy('id', 'desc').executeTakeFirstOrThrow();
    assert.deepEqual(logged.details, { from: 'available', to: 'on_break', state: 'idle', reason: 'lunch', by: 'api' });
    assert.equal(p.json.agent.breakReason, 'lunch');
    assert.equal((await call('POST', '/api/v1/agents/bob/resume', {})).json.agent.status, 'available');
    assert.equal((await call('POST', '/api/v1/agents/bob/logout', {})).json.agent.status, 'logged_out');
    assert.equal((await call('POST', '/api/v1/agents/bob/pause', {})).status, 409);
    assert.equal((await call('POST', '/api/v1/agents/zed/login', {})).status, 404);
    assert.equal((await call('POST', '/api/v1/agents/bob/login', { reason: 1 })).status, 400);
  });

  it('controllers: listed; draining an unknown one is 404, a malformed id 400', async () => {
    const r = await call('GET', '/api/v1/controllers');
    assert.equal(r.status, 200);
    assert.ok(Array.isArray(r.json.controllers), 'a list');
    assert.equal((await call('POST', '/api/v1/controllers/nobody:1:abc/drain', {})).status, 404);
    assert.equal((await call('POST', '/api/v1/controllers/%3Cscript%3E/drain', {})).status, 400);
  });

  it('the live feed: the floor first, then a new one when an entry arrives (no reload, no second request)', async () => {
    const ac = new AbortController();
    const res = await fetch(`${base}/api/v1/floor/events`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: ac.signal });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const reader = res.body!.getReader();
    let buffer = '';
    const nextFloor = async (): Promise<{ entries: { entryId: string }[] }> => {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.startsWith('event: floor\n')) return JSON.parse(block.slice(block.indexOf('data: ') + 6)) as { entries: { entryId: string }[] };
          continue;
        }
        const { value, done } = await reader.read();
        assert.ok(!done, 'the stream stays open');
        buffer += new TextDecoder().decode(value);
      }
    };
    try {
      const first = await nextFloor();
      const fresh = await addLive(t.db, 'sales');
      assert.ok(!first.entries.some((e) => e.entryId === fresh.id), 'not there before it arrived');
      let seen = false;
      for (let i = 0; i < 20 && !seen; i++) seen = (await nextFloor()).entries.some((e) => e.entryId === fresh.id);
      assert.ok(seen, 'the new caller arrived through the feed');
    } finally {
      ac.abort();
    }
  });

  it('the supervisor login: a wrong token gets no cookie; the cookie reads, and changes need JSON (a cross-site form cannot send it)', async () => {
    const login = (token: string) => fetch(`${base}/login`, {
      method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token }).toString(),
    });
    const wrong = await login('nope-nope-nope-nope');
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get('set-cookie'), null);
    const right = await login(TOKEN);
    assert.equal(right.status, 303);
    const cookie = right.headers.get('set-cookie') ?? '';
    assert.match(cookie, /^qcb_session=[^;]+; HttpOnly; SameSite=Strict/);
    assert.doesNotMatch(cookie, new RegExp(TOKEN), 'the cookie is not the token');
    const session = cookie.split(';')[0]!;
    assert.equal((await fetch(`${base}/api/v1/queues`, { headers: { cookie: session } })).status, 200);
    const form = await fetch(`${base}/api/v1/agents/bob/login`, { method: 'POST', headers: { cookie: session, 'content-type': 'application/x-www-form-urlencoded' }, body: 'x=1' });
    assert.equal(form.status, 403);
    const json = await fetch(`${base}/api/v1/agents/bob/login`, { method: 'POST', headers: { cookie: session, 'content-type': 'application/json' }, body: '{}' });
    assert.equal(json.status, 200);
    const ev = (await t.db.selectFrom('call_events').select('details').where('event_type', '=', 'agent.login').where('agent_id', '=', 'bob').orderBy('id', 'desc').executeTakeFirstOrThrow());
    assert.ok(ev, 'logged');
    assert.equal((await fetch(`${base}/`, { redirect: 'manual' })).headers.get('location'), '/login');
    assert.equal((await fetch(`${base}/`, { headers: { cookie: session } })).status, 200);
  });

  it('the OpenAPI document validates and lists exactly the routes the server answers', async () => {
    const r = await call('GET', '/api/v1/openapi.json');
    assert.equal(r.status, 200);
    const validator = new Validator();
    const result = await validator.validate(r.json);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 1)?.slice(0, 2000));
    const documented = Object.entries(r.json.paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)).filter((p) => p.includes('/api/v1/') && !p.includes('openapi') && !p.includes('/floor/events'));
    assert.deepEqual(documented.sort(), ROUTES.map((x) => `${x.method} ${x.path}`).sort());
    // Every documented operation is answered by the server (not 404/405) with the token.
    for (const p of documented) {
      const [method, path] = p.split(' ') as [string, string];
      const res = await call(method, path.replace('{queue}', 'sales').replace('{agent}', 'ann').replace('{id}', '1'), method === 'POST' ? {} : undefined);
      assert.ok(![405, 500].includes(res.status) && !(res.status === 404 && res.json.error?.message?.startsWith('no such path')), `${p}: ${res.status}`);
    }
  });
});

describe('admin service: where it may listen', () => {
  let t: DispatchDb;
  before(async () => { t = await startDispatchDb(YAML); });
  after(async () => { await t?.close(); });

  it('refuses to listen beyond loopback without QCB_API_TOKEN; on loopback without one it is open', async () => {
    const yaml = (host: string) => `freeswitch:\n  nodes: [{ name: fs1, host: 127.0.0.1 }]\n${YAML.replace('host: 127.0.0.1, port: 0', `host: ${host}, port: 0`)}`;
    await assert.rejects(startAdmin(parseConfig(yaml('0.0.0.0'), { DATABASE_URL: t.tdb.url }), silent()), /QCB_API_TOKEN/);
    const open = await startAdmin(parseConfig(yaml('127.0.0.1'), { DATABASE_URL: t.tdb.url }), silent());
    try {
      assert.equal((await fetch(`http://127.0.0.1:${open.port}/api/v1/queues`)).status, 200);
    } finally {
      await open.stop();
    }
  });

  it('rate limit per client: beyond N requests a minute, 429 whatever the number', async () => {
    const config = parseConfig(`freeswitch:\n  nodes: [{ name: fs1, host: 127.0.0.1 }]\n${YAML.replace('callbackRequestsPerClientPerMinute: 1000', 'callbackRequestsPerClientPerMinute: 3')}`,
      { DATABASE_URL: t.tdb.url, QCB_API_TOKEN: TOKEN });
    const a = await startAdmin(config, silent());
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await fetch(`http://127.0.0.1:${a.port}/api/v1/callbacks`, {
          method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ queue: 'sales', number: `068000000${i}` }),
        });
        statuses.push(r.status);
      }
      assert.deepEqual(statuses, [201, 201, 201, 429, 429]);
    } finally {
      await a.stop();
    }
  });
});
