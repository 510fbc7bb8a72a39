import { describe, expect, it } from 'vitest';
import { formatSegments, matchSegments, type SegmentEvent } from './lines.js';

const C = { address: '10.0.0.1', port: 49152 };
const S = { address: '10.0.0.2', port: 80 };
const names = new Map([
  ['10.0.0.1:49152', 'client'],
  ['10.0.0.2:80', 'server'],
]);

let id = 0;
function seg(
  from: typeof C,
  to: typeof C,
  flags: string,
  seq: number,
  ack = 0,
  extra: Partial<SegmentEvent> = {},
): SegmentEvent {
  id += 1;
  return {
    eventId: id,
    timeMs: id * 10,
    src: from,
    dst: to,
    flags,
    seq,
    ack,
    window: 65535,
    len: 0,
    options: {},
    fate: 'delivered',
    ...extra,
  };
}

const lines = (segments: SegmentEvent[], sequence: 'relative' | 'absolute' = 'relative') =>
  formatSegments(segments, { names, sequence, faults: new Map([['f1', 'lostFin']]) }).map(
    (f) => f.line,
  );

describe('segment lines', () => {
  it('number seq and ack from each side\u2019s ISN, as tcpdump and Wireshark do', () => {
    const handshake = [
      seg(C, S, 'S', 1000, 0, { options: { mss: 1460 } }),
      seg(S, C, 'S.', 5000, 1001, { options: { mss: 1460 } }),
      seg(C, S, '.', 1001, 5001),
      seg(C, S, 'P.', 1001, 5001, { len: 5 }),
    ];
    expect(lines(handshake)).toEqual([
      'client > server: S 0:0(0) win 65535 <mss 1460>',
      'server > client: S. 0:0(0) ack 1 win 65535 <mss 1460>',
      'client > server: . ack 1 win 65535',
      'client > server: P. 1:6(5) ack 1 win 65535',
    ]);
    expect(lines(handshake, 'absolute')[1]).toBe(
      'server > client: S. 5000:5000(0) ack 1001 win 65535 <mss 1460>',
    );
    // The numbers as shown, for a view that puts them beside the header's.
    const shown = formatSegments(handshake, { names, sequence: 'relative' });
    expect(shown.map((f) => [f.seq, f.ack])).toEqual([
      [0, 0],
      [0, 1],
      [1, 1],
      [1, 1],
    ]);
    const absolute = formatSegments(handshake, { names, sequence: 'absolute' });
    expect(absolute.map((f) => [f.seq, f.ack])[1]).toEqual([5000, 1001]);
  });

  it('count across the 2^32 wrap', () => {
    expect(lines([seg(C, S, 'S', 0xffff_fff0), seg(C, S, '.', 0x10, 0, { len: 16 })])).toEqual([
      'client > server: S 0:0(0) win 65535',
      'client > server: . 32:48(16) ack 0 win 65535',
    ]);
  });

  it('start again at a SYN after the conversation ended, but not at a forged RST', () => {
    const old = [
      seg(C, S, 'S', 1000),
      seg(S, C, 'S.', 5000, 1001),
      seg(C, S, 'F.', 1001, 5001),
      seg(S, C, 'F.', 5001, 1002),
    ];
    const stale = [seg(C, S, 'S', 1000), seg(S, C, 'S.', 9000, 1001)];
    expect(lines([...old, ...stale]).slice(4)).toEqual([
      'client > server: S 0:0(0) win 65535',
      'server > client: S. 0:0(0) ack 1 win 65535',
    ]);
    // A RST away from where its sender stands ends nothing: a later SYN keeps the numbering.
    const forged = [
      seg(C, S, 'S', 1000),
      seg(S, C, 'S.', 5000, 1001),
      seg(C, S, 'R', 31001),
      seg(C, S, 'S', 5000),
    ];
    expect(lines(forged).slice(2)).toEqual([
      'client > server: R 30001:30001(0) win 65535',
      'client > server: S 4000:4000(0) win 65535',
    ]);
  });

  it('say why a segment was sent, show a probe\u2019s sequence number, and name the fault that dropped it', () => {
    const start = [seg(C, S, 'S', 1000), seg(S, C, 'S.', 5000, 1001)];
    expect(
      lines([
        ...start,
        seg(C, S, '.', 1000, 5001, { label: 'keep-alive' }),
        seg(C, S, 'F.', 1001, 5001, { fate: 'dropped', reason: 'fault f1' }),
        seg(C, S, 'F.', 1001, 5001, { label: 'retransmission', fate: 'dropped', reason: 'loss' }),
      ]).slice(2),
    ).toEqual([
      'client > server: . 0:0(0) ack 1 win 65535 (keep-alive)',
      'client > server: F. 1:1(0) ack 1 win 65535 [dropped, fault lostFin]',
      'client > server: F. 1:1(0) ack 1 win 65535 (retransmission) [dropped, loss]',
    ]);
  });

  it('name an address no endpoint of the scenario has as tcpdump does', () => {
    expect(lines([seg(C, { address: '10.0.0.9', port: 80 }, 'S', 7)])).toEqual([
      'client > 10.0.0.9.80: S 0:0(0) win 65535',
    ]);
  });
});

describe('matching segment lines', () => {
  const actual = [
    'a > b: S 0:0(0)',
    'b > a: S. 0:0(0) ack 1',
    'a > b: . ack 1',
    'a > b: P. 1:6(5) ack 1',
  ].map((line, i) => ({
    timeMs: i * 10,
    line,
  }));

  it('matches every segment in order, with * inside a line and ... for any run of them', () => {
    expect(
      matchSegments(
        ['a > b: S *', 'b > a: S. *', 'a > b: . ack 1', 'a > b: P. 1:6(5) ack 1'],
        actual,
      ),
    ).toEqual({ ok: true });
    expect(matchSegments(['...', 'a > b: P. *'], actual)).toEqual({ ok: true });
    expect(matchSegments(['a > b: S *', '...'], actual)).toEqual({ ok: true });
    // YAML's `- b > a: S. 0:0(0) ack 1` is a map of one entry: the same line.
    expect(matchSegments(['...', { 'b > a': 'S. 0:0(0) ack 1' }, '...'], actual)).toEqual({
      ok: true,
    });
  });

  it('takes a time with @', () => {
    expect(matchSegments(['...', '@20 a > b: . ack 1', '...'], actual)).toEqual({ ok: true });
    expect(matchSegments(['...', '@25 a > b: . ack 1', '...'], actual).ok).toBe(false);
  });

  it('reports the first segment it could not match, with what was expected and seen', () => {
    expect(matchSegments(['a > b: S *', 'b > a: R *', '...'], actual)).toEqual({
      ok: false,
      index: 2,
      expected: 'b > a: R *',
      actual: '@10 b > a: S. 0:0(0) ack 1',
    });
    // Without a trailing ..., more segments than lines is a failure too.
    expect(matchSegments(['a > b: S *'], actual)).toMatchObject({
      ok: false,
      index: 2,
      expected: '(no more segments)',
    });
    expect(matchSegments([...actual.map((a) => a.line), 'a > b: F. *'], actual)).toMatchObject({
      ok: false,
      index: 5,
      expected: 'a > b: F. *',
      actual: '(no more segments)',
    });
  });

  it('does not take . or ( literally as a pattern', () => {
    expect(
      matchSegments(['a > b: S 0:0(0)', 'b > a: S. 0:0(0) ack 1', 'a > b: x ack 1', '...'], actual)
        .ok,
    ).toBe(false);
  });

  it('spans a bulk transfer\u2019s thousands of segments with one gap', () => {
    const many = Array.from({ length: 50_000 }, (_, i) => ({ timeMs: i, line: `a > b: . ${i}` }));
    expect(matchSegments(['a > b: . 0', '...', 'a > b: . 49999'], many)).toEqual({ ok: true });
  });
});
