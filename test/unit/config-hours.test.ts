// The `hours` queue key (issue 10 item 2): defaults, the resolved whenClosed, and every
// mistake an operator can make in a schedule reported with its path.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../controller/config/index.js';

function issuesOf(text: string): string[] {
  try {
    loadConfig({ text, env: {} });
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.issues.map((i) => `${i.path}: ${i.message}`);
  }
  assert.fail('expected the config to be rejected');
}

const CB = 'callback: { mode: on_request, dialTemplate: "loopback/{number}" }';
const queueWith = (hours: string, callback = CB) => `
queues:
  - name: support
    extension: "7000"
    ${callback}
    hours: ${hours}
`;

describe('config: queue opening hours', () => {
  it('no hours: null (always open, as before)', () => {
    const c = loadConfig({ text: 'queues:\n  - { name: support, extension: "7000" }\n', env: {} });
    assert.equal(c.queues[0]!.hours, null);
  });

  it('defaults: closed days, no holidays or closures, 15 minutes margin; whenClosed callback when the queue takes callbacks, else hangup', () => {
    const c = loadConfig({ text: queueWith('{ timeZone: Europe/Kyiv, weekly: { mon: ["09:00-13:00", "14:00-18:00"] } }'), env: {} });
    const h = c.queues[0]!.hours!;
    assert.equal(h.timeZone, 'Europe/Kyiv');
    assert.deepEqual(h.weekly, { mon: ['09:00-13:00', '14:00-18:00'], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] });
    assert.deepEqual(h.holidays, []);
    assert.deepEqual(h.closures, []);
    assert.equal(h.lastCallbackMinutesBeforeClose, 15);
    assert.deepEqual(h.whenClosed, { action: 'callback' });
    assert.ok(Object.isFrozen(h.weekly.mon), 'frozen like the rest');
    const off = loadConfig({ text: queueWith('{ timeZone: UTC, weekly: { sat: ["10:00-14:00"] } }', 'callback: { mode: "off" }'), env: {} });
    assert.deepEqual(off.queues[0]!.hours!.whenClosed, { action: 'hangup' });
  });

  it('whenClosed transfer gets the overflow defaults (XML, context default)', () => {
    const c = loadConfig({ text: queueWith('{ timeZone: UTC, weekly: { mon: ["09:00-17:00"] }, whenClosed: { action: transfer, extension: "9000" }, holidays: ["2026-12-25"], closures: [{ from: "2026-12-31T15:00", to: "2027-01-02T09:00" }], lastCallbackMinutesBeforeClose: 0 }'), env: {} });
    const h = c.queues[0]!.hours!;
    assert.deepEqual(h.whenClosed, { action: 'transfer', extension: '9000', dialplan: 'XML', context: 'default' });
    assert.deepEqual(h.closures, [{ from: '2026-12-31T15:00', to: '2027-01-02T09:00' }]);
    assert.equal(h.lastCallbackMinutesBeforeClose, 0, 'a 0 stays 0');
  });

  it('every mistake at once, each at its path', () => {
    const issues = issuesOf(queueWith(`{ timeZone: Europe/Kiev-ish, weekly: { mon: ["9:00-13:00", "12:00-14:00", "13:30-15:00"], tue: ["18:00-09:00"], fri: "09:00-17:00", sunday: [] },
      holidays: ["2026-02-30"], closures: [{ from: "2026-12-31T15:00", to: "2026-12-31T09:00" }, { from: "2026-12-31 15:00", to: "2027-01-01T10:00" }],
      whenClosed: { action: voicemail }, lastCallbackMinutesBeforeClose: -1 }`));
    const at = (path: string, text: RegExp) => assert.ok(issues.some((i) => i.startsWith(`queues[0].hours.${path}:`) && text.test(i)), `${path} ${text} in:\n${issues.join('\n')}`);
    at('timeZone', /IANA time zone/);
    at('weekly.mon[0]', /HH:MM-HH:MM/);
    at('weekly.mon', /overlap/);
    at('weekly.tue[0]', /end after it starts.*24:00/);
    at('weekly.fri', /list/);
    at('weekly.sunday', /unknown key/);
    at('holidays[0]', /YYYY-MM-DD/);
    at('closures[0].to', /end after it starts/);
    at('closures[1].from', /YYYY-MM-DDTHH:MM/);
    at('whenClosed.action', /callback \| transfer \| hangup/);
    at('lastCallbackMinutesBeforeClose', /integer ≥ 0/);
  });

  it('a schedule that never opens, and a callback when closed on a queue without callbacks, are refused', () => {
    assert.ok(issuesOf(queueWith('{ timeZone: UTC, weekly: {} }')).some((i) => /^queues\[0\]\.hours\.weekly: .*never open/.test(i)));
    const issues = issuesOf(queueWith('{ timeZone: UTC, weekly: { mon: ["09:00-17:00"] }, whenClosed: { action: callback } }', 'callback: { mode: "off" }'));
    assert.ok(issues.some((i) => /^queues\[0\]\.hours\.whenClosed\.action: .*takes no callbacks/.test(i)), issues.join('\n'));
  });
});
