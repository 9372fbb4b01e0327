// CPU and memory of a few processes, sampled once a second from /proc (Linux): for the
// real-switch benchmarks (how busy FreeSWITCH and our daemons were during a run).
import { readFileSync } from 'node:fs';

const TICKS = 100; // USER_HZ on Linux

interface Sample { readonly t: number; readonly cpu: number; readonly rssKb: number }

function read(pid: number): { cpuTicks: number; rssKb: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuTicks = Number(fields[11]) + Number(fields[12]); // utime + stime
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    return { cpuTicks, rssKb };
  } catch {
    return null;
  }
}

export class ProcSampler {
  readonly #pids: Map<string, number>;
  readonly #samples = new Map<string, Sample[]>();
  readonly #last = new Map<string, { t: number; ticks: number }>();
  #timer: NodeJS.Timeout | undefined;

  constructor(pids: Record<string, number>) {
    this.#pids = new Map(Object.entries(pids));
  }

  start(): this {
    this.#tick();
    this.#timer = setInterval(() => this.#tick(), 1000);
    return this;
  }

  #tick(): void {
    const now = Date.now();
    for (const [name, pid] of this.#pids) {
      const r = read(pid);
      if (!r) continue;
      const last = this.#last.get(name);
      this.#last.set(name, { t: now, ticks: r.cpuTicks });
      if (!last) continue;
      const cpu = ((r.cpuTicks - last.ticks) / TICKS) / ((now - last.t) / 1000) * 100;
      const list = this.#samples.get(name) ?? [];
      list.push({ t: now, cpu, rssKb: r.rssKb });
      this.#samples.set(name, list);
    }
  }

  /** `name: avg/max CPU %, max RSS MB` for each process. */
  stop(): string {
    clearInterval(this.#timer);
    return [...this.#samples].map(([name, s]) => {
      const avg = s.reduce((a, x) => a + x.cpu, 0) / Math.max(1, s.length);
      const max = Math.max(...s.map((x) => x.cpu));
      const rss = Math.max(...s.map((x) => x.rssKb)) / 1024;
      return `${name} ${avg.toFixed(0)}/${max.toFixed(0)}% ${rss.toFixed(0)} MB`;
    }).join(', ');
  }
}
