// The outbound-socket handler: for each call FreeSWITCH hands us, find its queue, read the
// caller ID safely, and run a CallSession. An unknown queue gets a log line and a polite
// goodbye, never a crash. A feature code from an agent's phone (the dialplan sets
// qcb_agent_code) goes to its own short session instead (controller/agentcodes/).
import type { Logger } from '../log/logger.js';
import type { Config, QueueConfig } from '../config/types.js';
import type { OutboundSession } from '../esl/outbound-session.js';
import { sanitizeCallerIdName } from '../esl/caller-id.js';
import { usableCallerNumber } from '../queue/number-rules.js';
import type { CallEntryStore, EntryWatch } from './ports.js';
import type { FlowOutcome } from './types.js';
import { CallSession } from './call-session.js';
import { playbackArg, type PromptSet } from './prompt-files.js';
import { AGENT_CODE_VARIABLE, parseAgentCode } from '../agentcodes/agent-code.js';
import { AgentCodeSession, type AgentCodeOutcome } from '../agentcodes/agent-code-session.js';
import type { AgentStatusChanger } from '../agentcodes/agent-status.js';

export interface CallControllerOptions {
  readonly config: Config;
  readonly store: CallEntryStore;
  readonly logger: Logger;
  readonly timeScale?: number;
  readonly commandTimeoutMs?: number;
  /** Told about every finished call (metrics, tests). */
  readonly onCallEnded?: (info: { queue: string | null; outcome: FlowOutcome | 'unknown_queue'; channelUuid: string }) => void;
  /** Dispatch's news of callers' entries (agent reserved / released: issue 8c). */
  readonly entryWatch?: EntryWatch;
  /** Agents' feature codes change the status through this (absent: they are answered "could not be changed"). */
  readonly agentStatus?: AgentStatusChanger;
  /** Told about every finished feature-code call (metrics, tests). */
  readonly onAgentCode?: (info: { code: string; outcome: AgentCodeOutcome | 'invalid_code'; channelUuid: string }) => void;
}

/** Channel variables the dialplan may set to name the queue (freeswitch/dialplan). */
const QUEUE_VARIABLES = ['qcb_queue', 'queue_extension'];

/** Finds the queue a call is for: a channel variable first, else the destination number. */
export function resolveQueue(config: Config, channel: OutboundSession): QueueConfig | undefined {
  const data = channel.channelData;
  for (const v of QUEUE_VARIABLES) {
    const value = data.variable(v);
    if (!value) continue;
    const q = config.queues.find((x) => x.name === value || x.extension === value);
    if (q) return q;
  }
  const dest = data.header('Caller-Destination-Number') ?? data.variable('destination_number');
  return dest ? config.queues.find((x) => x.extension === dest) : undefined;
}

/** The prompt set of a queue. */
export function promptSetFor(config: Config, queue: QueueConfig): PromptSet {
  return { directory: config.prompts.directory, language: queue.language, overrides: queue.prompts };
}

/** Builds the EslOutboundServer handler. */
export function createCallHandler(options: CallControllerOptions): (channel: OutboundSession) => Promise<void> {
  const { config } = options;
  const byName = new Map(config.queues.map((q) => [q.name, q]));
  return async (channel) => {
    const data = channel.channelData;
    const log = options.logger.child({ callUuid: channel.uuid });
    const code = parseAgentCode(data.variable(AGENT_CODE_VARIABLE));
    if (code !== null) {
      await runAgentCode(options, channel, code, log);
      return;
    }
    const queue = resolveQueue(config, channel);
    if (!queue) {
      log.warn('call for an unknown queue: saying goodbye', {
        destination: data.header('Caller-Destination-Number'),
        queueVariables: QUEUE_VARIABLES.map((v) => data.variable(v) ?? null),
      });
      await politeGoodbye(config, channel).catch(() => undefined);
      options.onCallEnded?.({ queue: null, outcome: 'unknown_queue', channelUuid: channel.uuid });
      return;
    }
    const rawNumber = data.header('Caller-Caller-ID-Number') ?? null;
    // The callback candidate is checked as received, not after sanitizeCallerIdNumber: that one
    // keeps only the digits, so `0501234567abc` or `sip:0501234567@host` would become a number
    // the caller never presented, read back and called. usableCallerNumber refuses letters and
    // any other character itself (number-rules.ts), and the caller is asked for a number instead.
    const callerNumber = rawNumber === null ? null : usableCallerNumber(rawNumber, queue.callback.numberRules);
    const session = new CallSession({
      channel,
      queue,
      queueByName: (name) => byName.get(name),
      store: options.store,
      prompts: (q) => promptSetFor(config, q),
      fsNode: nodeOf(config, channel),
      logger: log.child({ queue: queue.name }),
      callerNumber,
      // Stored as data only (never put in a command): cut to a sane length.
      // Kept as data; Postgres text cannot hold NUL (a caller ID with one could not be queued).
      callerNumberRaw: rawNumber === null ? null : rawNumber.replaceAll('\0', '').slice(0, 64),
      callerName: sanitizeCallerIdName(data.header('Caller-Caller-ID-Name') ?? ''),
      timeScale: options.timeScale,
      commandTimeoutMs: options.commandTimeoutMs,
      entryWatch: options.entryWatch,
    });
    const outcome = await session.run();
    log.info('call ended', { queue: queue.name, outcome, entryId: session.entryId });
    options.onCallEnded?.({ queue: queue.name, outcome, channelUuid: channel.uuid });
  };
}

async function runAgentCode(
  options: CallControllerOptions, channel: OutboundSession, code: NonNullable<ReturnType<typeof parseAgentCode>>, log: Logger,
): Promise<void> {
  if ('invalid' in code) {
    log.warn('feature code with an unknown action: saying goodbye', { [AGENT_CODE_VARIABLE]: code.invalid });
    await politeGoodbye(options.config, channel, 'agent-status-failed').catch(() => undefined);
    options.onAgentCode?.({ code: 'invalid', outcome: 'invalid_code', channelUuid: channel.uuid });
    return;
  }
  const session = new AgentCodeSession({
    channel, action: code.action, config: options.config, statusChanger: options.agentStatus,
    logger: log, timeScale: options.timeScale, commandTimeoutMs: options.commandTimeoutMs,
  });
  const outcome = await session.run();
  log.info('feature code call ended', { code: code.action, outcome });
  options.onAgentCode?.({ code: code.action, outcome, channelUuid: channel.uuid });
}

/** The FreeSWITCH node a call came from: `qcb_node` from the dialplan, the switch's name, or the default. */
function nodeOf(config: Config, channel: OutboundSession): string {
  const names = config.freeswitch.nodes.map((n) => n.name);
  const candidates = [channel.channelData.variable('qcb_node'), channel.channelData.header('FreeSWITCH-Switchname'), channel.channelData.header('FreeSWITCH-Hostname')];
  return candidates.find((c): c is string => c !== undefined && names.includes(c)) ?? config.freeswitch.defaultNode;
}

async function politeGoodbye(config: Config, channel: OutboundSession, prompt = 'all-busy-goodbye'): Promise<void> {
  await channel.execute('answer');
  const set: PromptSet = { directory: config.prompts.directory, language: config.prompts.defaultLanguage, overrides: {} };
  await channel.execute('playback', playbackArg(set, [prompt]), { timeoutMs: 60_000 });
  await channel.hangup('NORMAL_CLEARING');
}
