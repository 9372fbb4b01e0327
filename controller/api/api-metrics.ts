// The admin process's own metrics: its requests by operation (the route's operationId, a bounded
// set) and status. Registered by the server; exported so a test can list the names the process
// serves without starting it (test/unit/monitoring-refs.test.ts).
import { Counter, collectDefaultMetrics, type Registry } from 'prom-client';

export function registerAdminProcessMetrics(registry: Registry): { requests: Counter<'operation' | 'status'> } {
  collectDefaultMetrics({ register: registry, prefix: 'qcb_admin_' });
  return {
    requests: new Counter({
      name: 'qcb_api_requests_total', help: 'Admin API requests, by operation and status', labelNames: ['operation', 'status'], registers: [registry],
    }),
  };
}
