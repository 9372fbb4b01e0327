// /health (the process runs), /ready (it can do its work: database reachable, listening),
// /metrics (Prometheus text). One small server per process, on the config's http address.
import http from 'node:http';
import type { Registry } from 'prom-client';

export interface HttpServerOptions {
  host: string;
  port: number;
  registry: Registry;
  /** Resolves true when the process can serve; a throw counts as not ready. */
  ready: () => Promise<boolean>;
}

/** A started ops HTTP server. */
export interface OpsHttpServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startHttpServer(o: HttpServerOptions): Promise<OpsHttpServer> {
  const server = http.createServer((req, res) => {
    void handle(o, req.url ?? '/').then(({ status, type, body }) => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    });
  });
  return listenHttp(server, o.host, o.port);
}

/**
 * Listens on host:port (0: any free port) and returns the bound port and a memoized close that
 * also cuts kept-alive and streaming connections; `beforeClose` runs first (end event streams).
 */
export async function listenHttp(server: http.Server, host: string, port: number, beforeClose?: () => void): Promise<OpsHttpServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as { port: number }).port;
  let closing: Promise<void> | undefined;
  return {
    port: bound,
    close: () => (closing ??= new Promise<void>((r) => {
      beforeClose?.();
      server.close(() => r());
      server.closeAllConnections();
    })),
  };
}

async function handle(o: HttpServerOptions, url: string): Promise<{ status: number; type: string; body: string }> {
  const path = url.split('?')[0];
  if (path === '/health') return { status: 200, type: 'text/plain', body: 'ok\n' };
  if (path === '/ready') {
    const ok = await o.ready().catch(() => false);
    return { status: ok ? 200 : 503, type: 'text/plain', body: ok ? 'ready\n' : 'not ready\n' };
  }
  if (path === '/metrics') return { status: 200, type: o.registry.contentType, body: await o.registry.metrics() };
  return { status: 404, type: 'text/plain', body: 'not found\n' };
}
