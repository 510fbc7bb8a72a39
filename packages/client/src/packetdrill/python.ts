/**
 * The `%{ ... }%` blocks of packetdrill scripts: packetdrill hands them to Python with the
 * socket's tcp_info as `tcpi_*` variables. The scripts use a small part of Python (assert,
 * assignments, print, comparisons, arithmetic, `'...' % values` messages), and that part is
 * what this reads and runs, with the variables a block may name given by the caller. Anything
 * else is refused by name, so that a report says what was not understood.
 */

export type PyValue = number | string | boolean | PyValue[];

export class PythonError extends Error {}

/** An `assert` that did not hold: its expression as written, and the message it carried. */
export class AssertionFailed extends Error {
  constructor(
    readonly expression: string,
    readonly detail: string,
  ) {
    super(`assert ${expression} failed${detail === '' ? '' : `: ${detail}`}`);
  }
}

type Token =
  | { kind: 'number'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'name'; value: string }
  | { kind: 'op'; value: string };

const OPERATORS = [
  '**',
  '//',
  '==',
  '!=',
  '<=',
  '>=',
  '+=',
  '-=',
  '*=',
  '(',
  ')',
  ',',
  '<',
  '>',
  '+',
  '-',
  '*',
  '/',
  '%',
  '=',
];

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? '';
    if (c === ' ' || c === '\t') {
      i += 1;
      continue;
    }
    const number = /^(0x[0-9a-fA-F]+|\d+(?:\.\d*)?|\.\d+)/.exec(text.slice(i));
    if (number !== null) {
      tokens.push({ kind: 'number', value: Number(number[1]) });
      i += number[0].length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i));
    if (name !== null) {
      tokens.push({ kind: 'name', value: name[0] });
      i += name[0].length;
      continue;
    }
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) throw new PythonError('a string that does not end');
      tokens.push({ kind: 'string', value: text.slice(i + 1, end) });
      i = end + 1;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (op === undefined) throw new PythonError(`"${c}" is not understood`);
    tokens.push({ kind: 'op', value: op });
    i += op.length;
  }
  return tokens;
}

/** The statements of a block: lines and `;`, with `\` continuations and `#` comments gone. */
export function pythonStatements(block: string): string[] {
  const out: string[] = [];
  const joined = block.replace(/\\\s*\n/g, ' ');
  for (const rawLine of joined.split('\n')) {
    let line = '';
    let quote: string | undefined;
    for (const c of rawLine) {
      if (quote === undefined && c === '#') break;
      if (quote === undefined && (c === "'" || c === '"')) quote = c;
      else if (c === quote) quote = undefined;
      if (quote === undefined && c === ';') {
        out.push(line);
        line = '';
        continue;
      }
      line += c;
    }
    out.push(line);
  }
  return out.map((s) => s.trim()).filter((s) => s !== '');
}

class Parser {
  private at = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly lookup: (name: string) => PyValue,
  ) {}

  done(): boolean {
    return this.at >= this.tokens.length;
  }

  peek(): Token | undefined {
    return this.tokens[this.at];
  }

  private isOp(value: string): boolean {
    const t = this.peek();
    return t?.kind === 'op' && t.value === value;
  }

  private isName(value: string): boolean {
    const t = this.peek();
    return t?.kind === 'name' && t.value === value;
  }

  expect(value: string): void {
    if (!this.isOp(value)) throw new PythonError(`expected "${value}"`);
    this.at += 1;
  }

  /** An expression list: one value, or a tuple. */
  tuple(): PyValue {
    const first = this.expression();
    if (!this.isOp(',')) return first;
    const items = [first];
    while (this.isOp(',')) {
      this.at += 1;
      if (this.done() || this.isOp(')')) break;
      items.push(this.expression());
    }
    return items;
  }

  expression(): PyValue {
    let left = this.conjunction();
    while (this.isName('or')) {
      this.at += 1;
      const right = this.conjunction();
      left = truthy(left) ? left : right;
    }
    return left;
  }

  private conjunction(): PyValue {
    let left = this.negation();
    while (this.isName('and')) {
      this.at += 1;
      const right = this.negation();
      left = truthy(left) ? right : left;
    }
    return left;
  }

  private negation(): PyValue {
    if (this.isName('not')) {
      this.at += 1;
      return !truthy(this.negation());
    }
    return this.comparison();
  }

  private comparison(): PyValue {
    const first = this.sum();
    let left = first;
    let result: PyValue = true;
    let compared = false;
    for (;;) {
      const t = this.peek();
      if (t?.kind !== 'op' || !['==', '!=', '<', '<=', '>', '>='].includes(t.value)) break;
      this.at += 1;
      const right = this.sum();
      compared = true;
      if (result === true && !compare(t.value, left, right)) result = false;
      left = right;
    }
    return compared ? result : first;
  }

  private sum(): PyValue {
    let left = this.product();
    for (;;) {
      if (this.isOp('+')) {
        this.at += 1;
        left = arithmetic('+', left, this.product());
      } else if (this.isOp('-')) {
        this.at += 1;
        left = arithmetic('-', left, this.product());
      } else return left;
    }
  }

  private product(): PyValue {
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      if (t?.kind !== 'op' || !['*', '/', '//', '%'].includes(t.value)) return left;
      this.at += 1;
      left = arithmetic(t.value, left, this.unary());
    }
  }

  private unary(): PyValue {
    if (this.isOp('-')) {
      this.at += 1;
      return arithmetic('-', 0, this.unary());
    }
    if (this.isOp('+')) {
      this.at += 1;
      return this.unary();
    }
    return this.power();
  }

  private power(): PyValue {
    const base = this.atom();
    if (!this.isOp('**')) return base;
    this.at += 1;
    return arithmetic('**', base, this.unary());
  }

  private atom(): PyValue {
    const t = this.peek();
    if (t === undefined) throw new PythonError('an expression ends too soon');
    this.at += 1;
    if (t.kind === 'number' || t.kind === 'string') return t.value;
    if (t.kind === 'name') {
      if (t.value === 'True') return true;
      if (t.value === 'False') return false;
      if (this.isOp('(')) return this.call(t.value);
      return this.lookup(t.value);
    }
    if (t.value === '(') {
      const value = this.isOp(')') ? [] : this.tuple();
      this.expect(')');
      return value;
    }
    throw new PythonError(`"${t.value}" where a value was expected`);
  }

  private call(name: string): PyValue {
    this.expect('(');
    const args: PyValue[] = [];
    while (!this.isOp(')')) {
      args.push(this.expression());
      if (!this.isOp(')')) this.expect(',');
    }
    this.expect(')');
    if (name === 'int' && typeof args[0] === 'number') return Math.trunc(args[0]);
    if (name === 'abs' && typeof args[0] === 'number') return Math.abs(args[0]);
    if (name === 'min' || name === 'max') {
      const numbers = args.map((a) => Number(a));
      return name === 'min' ? Math.min(...numbers) : Math.max(...numbers);
    }
    throw new PythonError(`${name}() is not supported`);
  }
}

function truthy(value: PyValue): boolean {
  if (Array.isArray(value)) return value.length > 0;
  return value !== 0 && value !== '' && value !== false;
}

function compare(op: string, a: PyValue, b: PyValue): boolean {
  const [x, y] = [typeof a === 'boolean' ? Number(a) : a, typeof b === 'boolean' ? Number(b) : b];
  switch (op) {
    case '==':
      return x === y;
    case '!=':
      return x !== y;
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    case '>':
      return x > y;
    default:
      return x >= y;
  }
}

function arithmetic(op: string, a: PyValue, b: PyValue): PyValue {
  if (op === '%' && typeof a === 'string') return format(a, Array.isArray(b) ? b : [b]);
  if (op === '+' && typeof a === 'string' && typeof b === 'string') return a + b;
  if (typeof a !== 'number' || typeof b !== 'number')
    throw new PythonError(`${op} of ${typeof a} and ${typeof b}`);
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    case '//':
      return Math.floor(a / b);
    case '%':
      return ((a % b) + b) % b;
    default:
      return a ** b;
  }
}

/** Python's `'fmt' % values` for %d, %s, %u and %x. */
function format(template: string, values: PyValue[]): string {
  let next = 0;
  return template.replace(/%([dsux%])/g, (_, kind: string) => {
    if (kind === '%') return '%';
    const value = values[next++];
    if (kind === 'x') return Number(value).toString(16);
    return String(value);
  });
}

/**
 * Runs a block's statements in `scope` (which they may change: `cwnd += 10`). `variables`
 * answers a name the scope does not hold (the tcpi_* fields, TCP_CA_* constants) or throws.
 */
export function runPython(
  block: string,
  scope: Map<string, PyValue>,
  variables: (name: string) => PyValue | undefined,
): void {
  const lookup = (name: string): PyValue => {
    const value = scope.get(name) ?? variables(name);
    if (value === undefined) throw new PythonError(`name "${name}" is not defined`);
    return value;
  };
  for (const statement of pythonStatements(block)) {
    const assert = /^assert\b(.*)$/s.exec(statement);
    if (assert !== null) {
      const parser = new Parser(tokenize(assert[1] ?? ''), lookup);
      const condition = parser.expression();
      let detail = '';
      if (!parser.done()) {
        parser.expect(',');
        detail = String(parser.tuple());
      }
      if (!parser.done()) throw new PythonError(`unexpected text in "${statement}"`);
      if (!truthy(condition)) {
        const expression = (assert[1] ?? '').split(',')[0]?.trim() ?? '';
        throw new AssertionFailed(expression, detail);
      }
      continue;
    }
    const print = /^print\s*\((.*)\)$/s.exec(statement);
    if (print !== null) {
      new Parser(tokenize(print[1] ?? ''), lookup).tuple(); // evaluated for its errors only
      continue;
    }
    const assign = /^([A-Za-z_][A-Za-z0-9_]*)\s*([+\-*]?=)(?!=)\s*(.*)$/s.exec(statement);
    if (assign !== null) {
      const [, name = '', op = '=', text = ''] = assign;
      const parser = new Parser(tokenize(text), lookup);
      const value = parser.tuple();
      if (!parser.done()) throw new PythonError(`unexpected text in "${statement}"`);
      scope.set(name, op === '=' ? value : arithmetic(op[0] ?? '+', lookup(name), value));
      continue;
    }
    throw new PythonError(`"${statement}" is not supported (assert, assignments and print are)`);
  }
}
