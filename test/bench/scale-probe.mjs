// Preloaded into the process measured by scale-bench.ts (`node --expose-gc --import
// ./scale-probe.mjs bin/qcb.mjs run controller`, and the bare-modesl server): the controller
// itself is unchanged. On SIGUSR2 it writes one JSON line to stdout — the event-loop delay
// since the previous line (perf_hooks.monitorEventLoopDelay, a 1 ms timer: each sample is how
// late that timer fired), then the memory after two full GCs — and starts a new window after
// the GCs, so their pause is in no window. Plain JS: it loads before tsx is registered.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { join } from 'node:path';

const RESOLUTION_MS = 1;
const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
histogram.enable();

// The histogram records the whole interval between two timer runs (node_perf.cc
// ELDHistogram: RecordDelta), i.e. resolution + lateness; the lateness is what is reported.
const lateMs = (ns) => Math.max(0, ns / 1e6 - RESOLUTION_MS);

process.on('SIGUSR2', () => {
  const eld = {
    samples: histogram.count,
    p50: lateMs(histogram.percentile(50)),
    p99: lateMs(histogram.percentile(99)),
    p999: lateMs(histogram.percentile(99.9)),
    max: lateMs(histogram.max),
  };
  const t0 = performance.now();
  globalThis.gc?.();
  globalThis.gc?.();
  const gcMs = performance.now() - t0;
  const m = process.memoryUsage();
  // what V8 keeps committed per space (MB): RSS counts it, heapUsed does not
  const spaces = Object.fromEntries(getHeapSpaceStatistics().map((sp) => [sp.space_name, Math.round(sp.space_size / 1048576)]));
  // open sockets, servers and timers with a handle: after the hang-up, what is left
  const handles = process._getActiveHandles().length;
  const extra = typeof globalThis.__scaleStats === 'function' ? globalThis.__scaleStats() : {};
  // SCALE_PROBE_HEAP=<dir>: a heap snapshot after the GCs at every line (to see what a session holds)
  const snapshot = process.env.SCALE_PROBE_HEAP ? writeHeapSnapshot(join(process.env.SCALE_PROBE_HEAP, `probe-${process.pid}-${Date.now()}.heapsnapshot`)) : undefined;
  histogram.reset();
  process.stdout.write(`${JSON.stringify({ message: 'scale probe', eld, gcMs, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, spaces, external: m.external, handles, snapshot, ...extra })}\n`);
});
