/**
 * Parser for the Python-literal dicts of the 2014 Amazon metadata files (`{'asin': '…', 'price':
 * 3.17, 'related': {…}}`). Only literals are accepted — dict, list, tuple, str (single/double
 * quoted, with escapes), int, float, True/False/None — so nothing is ever evaluated.
 */

export class PyLiteralError extends Error {
  constructor(
    message: string,
    readonly pos: number,
  ) {
    super(message);
  }
}

const SIMPLE_ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
  '0': '\0',
};

class Parser {
  i = 0;
  constructor(readonly s: string) {}

  fail(what: string): never {
    throw new PyLiteralError(`${what} at character ${this.i + 1}`, this.i);
  }

  ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i]!)) this.i++;
  }

  value(): unknown {
    this.ws();
    const c = this.s[this.i];
    if (c === undefined) this.fail('unexpected end of text');
    if (c === '{') return this.dict();
    if (c === '[') return this.seq('[', ']');
    if (c === '(') return this.seq('(', ')');
    if (c === "'" || c === '"') return this.str();
    if (/[uUbBrR]/.test(c) && (this.s[this.i + 1] === "'" || this.s[this.i + 1] === '"')) {
      if (c === 'r' || c === 'R') this.fail('raw strings are not supported');
      this.i++;
      return this.str();
    }
    return this.atom();
  }

  dict(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.i++;
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      const k = this.value();
      if (typeof k !== 'string' && typeof k !== 'number') this.fail('dict key must be a string or number');
      this.ws();
      if (this.s[this.i] !== ':') this.fail('expected ":"');
      this.i++;
      out[String(k)] = this.value();
      this.ws();
      const c = this.s[this.i];
      if (c === ',') {
        this.i++;
        this.ws();
        if (this.s[this.i] === '}') {
          this.i++;
          return out;
        }
      } else if (c === '}') {
        this.i++;
        return out;
      } else this.fail('expected "," or "}"');
    }
  }

  seq(open: string, close: string): unknown[] {
    const out: unknown[] = [];
    this.i++;
    this.ws();
    if (this.s[this.i] === close) {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.ws();
      const c = this.s[this.i];
      if (c === ',') {
        this.i++;
        this.ws();
        if (this.s[this.i] === close) {
          this.i++;
          return out;
        }
      } else if (c === close) {
        this.i++;
        return out;
      } else this.fail(`expected "," or "${close}" after item in "${open}…${close}"`);
    }
  }

  str(): string {
    const q = this.s[this.i]!;
    this.i++;
    let out = '';
    for (;;) {
      const c = this.s[this.i];
      if (c === undefined) this.fail('unterminated string');
      if (c === q) {
        this.i++;
        // Adjacent literals concatenate, as in Python.
        const save = this.i;
        this.ws();
        const n = this.s[this.i];
        if (n === "'" || n === '"') return out + this.str();
        this.i = save;
        return out;
      }
      if (c === '\\') {
        const e = this.s[this.i + 1];
        if (e === undefined) this.fail('unterminated escape');
        if (SIMPLE_ESCAPES[e] !== undefined) {
          out += SIMPLE_ESCAPES[e];
          this.i += 2;
        } else if (e === 'x' || e === 'u' || e === 'U') {
          const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
          const hex = this.s.slice(this.i + 2, this.i + 2 + len);
          if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) this.fail(`bad \\${e} escape`);
          out += String.fromCodePoint(parseInt(hex, 16));
          this.i += 2 + len;
        } else if (e === '\n') {
          this.i += 2;
        } else {
          out += '\\' + e;
          this.i += 2;
        }
        continue;
      }
      out += c;
      this.i++;
    }
  }

  atom(): unknown {
    const m = /^(True|False|None|[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|inf|nan))/.exec(this.s.slice(this.i, this.i + 64));
    if (!m) this.fail('expected a Python literal');
    this.i += m[1]!.length;
    const t = m[1]!;
    if (t === 'True') return true;
    if (t === 'False') return false;
    if (t === 'None') return null;
    const v = Number(t.replace(/^\+/, ''));
    // JSON has no inf/nan; such a value is not a usable price or rating anyway.
    return Number.isFinite(v) ? v : null;
  }
}

/** Parse one Python-literal expression (the whole string must be consumed). */
export function parsePyLiteral(text: string): unknown {
  const p = new Parser(text);
  const v = p.value();
  p.ws();
  if (p.i < text.length) p.fail('unexpected text after the literal');
  return v;
}
