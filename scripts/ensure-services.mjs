#!/usr/bin/env node
// Checks that the Postgres and Redis the tests use are reachable. Where one is not and a
// Docker engine is, starts that compose service and waits for it, saying so. Where they run
// already (developer machines, CI) it only checks. URLs: TEST_DATABASE_URL, REDIS_URL.
import net from 'node:net';
import { execFileSync } from 'node:child_process';

const pgUrl = new URL(process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
const redisUrl = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');

const services = [
  { name: 'postgres', host: pgUrl.hostname, port: Number(pgUrl.port || 5432) },
  { name: 'redis', host: redisUrl.hostname, port: Number(redisUrl.port || 6379) },
];

function reachable({ host, port }, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok) => { socket.destroy(); resolve(ok); };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function dockerCompose() {
  for (const cmd of [['docker', 'compose'], ['docker-compose']]) {
    try {
      execFileSync(cmd[0], [...cmd.slice(1), 'version'], { stdio: 'ignore' });
      return cmd;
    } catch { /* try the next one */ }
  }
  return null;
}

const missing = [];
for (const s of services) if (!(await reachable(s))) missing.push(s);
if (missing.length === 0) {
  console.log(`services: postgres ${pgUrl.host} and redis ${redisUrl.host} reachable`);
  process.exit(0);
}
const compose = dockerCompose();
if (!compose) {
  console.error(`not reachable: ${missing.map((s) => `${s.name} at ${s.host}:${s.port}`).join(', ')}; ` +
    'no Docker to start them. Start them, or set TEST_DATABASE_URL / REDIS_URL.');
  process.exit(1);
}
const names = missing.map((s) => s.name);
console.log(`services: starting ${names.join(', ')} with ${compose.join(' ')} (not reachable at the configured URLs)`);
execFileSync(compose[0], [...compose.slice(1), 'up', '-d', '--wait', ...names], { stdio: 'inherit' });
const deadline = Date.now() + 60_000;
for (const s of missing) {
  while (!(await reachable(s))) {
    if (Date.now() > deadline) { console.error(`${s.name} did not come up at ${s.host}:${s.port}`); process.exit(1); }
    await new Promise((r) => setTimeout(r, 500));
  }
}
console.log('services: up');
