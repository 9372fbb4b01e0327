// The dispatch worker's metrics (Prometheus): what ops ask of dispatch — how long people wait
// for an agent, how fast a free agent's phone rings, how callbacks and attempts end, whether
// the switch pushes back — and the health of the worker's links (ESL per node, BullMQ).
// monitoring/ has the dashboard and the alerts built on them.
//
// Label values stay bounded: queue and node names (configuration), agent ids never, result and
// outcome enums, FreeSWITCH's cause names (anything else is OTHER: esl/hangup-causes.ts),
// BullMQ queue names and job states. Never a phone number, a uuid or an entry id.
//
// Each observation comes from the one call that made the change (the attempt store tells its
// observer after the commit: a re-run job or a second worker seeing the same hangup counts
// nothing twice). Times between two rows' timestamps are Postgres's clock on both ends.
//
// makeWorkerMetrics() registers every metric at once with nothing to watch yet; the worker then
// hands it its nodes, queues and BullMQ queues (watch()). So the names can be read from a
// registry without starting a worker (test/unit/monitoring-refs.test.ts).
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { hangupCauseLabel } from '../esl/hangup-causes.js';
import type { ConnectMetrics } from './connect-deps.js';
import type { FsNodes } from './fs-nodes.js';
import type { DispatchJobs } from './jobs.js';
import type { AttemptBridged, AttemptEnded, AttemptObserver, ReservedAttempt } from './types.js';
import { withinMs } from '../ops/within-ms.js';

/** A wait for an agent: an agent free at once (about the ring time), up to a callback hours later. */
export const WAIT_BUCKETS = [1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 450, 600, 900, 1200, 1800, 2700, 3600, 5400, 7200, 10800, 14400, 28800];
/** A callback's request to its conversation: retries are minutes apart, expiry hours (README "retry"). */
export const CALLBACK_BUCKETS = [10, 30, 60, 120, 300, 600, 900, 1200, 1800, 2700, 3600, 5400, 7200, 10800, 14400, 21600, 28800, 43200, 86400];
/** Agent free → originate sent: target p99 < 50 ms, mod_callcenter's ~80 ms median the anchor (BENCHMARKS.md). */
export const DISPATCH_BUCKETS = [0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10];

/** BullMQ job states counted at scrape time. */
const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'paused', 'failed', 'completed'] as const;
/** A scrape never waits longer than this for Redis (commands wait for a lost Redis for ever). */
const REDIS_SCRAPE_MS = 2000;

export interface WorkerSources {
  readonly nodes: FsNodes;
  readonly jobs: DispatchJobs;
  /** The configured queues: their callback counters start at 0, so a first callback is an increase. */
  readonly queues: readonly string[];
}

export interface WorkerMetrics {
  /** Connect job runs by outcome (the run's, not the attempt's: `bridged` is one). */
  readonly runs: Counter<'outcome'>;
  readonly reserved: Counter;
  readonly inFlight: Gauge;
  /** For the attempt store (PgAttemptStore's observer). */
  readonly attempts: AttemptObserver;
  /** For the connect runs (ConnectDeps.metrics). */
  readonly connect: ConnectMetrics;
  /** For the originate pacer (PacerOptions.onPaced). */
  paced(node: string): void;
  /** What the scrape-time metrics read, and the label values to start at 0. */
  watch(sources: WorkerSources): void;
}

export function makeWorkerMetrics(registry: Registry): WorkerMetrics {
  let sources: WorkerSources | undefined;
  const registers = [registry];

  const runs = new Counter({ name: 'qcb_dispatch_attempts_total', help: 'Connect job runs, by outcome (bridged, or how the attempt ended)', labelNames: ['outcome'], registers });
  const reserved = new Counter({ name: 'qcb_dispatch_reserved_total', help: 'Attempts reserved by the matcher', registers });
  const inFlight = new Gauge({ name: 'qcb_dispatch_connect_in_flight', help: 'Connect jobs running in this worker', registers });

  const waitUntilAgent = new Histogram({
    name: 'qcb_wait_until_agent_seconds',
    help: 'From the place\'s arrival (a callback keeps the arrival of the call it came from) to the bridge with an agent, by queue and entry kind',
    labelNames: ['queue', 'kind'], buckets: WAIT_BUCKETS, registers,
  });
  const callbackToConnect = new Histogram({
    name: 'qcb_callback_to_connect_seconds',
    help: 'From the callback\'s confirmation to the customer bridged with an agent',
    labelNames: ['queue'], buckets: CALLBACK_BUCKETS, registers,
  });
  const dispatchLatency = new Histogram({
    name: 'qcb_dispatch_latency_seconds',
    help: 'From an agent and an entry being matchable (agent free, entry eligible: the later) to the originate ringing the agent sent, one sample per agent leg',
    labelNames: ['queue'], buckets: DISPATCH_BUCKETS, registers,
  });
  const callbacks = new Counter({
    name: 'qcb_callbacks_total', help: 'Callbacks that ended, by outcome (completed, failed after their tries, expired)',
    labelNames: ['queue', 'outcome'], registers,
  });
  const attemptsEnded = new Counter({
    name: 'qcb_attempts_total', help: 'Attempts ended, by result and FreeSWITCH hangup cause (OTHER: not one of the switch\'s names; NONE: no cause)',
    labelNames: ['queue', 'result', 'hangup_cause'], registers,
  });
  const paced = new Counter({ name: 'qcb_originates_paced_total', help: 'Originates that waited for room in the node\'s session rate (originate pacer)', labelNames: ['node'], registers });
  const refused = new Counter({ name: 'qcb_originates_refused_total', help: 'Attempts ended because the switch refused a leg (throttle, session limit: result switch_refused)', labelNames: ['node'], registers });
  const reconnects = new Counter({ name: 'qcb_esl_reconnects_total', help: 'Inbound ESL connections to the node re-established after a loss', labelNames: ['node'], registers });
  new Gauge({
    name: 'qcb_esl_connected', help: 'This worker\'s inbound ESL connection to the node is up (1) or not (0)', labelNames: ['node'], registers,
    collect() {
      if (!sources) return;
      for (const node of sources.nodes.names) this.set({ node }, sources.nodes.client(node).connected ? 1 : 0);
    },
  });
  new Gauge({
    name: 'qcb_bullmq_jobs', help: 'Dispatch jobs in Redis by BullMQ queue and state, read at scrape time (every worker reports the same Redis)',
    labelNames: ['queue', 'state'], registers,
    async collect() {
      if (!sources) return;
      const queues = [sources.jobs.connect, sources.jobs.control];
      const counts = await withinMs(Promise.all(queues.map((q) => q.getJobCounts(...JOB_STATES))), REDIS_SCRAPE_MS).catch(() => undefined);
      // Redis not answering: no values rather than stale ones (qcb_ready says why).
      this.reset();
      if (!counts) return;
      queues.forEach((q, i) => {
        for (const state of JOB_STATES) this.set({ queue: q.name, state }, counts[i]![state] ?? 0);
      });
    },
  });

  const attempts: AttemptObserver = {
    attemptEnded(e: AttemptEnded) {
      attemptsEnded.inc({ queue: e.queueId, result: e.result, hangup_cause: hangupCauseLabel(e.hangupCause) });
      if (e.result === 'switch_refused') refused.inc({ node: e.node ?? 'unknown' });
      if (e.entryKind === 'callback' && (e.entryTo === 'completed' || e.entryTo === 'failed')) callbacks.inc({ queue: e.queueId, outcome: e.entryTo });
    },
    bridged(e: AttemptBridged) {
      waitUntilAgent.observe({ queue: e.queueId, kind: e.entryKind }, seconds(e.arrivedAt.getTime(), e.bridgedAt.getTime()));
      if (e.entryKind === 'callback' && e.callbackRequestedAt) {
        callbackToConnect.observe({ queue: e.queueId }, seconds(e.callbackRequestedAt.getTime(), e.bridgedAt.getTime()));
      }
    },
    callbacksExpired(queueIds) {
      for (const queue of queueIds) callbacks.inc({ queue, outcome: 'expired' });
    },
  };

  const connect: ConnectMetrics = {
    agentLegsSent(a: ReservedAttempt) {
      // The free time is Postgres's clock, the send this process's: one clock on one machine,
      // NTP-close otherwise (a skew shows as a shift of a few ms, clamped at 0).
      const sent = Date.now();
      for (const agent of a.agents) {
        if (agent.freeSinceMs !== null && agent.freeSinceMs !== undefined) dispatchLatency.observe({ queue: a.queueId }, seconds(agent.freeSinceMs, sent));
      }
    },
  };

  return {
    runs, reserved, inFlight, attempts, connect,
    paced: (node) => paced.inc({ node }),
    watch(s) {
      sources = s;
      for (const node of s.nodes.names) {
        for (const c of [paced, refused, reconnects]) c.inc({ node }, 0);
      }
      for (const queue of s.queues) {
        for (const outcome of ['completed', 'failed', 'expired']) callbacks.inc({ queue, outcome }, 0);
      }
      s.nodes.on('connected', (node, info) => { if (info.reconnect) reconnects.inc({ node }); });
    },
  };
}

function seconds(fromMs: number, toMs: number): number {
  return Math.max(0, toMs - fromMs) / 1000;
}
