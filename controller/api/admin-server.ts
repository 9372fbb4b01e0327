// The admin service's HTTP server: the versioned JSON API (routes.ts), its OpenAPI document, the
// supervisor page and its live feed, /health, /ready and /metrics. No framework: a route table,
// zod at the door, the service layer behind it.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { registerAdminProcessMetrics } from './api-metrics.js';
import { z } from 'zod';
import type { Logger } from '../log/logger.js';
import type { AdminService } from '../service/admin-service.js';
import { ServiceRefusal } from '../service/service-refusal.js';
import { Auth, SESSION_COOKIE } from './auth.js';
import { FloorFeed } from './floor-feed.js';
import { HttpError, readJson, sendError, sendJson, sendText } from './http-kit.js';
import { openApiDocument } from './openapi.js';
import { RateLimiter } from './rate-limit.js';
import { ROUTES, type Route } from './routes.js';
import { supervisorPages } from './page/pages.js';
import { listenHttp } from '../ops/http-server.js';

export interface AdminServerOptions {
  host: string;
  port: number;
  service: AdminService;
  /** QCB_API_TOKEN; undefined only on loopback (ops/run-admin.ts checks). */
  token: string | undefined;
  registry: Registry;
  ready: () => Promise<boolean>;
  log: Logger;
  version: string;
  rateLimit: { perClientPerMinute: number; perNumberPerHour: number };
  trustProxy: boolean;
  /** The feed's read period (tests may shorten it). */
  feedEveryMs?: number;
}

export interface AdminServer {
  readonly port: number;
  close(): Promise<void>;
}

interface CompiledRoute {
  readonly route: Route;
  readonly pattern: RegExp;
  readonly names: readonly string[];
}

function compile(r: Route): CompiledRoute {
  const names: string[] = [];
  const source = r.path.replace(/\{(\w+)\}/g, (_, name: string) => { names.push(name); return '([^/]+)'; });
  return { route: r, pattern: new RegExp(`^${source}$`), names };
}

/** The first zod issue as a 400 naming its field. */
function invalid(where: string, err: z.ZodError): HttpError {
  const issue = err.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    // Strict objects: a misspelt field must not pass silently as "not given".
    const field = [...issue.path, issue.keys[0]!].join('.').slice(0, 64);
    return new HttpError(400, 'invalid', `${field}: not a field here`, { field });
  }
  const field = issue.path.length ? issue.path.join('.') : where;
  return new HttpError(400, 'invalid', `${field}: ${issue.message}`, { field });
}

function decode(part: string, name: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new HttpError(400, 'invalid', `${name}: bad percent escape`, { field: name });
  }
}

export async function startAdminServer(o: AdminServerOptions): Promise<AdminServer> {
  const compiled = ROUTES.map(compile);
  const auth = new Auth(o.token);
  const perClient = new RateLimiter(o.rateLimit.perClientPerMinute, 60_000);
  const perNumber = new RateLimiter(o.rateLimit.perNumberPerHour, 3_600_000);
  const feed = new FloorFeed({ read: () => o.service.floor(), log: o.log, everyMs: o.feedEveryMs });
  const doc = JSON.stringify(openApiDocument(o.version));
  const pages = supervisorPages();
  const { requests } = registerAdminProcessMetrics(o.registry);

  const clientOf = (req: IncomingMessage): string => {
    const fwd = o.trustProxy ? String(req.headers['x-forwarded-for'] ?? '').split(',')[0]!.trim() : '';
    return (fwd || req.socket.remoteAddress || 'unknown').slice(0, 64);
  };

  const handleApi = async (req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<string> => {
    const method = req.method ?? 'GET';
    const matches = compiled.map((c) => ({ c, m: c.pattern.exec(path) })).filter((x) => x.m !== null);
    if (matches.length === 0) throw new HttpError(404, 'not_found', `no such path: ${path.slice(0, 100)}`);
    const hit = matches.find((x) => x.c.route.method === method);
    if (!hit) {
      throw new HttpError(405, 'method_not_allowed', `${method} is not allowed here`, { headers: { allow: matches.map((x) => x.c.route.method).join(', ') } });
    }
    const { route } = hit.c;
    const who = auth.require(req, route.method !== 'GET');
    const client = clientOf(req);
    if (route.rateLimited) {
      const wait = perClient.hit(client);
      if (wait > 0) throw new HttpError(429, 'rate_limited', 'too many callback requests from this client', { headers: { 'retry-after': String(wait) } });
    }
    const params: Record<string, string> = {};
    for (const [i, name] of hit.c.names.entries()) {
      const value = decode(hit.m![i + 1]!, name);
      const check = route.params?.[name]?.safeParse(value);
      if (check && !check.success) throw invalid(name, check.error);
      params[name] = value;
    }
    let q: unknown = {};
    if (route.query) {
      const parsed = route.query.safeParse(Object.fromEntries(query));
      if (!parsed.success) throw invalid('query', parsed.error);
      q = parsed.data;
    } else if ([...query.keys()].length > 0) {
      throw new HttpError(400, 'invalid', `query: ${[...query.keys()][0]!.slice(0, 40)} is not a parameter here`, { field: [...query.keys()][0]!.slice(0, 40) });
    }
    let body: unknown = {};
    if (route.method === 'POST') {
      const raw = await readJson(req);
      const parsed = (route.body ?? z.strictObject({})).safeParse(raw);
      if (!parsed.success) throw invalid('body', parsed.error);
      body = parsed.data;
      if (route.rateLimited) {
        const number = String((body as { number?: unknown }).number ?? '');
        const wait = perNumber.hit(number);
        if (wait > 0) throw new HttpError(429, 'rate_limited', 'too many callback requests for this number', { field: 'number', headers: { 'retry-after': String(wait) } });
      }
    }
    const by = who === 'cookie' ? 'supervisor' : who === 'token' ? 'api' : 'open';
    const result = await route.handle({ service: o.service, params, query: q, body, by, client });
    sendJson(res, route.ok.status, result);
    return route.operationId;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let operation = 'other';
    res.once('close', () => requests.inc({ operation, status: String(res.statusCode) }));
    const url = new URL(req.url ?? '/', 'http://admin.invalid');
    const path = url.pathname;
    try {
      if (path === '/health') return sendText(res, 200, 'text/plain', 'ok\n');
      if (path === '/api/v1/openapi.json') {
        auth.require(req, false);
        operation = 'openApi';
        return sendText(res, 200, 'application/json; charset=utf-8', doc);
      }
      if (path === '/api/v1/floor/events') {
        auth.require(req, false);
        operation = 'streamFloor';
        return feed.add(res);
      }
      if (path.startsWith('/api/')) {
        operation = await handleApi(req, res, path, url.searchParams);
        return;
      }
      if (path === '/ready' || path === '/metrics') {
        auth.require(req, false);
        if (path === '/metrics') return sendText(res, 200, o.registry.contentType, await o.registry.metrics());
        const ok = await o.ready().catch(() => false);
        return sendText(res, ok ? 200 : 503, 'text/plain', ok ? 'ready\n' : 'not ready\n');
      }
      operation = 'page';
      return await pages.handle(req, res, path, auth);
    } catch (err) {
      const e = toHttpError(err, o.log, req);
      operation = operation === 'other' ? 'api' : operation;
      if (!res.headersSent) sendError(res, e);
      else res.end();
    }
  };

  const server = http.createServer((req, res) => void handle(req, res));
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  return listenHttp(server, o.host, o.port, () => feed.close());
}

export { SESSION_COOKIE };

function toHttpError(err: unknown, log: Logger, req: IncomingMessage): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof ServiceRefusal) {
    const status = err.kind === 'invalid' ? 400 : err.kind === 'not_found' ? 404 : 409;
    return new HttpError(status, err.kind, err.message, { field: err.field, details: err.details as Record<string, unknown> | undefined });
  }
  log.error('admin API: request failed', { method: req.method, path: (req.url ?? '').slice(0, 200), err });
  return new HttpError(500, 'internal', 'internal error (logged)');
}
