// One feature-code call from an agent's phone (*50 … *53, freeswitch/README.md "Agent feature
// codes"): answer, find the agent by the phone, ask for the PIN when the agent has one, change the
// status through the service layer, say what happened, hang up. A few seconds, no entry, no queue:
// the queue call flow (controller/callflow/) is not involved.
import type { Config, Language } from '../config/types.js';
import type { OutboundSession } from '../esl/outbound-session.js';
import { ChannelGoneError } from '../esl/errors/channel-gone-error.js';
import { EslConnectionClosedError } from '../esl/errors/esl-connection-closed-error.js';
import type { Logger } from '../log/logger.js';
import type { AgentAction } from '../service/agent-ops.js';
import { playbackArg, promptFile, type PromptSet } from '../callflow/prompt-files.js';
import { identifyAgent, pinMatches, resultPrompts, type PhoneIdentity, type StatusChange } from './agent-code.js';
import type { AgentStatusChanger } from './agent-status.js';

/** How a feature-code call ended (logs, metrics, tests). */
export type AgentCodeOutcome = StatusChange['kind'] | 'unknown_phone' | 'wrong_pin' | 'hung_up';

/** PIN entries before the call is ended with nothing changed. */
export const PIN_TRIES = 3;
const PIN_FIRST_DIGIT_MS = 10_000;
const PIN_NEXT_DIGIT_MS = 5_000;
/** Long enough for any of our prompts; a playback that never ends is a switch problem, not a wait. */
const PLAY_LIMIT_MS = 60_000;

export interface AgentCodeSessionOptions {
  readonly channel: OutboundSession;
  readonly action: AgentAction;
  readonly config: Config;
  /** Absent: every code is answered with agent-status-failed (and an error line). */
  readonly statusChanger: AgentStatusChanger | undefined;
  readonly logger: Logger;
  /** Simulator tests run the PIN timeouts faster. */
  readonly timeScale?: number;
  readonly commandTimeoutMs?: number;
}

export class AgentCodeSession {
  readonly #o: AgentCodeSessionOptions;
  readonly #ms: (ms: number) => number;

  constructor(options: AgentCodeSessionOptions) {
    this.#o = options;
    const scale = options.timeScale ?? 1;
    this.#ms = (ms) => Math.max(1, Math.round(ms * scale));
  }

  async run(): Promise<AgentCodeOutcome> {
    try {
      return await this.#run();
    } catch (err) {
      if (err instanceof ChannelGoneError || err instanceof EslConnectionClosedError) return 'hung_up';
      this.#o.logger.error('feature code: the call failed', { code: this.#o.action, error: (err as Error).message });
      await this.#o.channel.hangup('NORMAL_TEMPORARY_FAILURE').catch(() => undefined);
      return 'failed';
    }
  }

  async #run(): Promise<AgentCodeOutcome> {
    const { channel, config, action } = this.#o;
    const data = channel.channelData;
    const phone: PhoneIdentity = {
      userName: data.variable('user_name') ?? null,
      callerIdNumber: data.header('Caller-Caller-ID-Number') ?? null,
    };
    await channel.execute('answer', '', { timeoutMs: this.#o.commandTimeoutMs });
    const found = identifyAgent(config.agents, phone);
    if (!found.agent) {
      // Both values came from the network: logged as data (cut short), never used otherwise.
      this.#o.logger.warn('feature code from a phone that is no agent\'s: refused', {
        code: action, userName: phone.userName?.slice(0, 64) ?? null, callerIdNumber: phone.callerIdNumber?.slice(0, 64) ?? null,
      });
      await this.#end(config.prompts.defaultLanguage, ['agent-not-agent-phone']);
      return 'unknown_phone';
    }
    const agent = found.agent;
    const log = this.#o.logger.child({ agentId: agent.id, code: action, identifiedBy: found.by });
    if (agent.pinRequired && !(await this.#pinAccepted(agent.id, agent.language, log))) {
      log.warn('feature code refused: wrong PIN', { tries: PIN_TRIES });
      await channel.hangup('NORMAL_CLEARING');
      return 'wrong_pin';
    }
    const change: StatusChange = this.#o.statusChanger
      ? await this.#o.statusChanger.change(agent.id, action)
      : { kind: 'failed', message: 'the controller has no database for feature codes' };
    if (change.kind === 'failed') log.error('feature code: the status could not be changed', { error: change.message });
    else if (change.kind === 'refused') log.info('feature code refused', { reason: change.reason, detail: change.message });
    else log.info('agent status by feature code', { changed: change.kind === 'changed', status: change.status, state: change.state });
    await this.#end(agent.language, resultPrompts(action, change));
    return change.kind;
  }

  /**
   * Up to PIN_TRIES entries of the PIN, each ended by `#` or the digit timeout. play_and_get_digits
   * leaves what it read in a channel variable (and so in every later event and the CDR): it is
   * unset at once, and never logged.
   */
  async #pinAccepted(agentId: string, language: Language, log: Logger): Promise<boolean> {
    const expected = this.#o.config.secrets.agentPin(agentId);
    const set = promptSet(this.#o.config, language);
    for (let attempt = 1; attempt <= PIN_TRIES; attempt++) {
      const variable = `qcb_agent_pin_${attempt}`;
      // min max tries timeout terminators file invalid_file var regexp digit_timeout (mod_dptools.c)
      const args = `4 12 1 ${this.#ms(PIN_FIRST_DIGIT_MS)} # ${promptFile(set, 'agent-enter-pin')} silence_stream://250 ${variable} ^[0-9]+$ ${this.#ms(PIN_NEXT_DIGIT_MS)}`;
      const done = await this.#o.channel.execute('play_and_get_digits', args, { timeoutMs: PLAY_LIMIT_MS + this.#ms(PIN_FIRST_DIGIT_MS + 12 * PIN_NEXT_DIGIT_MS) });
      const typed = done.variable(variable) ?? '';
      await this.#o.channel.execute('unset', variable, { timeoutMs: this.#o.commandTimeoutMs });
      // `expected` is always set in a controller (it starts only with every required PIN,
      // load.ts agentPins); without one nothing typed can match.
      if (expected !== undefined && typed !== '' && pinMatches(typed, expected)) return true;
      log.warn('wrong PIN on a feature code', { attempt, of: PIN_TRIES, nothingTyped: typed === '', pinConfigured: expected !== undefined });
      await this.#play(set, ['agent-wrong-pin']);
    }
    return false;
  }

  async #end(language: Language, prompts: readonly string[]): Promise<void> {
    await this.#play(promptSet(this.#o.config, language), prompts);
    await this.#o.channel.hangup('NORMAL_CLEARING');
  }

  async #play(set: PromptSet, prompts: readonly string[]): Promise<void> {
    await this.#o.channel.execute('playback', playbackArg(set, prompts), { timeoutMs: PLAY_LIMIT_MS });
  }
}

function promptSet(config: Config, language: Language): PromptSet {
  return { directory: config.prompts.directory, language, overrides: {} };
}
