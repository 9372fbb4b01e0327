// Dial strings, channel-variable blocks and originate commands built from hostile input
// (docs/design.md §5 invariant 6). Every built string is parsed back with a small port of FreeSWITCH's
// own parsers (below), on both paths a dial string takes:
//   - `api originate <dial> <app>`: mod_commands.c originate_function splits on blanks first;
//   - `bridge <dial>` sent with sendmsg: the app argument is expanded, then parsed as is;
// and must yield exactly the intended variables and endpoints, nothing more.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  UnsafeDialStringError,
  assertDialableNumber,
  assertSingleLine,
  dialString,
  eslArg,
  expandDialTemplate,
  originateCommand,
  validateEndpoint,
  type DialString,
} from '../../controller/esl/dial-string.js';
import { ChannelVars, channelVar } from '../../controller/esl/channel-vars.js';
import { sanitizeCallerIdName, sanitizeCallerIdNumber } from '../../controller/esl/caller-id.js';

// =============================================================================================
// A port of the FreeSWITCH parsing involved (signalwire/freeswitch master). Kept close to the C
// so a reader can compare it line by line; strings stand for the in-place char buffers.

/** switch_utils.c unescape_char */
function unescapeChar(c: string): string {
  switch (c) {
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 's': return ' ';
    default: return c;
  }
}

/** switch_utils.c cleanup_separated_string: drops paired quotes, unescapes, trims blanks. */
function cleanup(str: string, delim: string | null): string {
  let i = 0;
  while (str[i] === ' ') i++;
  const out: string[] = [];
  let end: number | null = null;
  let inside = false;
  for (; i < str.length; i++) {
    let esc = false;
    if (str[i] === '\\') {
      const next = str[i + 1] ?? '\0';
      let e = next;
      if (next === "'" || next === '"' || (delim !== null && next === delim) || next === '\\' || (e = unescapeChar(next)) !== next) {
        i++;
        out.push(e);
        end = out.length;
        esc = true;
      }
    }
    if (!esc) {
      if (str[i] === "'" && (inside || str.indexOf("'", i + 1) !== -1)) {
        inside = !inside;
        if (inside) end = out.length;
      } else {
        out.push(str[i] as string);
        if (str[i] !== ' ' || inside) end = out.length;
      }
    }
  }
  return (end === null ? out : out.slice(0, end)).join('');
}

/** switch_utils.c separate_string_char_delim */
function separateCharDelim(buf: string, delim: string, max: number): string[] {
  const starts: number[] = [];
  const ends: number[] = [];
  let state: 'START' | 'FIND' = 'START';
  let inside = false;
  let p = 0;
  while (p < buf.length && starts.length < max) {
    if (state === 'START') {
      starts.push(p);
      state = 'FIND';
      continue;
    }
    const c = buf[p];
    if (c === '\\') p++;
    else if (c === "'" && (inside || buf.indexOf("'", p + 1) !== -1)) inside = !inside;
    else if (c === delim && !inside) {
      ends[starts.length - 1] = p;
      state = 'START';
    }
    p++;
  }
  return starts.map((s, k) => cleanup(buf.slice(s, ends[k] ?? buf.length), delim));
}

/** switch_utils.c separate_string_blank_delim */
function separateBlank(buf: string, max: number): string[] {
  const starts: number[] = [];
  const ends: number[] = [];
  let state: 'START' | 'SKIP_INITIAL' | 'FIND' | 'SKIP_ENDING' = 'START';
  let inside = false;
  let p = 0;
  while (p < buf.length && starts.length < max) {
    const c = buf[p];
    switch (state) {
      case 'START':
        starts.push(p);
        state = 'SKIP_INITIAL';
        break;
      case 'SKIP_INITIAL':
        if (c === ' ') p++;
        else state = 'FIND';
        break;
      case 'FIND':
        if (c === '\\') p++;
        else if (c === "'") inside = !inside;
        else if (c === ' ' && !inside) {
          ends[starts.length - 1] = p;
          state = 'SKIP_ENDING';
        }
        p++;
        break;
      case 'SKIP_ENDING':
        if (c === ' ') p++;
        else state = 'START';
        break;
    }
  }
  return starts.map((s, k) => cleanup(buf.slice(s, ends[k] ?? buf.length), null));
}

/** switch_utils.c switch_separate_string, with its leading ^^<delim> override. */
function separateString(buf: string, delim: string, max: number): string[] {
  if (buf.startsWith('^^') && buf.length >= 4) {
    delim = buf[2] as string;
    buf = buf.slice(3);
  }
  return delim === ' ' ? separateBlank(buf, max) : separateCharDelim(buf, delim, max);
}

/** switch_utils.c switch_find_end_paren: nesting count, blind to quotes and backslashes. */
function findEndParen(s: string, open: string, close: string): number {
  let i = 0;
  while (s[i] === ' ') i++;
  if (s[i] !== open) return -1;
  let depth = 1;
  for (let e = i + 1; e < s.length; e++) {
    if (s[e] === open && open !== close) depth++;
    else if (s[e] === close && --depth === 0) return e;
  }
  return -1;
}

type Vars = Array<[string, string]>;

/**
 * switch_event.c switch_event_create_brackets for one block at data[0]. (Its follow-on-block
 * path only triggers for bodies starting with the open bracket, which the builder never writes;
 * the model refuses it rather than guess.)
 */
function createBrackets(data: string, a: string, b: string, c: string): { vars: Vars; rest: string } {
  const end = findEndParen(data, a, b);
  if (end < 0) throw new Error(`model: parse error, no closing ${b}`);
  let body = data.slice(1, end);
  const rest = data.slice(end + 1);
  if (body.startsWith(a)) throw new Error('model: nested block body not modelled');
  if (body.startsWith('^^')) {
    c = body[2] ?? '';
    body = body.slice(3);
  }
  const vars: Vars = [];
  for (const item of separateString(body, c, 1024)) {
    const kv = separateString(item, '=', 2);
    if (kv.length === 2) vars.push([kv[0] as string, kv[1] as string]);
  }
  return { vars, rest };
}

interface ParsedLeg { vars: Vars; endpoint: string }
interface ParsedDial {
  enterprise: boolean;
  ultraVars: Vars;
  globalVars: Vars;
  /** `|` groups, each a list of `,` legs. */
  groups: ParsedLeg[][];
}

const QUOTED_ESC_COMMA = '\x01';
const UNQUOTED_ESC_COMMA = '\x02';

/** switch_ivr_originate.c switch_ivr_originate, the string-parsing part (no dial handle). */
function parseOriginate(bridgeto: string): ParsedDial {
  const enterprise = bridgeto.includes(':_:');
  let data = bridgeto.replace(/^ +/, '');
  const ultraVars: Vars = [];
  const globalVars: Vars = [];
  while (data.startsWith('<')) {
    const r = createBrackets(data, '<', '>', ',');
    ultraVars.push(...r.vars);
    data = r.rest;
  }
  while (data.startsWith('{')) {
    const r = createBrackets(data, '{', '}', ',');
    globalVars.push(...r.vars);
    data = r.rest;
  }
  data = data.replace(/^ +/, '');
  const groups = separateString(data, '|', 128).map((group) => {
    // The pre-scan marking commas inside [...] (QUOTED_ESC_COMMA / UNQUOTED_ESC_COMMA).
    const p = group.split('');
    let end = -1;
    let q = false;
    let alt = false;
    for (let i = 0; i < p.length; i++) {
      if (end < 0 && p[i] === '[') {
        const rel = findEndParen(group.slice(i), '[', ']');
        end = rel < 0 ? -1 : i + rel;
        alt = p[i + 1] === '^' && p[i + 2] === '^';
        q = false;
      }
      if (p[i] === "'") q = !q;
      if (end >= 0 && i < end && p[i] === ',' && p[i - 1] !== '\\') p[i] = q || alt ? QUOTED_ESC_COMMA : UNQUOTED_ESC_COMMA;
      if (i === end) end = -1;
    }
    return separateString(p.join(''), ',', 128).map((peer): ParsedLeg => {
      let chan = peer.replace(/^ +/, '');
      const vars: Vars = [];
      while (chan.startsWith('[')) {
        const bend = findEndParen(chan, '[', ']');
        if (bend > 0) chan = chan.slice(0, bend).replaceAll(QUOTED_ESC_COMMA, ',') + chan.slice(bend);
        const r = createBrackets(chan, '[', ']', UNQUOTED_ESC_COMMA);
        if (r.rest === chan) throw new Error('model: parse error');
        vars.push(...r.vars);
        chan = r.rest;
      }
      return { vars, endpoint: chan.replace(/^ +/, '') };
    });
  });
  return { enterprise, ultraVars, globalVars, groups };
}

/** switch_utils.h switch_string_var_check_const || switch_string_has_escaped_data: would expansion touch it? */
function wouldExpand(s: string): boolean {
  let dol = false;
  for (const c of s) {
    if (c === '$') dol = true;
    else if (dol) {
      if (c === '{') return true;
      if (c !== '\\') dol = false;
    }
  }
  return /\\[\\nst']/.test(s);
}

/** mod_event_socket.c: `api <cmd> <arg>` is the first line; then mod_commands.c originate_function. */
function parseApiOriginate(line: string): { dial: ParsedDial; dialArg: string; exten: string | null; app?: { name: string; arg: string | null } } {
  assert.ok(!/[\r\n\0]/.test(line), 'the api line must be one line');
  const cmdline = `api ${line}`;
  const apiCmd = cmdline.slice(4);
  const sp = apiCmd.indexOf(' ');
  assert.equal(apiCmd.slice(0, sp), 'originate');
  const arg = apiCmd.slice(sp + 1).trim(); // switch_api_execute: switch_strip_whitespace
  const argv: Array<string | null> = separateString(arg, ' ', 10).map((a) => (a.toLowerCase() === 'undef' ? null : a));
  assert.ok(argv.length >= 2 && argv.length <= 7, `originate wants 2-7 arguments, got ${argv.length}: ${JSON.stringify(argv)}`);
  const [aleg, exten] = argv;
  assert.ok(aleg, 'dial string argument');
  if (exten && exten.startsWith('&') && exten.length > 1) {
    let appName = exten.slice(1);
    const close = appName.indexOf(')');
    if (close >= 0) appName = appName.slice(0, close);
    const open = appName.indexOf('(');
    const app = open >= 0 ? { name: appName.slice(0, open), arg: appName.slice(open + 1) } : { name: appName, arg: null };
    return { dial: parseOriginate(aleg), dialArg: aleg, exten, app };
  }
  return { dial: parseOriginate(aleg), dialArg: aleg, exten: exten ?? null };
}

// =============================================================================================
// Helpers

function assertUnsafe(fn: () => unknown, field: string | RegExp, code?: string): UnsafeDialStringError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof UnsafeDialStringError, `expected UnsafeDialStringError, got ${String(caught)}`);
  if (typeof field === 'string') assert.equal(caught.field, field);
  else assert.match(caught.field, field);
  if (code !== undefined) assert.equal(caught.code, code, caught.message);
  assert.ok(caught.reason.length > 0);
  assert.ok(!/[\r\n]/.test(caught.message), 'error message stays on one line');
  assert.ok(caught.value.length <= 120, 'value preview is truncated');
  return caught;
}

interface Expected {
  globalVars: Vars;
  groups: Array<Array<{ vars: Vars; endpoint: string }>>;
}

/** Parses `dial` on both paths and compares with what was meant, exactly. */
function assertRoundTrip(dial: string, expected: Expected): void {
  // Path 1: sendmsg execute bridge <dial> — expanded first (must be a no-op), then parsed.
  assert.equal(wouldExpand(dial), false, `variable expansion would rewrite ${dial}`);
  const viaBridge = parseOriginate(dial);
  // Path 2: api originate <dial> &park()
  const api = parseApiOriginate(originateCommand({ dial: dial as DialString }));
  assert.deepEqual(api.app, { name: 'park', arg: '' });
  for (const parsed of [viaBridge, api.dial]) {
    assert.equal(parsed.enterprise, false, 'no :_: enterprise split');
    assert.deepEqual(parsed.ultraVars, []);
    assert.deepEqual(parsed.globalVars, expected.globalVars);
    assert.deepEqual(parsed.groups, expected.groups);
    const flat = JSON.stringify(parsed);
    assert.ok(!flat.includes('\\u0001') && !flat.includes('\\u0002'), 'no comma markers left behind');
  }
}

// =============================================================================================
// Hostile caller IDs

const TEN_KB = 'A'.repeat(10 * 1024);

/** [label, raw caller ID name]. */
const HOSTILE: Array<[string, string]> = [
  ['closing brace', 'Bob}sofia/gateway/evil/900'],
  ['brace injection', 'x},origination_uuid=1234{'],
  ['comma', 'Doe, John'],
  ['comma var smuggling', 'x,execute_on_answer=system rm'],
  ['pipe', 'a|loopback/9999'],
  ['spaces', 'John  Q Public'],
  ['leading/trailing space', ' John '],
  ['newline', 'John\nDoe'],
  ['CRLF header injection', 'John\r\n\r\napi system rm -rf /'],
  ['expansion', '${system rm -rf /}'],
  ['global expansion', '$${hostname}'],
  ['single quote', "O'Brien"],
  ['quote break-out', "x',a=b,'"],
  ['double quote', 'say "hi"'],
  ['alt delimiter', '^^:a=b:c=d'],
  ['brackets', '[x]'],
  ['angle brackets', '<x>'],
  ['backslash', 'C:\\temp\\new'],
  ['escaped comma attempt', 'a\\,b'],
  ['url-encoded newline', 'Bob%0AEvil'],
  ['enterprise delimiter', 'a:_:user/666'],
  ['emoji', 'Олена 👩‍💻 Петренко'],
  ['cyrillic', 'Олександр'],
  ['10 KB', TEN_KB],
  ['NUL', 'a\0b'],
  ['tab', 'a\tb'],
  ['bidi override', 'Bob\u202Eevil'],
  ['lone surrogate', 'a\uD800b'],
  ['equals', 'a=b=c'],
  ['dollar alone', 'cost $5, 100%'],
  ['caret', 'x^y'],
];

describe('hostile caller ID names in {…} and […]', () => {
  for (const [label, raw] of HOSTILE) {
    test(`strict: ${label}`, () => {
      let vars: ChannelVars;
      try {
        vars = new ChannelVars({ origination_caller_id_name: raw, origination_caller_id_number: '+380671234567' });
      } catch (err) {
        assert.ok(err instanceof UnsafeDialStringError, String(err));
        assert.equal(err.field, 'origination_caller_id_name');
        assert.ok(!/[\r\n]/.test(err.message));
        return;
      }
      // Accepted: it must come back exactly, on both paths, in both block kinds.
      const intended: Vars = [
        ['origination_caller_id_name', raw],
        ['origination_caller_id_number', '+380671234567'],
      ];
      const global = dialString({ globalVars: vars, legs: [{ endpoint: 'user/1001' }], mode: 'simultaneous' });
      assertRoundTrip(global, { globalVars: intended, groups: [[{ vars: [], endpoint: 'user/1001' }]] });
      const perLeg = dialString({
        legs: [{ vars, endpoint: 'user/1001' }, { vars: { x: raw }, endpoint: 'user/1002' }],
        mode: 'simultaneous',
      });
      assertRoundTrip(perLeg, {
        globalVars: [],
        groups: [[{ vars: intended, endpoint: 'user/1001' }, { vars: [['x', raw]], endpoint: 'user/1002' }]],
      });
      const seq = dialString({ legs: [{ vars, endpoint: 'user/1001' }, { endpoint: 'user/1002' }], mode: 'sequential' });
      assertRoundTrip(seq, { globalVars: [], groups: [[{ vars: intended, endpoint: 'user/1001' }], [{ vars: [], endpoint: 'user/1002' }]] });
    });

    test(`sanitized: ${label}`, () => {
      const name = sanitizeCallerIdName(raw);
      if (name === null) return;
      assert.ok(name.length > 0 && Array.from(name).length <= 64);
      assert.ok(!/[{}[\]<>|,'"\\^$\p{Cc}]/u.test(name), name);
      const dial = dialString({ globalVars: { origination_caller_id_name: name }, legs: [{ endpoint: 'user/1001' }], mode: 'simultaneous' });
      assertRoundTrip(dial, { globalVars: [['origination_caller_id_name', name]], groups: [[{ vars: [], endpoint: 'user/1001' }]] });
    });
  }

  test('the reasons are the documented ones', () => {
    const code = (raw: string) => assertUnsafe(() => channelVar('n', raw), 'n').code;
    assert.equal(code('a}b'), 'bracket');
    assert.equal(code('a[b'), 'bracket');
    assert.equal(code('a|b'), 'pipe');
    assert.equal(code('a\nb'), 'newline');
    assert.equal(code('a\r\nb'), 'newline');
    assert.equal(code('a\0b'), 'nul');
    assert.equal(code('a\tb'), 'control_char');
    assert.equal(code('${system rm}'), 'expansion');
    assert.equal(code('$${x}'), 'expansion');
    assert.equal(code("it's"), 'quote');
    assert.equal(code('"x"'), 'quote');
    assert.equal(code('^^:x'), 'alt_delimiter');
    assert.equal(code('a\\b'), 'backslash');
    assert.equal(code('a:_:b'), 'enterprise_delimiter');
    assert.equal(code(' a'), 'edge_whitespace');
    assert.equal(code(''), 'empty');
    assert.equal(code(TEN_KB), 'too_long');
    assert.equal(code('a\uDC00'), 'invalid_unicode');
  });

  test('what is escaped, and how', () => {
    assert.equal(new ChannelVars({ a: 'x,y' }).toBlock(), '{a=x\\,y}');
    assert.equal(new ChannelVars({ a: 'x y' }).toBlock(), "{a='x y'}");
    assert.equal(new ChannelVars({ a: 'Doe, John' }).toBlock('leg'), "[a='Doe\\, John']");
    assert.equal(new ChannelVars({ a: 1, b: true, c: 'z', d: 2.5, e: -3 }).toBlock(), '{a=1,b=true,c=z,d=2.5,e=-3}');
    assert.equal(new ChannelVars().toBlock(), '');
    assert.equal(new ChannelVars({ a: 'Олена 👩‍💻', b: '100%', c: 'a=b', d: 'x^y', e: '$5' }).toBlock(),
      "{a='Олена 👩‍💻',b=100%,c=a=b,d=x^y,e=$5}");
  });

  test('sanitizeCallerIdName', () => {
    assert.equal(sanitizeCallerIdName('Doe, John'), 'Doe John');
    assert.equal(sanitizeCallerIdName('John\r\n\tDoe'), 'John Doe');
    assert.equal(sanitizeCallerIdName('${system rm -rf /}'), 'system rm -rf /');
    assert.equal(sanitizeCallerIdName("O'Brien"), 'OBrien');
    assert.equal(sanitizeCallerIdName('a:_:user/666'), 'a_user/666');
    assert.equal(sanitizeCallerIdName('^^:a=b'), 'a=b');
    assert.equal(sanitizeCallerIdName('Bob\u202Eevil'), 'Bobevil');
    assert.equal(sanitizeCallerIdName('Олександр Петренко'), 'Олександр Петренко');
    assert.equal(sanitizeCallerIdName('  👩‍💻  '), '👩‍💻');
    assert.equal(sanitizeCallerIdName('{}[]<>|,\'"\\^$'), null);
    assert.equal(sanitizeCallerIdName(''), null);
    assert.equal(sanitizeCallerIdName(undefined), null);
    assert.equal(sanitizeCallerIdName(42), null);
    assert.equal(sanitizeCallerIdName(TEN_KB), 'A'.repeat(64));
    assert.equal(sanitizeCallerIdName('😀'.repeat(100))?.length, 128, 'cut by code point, never inside a pair');
    assert.equal(sanitizeCallerIdName('abcdef', { maxLength: 3 }), 'abc');
  });

  test('sanitizeCallerIdNumber', () => {
    assert.equal(sanitizeCallerIdNumber('+380 (67) 123-45-67'), '+380671234567');
    assert.equal(sanitizeCallerIdNumber('0671234567'), '0671234567');
    assert.equal(sanitizeCallerIdNumber('sip:1001@10.0.0.1'), '100110001');
    assert.equal(sanitizeCallerIdNumber('1+2'), '12', 'a + that is not leading is dropped');
    assert.equal(sanitizeCallerIdNumber('anonymous'), null);
    assert.equal(sanitizeCallerIdNumber('+'), null);
    assert.equal(sanitizeCallerIdNumber('1'.repeat(21)), null);
    assert.equal(sanitizeCallerIdNumber(null), null);
    assert.equal(sanitizeCallerIdNumber('١٢٣'), null, 'only ASCII digits');
  });
});

// =============================================================================================
// Property check: random strings over the dangerous alphabet are either refused or round-trip.

describe('random hostile values', () => {
  test('refused with UnsafeDialStringError, or parsed back exactly on both paths', () => {
    const alphabet = ['a', 'b', ' ', ',', '|', '{', '}', '[', ']', '<', '>', "'", '"', '\\', '$', '^', ':', '_', '=', '%', '\n', '\r', 'й', '😀', 's', 'n'];
    let seed = 0x2545f491;
    const rand = (n: number) => {
      seed ^= seed << 13; seed >>>= 0;
      seed ^= seed >>> 17;
      seed ^= seed << 5; seed >>>= 0;
      return seed % n;
    };
    let accepted = 0;
    for (let k = 0; k < 3000; k++) {
      const len = 1 + rand(12);
      let raw = '';
      for (let i = 0; i < len; i++) raw += alphabet[rand(alphabet.length)];
      let g: ChannelVars;
      let l: ChannelVars;
      try {
        g = new ChannelVars({ a: raw, b: 'x' });
        l = new ChannelVars({ c: raw });
      } catch (err) {
        assert.ok(err instanceof UnsafeDialStringError, String(err));
        assert.match(err.field, /^[ac]$/);
        continue;
      }
      accepted++;
      const dial = dialString({ globalVars: g, legs: [{ vars: l, endpoint: 'user/1001' }, { vars: l, endpoint: 'user/1002' }], mode: k % 2 ? 'sequential' : 'simultaneous' });
      const legs = [{ vars: [['c', raw]] as Vars, endpoint: 'user/1001' }, { vars: [['c', raw]] as Vars, endpoint: 'user/1002' }];
      assertRoundTrip(dial, {
        globalVars: [['a', raw], ['b', 'x']],
        groups: k % 2 ? legs.map((leg) => [leg]) : [legs],
      });
      const sane = sanitizeCallerIdName(raw);
      if (sane !== null) channelVar('n', sane);
    }
    assert.ok(accepted > 100, `enough accepted values exercised the encoder (${accepted})`);
  });
});

// =============================================================================================
// Variable names and value types

describe('channelVar', () => {
  test('names must match ^[A-Za-z_][A-Za-z0-9_]*$', () => {
    for (const bad of ['', '1abc', 'a-b', 'a b', 'a=b', 'a,b', 'a}', 'sip_h_X-Foo', 'é', 'a'.repeat(129)]) {
      assertUnsafe(() => channelVar(bad, 'x'), bad, 'bad_name');
    }
    assert.deepEqual(channelVar('_Ok_1', 'x'), { name: '_Ok_1', value: 'x' });
  });

  test('values: strings, finite numbers, booleans', () => {
    assert.equal(channelVar('a', 20).value, '20');
    assert.equal(channelVar('a', false).value, 'false');
    assertUnsafe(() => channelVar('a', Number.NaN), 'a', 'bad_type');
    assertUnsafe(() => channelVar('a', Number.POSITIVE_INFINITY), 'a', 'bad_type');
    assertUnsafe(() => channelVar('a', null as unknown as string), 'a', 'bad_type');
    assertUnsafe(() => channelVar('a', {} as unknown as string), 'a', 'bad_type');
    assertUnsafe(() => channelVar('a', 'x'.repeat(20), { maxLength: 10 }), 'a', 'too_long');
  });

  test('ChannelVars: replace on re-set, skip null/undefined, field prefix on errors', () => {
    const v = new ChannelVars({ a: 1, b: null, c: undefined }).set('a', 2).setIfPresent('d', null).set('e', 'z');
    assert.equal(v.size, 2);
    assert.equal(v.get('a'), '2');
    assert.equal(v.has('b'), false);
    assert.equal(v.toBlock('leg'), '[a=2,e=z]');
    assert.equal(new ChannelVars([['x', 1], ['y', 'q r']]).toBlock(), "{x=1,y='q r'}");
    assert.equal(new ChannelVars(v).toBlock(), '{a=2,e=z}');
    assertUnsafe(() => dialString({ legs: [{ endpoint: 'user/1' }, { vars: { n: 'a}b' }, endpoint: 'user/2' }], mode: 'simultaneous' }), 'legs[1].vars.n', 'bracket');
    assertUnsafe(() => dialString({ globalVars: { n: 'a\nb' }, legs: [{ endpoint: 'user/1' }], mode: 'simultaneous' }), 'globalVars.n', 'newline');
  });

  test('the error carries field, truncated value and reason', () => {
    const err = assertUnsafe(() => channelVar('origination_caller_id_name', `${TEN_KB}\n`), 'origination_caller_id_name', 'too_long');
    assert.ok(err.value.includes('10241 chars'));
    assert.ok(err.value.length < 120);
    assert.match(err.message, /^unsafe origination_caller_id_name: /);
    assert.equal(err.name, 'UnsafeDialStringError');
    assert.ok(err instanceof Error);
    const nl = assertUnsafe(() => channelVar('n', 'a\r\nb'), 'n');
    assert.equal(nl.value, '"a\\r\\nb"');
  });
});

// =============================================================================================
// Endpoints, legs, templates

describe('dialString', () => {
  test('legs joined by "," (simultaneous) and "|" (sequential)', () => {
    const legs = [
      { vars: { leg: 1 }, endpoint: 'user/1001' },
      { vars: { leg: 2 }, endpoint: 'sofia/gateway/pstn/+380671234567' },
      { endpoint: 'sofia/internal/1003@10.0.0.5:5060' },
    ];
    const sim = dialString({ globalVars: { originate_timeout: 20, ignore_early_media: true }, legs, mode: 'simultaneous' });
    assert.equal(sim, '{originate_timeout=20,ignore_early_media=true}[leg=1]user/1001,[leg=2]sofia/gateway/pstn/+380671234567,sofia/internal/1003@10.0.0.5:5060');
    const expectedLegs = [
      { vars: [['leg', '1']] as Vars, endpoint: 'user/1001' },
      { vars: [['leg', '2']] as Vars, endpoint: 'sofia/gateway/pstn/+380671234567' },
      { vars: [] as Vars, endpoint: 'sofia/internal/1003@10.0.0.5:5060' },
    ];
    const g: Vars = [['originate_timeout', '20'], ['ignore_early_media', 'true']];
    assertRoundTrip(sim, { globalVars: g, groups: [expectedLegs] });
    const seq = dialString({ globalVars: { originate_timeout: 20, ignore_early_media: true }, legs, mode: 'sequential' });
    assert.equal(seq, sim.replaceAll(',[', '|[').replace(',sofia/internal', '|sofia/internal').replace('{originate_timeout=20|', '{originate_timeout=20,'));
    assertRoundTrip(seq, { globalVars: g, groups: expectedLegs.map((l) => [l]) });
  });

  test('endpoints: allowed shapes', () => {
    for (const ok of [
      'user/1001',
      'user/1001@pbx.example.com',
      'sofia/gateway/pstn/0671234567',
      'sofia/gateway/my-gw_1/+380671234567',
      'sofia/internal/1001@10.0.0.5',
      'sofia/internal/sip:1001@10.0.0.5:5080',
      'sofia/external/+15551234567@carrier.example.net',
      'loopback/8000',
      'loopback/8000/default',
      'loopback/8000/default/XML',
    ]) {
      assert.equal(validateEndpoint(ok), ok);
    }
  });

  test('endpoints: anything else throws', () => {
    for (const bad of [
      '',
      'user/1001 ',
      'user/10 01',
      'user/1001,user/1002',
      'user/1001|user/1002',
      '{a=b}user/1001',
      '[a=b]user/1001',
      'user/${x}',
      "user/'1001'",
      'user/1001\n',
      'user/a:_:b',
      'user/',
      'user//1001',
      'user/1001/extra',
      'sofia/gateway/pstn',
      'sofia/gateway/pstn/1/2',
      'sofia/internal',
      'loopback/1/2/3/4',
      'error/USER_BUSY',
      'freetdm/1/a/0671234567',
      '1001',
      'undef',
      'x'.repeat(300),
    ]) {
      assertUnsafe(() => validateEndpoint(bad), 'endpoint');
      assertUnsafe(() => dialString({ legs: [{ endpoint: 'user/1' }, { endpoint: bad }], mode: 'simultaneous' }), 'legs[1].endpoint');
    }
  });

  test('leg count limits', () => {
    assertUnsafe(() => dialString({ legs: [], mode: 'simultaneous' }), 'legs', 'empty');
    const many = Array.from({ length: 129 }, (_, i) => ({ endpoint: `user/${1000 + i}` }));
    assertUnsafe(() => dialString({ legs: many, mode: 'simultaneous' }), 'legs', 'too_many');
    assertUnsafe(() => dialString({ legs: [{ endpoint: 'user/1' }], mode: 'both' as 'sequential' }), 'mode');
  });
});

describe('expandDialTemplate and numbers', () => {
  test('numbers: digits with an optional leading +', () => {
    assert.equal(expandDialTemplate('sofia/gateway/pstn/{number}', '+380671234567'), 'sofia/gateway/pstn/+380671234567');
    assert.equal(expandDialTemplate('sofia/gateway/pstn/{number}', '0671234567'), 'sofia/gateway/pstn/0671234567');
    assert.equal(expandDialTemplate('sofia/external/{number}@carrier.example.net', '0671234567'), 'sofia/external/0671234567@carrier.example.net');
    assert.equal(expandDialTemplate('loopback/{number}/callbacks', '112'), 'loopback/112/callbacks');
    for (const bad of ['', '+', '067abc4567', '0671234567 ', ' 0671234567', '067,1', '067|1', '++380', '380+', '0'.repeat(21), '١٢٣', '067\n', '$${x}', '{number}', '0x10']) {
      assertUnsafe(() => expandDialTemplate('sofia/gateway/pstn/{number}', bad), 'number', 'bad_number');
      assertUnsafe(() => assertDialableNumber(bad), 'number', 'bad_number');
    }
    assertUnsafe(() => expandDialTemplate('sofia/gateway/pstn/{number}', 380671234567 as unknown as string), 'number', 'bad_type');
  });

  test('templates: exactly one {number}, and a valid endpoint once filled', () => {
    assertUnsafe(() => expandDialTemplate('sofia/gateway/pstn/', '123'), 'template', 'bad_template');
    assertUnsafe(() => expandDialTemplate('sofia/gateway/{number}/{number}', '123'), 'template', 'bad_template');
    assertUnsafe(() => expandDialTemplate('{ignore_early_media=true}sofia/gateway/pstn/{number}', '123'), 'template', 'bad_endpoint');
    assertUnsafe(() => expandDialTemplate('sofia/gateway/pstn/{number},user/666', '123'), 'template', 'bad_endpoint');
    assertUnsafe(() => expandDialTemplate('sofia/gateway/pstn/$1{number}', '123'), 'template', 'bad_endpoint');
  });

  test('a filled template round-trips inside a full dial string', () => {
    const endpoint = expandDialTemplate('sofia/gateway/pstn/{number}', '+380671234567');
    const dial = dialString({
      globalVars: { origination_caller_id_name: 'Queue Support, 1st line', origination_caller_id_number: '+380441234567' },
      legs: [{ endpoint }],
      mode: 'simultaneous',
    });
    assertRoundTrip(dial, {
      globalVars: [['origination_caller_id_name', 'Queue Support, 1st line'], ['origination_caller_id_number', '+380441234567']],
      groups: [[{ vars: [], endpoint: 'sofia/gateway/pstn/+380671234567' }]],
    });
  });
});

// =============================================================================================
// ESL text

describe('eslArg / assertSingleLine', () => {
  test('CR, LF and NUL are refused', () => {
    for (const bad of ['a\nb', 'a\rb', 'a\r\nb', 'originate user/1 &park()\n\napi system rm', 'a\0b', '\n']) {
      assertUnsafe(() => eslArg(bad), 'esl argument');
      assertUnsafe(() => eslArg(bad, 'execute-app-arg'), 'execute-app-arg');
      assertUnsafe(() => assertSingleLine(bad, 'Job-UUID'), 'Job-UUID');
    }
  });

  test('single lines pass unchanged', () => {
    for (const ok of ['', 'uuid_kill 1234 ORIGINATOR_CANCEL', "{a='x y'}user/1001", 'Олена 👩‍💻', '%0A stays text']) {
      assert.equal(eslArg(ok), ok);
    }
  });
});

describe('originateCommand', () => {
  const uuid = '8d7a4c1e-0b6f-4b4e-9d2a-6b7f1c2d3e4f';

  test('the documented shape', () => {
    const dial = dialString({ globalVars: { origination_uuid: uuid, originate_timeout: 20 }, legs: [{ endpoint: 'user/1001' }], mode: 'simultaneous' });
    assert.equal(originateCommand({ dial }), `originate {origination_uuid=${uuid},originate_timeout=20}user/1001 &park()`);
    assert.equal(
      originateCommand({ dial: { globalVars: { origination_uuid: uuid }, legs: [{ endpoint: 'user/1001' }], mode: 'simultaneous' }, app: { name: 'park' } }),
      `originate {origination_uuid=${uuid}}user/1001 &park()`,
    );
  });

  test('app with a blank in its argument is quoted as one api argument', () => {
    const dial = dialString({ globalVars: { origination_caller_id_name: 'Doe, John' }, legs: [{ endpoint: 'user/1001' }], mode: 'simultaneous' });
    const cmd = originateCommand({ dial, app: { name: 'socket', arg: '127.0.0.1:8084 async full' } });
    assert.equal(cmd, `originate {origination_caller_id_name='Doe\\, John'}user/1001 '&socket(127.0.0.1:8084 async full)'`);
    const parsed = parseApiOriginate(cmd);
    assert.deepEqual(parsed.app, { name: 'socket', arg: '127.0.0.1:8084 async full' });
    assert.deepEqual(parsed.dial.globalVars, [['origination_caller_id_name', 'Doe, John']]);
    assert.deepEqual(parsed.dial.groups, [[{ vars: [], endpoint: 'user/1001' }]]);
    const play = parseApiOriginate(originateCommand({ dial, app: { name: 'playback', arg: 'local_stream://moh' } }));
    assert.deepEqual(play.app, { name: 'playback', arg: 'local_stream://moh' });
  });

  test('extension, dialplan and context', () => {
    const dial = dialString({ legs: [{ endpoint: 'user/1001' }], mode: 'simultaneous' });
    assert.equal(originateCommand({ dial, extension: '8000' }), 'originate user/1001 8000');
    assert.equal(originateCommand({ dial, extension: '8000', context: 'callbacks' }), 'originate user/1001 8000 XML callbacks');
    const p = parseApiOriginate(originateCommand({ dial, extension: '8000', dialplan: 'XML', context: 'callbacks' }));
    assert.equal(p.exten, '8000');
    assertUnsafe(() => originateCommand({ dial, extension: 'undef' }), 'extension');
    assertUnsafe(() => originateCommand({ dial, extension: 'UNDEF' }), 'extension');
    assertUnsafe(() => originateCommand({ dial, extension: '8000 9000' }), 'extension');
    assertUnsafe(() => originateCommand({ dial, extension: '8000', context: 'a b' }), 'context');
    assertUnsafe(() => originateCommand({ dial, context: 'x' }), 'dialplan');
    assertUnsafe(() => originateCommand({ dial, extension: '8000', app: { name: 'park' } }), 'app');
  });

  test('app name and argument are validated', () => {
    const dial = dialString({ legs: [{ endpoint: 'user/1001' }], mode: 'simultaneous' });
    for (const name of ['', 'park()', 'pa rk', 'park\n', '&park', 'x-y']) {
      assertUnsafe(() => originateCommand({ dial, app: { name } }), 'app.name', 'bad_app');
    }
    for (const [arg, code] of [
      ['a)b', 'bad_argument'],
      ['a(b', 'bad_argument'],
      ['x\ny', 'newline'],
      ['x\r\n\r\nbgapi system rm', 'newline'],
      ["it's", 'quote'],
      ['a\\sb', 'backslash'],
      ['${system rm}', 'expansion'],
      ['a\tb', 'control_char'],
    ] as const) {
      assertUnsafe(() => originateCommand({ dial, app: { name: 'playback', arg } }), 'app.arg', code);
    }
  });

  test('a forged DialString is still checked', () => {
    const forge = (s: string) => s as DialString;
    assertUnsafe(() => originateCommand({ dial: forge('user/1001\n\napi system x') }), 'dial', 'newline');
    assertUnsafe(() => originateCommand({ dial: forge('user/1001 9999') }), 'dial');
    assertUnsafe(() => originateCommand({ dial: forge('{a=${system x}}user/1001') }), 'dial', 'expansion');
    assertUnsafe(() => originateCommand({ dial: forge('user/1:_:user/2') }), 'dial', 'enterprise_delimiter');
    assertUnsafe(() => originateCommand({ dial: forge("{a='x}user/1") }), 'dial', 'quote');
    assertUnsafe(() => originateCommand({ dial: forge('') }), 'dial', 'empty');
  });
});

// =============================================================================================
// The model itself, against cases known from FreeSWITCH's behaviour, so the round-trip checks
// above rest on something.

describe('FreeSWITCH parser model (sanity)', () => {
  test('braces, quotes, escapes, ^^ and legs', () => {
    assert.deepEqual(parseOriginate("{a=1,b='x,y',c=p\\,q}user/1001").globalVars, [['a', '1'], ['b', 'x,y'], ['c', 'p,q']]);
    assert.deepEqual(parseOriginate('{^^:a=1,2:b=3}user/1').globalVars, [['a', '1,2'], ['b', '3']]);
    assert.deepEqual(parseOriginate('{a=}user/1').globalVars, [], 'empty value dropped');
    assert.deepEqual(parseOriginate('{a=x=y}user/1').globalVars, [['a', 'x=y']]);
    const p = parseOriginate('{g=1}[a=1,b=2]user/1,[c=3]user/2|user/3');
    assert.deepEqual(p.groups, [
      [{ vars: [['a', '1'], ['b', '2']], endpoint: 'user/1' }, { vars: [['c', '3']], endpoint: 'user/2' }],
      [{ vars: [], endpoint: 'user/3' }],
    ]);
    assert.equal(parseOriginate('user/1:_:user/2').enterprise, true);
  });

  test('the injections the builder refuses really are injections', () => {
    // An unescaped `}` ends the block early: the rest becomes the endpoint.
    assert.deepEqual(parseOriginate('{origination_caller_id_name=Bob}sofia/gateway/evil/900}user/1001').groups[0]?.[0]?.endpoint,
      'sofia/gateway/evil/900}user/1001');
    // A raw comma adds a variable.
    assert.deepEqual(parseOriginate('{n=x,execute_on_answer=foo}user/1').globalVars, [['n', 'x'], ['execute_on_answer', 'foo']]);
    // A pipe means two things: literal inside {…} (parsed before the `|` split), a group
    // separator inside […] (here it cuts the block: FreeSWITCH answers "Parse Error!").
    assert.deepEqual(parseOriginate('{n=a|b}user/1').globalVars, [['n', 'a|b']]);
    assert.throws(() => parseOriginate('[n=a|loopback/9999]user/1'), /parse error/);
    assert.deepEqual(parseOriginate('[n=a]user/1|loopback/9999').groups.length, 2);
    // A quote pairs with a later one and swallows separators.
    assert.deepEqual(parseOriginate("{a=O'Brien,b=x'y}user/1").globalVars, [['a', 'OBrien,b=xy']]);
    // `\n` becomes a newline inside FreeSWITCH.
    assert.deepEqual(parseOriginate('{a=x\\ny}user/1').globalVars, [['a', 'x\ny']]);
    // Through `api originate`, quotes are consumed by the blank split, so '…' alone does not protect a comma.
    assert.deepEqual(parseApiOriginate("originate {a='x,y'}user/1 &park()").dial.globalVars, [['a', 'x']]);
  });
});
