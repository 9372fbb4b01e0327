// FreeSWITCH's own mod_callcenter on the real-switch lab, for `npm run bench:callcenter`
// (BENCHMARKS.md "Against mod_callcenter, same loads"): the lab's configuration (conf.ts: the
// stock one, which loads mod_callcenter, with freeswitch/ laid over it, so the same hold music
// and switch settings) plus one mod_callcenter queue and a dialplan context that sends callers
// to it. No controller, no worker, no database of ours: the switch does it all.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { buildLabConf, labDirs } from '../realswitch/lab/conf.js';
import type { FsInstall } from '../realswitch/lab/fs-install.js';
import { startFreeswitch, type FsProcess } from '../realswitch/lab/fs-process.js';
import { LAB_ESL_PASSWORD } from '../realswitch/lab/lab-env.js';
import { SwitchObserver } from '../realswitch/lab/observer.js';

export const CC_QUEUE = 'load@cc';
/** The extension callers dial (context qcb_cc), the same number as the bench's queue of ours. */
export const CC_EXTENSION = '8005';

/**
 * The queue: longest-idle-agent, our hold music (the drop-in's local_stream.conf.xml), callers
 * wait for ever (max-wait-time* 0), as in the queue of ours it is measured against.
 * Agents and tiers are added at run time (callcenter_config), nobody at start.
 */
const CALLCENTER_CONF = `<configuration name="callcenter.conf" description="CallCenter">
  <settings/>
  <queues>
    <queue name="${CC_QUEUE}">
      <param name="strategy" value="longest-idle-agent"/>
      <param name="moh-sound" value="local_stream://moh"/>
      <param name="time-base-score" value="system"/>
      <param name="max-wait-time" value="0"/>
      <param name="max-wait-time-with-no-agent" value="0"/>
      <param name="max-wait-time-with-no-agent-time-reached" value="5"/>
      <param name="tier-rules-apply" value="false"/>
      <param name="discard-abandoned-after" value="60"/>
      <param name="abandoned-resume-allowed" value="false"/>
    </queue>
  </queues>
  <agents/>
  <tiers/>
</configuration>
`;

/**
 * The caller's extension, and the agents' way to the lab's test parties.
 *
 * hangup_after_bridge=true: mod_callcenter bridges caller and agent with uuid_bridge
 * (mod_callcenter.c, outbound_agent_thread_run); without it the caller, once the agent hangs
 * up, would go on in this extension after `callcenter` (switch_ivr_bridge.c,
 * uuid_bridge_on_soft_execute) instead of hanging up — as our controller sets it too.
 *
 * cc-<party>: an agent whose contact is a loopback channel must have its -b leg *bridged* to
 * the agent's real channel within 5 s, or mod_callcenter hangs the agent leg up with
 * DESTINATION_OUT_OF_ORDER (mod_callcenter.c, outbound_agent_thread_run, "Wait for loopback-b
 * to be fully bridged"; FS-9516), then bridges the caller to that real channel. The lab's
 * parties (agent-answer: answer + park) are not bridged, so here the -b leg bridges to the same
 * party through a second loopback, whose -a leg becomes the agent's channel.
 */
const CC_DIALPLAN = `<include>
  <context name="qcb_cc">
    <extension name="cc_queue">
      <condition field="destination_number" expression="^${CC_EXTENSION}$">
        <action application="set" data="hangup_after_bridge=true"/>
        <action application="answer"/>
        <action application="callcenter" data="${CC_QUEUE}"/>
      </condition>
    </extension>
    <extension name="cc_agent">
      <condition field="destination_number" expression="^cc-(agent-.+)$">
        <action application="bridge" data="loopback/$1/qcb_test"/>
      </condition>
    </extension>
  </context>
</include>
`;

export interface CallcenterLab {
  readonly pid: number;
  readonly logFile: string;
  readonly observer: SwitchObserver;
  stop(): Promise<void>;
}

/** The lab's configuration plus the queue and context above; FreeSWITCH started on it. */
export async function startCallcenterLab(install: FsInstall, sessionsPerSecond?: number, maxSessions?: number): Promise<CallcenterLab> {
  const root = mkdtempSync(join(tmpdir(), 'qcb-cclab-'));
  const dirs = labDirs(root);
  let fs: FsProcess;
  try {
    buildLabConf(install.stockConf, dirs, sessionsPerSecond === undefined ? {} : { sessionsPerSecond });
    if (maxSessions !== undefined) {
      // The stock max-sessions (1000) refuses the 1001st channel; a loopback caller is two.
      const file = join(dirs.conf, 'autoload_configs', 'switch.conf.xml');
      const text = readFileSync(file, 'utf8');
      const param = /(<param name="max-sessions" value=")\d+("\/>)/;
      if (!param.test(text)) throw new Error('switch.conf.xml: no max-sessions parameter to change');
      writeFileSync(file, text.replace(param, (_, head: string, tail: string) => `${head}${maxSessions}${tail}`));
    }
    writeFileSync(join(dirs.conf, 'autoload_configs', 'callcenter.conf.xml'), CALLCENTER_CONF);
    writeFileSync(join(dirs.conf, 'dialplan', 'qcb_cc.xml'), CC_DIALPLAN);
    fs = await startFreeswitch({ install, dirs, eslPassword: LAB_ESL_PASSWORD, controllerAddress: '127.0.0.1:9' });
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  const observer = await SwitchObserver.connect(8021, LAB_ESL_PASSWORD);
  const logFile = fs.logFile;
  return {
    pid: fs.pid,
    logFile,
    observer,
    async stop() {
      await observer.close().catch(() => undefined);
      await fs.stop();
      if (!process.env.QCB_KEEP_LAB) rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A caller as the lab's Caller places one (test/realswitch/lab/caller.ts), into context qcb_cc. */
export interface CcCaller {
  readonly phone: string;
  /** The loopback -b leg: the channel in the queue (mod_callcenter's member). */
  readonly leg: string;
}

export async function dialCc(o: SwitchObserver, callerIdNumber: string, answerTimeoutMs: number): Promise<CcCaller> {
  const phone = randomUUID();
  const body = await o.client.bgapi(`originate {origination_uuid=${phone},origination_caller_id_number=${callerIdNumber}}loopback/${CC_EXTENSION}/qcb_cc &park()`, { timeoutMs: answerTimeoutMs });
  if (!body.startsWith('+OK')) throw new Error(`caller not answered: ${body.trim()}`);
  const leg = await o.api(`uuid_getvar ${phone} other_loopback_leg_uuid`);
  if (!/^[0-9a-f-]{36}$/.test(leg)) throw new Error(`no queue-side leg for ${phone}: ${leg}`);
  return { phone, leg };
}

/** Waits for mod_callcenter's hold music on the member leg (PLAYBACK_START of the moh stream). */
export function heardMoh(o: SwitchObserver, c: CcCaller, timeoutMs: number): Promise<boolean> {
  // mod_callcenter plays the queue's moh-sound with switch_ivr_play_file from inside its own app
  // (mod_callcenter.c, callcenter_function), not with the playback app: no CHANNEL_EXECUTE of
  // it, but switch_ivr_play_file fires PLAYBACK_START with Playback-File-Path once the stream is
  // open (switch_ivr_play_say.c).
  return o.waitFor(`${c.leg} on hold music`, (e) => e.uuid === c.leg && e.name === 'PLAYBACK_START'
    && e.h['Playback-File-Path'] === 'local_stream://moh', timeoutMs).then(() => true, () => false);
}

/** `callcenter_config …`, failing on anything but +OK. */
export async function ccConfig(o: SwitchObserver, args: string): Promise<string> {
  const r = await o.api(`callcenter_config ${args}`);
  if (/^-ERR/.test(r)) throw new Error(`callcenter_config ${args}: ${r}`);
  return r;
}

/**
 * Agents a0…a<n-1> of type callback reaching the lab party `<party>-a<i>` (agent-answer,
 * agent-hangup3), wrap-up 0, in tier 1 of the queue, Logged Out until made Available.
 */
export async function addAgents(o: SwitchObserver, count: number, party: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = `a${i}`;
    await ccConfig(o, `agent add ${id} callback`);
    await ccConfig(o, `agent set contact ${id} loopback/cc-${party}-${id}/qcb_cc`);
    await ccConfig(o, `agent set wrap_up_time ${id} 0`);
    await ccConfig(o, `tier add ${CC_QUEUE} ${id} 1 1`);
    ids.push(id);
  }
  return ids;
}

export async function removeAgents(o: SwitchObserver, ids: string[]): Promise<void> {
  for (const id of ids) {
    await ccConfig(o, `tier del ${CC_QUEUE} ${id}`).catch(() => undefined);
    await ccConfig(o, `agent del ${id}`).catch(() => undefined);
  }
}

/** Lines FreeSWITCH logged at ERR or CRIT after byte `from` of its log. */
export function switchErrorsSince(logFile: string, from: number): string[] {
  const size = statSync(logFile).size;
  if (size <= from) return [];
  const fd = openSync(logFile, 'r');
  try {
    const buf = Buffer.alloc(size - from);
    readSync(fd, buf, 0, buf.length, from);
    return buf.toString('utf8').split('\n').filter((l) => /\[(ERR|CRIT)\]/.test(l));
  } finally {
    closeSync(fd);
  }
}

/** Hangs every call up and waits until the switch has no channel left. */
export async function hangupAll(o: SwitchObserver, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await o.api('hupall MANAGER_REQUEST');
    for (let i = 0; i < 30; i++) {
      if (/^0 total/m.test(await o.api('show channels count'))) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    if (Date.now() > deadline) throw new Error(`channels left after hupall: ${await o.api('show channels count')}`);
  }
}
