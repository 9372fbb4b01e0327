// `qcb_ready{component}`: the daemon's /ready as a metric, asked at scrape time. /ready answers
// a load balancer or an orchestrator now; the metric keeps the answer over time, so an alert can
// say "the worker has not been ready for two minutes" and a dashboard can show when it was not.
// `up` only says the process answered the scrape; a worker that lost its FreeSWITCH node or
// Redis still answers.
import { Gauge, type Registry } from 'prom-client';

export type Component = 'controller' | 'worker' | 'admin';

/** A scrape gives up on a readiness check after this long (not ready): a scrape must not hang. */
const READY_CHECK_MS = 5000;

/** Per registry: the checks of the components it reports (one process may run several). */
const checks = new WeakMap<Registry, Map<Component, () => Promise<boolean>>>();

/**
 * Registers `qcb_ready{component}` on `registry` (once per registry; a second component adds
 * its own series): 1 when `ready()` resolves true, 0 when false, when it throws or takes longer
 * than READY_CHECK_MS.
 */
export function registerReadyGauge(registry: Registry, component: Component, ready: () => Promise<boolean>): void {
  let mine = checks.get(registry);
  // Registered here before, and still there (registry.clear() removes it).
  if (!mine || !registry.getSingleMetric('qcb_ready')) {
    const own = new Map<Component, () => Promise<boolean>>();
    mine = own;
    checks.set(registry, own);
    new Gauge({
      name: 'qcb_ready', help: 'The component can do its work (its /ready): 1 ready, 0 not', labelNames: ['component'], registers: [registry],
      async collect() {
        const answers = await Promise.all([...own].map(async ([c, check]) => [c, await isReady(check)] as const));
        for (const [c, ok] of answers) this.set({ component: c }, ok ? 1 : 0);
      },
    });
  }
  mine.set(component, ready);
}

async function isReady(check: () => Promise<boolean>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const late = new Promise<boolean>((r) => { timer = setTimeout(() => r(false), READY_CHECK_MS); });
    return await Promise.race([Promise.resolve().then(check).then((ok) => ok === true, () => false), late]);
  } finally {
    clearTimeout(timer);
  }
}
