// The environment half of the config and the secrets rule: env values parsed strictly (a real
// 0 stays 0, garbage is an error, never a default), secrets only from the environment and
// never printed, secrets found in the file rejected with the env var to use instead.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { ConfigError, loadConfig, loadEnv } from '../../controller/config/index.js';

const YAML = `
freeswitch:
  nodes:
    - { name: fs1, host: 10.0.0.1 }
    - { name: fs-2, host: 10.0.0.2 }
queues:
  - { name: q, extension: "8000" }
`;

function issues(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.issues.map((i) => `${i.path}: ${i.message}`);
  }
  assert.fail('expected a ConfigError');
}

describe('config: environment', () => {
  it('has defaults for an empty environment', () => {
    const env = loadEnv({});
    assert.equal(env.nodeEnv, 'development');
    assert.deepEqual(env.log, { level: 'info', format: undefined });
    assert.equal(env.configPath, undefined);
    assert.deepEqual(env.ports, { controller: undefined, controllerHttp: undefined, workerHttp: undefined, adminHttp: undefined });
    assert.equal(env.secrets.databaseUrl, undefined);
  });

  it('reads every variable it knows', () => {
    const env = loadEnv({
      NODE_ENV: 'production', LOG_LEVEL: 'debug', LOG_FORMAT: 'json', QCB_CONFIG: '/etc/qcb.yaml',
      DATABASE_URL: 'postgres://qcb@db/qcb', REDIS_URL: 'redis://redis:6379',
    });
    assert.equal(env.nodeEnv, 'production');
    assert.deepEqual(env.log, { level: 'debug', format: 'json' });
    assert.equal(env.configPath, '/etc/qcb.yaml');
    assert.equal(env.secrets.databaseUrl, 'postgres://qcb@db/qcb');
    assert.equal(env.secrets.redisUrl, 'redis://redis:6379');
  });

  it('QCB_API_TOKEN: kept as a secret (never printed); a short or spaced token is refused', () => {
    const env = loadEnv({ QCB_API_TOKEN: 'a-long-enough-token-123' });
    assert.equal(env.secrets.apiToken, 'a-long-enough-token-123');
    assert.doesNotMatch(JSON.stringify(env.secrets), /a-long-enough/);
    for (const bad of ['short', 'has spaces in it, long enough']) {
      assert.deepEqual(issues(() => loadEnv({ QCB_API_TOKEN: bad })),
        ['env.QCB_API_TOKEN: expected at least 16 characters without spaces (e.g. `openssl rand -hex 24`)'], bad);
    }
  });

  it('keeps a port of 0 and rejects anything that is not plain digits', () => {
    const env = loadEnv({ QCB_CONTROLLER_PORT: '0', QCB_CONTROLLER_HTTP_PORT: '0', QCB_WORKER_HTTP_PORT: '9100', QCB_ADMIN_HTTP_PORT: '8087' });
    assert.deepEqual(env.ports, { controller: 0, controllerHttp: 0, workerHttp: 9100, adminHttp: 8087 });
    for (const bad of ['abc', '-1', '1e3', ' 80', '80x', '70000', '0x50']) {
      assert.deepEqual(issues(() => loadEnv({ QCB_CONTROLLER_PORT: bad })),
        ['env.QCB_CONTROLLER_PORT: expected a port number (0-65535)'], `"${bad}"`);
    }
  });

  it('applies port overrides on top of the file, 0 included', () => {
    const config = loadConfig({ text: YAML, env: { QCB_CONTROLLER_PORT: '0', QCB_WORKER_HTTP_PORT: '0' } });
    assert.equal(config.controller.listen.port, 0);
    assert.equal(config.controller.http.port, 8085);
    assert.equal(config.worker.http.port, 0);
  });

  it('treats an empty value as unset', () => {
    const env = loadEnv({ LOG_LEVEL: '', DATABASE_URL: '', QCB_CONTROLLER_PORT: '' });
    assert.equal(env.log.level, 'info');
    assert.equal(env.secrets.databaseUrl, undefined);
    assert.equal(env.ports.controller, undefined);
  });

  it('reports every bad variable at once', () => {
    assert.deepEqual(issues(() => loadEnv({ NODE_ENV: 'prod', LOG_LEVEL: 'loud', LOG_FORMAT: 'xml', REDIS_URL: 'http://x' })), [
      'env.REDIS_URL: expected a redis:// or rediss:// URL',
      'env.NODE_ENV: expected one of: production, development, test',
      'env.LOG_LEVEL: expected one of: error, warn, info, http, verbose, debug, silly',
      'env.LOG_FORMAT: expected one of: json, pretty',
    ]);
  });

  it('requires the secrets a process needs, and says which', () => {
    assert.deepEqual(issues(() => loadEnv({}, ['database', 'redis'])), [
      'env.DATABASE_URL: required (postgres://user@host:5432/db)',
      'env.REDIS_URL: required (redis://host:6379)',
    ]);
    const missingEsl = issues(() => loadConfig({ text: YAML, env: { ESL_PASSWORD_FS1: 'x' }, need: ['esl'] }));
    assert.deepEqual(missingEsl, ['env.ESL_PASSWORD: required for node "fs-2" (or set its own ESL_PASSWORD_FS_2)']);
  });

  it('takes a node\'s own ESL password before the shared one', () => {
    const config = loadConfig({ text: YAML, env: { ESL_PASSWORD: 'shared', ESL_PASSWORD_FS_2: 'own' }, need: ['esl'] });
    assert.equal(config.secrets.eslPassword('fs1'), 'shared');
    assert.equal(config.secrets.eslPassword('fs-2'), 'own');
    assert.equal(config.freeswitch.nodes[1]?.eslPasswordEnv, 'ESL_PASSWORD_FS_2');
  });

  it('never prints a secret: not in JSON, inspect, or error messages', () => {
    const secret = 'pa55-s3cret';
    const config = loadConfig({
      text: YAML,
      env: { DATABASE_URL: `postgres://qcb:${secret}@db/qcb`, REDIS_URL: `redis://:${secret}@r:6379`, ESL_PASSWORD: secret },
    });
    assert.equal(config.secrets.databaseUrl, `postgres://qcb:${secret}@db/qcb`);
    assert.ok(!JSON.stringify(config).includes(secret));
    assert.ok(!inspect(config, { depth: 10 }).includes(secret));
    assert.match(JSON.stringify(config.secrets), /\[redacted\]/);
    const bad = issues(() => loadEnv({ DATABASE_URL: `mysql://root:${secret}@db/x` }));
    assert.deepEqual(bad, ['env.DATABASE_URL: expected a postgres:// or postgresql:// URL']);
    assert.ok(!bad.join().includes(secret));
  });
});

describe('config: secrets in the file', () => {
  it('rejects them, naming the env var to use', () => {
    const found = issues(() => loadConfig({
      env: {},
      text: `
freeswitch:
  nodes: [{ name: fs1, host: 10.0.0.1, password: ClueCon }]
databaseUrl: postgres://qcb@db/qcb
redis_url: redis://r
queues:
  - name: q
    extension: "8000"
    holdMusic: "http://user:hunter2@media.example/moh.mp3"
    prompts: { password_prompt: enter_password.wav }
`,
    }));
    assert.deepEqual(found, [
      'freeswitch.nodes[0].password: secrets are not allowed in the config file; set ESL_PASSWORD_FS1 or ESL_PASSWORD in the environment',
      'databaseUrl: secrets are not allowed in the config file; set DATABASE_URL in the environment',
      'redis_url: secrets are not allowed in the config file; set REDIS_URL in the environment',
      'queues[0].holdMusic: looks like a URL with a password; secrets are not allowed in the config file, pass them through the environment (DATABASE_URL, REDIS_URL)',
    ]);
    // Reported as a secret, not also as an unknown key; prompt names are not mistaken for secrets.
    assert.ok(!found.some((i) => i.includes('unknown key')));
    assert.ok(!found.join().includes('ClueCon') && !found.join().includes('hunter2'));
  });

  it('rejects them even when the rest of the file is fine', () => {
    assert.deepEqual(issues(() => loadConfig({ env: {}, text: 'eslPassword: x\nqueues: [{ name: q, extension: "1" }]\n' })), [
      'eslPassword: secrets are not allowed in the config file; set ESL_PASSWORD (or ESL_PASSWORD_<NODE>) in the environment',
    ]);
  });
});
