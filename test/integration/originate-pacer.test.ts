// The originate pacer on real Redis (issue 8d): workers share one sliding window of one second
// per FreeSWITCH node, so no second sees more sessions than the budget — whichever worker sends
// them — and a Redis that cannot be asked leaves each worker pacing alone, not stopped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { OriginatePacer, sessionsFor } from '../../controller/dispatch/originate-pacer.js';
import { redisConnectionOptions } from '../../controller/dispatch/redis-options.js';
import { removePrefix } from '../helpers/dispatch-harness.js';
import type { Logger } from '../../controller/log/logger.js';
import type { RedisOptions } from 'ioredis';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

function recordingLog(lines: string[]): Logger {
  const push = (level: string) => (message: string) => { lines.push(`${level} ${message}`); };
  return { warn: push('warn'), info: push('info'), error: push('error'), debug: push('debug') } as unknown as Logger;
}

/** No second-long window holds more grants than `limit` (each grant: its time and its sessions). */
function assertWindow(grants: Array<{ at: number; n: number }>, limit: number): void {
  const stamps = grants.flatMap((g) => Array.from({ length: g.n }, () => g.at)).sort((a, b) => a - b);
  for (let i = 0; i + limit < stamps.length; i++) {
    // 5 ms of slack for when the grant is seen here after Redis's clock gave it
    assert.ok(stamps[i + limit]! - stamps[i]! >= 995, `${limit + 1} sessions within ${stamps[i + limit]! - stamps[i]!} ms`);
  }
}

test('sessions per originate: two for a loopback leg (its -a and -b channels), one for any other', () => {
  assert.equal(sessionsFor(['loopback/agent-1/qcb_test']), 2);
  assert.equal(sessionsFor(['user/1001', 'sofia/gateway/pstn/0501234567', 'loopback/x']), 4);
  assert.equal(sessionsFor([]), 0);
});

test('two workers share the budget: 30 sessions at 10 a second go out over 2+ seconds, never 11 in one second', async () => {
  const prefix = `qcbtest-${randomBytes(4).toString('hex')}`;
  const conn = redisConnectionOptions(REDIS_URL) as RedisOptions;
  const lines: string[] = [];
  const limits = new Map([['fs1', 10]]);
  const a = new OriginatePacer(conn, prefix, limits, recordingLog(lines));
  const b = new OriginatePacer(conn, prefix, limits, recordingLog(lines));
  try {
    const started = Date.now();
    const grants: Array<{ at: number; n: number }> = [];
    const asks = Array.from({ length: 15 }, (_, i) => (i % 2 ? a : b).acquire('fs1', 2).then(() => { grants.push({ at: Date.now(), n: 2 }); }));
    await Promise.all(asks);
    assert.equal(grants.reduce((s, g) => s + g.n, 0), 30);
    assertWindow(grants, 10);
    assert.ok(Date.now() - started >= 1990, 'the third ten waited for the second window');
    assert.deepEqual(lines, [], 'Redis was there: nothing to say');
    // A node without a budget (not configured) is not paced.
    const t0 = Date.now();
    await a.acquire('other', 1000);
    assert.ok(Date.now() - t0 < 1000);
  } finally {
    await a.close();
    await b.close();
    await removePrefix(REDIS_URL, prefix);
  }
});

test('Redis unavailable: the worker paces alone with the same budget and says so once', async () => {
  const lines: string[] = [];
  const p = new OriginatePacer({ host: '127.0.0.1', port: 1 }, 'qcbtest-nowhere', new Map([['fs1', 4]]), recordingLog(lines));
  try {
    const grants: Array<{ at: number; n: number }> = [];
    await Promise.all(Array.from({ length: 6 }, () => p.acquire('fs1', 1).then(() => { grants.push({ at: Date.now(), n: 1 }); })));
    assertWindow(grants, 4);
    assert.equal(lines.filter((l) => l.startsWith('warn originate pacing: Redis unavailable')).length, 1);
  } finally {
    await p.close();
  }
});
