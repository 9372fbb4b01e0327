// Redis connection options for BullMQ from REDIS_URL. BullMQ is handed options, not a client:
// it creates its connections with its own ioredis (5.11, nested under bullmq), whose types and
// runtime differ from the top-level one. `maxRetriesPerRequest: null` is what BullMQ requires
// (a blocked command must wait for Redis to come back, not fail after 20 retries).
import type { ConnectionOptions } from 'bullmq';

export function redisConnectionOptions(url: string): ConnectionOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error('REDIS_URL is not a valid URL (redis://[user:password@]host[:port][/db])');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error('REDIS_URL must start with redis:// or rediss://');
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new Error('REDIS_URL database (the path) must be a number');
  return {
    host: u.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    db,
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
  };
}
