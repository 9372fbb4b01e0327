// The config module: the shipped example loads and is frozen, defaults are filled in, a real 0
// stays 0, and a broken file yields every problem at once, each with its path.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { ConfigError, DEFAULT_BLOCKED_PREFIXES, loadConfig, type Config } from '../../controller/config/index.js';
import { workerPoolSize } from '../../controller/dispatch/worker.js';

const EXAMPLE = fileURLToPath(new URL('../../controller/config/example.yaml', import.meta.url));

/** Parses YAML text with an empty environment; returns the issues as `path: message` lines. */
function issuesOf(text: string, env: Record<string, string> = {}): string[] {
  try {
    loadConfig({ text, env });
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.issues.map((i) => `${i.path}: ${i.message}`);
  }
  assert.fail('expected the config to be rejected');
}

const MINIMAL = `
queues:
  - name: support
    extension: "7000"
`;

describe('config: the shipped example', () => {
  it('loads the two-queue pattern', () => {
    const config = loadConfig({ file: EXAMPLE, env: {} });
    assert.equal(config.configPath, EXAMPLE);
    const [first, second] = config.queues;
    assert.ok(first && second);
    assert.equal(first.name, 'sales-first');
    assert.equal(first.extension, '8000');
    assert.equal(first.maxWaitSeconds, 20);
    assert.deepEqual(first.overflow, { action: 'queue', queue: 'sales' });
    assert.equal(first.callback.mode, 'off');
    assert.equal(second.name, 'sales');
    assert.equal(second.extension, '8001');
    assert.equal(second.callback.mode, 'both');
    assert.equal(second.callback.offerKey, '2');
    assert.equal(second.greeting, 'greeting-callback');
    assert.equal(second.callback.dialTemplate, 'sofia/gateway/pstn/{number}');
    assert.equal(second.callback.expiryMinutes, 120);
    assert.deepEqual(second.callback.retry, { attempts: 3, delaysSeconds: [120, 600] });
    assert.equal(second.announce.positionEverySeconds, 60);
    assert.deepEqual(config.agents.map((a) => a.id), ['alice', 'bob']);
    assert.equal(config.agents[1]?.wrapUpSeconds, 0, 'an explicit 0 stays 0');
  });

  it('is deeply frozen', () => {
    const config = loadConfig({ file: EXAMPLE, env: {} });
    const mutable = config as unknown as { queues: Array<{ name: string; callback: { numberRules: { allow: string[] } } }> };
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.queues));
    assert.ok(Object.isFrozen(config.queues[1]?.callback.numberRules.allow));
    assert.ok(Object.isFrozen(config.agents[0]?.tiers[0]));
    assert.throws(() => { mutable.queues[0]!.name = 'changed'; }, TypeError);
    assert.throws(() => { mutable.queues[1]!.callback.numberRules.allow.push('.*'); }, TypeError);
  });

  it('is found through QCB_CONFIG', () => {
    const config = loadConfig({ env: { QCB_CONFIG: EXAMPLE } });
    assert.equal(config.queues.length, 2);
  });
});

describe('config: defaults', () => {
  it('fills every optional key of a minimal file', () => {
    const config: Config = loadConfig({ text: MINIMAL, env: {} });
    assert.deepEqual(config.freeswitch, {
      nodes: [{ name: 'fs1', host: '127.0.0.1', eslPort: 8021, eslPasswordEnv: 'ESL_PASSWORD_FS1', originateSessionsPerSecond: 15 }],
      defaultNode: 'fs1',
    });
    assert.deepEqual(config.controller, {
      listen: { host: '127.0.0.1', port: 8084 }, http: { host: '127.0.0.1', port: 8085 }, drainTimeoutSeconds: 300,
    });
    assert.deepEqual(config.worker, { concurrency: 10, reconcileIntervalSeconds: 30, http: { host: '127.0.0.1', port: 8086 } });
    assert.equal(workerPoolSize(config.worker), 14, 'the Postgres pool: concurrency + 4, at least 10');
    const sized = loadConfig({ text: `${MINIMAL}worker: { concurrency: 25, databaseConnections: 12 }\n`, env: {} });
    assert.equal(sized.worker.databaseConnections, 12);
    assert.equal(workerPoolSize(sized.worker), 12, 'several workers on one Postgres: the pool as configured');
    assert.equal(workerPoolSize({ ...sized.worker, databaseConnections: undefined }), 29);
    assert.throws(() => loadConfig({ text: `${MINIMAL}worker: { databaseConnections: 0 }\n`, env: {} }), ConfigError);
    assert.deepEqual(config.prompts, { directory: '/usr/share/freeswitch/sounds/qcb', defaultLanguage: 'en' });
    assert.deepEqual(config.retry, { attempts: 3, delaysSeconds: [300], expiryMinutes: 240 });
    assert.deepEqual(config.agents, []);
    const q = config.queues[0];
    assert.ok(q);
    assert.equal(q.displayName, 'support');
    assert.equal(q.language, 'en');
    assert.equal(q.strategy, 'longest-idle');
    assert.equal(q.greeting, 'greeting');
    assert.equal(q.holdMusic, 'local_stream://moh');
    assert.equal(q.agentRingTimeoutSeconds, 20);
    assert.equal(q.wrapUpSeconds, 10);
    assert.equal(q.maxWaitSeconds, null);
    assert.equal(q.overflow, null);
    assert.deepEqual(q.announce, { positionEverySeconds: null, estimatedWait: false });
    assert.deepEqual(q.prompts, {});
    assert.deepEqual(q.callback, {
      mode: 'off', offerAfterSeconds: 60, offerKey: '2', reofferAfterCancel: false, readBack: true,
      offerPrompt: 'requested', callerIdNumber: null, callerIdName: 'support', dialTemplate: null,
      numberRules: { minLength: 5, maxLength: 15, allow: ['[0-9]+'], blockedPrefixes: [...DEFAULT_BLOCKED_PREFIXES] },
      retry: { attempts: 3, delaysSeconds: [300] }, expiryMinutes: 240, announceEstimateFromMinutes: 5,
      menuTimeoutSeconds: 5, menuMaxTries: 3, entryMaxTries: 3, customerRingTimeoutSeconds: 40,
      confirmCustomer: { enabled: false, timeoutSeconds: 10, key: '1', tries: 2 },
    });
  });

  it('blocks international and premium prefixes by default', () => {
    for (const p of ['+', '00', '0900', '1900', '810']) assert.ok(DEFAULT_BLOCKED_PREFIXES.includes(p), p);
  });

  it('keeps a real 0 and merges a queue retry override over the global policy', () => {
    const config = loadConfig({
      env: {},
      text: `
controller: { http: { port: 0 }, drainTimeoutSeconds: 0 }
prompts: { defaultLanguage: uk }
retry: { attempts: 4, delaySeconds: [0, 60], expiryMinutes: 30 }
queues:
  - name: q
    extension: "0800"
    wrapUpSeconds: 0
    announce: { positionEverySeconds: off }
    callback: { mode: on_request, offerKey: 2, dialTemplate: "sofia/gateway/gw/{number}", retry: { attempts: 2 }, customerRingTimeoutSeconds: 25 }
agents:
  - { id: a, contact: user/1001, maxNoAnswer: 0, busyDelaySeconds: 0, wrapUpSeconds: 0, tiers: [{ queue: q }] }
`,
    });
    assert.equal(config.controller.http.port, 0);
    assert.equal(config.controller.drainTimeoutSeconds, 0);
    const q = config.queues[0];
    assert.ok(q);
    assert.equal(q.extension, '0800', 'a quoted extension keeps its leading zero');
    assert.equal(q.wrapUpSeconds, 0);
    assert.equal(q.language, 'uk', 'language defaults to prompts.defaultLanguage');
    assert.equal(q.announce.positionEverySeconds, null);
    assert.equal(q.callback.offerKey, '2', 'an unquoted single digit is taken as the key');
    assert.deepEqual(q.callback.retry, { attempts: 2, delaysSeconds: [0, 60] });
    assert.equal(q.callback.expiryMinutes, 30);
    assert.equal(q.callback.customerRingTimeoutSeconds, 25);
    const a = config.agents[0];
    assert.ok(a);
    assert.equal(a.maxNoAnswer, 0);
    assert.equal(a.busyDelaySeconds, 0);
    assert.equal(a.wrapUpSeconds, 0);
    assert.equal(a.ringTimeoutSeconds, null);
    assert.equal(a.name, 'a');
    assert.deepEqual(a.tiers, [{ queue: 'q', level: 1, position: 1 }]);
  });

  it('accepts a transfer and a hangup overflow', () => {
    const config = loadConfig({
      env: {},
      text: `
queues:
  - { name: a, extension: "1", maxWaitSeconds: 5, overflow: { action: transfer, extension: voicemail } }
  - { name: b, extension: "2", maxWaitSeconds: 5, overflow: { action: hangup } }
`,
    });
    assert.deepEqual(config.queues[0]?.overflow, { action: 'transfer', extension: 'voicemail', dialplan: 'XML', context: 'default' });
    assert.deepEqual(config.queues[1]?.overflow, { action: 'hangup' });
  });
});

describe('config: errors', () => {
  const BROKEN = `
freeswitch:
  nodes: [{ name: fs1, host: "bad host" }]
  defaultNode: fs9
controller: { listen: { port: 70000 } }
queues:
  - name: first
    extension: "8000"
    maxWaitSeconds: 20
    overflow: { action: queue, queue: second }
  - name: second
    extension: "8000"
    strategy: fifo
    maxWaitSeconds: 30
    overflow: { action: queue, queue: first }
    callback:
      mode: both
      offerAfterSeconds: 0
      offerKey: "22"
      numberRules: { minLength: 12, maxLength: 10, allow: ["(("], blockedPrefixes: [0900] }
  - name: Third
    extension: 8002
    overflow: { action: queue, queue: nowhere }
    callback: { mode: after_timeout, dialTemplate: "sofia/gateway/pstn/number" }
    announce: { positionEverySeconds: sometimes }
    holdMusicc: local_stream://moh
agents:
  - { id: alice, contact: "", tiers: [{ queue: ghost }, { queue: first, level: 0 }] }
  - { id: alice, contact: user/1002, tiers: [{ queue: first }, { queue: first }] }
`;

  it('reports every problem at once, each with its path', () => {
    const issues = issuesOf(BROKEN);
    const expected = [
      'freeswitch.nodes[0].host: expected a host name or IP address',
      'freeswitch.defaultNode: no node named "fs9" in freeswitch.nodes',
      'controller.listen.port: expected a port number (0-65535)',
      'queues[1].extension: duplicate extension "8000" (also queues[0])',
      'queues[1].strategy: expected one of: ring-all, longest-idle, round-robin, top-down, least-talk-time, fewest-calls, random',
      'queues[1].callback.offerAfterSeconds: expected a positive integer',
      'queues[1].callback.offerKey: expected one DTMF key: 0-9, *, # or A-D (quote * and #)',
      'queues[1].callback.dialTemplate: required when callback mode is "both" (e.g. "sofia/gateway/pstn/{number}")',
      'queues[1].callback.numberRules.maxLength: must be at least minLength (12)',
      'queues[0].overflow.queue: overflow cycle: first → second → first',
      'queues[2].name: expected lower-case letters, digits, "-" or "_", starting with a letter or digit',
      'queues[2].overflow.queue: no queue named "nowhere"',
      'queues[2].maxWaitSeconds: required when overflow is set (overflow happens after maxWaitSeconds)',
      'queues[2].callback.dialTemplate: must contain the placeholder {number} (e.g. "sofia/gateway/pstn/{number}")',
      'queues[2].announce.positionEverySeconds: expected a positive integer or "off"',
      'queues[2].holdMusicc: unknown key',
      'agents[0].contact: must not be empty',
      'agents[0].tiers[0].queue: no queue named "ghost"',
      'agents[0].tiers[1].level: expected a positive integer',
      'agents[1].id: duplicate agent id "alice" (also agents[0])',
      'agents[1].tiers[1].queue: duplicate tier for queue "first" (also agents[1].tiers[0])',
    ];
    for (const line of expected) assert.ok(issues.includes(line), `missing: ${line}\ngot:\n${issues.join('\n')}`);
    assert.ok(issues.some((i) => i.startsWith('queues[1].callback.numberRules.allow[0]: invalid regular expression')));
    assert.ok(issues.some((i) => i.startsWith('queues[2].extension: expected a string, got the number 8002; quote it (')));
    assert.ok(issues.some((i) => i.startsWith('queues[1].callback.numberRules.blockedPrefixes[0]: expected a string, got the number 900')));
  });

  it('puts every issue in one ConfigError whose message lists them with their lines', () => {
    let error: unknown;
    try {
      loadConfig({ text: BROKEN, env: {} });
    } catch (err) {
      error = err;
    }
    assert.ok(error instanceof ConfigError);
    assert.ok(error.issues.length >= 20, `only ${error.issues.length} issues`);
    const offer = error.issues.find((i) => i.path === 'queues[1].callback.offerAfterSeconds');
    assert.equal(offer?.line, 18);
    assert.match(error.message, /^invalid configuration: \d+ problems\n {2}- /);
    assert.match(error.message, /queues\[1\]\.callback\.offerAfterSeconds: expected a positive integer \(line 18\)/);
  });

  it('names required keys and rejects a file without queues', () => {
    assert.deepEqual(issuesOf('queues:\n  - { extension: "1" }\n'), ['queues[0].name: required']);
    assert.deepEqual(issuesOf('{}'), ['queues: required']);
    assert.deepEqual(issuesOf('queues: []'), ['queues: expected at least one queue']);
    assert.deepEqual(issuesOf('queues:\n  - { name: q, extension: "1", callback: { mode: sometimes, dialTemplate: "x/{number}" } }\n'),
      ['queues[0].callback.mode: expected one of: off, after_timeout, on_request, both']);
  });

  it('rejects control characters where they would reach a dial string or ESL command', () => {
    const issues = issuesOf(`
queues:
  - { name: q, extension: "1", greeting: "a\\nb", callback: { callerIdName: "Sales}, evil" } }
agents:
  - { id: a, contact: "user/1001\\napi hupall" }
`);
    assert.ok(issues.includes('queues[0].greeting: must not contain control characters (new lines, tabs)'));
    assert.ok(issues.includes('queues[0].callback.callerIdName: expected letters, digits, spaces and . _ @ ( ) - only'));
    assert.ok(issues.includes('agents[0].contact: must not contain control characters (new lines, tabs)'));
  });

  it('reports YAML syntax errors with their line', () => {
    let error: unknown;
    try {
      loadConfig({ text: 'queues:\n  - name: a\n    extension: "1"\n  bad: [\n', env: {} });
    } catch (err) {
      error = err;
    }
    assert.ok(error instanceof ConfigError);
    assert.equal(error.issues[0]?.path, 'file');
    assert.match(error.issues[0]?.message ?? '', /^YAML syntax: /);
    assert.equal(typeof error.issues[0]?.line, 'number');
  });

  it('reports a missing or unreadable file', () => {
    assert.throws(() => loadConfig({ env: {} }), (err: unknown) =>
      err instanceof ConfigError && err.issues[0]?.path === 'env.QCB_CONFIG');
    assert.throws(() => loadConfig({ env: {}, file: '/nonexistent/qcb.yaml' }), (err: unknown) =>
      err instanceof ConfigError && err.issues[0]?.message === 'cannot read /nonexistent/qcb.yaml: ENOENT');
  });
});
