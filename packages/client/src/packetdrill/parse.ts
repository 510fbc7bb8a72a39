/**
 * Reads packetdrill scripts (google/packetdrill's syntax) into events: times (absolute `0.1`,
 * relative `+.1`, any `*`, ranges `0.1~0.2`, blocking `+0...0.2`), segment lines (`<` to
 * inject, `>` to expect: flags, seq:end(len), ack, win, <options>), system calls with their
 * results and errno, and `--option=value` lines. What the player cannot run (python blocks,
 * shell commands, UDP and ICMP, IP-level fields) is kept as an unsupported event so that the
 * report names it; a line that is not packetdrill at all is an invalid event.
 */

/** When an event happens, in microseconds of script time. */
export type ScriptTime =
  | { kind: 'absolute'; us: number }
  | { kind: 'relative'; us: number }
  | { kind: 'any' }
  | { kind: 'range'; relative: boolean; fromUs: number; toUs: number };

export type ScriptOption =
  | { kind: 'nop' }
  | { kind: 'eol' }
  | { kind: 'mss'; value: number }
  | { kind: 'wscale'; value: number }
  | { kind: 'sackOK' }
  | { kind: 'sack'; blocks: { left: number; right: number }[] }
  | { kind: 'ts'; val: number; ecr: number };

/** packetdrill's IP ECN field: `[noecn]`, `[ect0]`, `[ect1]`, `[ect01]` (either), `[ce]`. */
export type ScriptEcn = 'noecn' | 'ect0' | 'ect1' | 'ect01' | 'ce';

export interface ScriptSegment {
  direction: '<' | '>';
  /** The ECN field; undefined: not-ECT in a `<` line, not checked in a `>` line. */
  ecn?: ScriptEcn;
  /** tcpdump's flags: S, S., ., P., F., R, R. ... */
  flags: string;
  seq: number;
  len: number;
  ack: number | undefined;
  /** The window field; undefined in a `>` line means it is not checked. */
  win: number | undefined;
  /** undefined for `<...>`: not checked. */
  options: ScriptOption[] | undefined;
}

export interface ScriptCall {
  name: string;
  /** The arguments as written, split at the top-level commas. */
  args: string[];
  result: number;
  errno: string | undefined;
  /** A blocking call's return time (`+0...0.2`), in the same terms as its start. */
  endUs: number | undefined;
}

interface Located {
  /** 1-based line of the script. */
  line: number;
  text: string;
}

export type ScriptEvent = Located &
  (
    | { kind: 'segment'; time: ScriptTime; segment: ScriptSegment }
    | { kind: 'call'; time: ScriptTime; call: ScriptCall }
    | { kind: 'option'; name: string; value: string }
    /** A `%{ ... }%` block: Python run with the socket's tcp_info (see python.ts). */
    | { kind: 'python'; time: ScriptTime; code: string }
    /** A shell command in backquotes: the kernel's settings (see kernel.ts). */
    | { kind: 'shell'; code: string }
    | { kind: 'unsupported'; reason: string }
    | { kind: 'invalid'; reason: string }
  );

const NUMBER = '(?:\\d+\\.?\\d*|\\.\\d+)';
const seconds = (text: string) => Math.round(Number(text) * 1_000_000);

/** Removes // and /* *\/ comments, keeping line breaks so that line numbers stay right. */
function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, (comment) => comment.replace(/[^\n]/g, ' '));
}

/** The script's statements: one per line, except a call's arguments or a %{ }% block that spans lines. */
function statements(text: string): Located[] {
  const lines = stripComments(text).split('\n');
  const out: Located[] = [];
  for (let i = 0; i < lines.length; i++) {
    let statement = lines[i] ?? '';
    const start = i;
    if (statement.includes('%{')) {
      while (!statement.includes('}%') && i + 1 < lines.length)
        statement += `\n${lines[++i] ?? ''}`;
    } else if (backquotes(statement) % 2 === 1) {
      // A shell command in backquotes may go on over several lines.
      while (backquotes(statement) % 2 === 1 && i + 1 < lines.length) {
        statement += `\n${lines[++i] ?? ''}`;
      }
    } else {
      // A call's arguments may go on over several lines (poll's structures, say).
      while (depth(statement) > 0 && i + 1 < lines.length) statement += ` ${lines[++i] ?? ''}`;
    }
    if (statement.trim() !== '') out.push({ line: start + 1, text: statement.trim() });
  }
  return out;
}

const backquotes = (text: string) => (text.match(/`/g) ?? []).length;

function depth(text: string): number {
  let d = 0;
  for (const c of text) {
    if (c === '(' || c === '[' || c === '{') d += 1;
    if (c === ')' || c === ']' || c === '}') d -= 1;
  }
  return d;
}

/** Splits at commas outside brackets and quotes. */
function splitArgs(text: string): string[] {
  const args: string[] = [];
  let current = '';
  let d = 0;
  let quote: string | undefined;
  for (const c of text) {
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if ('([{'.includes(c)) d += 1;
    else if (')]}'.includes(c)) d -= 1;
    else if (c === ',' && d === 0) {
      args.push(current.trim());
      current = '';
      continue;
    }
    current += c;
  }
  if (current.trim() !== '') args.push(current.trim());
  return args;
}

/** Reads a leading time; answers it and the rest of the statement. */
function readTime(text: string): { time: ScriptTime; endUs?: number; rest: string } | undefined {
  if (text.startsWith('*')) return { time: { kind: 'any' }, rest: text.slice(1).trim() };
  const range = new RegExp(`^(\\+?)(${NUMBER})~(\\+?)(${NUMBER})\\s+`).exec(text);
  if (range !== null) {
    return {
      time: {
        kind: 'range',
        relative: range[1] === '+',
        fromUs: seconds(range[2] ?? '0'),
        toUs: seconds(range[4] ?? '0'),
      },
      rest: text.slice(range[0].length),
    };
  }
  const single = new RegExp(`^(\\+?)(${NUMBER})(?:\\s*\\.\\.\\.\\s*(${NUMBER}))?\\s+`).exec(text);
  if (single === null) return undefined;
  const us = seconds(single[2] ?? '0');
  return {
    time: single[1] === '+' ? { kind: 'relative', us } : { kind: 'absolute', us },
    ...(single[3] === undefined ? {} : { endUs: seconds(single[3]) }),
    rest: text.slice(single[0].length),
  };
}

function readOptions(text: string): ScriptOption[] | string {
  const options: ScriptOption[] = [];
  for (const part of text.split(',').map((p) => p.trim())) {
    let m: RegExpExecArray | null;
    if (part === 'nop') options.push({ kind: 'nop' });
    else if (part === 'eol') options.push({ kind: 'eol' });
    else if (part === 'sackOK') options.push({ kind: 'sackOK' });
    else if ((m = /^mss (\d+)$/.exec(part)) !== null)
      options.push({ kind: 'mss', value: Number(m[1]) });
    else if ((m = /^wscale (\d+)$/.exec(part)) !== null)
      options.push({ kind: 'wscale', value: Number(m[1]) });
    else if ((m = /^TS val (\d+) ecr (\d+)$/.exec(part)) !== null) {
      options.push({ kind: 'ts', val: Number(m[1]), ecr: Number(m[2]) });
    } else if ((m = /^sack((?: \d+:\d+)+)$/.exec(part)) !== null) {
      const blocks = (m[1] ?? '')
        .trim()
        .split(/\s+/)
        .map((b) => b.split(':').map(Number) as [number, number]);
      options.push({ kind: 'sack', blocks: blocks.map(([left, right]) => ({ left, right })) });
    } else return part;
  }
  return options;
}

const UNSUPPORTED_PACKET = /^(?:udp|icmp|\[|\(|ipv[46] )/i;
const ECN_FIELD = /^\[(noecn|ect0|ect1|ect01|ce)\]\s*/;

function readSegment(
  direction: '<' | '>',
  line: string,
): ScriptSegment | { unsupported: string } | { invalid: string } {
  const field = ECN_FIELD.exec(line);
  const ecn = field?.[1] as ScriptEcn | undefined;
  const text = field === null ? line : line.slice(field[0].length);
  const m = /^(\S+)\s+(\d+):(\d+)\((\d+)\)\s*(.*)$/.exec(text);
  if (m === null) {
    return UNSUPPORTED_PACKET.test(text)
      ? { unsupported: 'UDP, ICMP and IP-level packet lines are not supported (TCP only)' }
      : { invalid: 'expected flags and seq:end(len), e.g. S 0:0(0)' };
  }
  const [, flags = '', start, end, len, tail = ''] = m;
  if (!/^(?:[SFRPUEWC]+\.?|\.|-)$/.test(flags)) return { invalid: `unknown flags "${flags}"` };
  if (/[CU]/.test(flags))
    return { unsupported: `flags ${flags}: URG and AccECN's AE are not supported` };
  if (Number(end) !== (Number(start) + Number(len)) % 0x1_0000_0000) {
    return { invalid: 'inconsistent sequence numbers and length' };
  }
  let rest = tail.trim();
  let ack: number | undefined;
  let win: number | undefined;
  let options: ScriptOption[] | undefined = [];
  for (
    let field = /^(ack|win) (\d+)\s*/.exec(rest);
    field !== null;
    field = /^(ack|win) (\d+)\s*/.exec(rest)
  ) {
    if (field[1] === 'ack') ack = Number(field[2]);
    else win = Number(field[2]);
    rest = rest.slice(field[0].length);
  }
  if (/^urg \d+/.test(rest)) return { unsupported: 'urgent pointers are not supported' };
  if (rest === '<...>') {
    if (direction === '<') return { invalid: '<...> for options is only for outbound (>) lines' };
    options = undefined;
  } else if (rest.startsWith('<') && rest.endsWith('>')) {
    const read = readOptions(rest.slice(1, -1));
    if (typeof read === 'string') {
      return /^(?:md5|FO|FOEXP|ECN)\b/.test(read)
        ? { unsupported: `TCP option "${read}" is not supported` }
        : { invalid: `unknown TCP option "${read}"` };
    }
    options = read;
  } else if (rest !== '') {
    return { invalid: `unexpected "${rest}"` };
  }
  if (direction === '<' && win === undefined)
    return { invalid: 'an inbound (<) line needs its window: win N' };
  return {
    direction,
    ...(ecn === undefined ? {} : { ecn }),
    flags: flags === '-' ? '' : flags,
    seq: Number(start),
    len: Number(len),
    ack: flags.includes('.') ? (ack ?? 0) : ack,
    win,
    options,
  };
}

function readCall(text: string, endUs: number | undefined): ScriptCall | { invalid: string } {
  const m = /^([a-z_][a-z0-9_]*)\s*\((.*)\)\s*=\s*(-?\d+)\s*(.*)$/is.exec(text);
  if (m === null) return { invalid: 'expected a system call: name(args) = result' };
  const [, name = '', args = '', result = '0', tail = ''] = m;
  const errno = /^([A-Z][A-Z0-9_]*)(?:\s*\(.*\))?$/.exec(tail.trim());
  if (tail.trim() !== '' && errno === null)
    return { invalid: `unexpected "${tail.trim()}" after the result` };
  return { name, args: splitArgs(args), result: Number(result), errno: errno?.[1], endUs };
}

/** The code of a `%{ ... }%` block. */
const python = (text: string) => text.replace(/^%\{/, '').replace(/\}%\s*$/, '');

/** Reads a script into its events, in order. Never throws: what it cannot read is an event too. */
export function parsePacketdrill(text: string): ScriptEvent[] {
  return statements(text).map(({ line, text: statement }): ScriptEvent => {
    const at = { line, text: statement };
    if (statement.startsWith('%{'))
      return { ...at, kind: 'python', time: { kind: 'any' }, code: python(statement) };
    if (statement.startsWith('`')) return { ...at, kind: 'shell', code: statement.slice(1, -1) };
    const option = /^--([a-z_]+)(?:=(\S*))?$/.exec(statement);
    if (option !== null)
      return { ...at, kind: 'option', name: option[1] ?? '', value: option[2] ?? '' };
    const timed = readTime(statement);
    if (timed === undefined)
      return { ...at, kind: 'invalid', reason: 'expected a time (0.1, +0.1, *) first' };
    const { time, endUs, rest } = timed;
    if (rest.startsWith('`')) return { ...at, kind: 'shell', code: rest.slice(1, -1) };
    if (rest.startsWith('%{')) return { ...at, kind: 'python', time, code: python(rest) };
    if (rest.startsWith('<') || rest.startsWith('>')) {
      if (endUs !== undefined) return { ...at, kind: 'invalid', reason: '... is for system calls' };
      const segment = readSegment(rest[0] as '<' | '>', rest.slice(1).trim());
      if ('unsupported' in segment)
        return { ...at, kind: 'unsupported', reason: segment.unsupported };
      if ('invalid' in segment) return { ...at, kind: 'invalid', reason: segment.invalid };
      return { ...at, kind: 'segment', time, segment };
    }
    const call = readCall(rest, endUs);
    if ('invalid' in call) return { ...at, kind: 'invalid', reason: call.invalid };
    return { ...at, kind: 'call', time, call };
  });
}
