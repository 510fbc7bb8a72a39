import { describe, expect, it } from 'vitest';
import type { AnyTraceEvent } from '../api/trace.js';
import { renderLadder } from './ladder.js';

const C = { address: '10.0.0.1', port: 49152 };
const S = { address: '10.0.0.2', port: 80 };

function segment(
  timeMs: number,
  src: typeof C,
  dst: typeof C,
  flags: string,
  seq: number,
  ack: number,
  extra: Record<string, unknown> = {},
): AnyTraceEvent {
  return {
    eventId: timeMs,
    timeMs,
    kind: 'segment',
    src,
    dst,
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
const state = (timeMs: number, endpointId: string, to: string): AnyTraceEvent => ({
  eventId: timeMs,
  timeMs,
  kind: 'state',
  endpointId,
  from: 'CLOSED',
  to,
});

describe('the ladder diagram in text', () => {
  it('draws a column per endpoint, an arrow per segment with its label, a cross where it was lost, and states', () => {
    const text = renderLadder(
      [
        state(0, 'e1', 'SYN-SENT'),
        segment(0, C, S, 'S', 1000, 0),
        state(10, 'e3', 'SYN-RECEIVED'),
        segment(10, S, C, 'S.', 5000, 1001),
        segment(20, C, S, '.', 1001, 5001, { fate: 'dropped', reason: 'fault f1' }),
      ],
      {
        names: new Map([
          ['10.0.0.1:49152', 'client'],
          ['10.0.0.2:80', 'server'],
        ]),
        columns: new Map([
          ['e1', 'client'],
          ['e3', 'server'],
        ]),
        faults: new Map([['f1', 'lostAck']]),
      },
    );
    expect(text.split('\n')).toEqual([
      '              client                                            server',
      '                 │                                                 │',
      '       0     SYN-SENT                                              │',
      '       0         │────────────── S 0:0(0) win 65535 ──────────────▶│',
      '      10         │                                           SYN-RECEIVED',
      '      10         │◀────────── S. 0:0(0) ack 1 win 65535 ───────────│',
      '      20         │── . ack 1 win 65535 [dropped, fault lostAck] ──✗│',
      '',
    ]);
  });
});
