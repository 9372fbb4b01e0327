/**
 * Dial strings as switch_ivr_originate reads them: `{global vars}[leg vars]target,[leg vars]target2|target3`
 * (`,` rings together, `|` tries the next group after a failure). Variables are `k=v` separated by `,`;
 * `\,` escapes a comma and single-quoted values keep spaces (a03: `origination_caller_id_name='Test Caller'`,
 * `other_var=a\,b` → `a,b`).
 */
export interface DialLeg {
  /** the dial target without variable blocks, e.g. `user/1001` */
  readonly target: string;
  /** global then per-leg variables (leg wins) */
  readonly vars: Map<string, string>;
}

/** Splits on `sep` outside {…}, […], <…> and quotes, honouring `\` escapes. */
export function splitTop(s: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = false;
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s[i + 1]!;
      i++;
      continue;
    }
    if (c === "'") quote = !quote;
    else if (!quote && (c === '{' || c === '[' || c === '<')) depth++;
    else if (!quote && (c === '}' || c === ']' || c === '>')) depth = Math.max(0, depth - 1);
    if (c === sep && depth === 0 && !quote) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  out.push(cur);
  return out;
}

/** `a=1,b='x y',c=a\,b` → Map. */
export function parseVars(block: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of splitTop(block, ',')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    let v = part.slice(i + 1);
    if (v.length >= 2 && v.startsWith("'") && v.endsWith("'")) v = v.slice(1, -1);
    m.set(part.slice(0, i).trim(), v.replace(/\\,/g, ','));
  }
  return m;
}

/** Reads leading `{…}` / `<…>` / `[…]` blocks off a string. */
function takeBlocks(s: string, open: string, close: string): { vars: Map<string, string>; rest: string } {
  const vars = new Map<string, string>();
  let rest = s.trimStart();
  while (rest.startsWith(open)) {
    const end = findClose(rest, close);
    if (end < 0) break;
    for (const [k, v] of parseVars(rest.slice(1, end))) vars.set(k, v);
    rest = rest.slice(end + 1).trimStart();
  }
  return { vars, rest };
}

function findClose(s: string, close: string): number {
  let quote = false;
  for (let i = 1; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === "'") quote = !quote;
    else if (c === close && !quote) return i;
  }
  return -1;
}

/** The whole dial string → groups (tried in order) of legs (rung together), plus the global variables. */
export function parseDialString(ds: string): { globals: Map<string, string>; groups: DialLeg[][] } {
  const g1 = takeBlocks(ds, '{', '}');
  const g2 = takeBlocks(g1.rest, '<', '>');
  const globals = new Map([...g1.vars, ...g2.vars]);
  const groups = splitTop(g2.rest, '|').map((grp) =>
    splitTop(grp, ',')
      .map((legStr) => {
        const lv = takeBlocks(legStr, '[', ']');
        return { target: lv.rest.trim(), vars: new Map([...globals, ...lv.vars]) };
      })
      .filter((l) => l.target !== ''),
  );
  return { globals, groups: groups.filter((g) => g.length) };
}

/** Splits the `originate` arguments on spaces outside {…}/[…]/quotes (switch_separate_string). */
export function splitArgs(s: string): string[] {
  return splitTop(s.trim(), ' ').filter((w) => w !== '');
}
