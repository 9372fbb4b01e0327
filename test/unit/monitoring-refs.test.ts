// The dashboard and the alert rules (monitoring/) name metrics in PromQL strings that no
// compiler checks: a renamed metric would leave a panel empty and an alert silent for ever.
// Every `qcb_` name they use must be one the daemons really serve, taken from registries built
// the way the daemons build theirs; the alert rules must carry what Alertmanager and the
// on-call engineer need.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { Kysely } from 'kysely';
import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { makeWorkerMetrics } from '../../controller/dispatch/worker-metrics.js';
import { registerFloorMetrics } from '../../controller/ops/floor-metrics.js';
import { registerAdminProcessMetrics } from '../../controller/api/api-metrics.js';
import { registerReadyGauge } from '../../controller/ops/ready-metric.js';
import type { Database } from '../../controller/db/types.js';

const file = (p: string): string => readFileSync(fileURLToPath(new URL(`../../${p}`, import.meta.url)), 'utf8');
const dashboard = JSON.parse(file('monitoring/grafana/qcb-dashboard.json')) as Record<string, unknown>;
const alerts = parse(file('monitoring/prometheus/alerts.yml')) as { groups: Array<{ name: string; rules: Rule[] }> };
const rules = alerts.groups.flatMap((g) => g.rules);

interface Rule {
  alert?: string;
  expr?: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/**
 * What the processes serve. Registries are built as the daemons build them (without starting
 * them: registering reads nothing), so a name changed in the code changes here by itself.
 */
function knownMetrics(): { names: Set<string>; histograms: Set<string> } {
  const worker = new Registry();
  collectDefaultMetrics({ register: worker, prefix: 'qcb_worker_' }); // as ops/run-worker.ts
  makeWorkerMetrics(worker);
  registerReadyGauge(worker, 'worker', async () => true);

  const controller = new Registry();
  collectDefaultMetrics({ register: controller, prefix: 'qcb_controller_' }); // as ops/run-controller.ts
  registerReadyGauge(controller, 'controller', async () => true);

  const admin = new Registry();
  registerAdminProcessMetrics(admin); // as api/admin-server.ts
  // Nothing is queried: registering only names the gauges.
  registerFloorMetrics(admin, {} as Kysely<Database>);
  registerReadyGauge(admin, 'admin', async () => true);

  const names = new Set<string>();
  const histograms = new Set<string>();
  for (const reg of [worker, controller, admin]) {
    for (const m of reg.getMetricsAsArray()) {
      names.add(m.name);
      if ((m as unknown) instanceof Histogram) histograms.add(m.name);
    }
  }
  for (const n of controllerOwnMetrics()) names.add(n);
  return { names, histograms };
}

/**
 * The controller's own metrics are made inside startController() (ops/run-controller.ts), which
 * needs a database to run: their names are read from its source, where they are declared
 * (`new Counter({ name: 'qcb_…'`). The two the dashboard relies on must be found, so a change
 * of how they are declared fails here rather than emptying the list.
 */
function controllerOwnMetrics(): string[] {
  const src = file('controller/ops/run-controller.ts');
  const found = [...src.matchAll(/new (?:Counter|Gauge|Histogram|Summary)\(\{\s*name:\s*'(qcb_[a-z0-9_]+)'/g)].map((m) => m[1]!);
  for (const n of ['qcb_calls_active', 'qcb_calls_total']) assert.ok(found.includes(n), `${n} declared in run-controller.ts`);
  return found;
}

/** Every `qcb_` metric a PromQL text names; a histogram's _bucket/_sum/_count series as the histogram. */
function referenced(expr: string, histograms: ReadonlySet<string>): string[] {
  return [...expr.matchAll(/\bqcb_[a-zA-Z0-9_]+/g)].map(([token]) => {
    const base = token.replace(/_(bucket|sum|count)$/, '');
    return base !== token && histograms.has(base) ? base : token;
  });
}

/** Every PromQL text of the dashboard: panel targets, and variable queries. */
function dashboardQueries(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const n of node) dashboardQueries(n, out);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if ((k === 'expr' || k === 'query' || k === 'definition') && typeof v === 'string') out.push(v);
      else dashboardQueries(v, out);
    }
  }
  return out;
}

test('every metric the dashboard and the alert rules query is one the daemons serve', () => {
  const { names, histograms } = knownMetrics();
  const texts = [
    ...dashboardQueries(dashboard).map((q) => ({ where: 'qcb-dashboard.json', q })),
    ...rules.map((r) => ({ where: `alerts.yml ${r.alert}`, q: r.expr ?? '' })),
  ];
  const used = new Set<string>();
  const unknown: string[] = [];
  for (const { where, q } of texts) {
    for (const name of referenced(q, histograms)) {
      used.add(name);
      if (!names.has(name)) unknown.push(`${where}: ${name}`);
    }
  }
  assert.deepEqual(unknown, []);
  // The check saw something: the dashboard's histograms, counters and gauges of every process.
  for (const n of ['qcb_wait_until_agent_seconds', 'qcb_dispatch_latency_seconds', 'qcb_callbacks_total', 'qcb_queue_callers_waiting', 'qcb_ready', 'qcb_calls_total', 'qcb_worker_process_resident_memory_bytes']) {
    assert.ok(used.has(n), `${n} is queried`);
  }
});

test('the dashboard imports with a Prometheus data source chosen at import', () => {
  const inputs = dashboard.__inputs as Array<{ name: string; type: string; pluginId: string }>;
  assert.deepEqual(inputs.map((i) => [i.name, i.type, i.pluginId]), [['DS_PROMETHEUS', 'datasource', 'prometheus']]);
  const panels = (dashboard.panels as Array<{ type: string; title: string; datasource?: { uid: string }; targets?: Array<{ expr: string; datasource?: { uid: string } }> }>)
    .filter((p) => p.type !== 'row');
  assert.ok(panels.length >= 10);
  for (const p of panels) {
    assert.equal(p.datasource?.uid, '${DS_PROMETHEUS}', p.title);
    assert.ok((p.targets ?? []).length > 0, `${p.title} queries something`);
    for (const t of p.targets ?? []) assert.equal(t.datasource?.uid, '${DS_PROMETHEUS}', p.title);
  }
  const ids = (dashboard.panels as Array<{ id: number }>).map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
});

test('the alert rules: the four ops asked for, each with a wait, a severity, a summary and a runbook section', () => {
  const byName = new Map(rules.map((r) => [r.alert, r]));
  for (const required of ['QcbNoAgentWhileCallersWait', 'QcbCallbacksOverdue', 'QcbEslNodeDown', 'QcbComponentNotReady']) {
    assert.ok(byName.has(required), required);
  }
  assert.equal(byName.size, rules.length, 'alert names are unique');
  const readme = file('monitoring/README.md');
  for (const r of rules) {
    const name = r.alert ?? '(no name)';
    assert.ok(r.alert, 'an alerting rule');
    assert.ok(r.expr && r.expr.trim().length > 0, `${name}: expr`);
    assert.match(r.for ?? '', /^\d+[smh]$/, `${name}: for`);
    assert.ok(['critical', 'warning'].includes(r.labels?.severity ?? ''), `${name}: labels.severity`);
    assert.ok(r.annotations?.summary, `${name}: annotations.summary`);
    assert.ok(r.annotations?.description, `${name}: annotations.description`);
    // The runbook link points at the README section about this alert.
    assert.equal(r.annotations?.runbook, `monitoring/README.md#${name.toLowerCase()}`, `${name}: runbook`);
    assert.match(readme, new RegExp(`^### ${name}$`, 'm'), `${name}: a section in monitoring/README.md`);
  }
  assert.match(byName.get('QcbComponentNotReady')!.expr!, /qcb_ready == 0/);
  assert.match(byName.get('QcbComponentNotReady')!.expr!, /up\{[^}]*\} == 0/);
});
