// The agents' feature-code keys: extension, pinRequired, language; the PIN only from the
// environment (QCB_AGENT_PIN_<ID>), required where the controller needs it, never in the file.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig, type ConfigNeed } from '../../controller/config/index.js';

const QUEUES = 'prompts: { defaultLanguage: ru }\nqueues: [{ name: q, extension: "8000" }]\n';

function issuesOf(text: string, env: Record<string, string> = {}, need: ConfigNeed[] = []): string[] {
  try {
    loadConfig({ text, env, need });
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.issues.map((i) => `${i.path}: ${i.message}`);
  }
  assert.fail('expected the config to be rejected');
}

describe('config: agents\' feature codes', () => {
  it('resolves extension, pinRequired, language and the PIN variable', () => {
    const c = loadConfig({
      env: { QCB_AGENT_PIN_ANN_2: '123456' },
      need: ['agentPins'],
      text: `${QUEUES}agents:\n  - { id: ann-2, contact: user/1001, extension: "1001", pinRequired: true, language: uk }\n  - { id: bob, contact: user/1002 }\n`,
    });
    const [ann, bob] = c.agents;
    assert.deepEqual([ann?.extension, ann?.pinRequired, ann?.language, ann?.pinEnv], ['1001', true, 'uk', 'QCB_AGENT_PIN_ANN_2']);
    assert.deepEqual([bob?.extension, bob?.pinRequired, bob?.language], [null, false, 'ru'], 'defaults: no phone, no PIN, prompts.defaultLanguage');
    assert.equal(c.secrets.agentPin('ann-2'), '123456');
    assert.equal(JSON.stringify(c).includes('123456'), false, 'the PIN is never printed');
    assert.equal((c.secrets.toJSON() as Record<string, string>).QCB_AGENT_PIN_ANN_2, '[redacted]');
  });

  it('refuses a PIN in the file, naming the variable', () => {
    const issues = issuesOf(`${QUEUES}agents:\n  - { id: ann, contact: user/1001, pin: "1234" }\n`);
    assert.deepEqual(issues, ['agents[0].pin: secrets are not allowed in the config file; set QCB_AGENT_PIN_ANN in the environment and pinRequired: true here']);
  });

  it('a required PIN that is not set is an error where the controller needs it (config check --require-secrets)', () => {
    const text = `${QUEUES}agents:\n  - { id: ann, contact: user/1001, extension: "1001", pinRequired: true }\n`;
    assert.deepEqual(issuesOf(text, {}, ['agentPins']), ['agents[0].pinRequired: no PIN for agent "ann": set QCB_AGENT_PIN_ANN in the environment']);
    assert.doesNotThrow(() => loadConfig({ text, env: {} }), 'without the need (a worker, a plain check) it is not asked for');
  });

  it('a PIN variable nobody reads, or a PIN that is not 4-12 digits, is an error that never shows the value', () => {
    const text = `${QUEUES}agents:\n  - { id: ann, contact: user/1001, extension: "1001" }\n  - { id: cat, contact: user/1003, pinRequired: true }\n`;
    assert.deepEqual(issuesOf(text, { QCB_AGENT_PIN_ANN: '1234', QCB_AGENT_PIN_CAT: '12a4x' }), [
      'env.QCB_AGENT_PIN_CAT: expected a PIN of 4-12 digits',
      'env.QCB_AGENT_PIN_ANN: set, but no agent with pinRequired: true reads it (agent ids map to QCB_AGENT_PIN_<ID>, upper-cased, other characters as "_")',
    ]);
  });

  it('checks extensions: digits, quoted, one agent per phone; PIN variables that would clash', () => {
    const issues = issuesOf(`${QUEUES}agents:
  - { id: a-1, contact: user/1001, extension: "1001", pinRequired: true }
  - { id: a_1, contact: user/1002, extension: "1001", pinRequired: true }
  - { id: c, contact: user/1003, extension: 1003 }
  - { id: d, contact: user/1004, extension: "10 04", language: de }
`);
    assert.ok(issues.includes('agents[1].extension: duplicate agent extension "1001" (also agents[0])'), issues.join('\n'));
    assert.ok(issues.includes('agents[1].id: agents "a-1" and "a_1" would share the PIN variable QCB_AGENT_PIN_A_1; rename one'), issues.join('\n'));
    assert.ok(issues.some((i) => i.startsWith('agents[2].extension: expected a string, got the number 1003; quote it')), issues.join('\n'));
    assert.ok(issues.includes('agents[3].extension: expected 1-16 digits, as a quoted string ("8000")'), issues.join('\n'));
    assert.ok(issues.includes('agents[3].language: expected one of: en, uk, ru'), issues.join('\n'));
  });
});
