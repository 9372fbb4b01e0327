#!/usr/bin/env node
// Checks that the Postgres and Redis the tests (and `npm run demo`) use are reachable. Where one
// is not and a Docker engine is, starts that compose service and waits for it, saying so. Where
// they run already (developer machines, CI) it only checks. URLs: TEST_DATABASE_URL, REDIS_URL.
// Run as a script (scripts/test.sh) it exits 1 when they cannot be had; imported (demo/), it
// exports ensureServices(), which throws instead.
import net from 'node:net';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';

/** The Postgres server (its maintenance database) and the Redis the tests and the demo use. */
export function serviceUrls(env = process.env) {
  return {
    postgres: env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    redis: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  };
}

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

/**
 * Resolves once Postgres and Redis answer (starting the compose services when needed); rejects
 * with a message saying what is missing otherwise. `log` gets the progress lines.
 */
export async function ensureServices({ log = console.log } = {}) {
  const urls = serviceUrls();
  const pgUrl = new URL(urls.postgres);
  const redisUrl = new URL(urls.redis);
  const services = [
    { name: 'postgres', host: pgUrl.hostname, port: Number(pgUrl.port || 5432) },
    { name: 'redis', host: redisUrl.hostname, port: Number(redisUrl.port || 6379) },
  ];
  const missing = [];
  for (const s of services) if (!(await reachable(s))) missing.push(s);
  if (missing.length === 0) {
    log(`services: postgres ${pgUrl.host} and redis ${redisUrl.host} reachable`);
    return;
  }
  const compose = dockerCompose();
  if (!compose) {
    throw new Error(`not reachable: ${missing.map((s) => `${s.name} at ${s.host}:${s.port}`).join(', ')}; ` +
      'no Docker to start them. Start them, or set TEST_DATABASE_URL / REDIS_URL.');
  }
  const names = missing.map((s) => s.name);
  log(`services: starting ${names.join(', ')} with ${compose.join(' ')} (not reachable at the configured URLs)`);
  execFileSync(compose[0], [...compose.slice(1), 'up', '-d', '--wait', ...names], { stdio: 'inherit' });
  const deadline = Date.now() + 60_000;
  for (const s of missing) {
    while (!(await reachable(s))) {
      if (Date.now() > deadline) throw new Error(`${s.name} did not come up at ${s.host}:${s.port}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  log('services: up');
}

const runAsScript = process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
if (runAsScript) {
  try {
    await ensureServices();
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
}
