// Number rules: the toll-fraud guard for callback numbers. Order of the checks, anchoring of the
// allow patterns, a leading + only by pattern, and caller ID values that mean "no number".
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkCallbackNumber, MAX_NUMBER_INPUT, usableCallerNumber } from '../../controller/queue/number-rules.js';
import type { NumberRules } from '../../controller/config/types.js';

const BLOCKED = ['+', '00', '011', '810', '0900', '0901', '900', '1900', '976', '1976', '809', '8809'];
const RULES: NumberRules = { minLength: 5, maxLength: 15, allow: ['[0-9]+'], blockedPrefixes: BLOCKED };

function rules(over: Partial<NumberRules> = {}): NumberRules {
  return { ...RULES, ...over };
}

function reason(raw: string, r: NumberRules = RULES): string {
  const check = checkCallbackNumber(raw, r);
  return check.ok ? `ok:${check.number}` : check.reason;
}

describe('checkCallbackNumber', () => {
  it('accepts a plain national number and returns it unchanged', () => {
    assert.deepEqual(checkCallbackNumber('0671234567', RULES), { ok: true, number: '0671234567' });
  });

  it('empty', () => {
    assert.deepEqual(checkCallbackNumber('', RULES), { ok: false, reason: 'empty' });
  });

  it('not_digits: anything but 0-9, including the characters that break dial strings', () => {
    for (const raw of ['abc', '067 123 4567', ' 0671234567', '0671234567 ', '067-123-4567', '067}1234567', '067,1234567',
      '067|1234567', '0671234567\n', '067\r\n1234', '06712345*7', '0671234567#', '١٢٣٤٥٦٧', '０６７１２３４５６７', '++380671234567',
      '38067+1234567', '+', ' ']) {
      assert.equal(reason(raw), 'not_digits', JSON.stringify(raw));
    }
  });

  it('a leading + is not_digits unless an allow pattern accepts it', () => {
    assert.equal(reason('+380671234567'), 'not_digits');
    // allowed by pattern, but the default blocked prefixes refuse "+"
    assert.equal(reason('+380671234567', rules({ allow: ['\\+?[0-9]+'] })), 'blocked_prefix');
    // a queue that calls abroad on purpose
    assert.equal(reason('+380671234567', rules({ allow: ['\\+380[0-9]{9}'], blockedPrefixes: [] })), 'ok:+380671234567');
    // pattern accepts + only for some numbers: the others are not_digits
    assert.equal(reason('+14155550100', rules({ allow: ['\\+380[0-9]{9}', '0[0-9]{9}'], blockedPrefixes: [] })), 'not_digits');
  });

  it('too_short / too_long on the count of digits, bounds included', () => {
    assert.equal(reason('1234'), 'too_short');
    assert.equal(reason('12345'), 'ok:12345');
    assert.equal(reason('123456789012345'), 'ok:123456789012345');
    assert.equal(reason('1234567890123456'), 'too_long');
    const plus = rules({ allow: ['\\+[0-9]+'], blockedPrefixes: [], minLength: 5, maxLength: 12 });
    assert.equal(reason('+380671234567', plus), 'ok:+380671234567', 'the + is not counted (12 digits)');
    assert.equal(reason('+3806712345678', plus), 'too_long');
    assert.equal(reason('+1234', plus), 'too_short');
  });

  it('input longer than MAX_NUMBER_INPUT is refused before any pattern runs', () => {
    const spy = rules({ maxLength: 1000, allow: ['[0-9]+'] });
    assert.equal(reason('1'.repeat(MAX_NUMBER_INPUT + 1), spy), 'too_long');
    assert.equal(reason(`+${'1'.repeat(MAX_NUMBER_INPUT)}`, rules({ allow: ['\\+[0-9]+'], blockedPrefixes: [] })), 'not_digits');
    assert.equal(reason('1'.repeat(MAX_NUMBER_INPUT), spy), `ok:${'1'.repeat(MAX_NUMBER_INPUT)}`);
  });

  it('blocked_prefix: the classic toll-fraud routes', () => {
    for (const raw of ['0038067123456', '01144207946000', '81044207946000', '09001234567', '09011234567', '9005551234',
      '19005551234', '9765551234', '19765551234', '8095551234', '88091234567']) {
      assert.equal(reason(raw), 'blocked_prefix', raw);
    }
    assert.equal(reason('0671234567'), 'ok:0671234567');
    assert.equal(reason('0900123', rules({ blockedPrefixes: [] })), 'ok:0900123');
  });

  it('not_allowed: no pattern matches the whole number (patterns are anchored)', () => {
    const ua = rules({ allow: ['0[0-9]{9}'] });
    assert.equal(reason('0671234567', ua), 'ok:0671234567');
    assert.equal(reason('380671234567', ua), 'not_allowed');
    assert.equal(reason('06712345678', ua), 'not_allowed', 'a prefix match is not enough');
    assert.equal(reason('10671234567', ua), 'not_allowed', 'a suffix match is not enough');
    // alternation is grouped before anchoring: ^(?:067|0671234567)$, not ^067|0671234567$
    const alt = rules({ allow: ['067|0671234567'], minLength: 3 });
    assert.equal(reason('0671234567', alt), 'ok:0671234567');
    assert.equal(reason('067', alt), 'ok:067');
    assert.equal(reason('06799999', alt), 'not_allowed');
    assert.equal(reason('99990671234567', alt), 'not_allowed');
  });

  it('any one of several patterns is enough', () => {
    const two = rules({ allow: ['0[0-9]{9}', '[1-9][0-9]{3}'], minLength: 4 });
    assert.equal(reason('0671234567', two), 'ok:0671234567');
    assert.equal(reason('2001', two), 'ok:2001');
    assert.equal(reason('20011', two), 'not_allowed');
  });

  it('an empty allow list accepts every number that passes the other checks', () => {
    assert.equal(reason('12345', rules({ allow: [] })), 'ok:12345');
    assert.equal(reason('+12345', rules({ allow: [], blockedPrefixes: [] })), 'not_digits', 'no pattern allows the +');
  });

  it('a pattern that does not compile matches nothing and does not throw', () => {
    assert.equal(reason('0671234567', rules({ allow: ['[0-9'] })), 'not_allowed');
    assert.equal(reason('0671234567', rules({ allow: ['[0-9', '[0-9]+'] })), 'ok:0671234567');
  });

  it('checks in order: empty, not_digits, length, blocked prefix, allow list', () => {
    const strict = rules({ allow: ['0[0-9]{9}'] });
    assert.equal(reason('', strict), 'empty');
    assert.equal(reason('ab', strict), 'not_digits', 'not_digits before too_short');
    assert.equal(reason('0090', strict), 'too_short', 'too_short before blocked_prefix');
    assert.equal(reason('0090000000000000000', strict), 'too_long', 'too_long before blocked_prefix');
    assert.equal(reason('0900123456', strict), 'blocked_prefix', 'blocked_prefix before not_allowed');
    assert.equal(reason('5671234567', strict), 'not_allowed');
  });
});

describe('usableCallerNumber', () => {
  it('returns a usable caller ID number', () => {
    assert.equal(usableCallerNumber('0671234567', RULES), '0671234567');
  });

  it('drops surrounding white space only', () => {
    assert.equal(usableCallerNumber('  0671234567\t', RULES), '0671234567');
    assert.equal(usableCallerNumber('067 123 4567', RULES), null);
  });

  it('null for missing and empty values', () => {
    assert.equal(usableCallerNumber(undefined, RULES), null);
    assert.equal(usableCallerNumber('', RULES), null);
    assert.equal(usableCallerNumber('   ', RULES), null);
  });

  it('null for the words that mean no number, in any case', () => {
    for (const raw of ['anonymous', 'Anonymous', 'ANONYMOUS', 'unknown', 'Unknown', 'private', 'PRIVATE', 'restricted',
      'Restricted', 'unavailable', 'withheld']) {
      assert.equal(usableCallerNumber(raw, RULES), null, raw);
    }
    // even with an allow-everything rule set
    assert.equal(usableCallerNumber('anonymous', rules({ allow: ['.*'], minLength: 1 })), null);
  });

  it('null for letters and anything that could break a dial string', () => {
    for (const raw of ['abc123', '0671234567abc', 'sip:0671234567@host', '0671234567}', '067,1234567', '0671234567\nX', '067|123']) {
      assert.equal(usableCallerNumber(raw, RULES), null, JSON.stringify(raw));
    }
  });

  it('null for too long values (without running patterns on them)', () => {
    assert.equal(usableCallerNumber('1'.repeat(16), RULES), null);
    assert.equal(usableCallerNumber('9'.repeat(10_000), rules({ maxLength: 100_000 })), null);
  });

  it('null when the rules refuse the number', () => {
    assert.equal(usableCallerNumber('123', RULES), null);
    assert.equal(usableCallerNumber('09001234567', RULES), null);
    assert.equal(usableCallerNumber('+380671234567', RULES), null);
    assert.equal(usableCallerNumber('380671234567', rules({ allow: ['0[0-9]{9}'] })), null);
    assert.equal(usableCallerNumber('+380671234567', rules({ allow: ['\\+380[0-9]{9}'], blockedPrefixes: [] })), '+380671234567');
  });
});
